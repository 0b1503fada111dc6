"""Reciprocal rank fusion and filters; lexical-only retrieval when no embedder is set up."""

from __future__ import annotations

import pytest

from lakechat.knowledge.base import Filters, payload_of
from lakechat.knowledge.documents import StoredChunk
from lakechat.knowledge.lexical import LexicalIndex
from lakechat.knowledge.retrieval import RRF_K, Retriever, rrf


def test_rrf_rewards_agreement_and_ignores_score_scales() -> None:
    fused = rrf([["a", "b", "c"], ["b", "c", "d"]])
    assert [item for item, _ in fused] == ["b", "c", "a", "d"]
    assert dict(fused)["b"] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert rrf([[], []]) == []


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
