"""Uploads as the API and the CLI take them: checked before anything is stored, staged in
the file store for the ingestion job, or (one section of a book) ingested at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from lakechat.jobs.runners import JobRunner
from lakechat.knowledge.ingest import Upload
from lakechat.knowledge.parsing import kind_of, parse
from lakechat.knowledge.service import KnowledgeBase
from lakechat.security.principals import Principal

INGEST_JOB = "docs.ingest"


def check_upload(upload: Upload) -> None:
    """Raise the 4xx error a file deserves (unsupported kind, empty, unreadable)."""
    kind_of(upload.name)
    parse(upload.name, upload.data)


def stage(knowledge: KnowledgeBase, runner: JobRunner, principal: Principal,
          uploads: Sequence[Upload]) -> dict[str, Any]:  # fmt: skip
    """Keep the uploads in the file store and start the job that ingests them."""
    batch = uuid.uuid4().hex
    items = []
    for n, upload in enumerate(uploads):
        key = f"staging/{batch}/{n}{PurePosixPath(upload.name).suffix.lower()}"
        knowledge.files.put(key, upload.data)
        items.append({"name": upload.name, "key": key, "version": upload.version,
                      "tags": list(upload.tags), "title": upload.title})  # fmt: skip
    params = {"tenant": principal.tenant, "principal": principal.name, "files": items}
    job_id = runner.submit(INGEST_JOB, params, principal, total=len(items))
    return {
        "job_id": job_id,
        "status": "queued",
        "files": [{"name": u.name, "size_bytes": len(u.data)} for u in uploads],
    }


def section_markdown(chapter: str, section: str, content: str) -> bytes:
    """A book's section as a Markdown document whose headings are its chapter and section."""
    return f"# {chapter}\n\n## {section}\n\n{content.strip()}\n".encode()


def ingest_section(knowledge: KnowledgeBase, principal: Principal, chapter: str, section: str,
                   content: str, version: str, tags: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    """One section, stored and embedded before the answer (it is small)."""
    upload = Upload(f"{chapter}/{section}.md", section_markdown(chapter, section, content),
                    version, tags, chapter)  # fmt: skip
    check_upload(upload)
    report = knowledge.ingest(principal.tenant, principal.name, [upload])
    [outcome] = report.outcomes
    return {
        "status": "success",
        "document_id": outcome.document_id,
        "result": outcome.status,
        "chunks_created": outcome.chunks if outcome.status != "unchanged" else 0,
        "chunks": outcome.chunks,
        "vectors_error": report.vectors_error,
    }
