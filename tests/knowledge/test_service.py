"""The knowledge base end to end on real parts: SQLite state store, local file store, the
local vector index, and an OpenAI-compatible embedder served by the fake embeddings API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakechat.errors import ConfigurationError
from lakechat.knowledge.base import Filters
from lakechat.knowledge.embedders import OpenAIEmbedder
from lakechat.knowledge.factory import build_knowledge
from lakechat.knowledge.files import FileStore
from lakechat.knowledge.ingest import Upload
from lakechat.knowledge.service import KnowledgeBase
from lakechat.knowledge.vectors_local import LocalVectorIndex
from lakechat.store.database import StateStore
from tests.fakes.openai_embeddings import FakeOpenAIEmbeddings

HANDBOOK = b"""# Handbook

## Leave

### Annual leave
Everyone gets 25 days of paid annual leave a year. Unused days expire in March.

### Sick leave
Tell your manager before 10:00 on the first day you are ill.

## Security

### Laptops
Laptops are encrypted with FileVault or BitLocker. Report a lost laptop within one hour.
"""
TRAVEL = b"""<html><body><h1>Travel</h1><h2>Hotels</h2>
<p>Hotels may cost at most 180 euros a night in capitals.</p></body></html>"""


@pytest.fixture
def fake() -> Iterator[FakeOpenAIEmbeddings]:
    with FakeOpenAIEmbeddings() as server:
        yield server


@pytest.fixture
def knowledge(
    migrated: StateStore, tmp_path: Path, fake: FakeOpenAIEmbeddings
) -> Iterator[KnowledgeBase]:
    embedder = OpenAIEmbedder(fake.base_url, fake.api_key, "text-embedding-3-small", max_retries=0)
    base = KnowledgeBase(migrated, FileStore(str(tmp_path / "files")), embedder,
                         lambda e: LocalVectorIndex(tmp_path / "vectors", e.dimensions))  # fmt: skip
    yield base
    embedder.close()


def ingest(base: KnowledgeBase, *uploads: Upload) -> list[str]:
    report = base.ingest("acme", "ann", list(uploads))
    assert report.vectors_error is None
    return [o.status for o in report.outcomes]


def test_a_question_gets_the_sentence_that_answers_and_its_section(
    knowledge: KnowledgeBase,
) -> None:
    ingest(knowledge, Upload("handbook.md", HANDBOOK), Upload("travel.html", TRAVEL))
    answer = knowledge.answer("acme", "How many days of annual leave do I get?")
    assert answer.found and answer.quotes
    assert "25 days of paid annual leave" in answer.quotes[0].text
    cited = answer.sources[answer.quotes[0].source - 1]
    assert (cited.document, cited.section) == ("handbook.md", "Annual leave")
    assert cited.path == ("Handbook", "Leave", "Annual leave") and cited.similarity_score > 0.35
    assert "[1] handbook.md > Handbook > Leave > Annual leave" in answer.response
    hotel = knowledge.answer("acme", "how much may a hotel cost a night?")
    assert hotel.sources[0].document == "travel.html" and "180 euros" in hotel.response


def test_below_the_threshold_it_says_so_and_lists_the_closest(knowledge: KnowledgeBase) -> None:
    ingest(knowledge, Upload("handbook.md", HANDBOOK))
    answer = knowledge.answer("acme", "What is the parking policy for visitors' bicycles?")
    assert not answer.found and answer.quotes == ()
    assert answer.response.startswith("I could not find the answer in the documents.")
    if answer.sources:
        assert "closest sections" in answer.response
    assert knowledge.answer("other-tenant", "annual leave").found is False


def test_vectors_follow_every_chunk_and_deleting_removes_them(
    knowledge: KnowledgeBase, fake: FakeOpenAIEmbeddings
) -> None:
    ingest(knowledge, Upload("handbook.md", HANDBOOK), Upload("travel.html", TRAVEL))
    vectors = knowledge.vectors
    assert vectors is not None
    stored = list(knowledge.documents.chunks("acme"))
    assert vectors.count() == len(stored) and knowledge.pending_vectors() == 0
    hits = vectors.search(knowledge.embedder.encode(["hotel night euros"])[0], 1, tenant="acme")  # type: ignore[union-attr]
    assert hits[0].payload["document"] == "travel.html"
    travel = next(c.document_id for c in stored if c.document == "travel.html")
    knowledge.delete("acme", travel)
    assert vectors.count() == len(stored) - sum(c.document == "travel.html" for c in stored)
    assert all(s.document != "travel.html" for s in knowledge.answer("acme", "hotel night").sources)


def test_a_changed_document_embeds_only_its_changed_chunks(
    knowledge: KnowledgeBase, fake: FakeOpenAIEmbeddings
) -> None:
    ingest(knowledge, Upload("handbook.md", HANDBOOK))
    assert ingest(knowledge, Upload("handbook.md", HANDBOOK)) == ["unchanged"]
    before = len(fake.requests)
    changed = HANDBOOK.replace(b"within one hour", b"within thirty minutes")
    assert ingest(knowledge, Upload("handbook.md", changed)) == ["replaced"]
    assert sum(r.inputs for r in fake.requests[before:]) == 1  # the one chunk that changed
    assert (
        "thirty minutes"
        in knowledge.answer("acme", "how fast must I report a lost laptop?").response
    )


def test_an_embedder_outage_loses_nothing_and_reindex_catches_up(
    knowledge: KnowledgeBase, fake: FakeOpenAIEmbeddings
) -> None:
    fake.fail_next(1, status=500)
    report = knowledge.ingest("acme", "ann", [Upload("handbook.md", HANDBOOK)])
    assert [o.status for o in report.outcomes] == ["added"]
    assert report.vectors_error is not None and "500" in report.vectors_error
    pending = knowledge.pending_vectors()
    assert pending == len(list(knowledge.documents.chunks("acme")))
    # answered by its words meanwhile, and the answer says why
    fake.fail_next(1, status=500)
    degraded = knowledge.answer("acme", "annual leave days")
    assert degraded.found and "matched words only" in degraded.response
    embedded, error = knowledge.reindex()
    assert (embedded, error, knowledge.pending_vectors()) == (pending, None, 0)
    assert knowledge.answer("acme", "annual leave days").found


def test_filters_and_selected_text(knowledge: KnowledgeBase) -> None:
    ingest(knowledge, Upload("handbook.md", HANDBOOK, version="2026", tags=("hr",)),
           Upload("travel.html", TRAVEL, version="2025"))  # fmt: skip
    only_2025 = knowledge.answer("acme", "annual leave days", filters=Filters(versions=("2025",)))
    assert all(s.document == "travel.html" for s in only_2025.sources) and not only_2025.found
    chapter = knowledge.answer("acme", "sick", filters=Filters(chapters=("Handbook",)))
    assert chapter.found and chapter.sources[0].section == "Sick leave"
    selected = "Meetings start at 9:30. Lunch is served at noon in the atrium."
    answer = knowledge.answer_in("acme", "when is lunch served?", selected)
    assert answer.found and answer.mode == "selected_text"
    assert [q.text for q in answer.quotes] == ["Lunch is served at noon in the atrium."]
    missing = knowledge.answer_in("acme", "how many days of annual leave?", selected)
    assert not missing.found and "does not contain the answer" in missing.response


@pytest.mark.parametrize("store", ["qdrant", "pgvector"])
def test_settings_pick_the_vector_store(
    store: str, request: pytest.FixtureRequest, make_settings: Any, fake: FakeOpenAIEmbeddings,
    migrated: StateStore, tmp_path: Path,
) -> None:  # fmt: skip
    """VECTOR_STORE=qdrant (local mode in a folder) or pgvector (a real server with the
    extension) behind the same knowledge base, from settings alone."""
    where = (
        {"qdrant_url": str(tmp_path / "qdrant")}
        if store == "qdrant"
        else {"pgvector_url": request.getfixturevalue("pgvector_url")}
    )
    settings = make_settings(vector_store=store, embeddings_provider="openai",
                             embeddings_url=fake.base_url, embeddings_api_key=fake.api_key,
                             qdrant_collection=f"c_{store}", **where)  # fmt: skip
    base = build_knowledge(settings, migrated)
    try:
        ingest(base, Upload("handbook.md", HANDBOOK), Upload("travel.html", TRAVEL))
        assert base.vectors is not None and base.vectors.name == store
        assert base.vectors.count() == len(list(base.documents.chunks("acme")))
        assert base.health_detail().startswith("hybrid search: text-embedding-3-small vectors")
        answer = base.answer("acme", "How many days of annual leave do I get?")
        assert answer.found and "25 days" in answer.response
        base.delete("acme", answer.sources[0].doc_id or "")
        assert base.vectors.count() == len(list(base.documents.chunks("acme")))
    finally:
        base.close()


def test_settings_that_cannot_work_are_refused_clearly(
    make_settings: Any, migrated: StateStore
) -> None:
    with pytest.raises(ConfigurationError, match="needs EMBEDDINGS_URL"):
        build_knowledge(make_settings(embeddings_provider="openai"), migrated)
    with pytest.raises(ConfigurationError, match="needs QDRANT_URL"):
        build_knowledge(make_settings(embeddings_provider="none", vector_store="qdrant"), migrated)
    with pytest.raises(ConfigurationError, match="needs PGVECTOR_URL"):
        build_knowledge(
            make_settings(embeddings_provider="none", vector_store="pgvector"), migrated
        )
