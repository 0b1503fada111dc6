"""Ingesting a folder of mixed files: each file's outcome, unchanged files skipped by hash,
changed ones replaced, and a broken file reported without touching the others."""

from __future__ import annotations

import io
from pathlib import Path

from lakechat.knowledge.documents import DocumentStore, Stored
from lakechat.knowledge.files import FileStore
from lakechat.knowledge.ingest import Ingestor, Upload
from lakechat.store.database import StateStore
from tests.knowledge.test_parsing import _pdf


def docx_bytes() -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Travel", 1)
    document.add_paragraph("Book trains over flights under 500 km.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_folder_of_mixed_files(migrated: StateStore, tmp_path: Path) -> None:
    seen: list[Stored] = []
    ingestor = Ingestor(DocumentStore(migrated), FileStore(str(tmp_path / "files")), seen.append)
    uploads = [
        Upload(
            "handbook.md",
            b"# Handbook\n\n## Leave\n\nYou get 25 days.\n",
            version="2026",
            tags=("hr",),
        ),
        Upload("policies/travel.docx", docx_bytes()),
        Upload("guide.html", b"<h1>Guide</h1><p>Ask in plain language.</p>"),
        Upload("scan.pdf", _pdf(["Quarterly numbers are final on the 5th."])),
        Upload("broken.pdf", b"%PDF-1.4 cut short"),
        Upload("tool.exe", b"MZ"),
    ]
    progress: list[tuple[int, int]] = []
    outcomes = ingestor.ingest(
        "acme", "alice", uploads, lambda done, failed: progress.append((done, failed))
    )
    assert [(o.name, o.status) for o in outcomes] == [
        ("handbook.md", "added"), ("policies/travel.docx", "added"), ("guide.html", "added"),
        ("scan.pdf", "added"), ("broken.pdf", "failed"), ("tool.exe", "failed"),
    ]  # fmt: skip
    assert "broken.pdf is not a readable PDF file" in (outcomes[4].error or "")
    assert progress[-1] == (4, 2) and len(progress) == 6
    assert len(seen) == 4 and all(s.added for s in seen)
    documents = DocumentStore(migrated)
    rows, total = documents.listed("acme")
    assert total == 4 and {r.name for r in rows} == {
        "handbook.md",
        "policies/travel.docx",
        "guide.html",
        "scan.pdf",
    }
    handbook = next(r for r in rows if r.name == "handbook.md")
    assert (handbook.title, handbook.version, handbook.tags) == ("Handbook", "2026", ["hr"])
    assert FileStore(str(tmp_path / "files")).get(handbook.file_key or "") == uploads[0].data

    again = ingestor.ingest(
        "acme", "alice", [uploads[0], Upload("guide.html", b"<h1>Guide</h1><p>Ask anything.</p>")]
    )
    assert [o.status for o in again] == ["unchanged", "replaced"]
    assert len(seen) == 5 and [c.text for c in seen[-1].added] == ["Ask anything."]
    texts = {c.text for c in documents.chunks("acme")}
    assert (
        "Ask anything." in texts
        and "Ask in plain language." not in texts
        and "You get 25 days." in texts
    )
