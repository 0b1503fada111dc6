"""Ingestion: files -> parsed sections -> chunks -> the document store, one file at a time.

Each file's outcome is reported on its own: a file that cannot be read fails with its
reason and leaves every other document as it was; a file whose content did not change is
skipped by its hash; a changed one replaces its chunks. The original is kept in the file
store under a key made of the tenant and the content's hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from lakechat.errors import LakechatError, NotFound
from lakechat.knowledge.chunking import chunk
from lakechat.knowledge.documents import DocumentStore, NewDocument, Stored
from lakechat.knowledge.files import FileStore
from lakechat.knowledge.parsing import KINDS, kind_of, parse

#: called after each file with (files done, files failed)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    version: str = ""
    tags: tuple[str, ...] = ()
    title: str | None = None
    #: why the upload cannot be read at all (it fails with this reason)
    error: str | None = None


@dataclass(frozen=True)
class Outcome:
    name: str
    status: str  # "added" | "replaced" | "unchanged" | "failed"
    document_id: str | None = None
    chunks: int = 0
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "document_id": self.document_id,
                "chunks": self.chunks, "error": self.error}  # fmt: skip


class Ingestor:
    def __init__(self, documents: DocumentStore, files: FileStore,
                 on_stored: Callable[[Stored], None] | None = None) -> None:  # fmt: skip
        self.documents = documents
        self.files = files
        #: the indexes follow each stored document (removed and added chunks)
        self.on_stored = on_stored

    def ingest(self, tenant: str, principal: str, uploads: Iterable[Upload],
               progress: Progress | None = None) -> list[Outcome]:  # fmt: skip
        outcomes: list[Outcome] = []
        failed = 0
        for upload in uploads:
            outcome = self._one(tenant, principal, upload)
            failed += outcome.status == "failed"
            outcomes.append(outcome)
            if progress is not None:
                progress(len(outcomes) - failed, failed)
        return outcomes

    def _one(self, tenant: str, principal: str, upload: Upload) -> Outcome:
        if upload.error is not None:
            return Outcome(upload.name, "failed", error=upload.error)
        try:
            kind = kind_of(upload.name)
            title, sections = parse(upload.name, upload.data)
            chunks = chunk(sections)
            digest = hashlib.sha256(upload.data).hexdigest()
            key = f"{tenant}/{digest[:2]}/{digest}{PurePosixPath(upload.name).suffix.lower()}"
            self.files.put(key, upload.data)
            stored = self.documents.save(
                NewDocument(
                    tenant,
                    upload.name,
                    upload.title or title,
                    kind,
                    upload.version,
                    upload.tags,
                    digest,
                    len(upload.data),
                    key,
                    principal,
                ),
                chunks,
            )
        except LakechatError as exc:
            return Outcome(upload.name, "failed", error=exc.message)
        if self.on_stored is not None and stored.status != "unchanged":
            self.on_stored(stored)
        return Outcome(upload.name, stored.status, stored.document_id, len(chunks))


def staged_uploads(files: FileStore, items: Sequence[dict[str, Any]]) -> Iterator[Upload]:
    """Uploads read from the file store one at a time (a job's files are staged there, so
    a worker in another process reads them, and memory holds one file at a time)."""
    for item in items:
        try:
            data, error = files.get(item["key"]), None
        except LakechatError as exc:
            data, error = b"", f"the uploaded file could not be read back: {exc.message}"
        yield Upload(item["name"], data, item.get("version") or "",
                     tuple(item.get("tags") or ()), item.get("title"), error)  # fmt: skip


def files_under(paths: Sequence[Path]) -> list[tuple[str, Path]]:
    """(document name, file) for each file given and each readable file in each folder
    given (recursively; hidden files skipped). A folder's files are named by their path
    inside it, with / separators, so the same folder ingested again replaces them."""
    found: list[tuple[str, Path]] = []
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                inside = file.relative_to(path)
                if any(part.startswith(".") for part in inside.parts):
                    continue
                if file.suffix.lower() in KINDS:
                    found.append((inside.as_posix(), file))
        elif path.is_file():
            found.append((path.name, path))
        else:
            raise NotFound(f"no such file or folder: {path}")
    return found
