"""Documents in the state store: added, unchanged by hash, replaced chunk by chunk, deleted."""

from __future__ import annotations

import pytest

from lakechat.errors import NotFound
from lakechat.knowledge.chunking import chunk
from lakechat.knowledge.documents import DocumentStore, NewDocument, StoredChunk
from lakechat.knowledge.files import FileStore
from lakechat.knowledge.parsing import Section
from lakechat.store.database import StateStore


def doc(data_hash: str, title: str = "Handbook", tags: tuple[str, ...] = ()) -> NewDocument:
    return NewDocument(
        "acme", "handbook.md", title, "markdown", "v1", tags, data_hash, 10, None, "tester"
    )


def test_unchanged_content_is_skipped_and_changed_chunks_replaced(migrated: StateStore) -> None:
    docs = DocumentStore(migrated)
    first = chunk([Section(("Leave",), "You get 25 days."), Section(("Pay",), "Monthly.")])
    added = docs.save(doc("h1"), first)
    assert added.status == "added" and len(added.added) == 2 and added.removed == ()
    assert docs.save(doc("h1"), first).status == "unchanged"
    second = chunk([Section(("Leave",), "You get 25 days."), Section(("Pay",), "Every two weeks.")])
    replaced = docs.save(doc("h2"), second)
    assert replaced.status == "replaced" and replaced.document_id == added.document_id
    kept = {c.id for c in added.added if c.text == "You get 25 days."}
    assert [c.text for c in replaced.added] == ["Every two weeks."]  # only what changed
    assert len(replaced.removed) == 1 and not kept & set(replaced.removed)
    assert sorted(c.text for c in docs.chunks("acme")) == ["Every two weeks.", "You get 25 days."]
    retitled = docs.save(doc("h2", title="Staff handbook", tags=("hr",)), second)
    assert {c.title for c in retitled.added} == {"Staff handbook"} and len(retitled.added) == 2
    assert all(c.tags == ("hr",) for c in docs.chunks("acme"))


def test_tenants_and_deleting(migrated: StateStore) -> None:
    docs = DocumentStore(migrated)
    stored = docs.save(doc("h1"), chunk([Section((), "One. Two.")]))
    assert list(docs.chunks("other")) == []
    with pytest.raises(NotFound):
        docs.delete("other", stored.document_id)
    row, ids = docs.delete("acme", stored.document_id)
    assert row.name == "handbook.md" and len(ids) == 1 and list(docs.chunks()) == []
    with pytest.raises(NotFound):
        docs.get("acme", stored.document_id)


def test_the_file_store_keeps_originals_under_their_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = FileStore(str(tmp_path / "files"))
    files.put("acme/../acme/handbook.md", b"# Handbook")
    assert files.get("acme/handbook.md") == b"# Handbook"
    assert (tmp_path / "files" / "acme" / "handbook.md").is_file()
    files.delete("acme/handbook.md")
    files.delete("acme/handbook.md")  # deleting twice is fine
    assert not (tmp_path / "files" / "acme" / "handbook.md").exists()


def test_the_searched_text_names_the_title_once() -> None:
    def stored(title: str, path: tuple[str, ...]) -> StoredChunk:
        return StoredChunk("c", "d", "leave.md", title, "v1", (), 0, path, None, "25 days.")

    assert stored("Leave", ("Leave", "Annual")).for_search() == "Leave > Annual\n25 days."
    assert stored("Handbook", ("Leave",)).for_search() == "Handbook > Leave\n25 days."
    assert stored("Notes", ()).for_search() == "Notes\n25 days."


def test_documents_cut_another_way_are_cut_again_keeping_unchanged_chunks(
    migrated: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade that reads or cuts documents differently, the same file is not
    skipped as unchanged: it is cut again, and chunks whose text is the same keep their ids
    (and so their vectors)."""
    from lakechat.knowledge import documents as module

    docs = DocumentStore(migrated)
    before = chunk([Section(("Leave",), "You get 25 days."), Section(("Pay",), "Monthly.")])
    first = docs.save(doc("h1"), before)
    assert docs.save(doc("h1"), before).status == "unchanged"
    monkeypatch.setattr(module, "SPLITTING", "a newer way")
    after = chunk([Section(("Leave",), "You get 25 days."), Section(("Pay", "Dates"), "Monthly.")])
    again = docs.save(doc("h1"), after)
    assert again.status == "replaced" and [c.path for c in again.added] == [("Pay", "Dates")]
    kept = {c.id for c in first.added if c.text == "You get 25 days."}
    assert kept <= {c.id for c in docs.chunks("acme")}
    assert docs.save(doc("h1"), after).status == "unchanged"
