"""Score fusion, variety and filters; lexical-only retrieval when no embedder is set up."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from lakechat.knowledge.base import Filters, payload_of
from lakechat.knowledge.documents import StoredChunk
from lakechat.knowledge.lexical import LexicalIndex
from lakechat.knowledge.retrieval import LEXICAL_WEIGHT, Retriever, fuse, varied
from lakechat.knowledge.vectors_local import LocalVectorIndex


def test_a_chunk_far_closest_in_meaning_leads_though_bm25_missed_it() -> None:
    # rank fusion would put b (2nd and 2nd) and c above x (first by vectors alone)
    fused = fuse({"a": 10.0, "b": 6.0, "c": 5.0}, {"x": 0.9, "b": 0.36, "c": 0.3})
    assert [item for item, _ in fused] == ["x", "b", "c", "a"]
    assert dict(fused)["x"] == pytest.approx(1 - LEXICAL_WEIGHT)
    assert dict(fused)["b"] == pytest.approx(LEXICAL_WEIGHT * 0.6 + (1 - LEXICAL_WEIGHT) * 0.4)


def test_one_ranking_alone_orders_by_its_scores() -> None:
    assert fuse({"a": 2.0, "b": 4.0}, {}) == [("b", 1.0), ("a", 0.5)]
    assert fuse({}, {"a": 0.2, "b": 0.8}) == [("b", 1.0), ("a", 0.25)]
    assert fuse({}, {}) == []


def chunk(i: int, chapter: str, version: str, tags: tuple[str, ...], text: str) -> StoredChunk:
    return StoredChunk(
        f"c{i}", f"d{i % 2}", f"doc{i % 2}.md", "Book", version, tags, i, (chapter, "s"), None, text
    )


CHUNKS = [
    chunk(0, "Leave", "v1", ("hr",), "Annual leave is 25 days."),
    chunk(1, "Leave", "v2", ("hr", "2026"), "Annual leave is 28 days from 2026."),
    chunk(2, "Pay", "v1", ("finance",), "Pay day is the last working day."),
]


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        (Filters(), ["c0", "c1"]),
        (Filters(versions=("v2",)), ["c1"]),
        (Filters(chapters=("Pay",)), []),
        (Filters(tags=("2026", "nothing")), ["c1"]),
        (Filters(documents=("doc0.md",)), ["c0"]),
        (Filters(documents=("d1",)), ["c1"]),
    ],
)  # fmt: skip
def test_filters_apply_to_chunks_and_vector_payloads_alike(
    filters: Filters, ids: list[str]
) -> None:
    found = Retriever(LexicalIndex(CHUNKS)).search("annual leave", 5, filters)
    assert sorted(r.chunk.id for r in found) == ids
    assert [
        c.id
        for c in CHUNKS
        if filters.passes_payload(payload_of(c, "t")) and "leave" in c.text.lower()
    ] == ids


def test_lexical_only_results_say_where_they_ranked() -> None:
    [first, *_] = Retriever(LexicalIndex(CHUNKS)).search("when is pay day", 3)
    assert first.chunk.id == "c2" and first.lexical_rank == 1 and first.vector_rank is None
    assert first.similarity is None and first.lexical_score and first.lexical_score > 0


def section_chunk(i: int, document: str, path: tuple[str, ...], text: str) -> StoredChunk:
    return StoredChunk(f"c{i}", document, document, "Policy", "v1", (), i, path, None, text)


def test_at_most_two_chunks_of_a_section_lead_then_the_rest_fill_in() -> None:
    sick = [
        section_chunk(i, "sick.txt", (), f"Sick leave: rule {i}. Call in sick.") for i in range(4)
    ]
    other = section_chunk(
        4, "care.md", ("Care leave",), "Care leave when a child is sick, and more words."
    )
    found = Retriever(LexicalIndex([*sick, other])).search("sick", 5)
    documents = [r.chunk.document for r in found]
    assert documents == ["sick.txt", "sick.txt", "care.md", "sick.txt", "sick.txt"]
    assert [c.id for c in varied([*sick, other], per_section=1)] == ["c0", "c4", "c1", "c2", "c3"]


class KeywordEmbedder:
    """A vector per text from its hash: the same text, the same direction."""

    name = "keywords"
    dimensions = 16

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.random.default_rng(sum(map(ord, t))).normal(size=16) for t in texts]
        return np.asarray(rows, dtype=np.float32)

    def close(self) -> None:
        pass


def test_the_first_k_results_do_not_depend_on_how_many_are_asked(tmp_path: Path) -> None:
    words = [
        "leave",
        "pay",
        "sick",
        "travel",
        "laptop",
        "expenses",
        "office",
        "holiday",
        "bonus",
        "review",
    ]
    rng = np.random.default_rng(7)
    chunks = [
        section_chunk(i, f"d{i}.md", (f"s{i}",), " ".join(rng.choice(words, size=6)))
        for i in range(120)
    ]
    embedder = KeywordEmbedder()
    vectors = LocalVectorIndex(tmp_path, embedder.dimensions)
    vectors.upsert([c.id for c in chunks], embedder.encode([c.text for c in chunks]),
                   [payload_of(c, "t") for c in chunks])  # fmt: skip
    retriever = Retriever(LexicalIndex(chunks), embedder, vectors, "t")
    for question in ("sick pay", "laptop", "travel expenses review", "holiday bonus"):
        five = [r.chunk.id for r in retriever.search(question, 5)]
        assert [r.chunk.id for r in retriever.search(question, 10)][:5] == five
        assert [r.chunk.id for r in retriever.search(question, 20)][:5] == five
