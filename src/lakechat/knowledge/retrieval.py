"""Hybrid retrieval: BM25 and vector rankings fused by reciprocal rank fusion, with filters.

RRF scores each chunk by the sum over rankings of 1 / (K + rank): a chunk near the top of
both rankings beats one at the top of only one, and neither ranking's score scale matters.
With no embedder, the lexical ranking alone answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from lakechat.knowledge.documents import StoredChunk
from lakechat.knowledge.lexical import LexicalIndex
from lakechat.knowledge.vectors_local import Payload, VectorHit

#: the usual RRF constant: ranks below ~60 add little
RRF_K = 60
#: each ranking is asked for this many times top_k candidates before fusing
CANDIDATES = 4


class Embedder(Protocol):
    name: str
    dimensions: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One normalized float32 row per text."""
        ...


class VectorIndex(Protocol):
    def search(self, vector: np.ndarray, k: int, keep: Any = None) -> list[VectorHit]: ...


@dataclass(frozen=True)
class Filters:
    """Only chunks of these chapters, versions, documents, or with any of these tags."""

    chapters: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.chapters or self.versions or self.documents or self.tags)

    def passes(self, chunk: StoredChunk) -> bool:
        return self.passes_payload(payload_of(chunk))

    def passes_payload(self, payload: Payload) -> bool:
        if self.chapters and payload.get("chapter") not in self.chapters:
            return False
        if self.versions and payload.get("version") not in self.versions:
            return False
        if self.documents and not (
            {payload.get("document"), payload.get("document_id")} & set(self.documents)
        ):
            return False
        return not self.tags or bool(set(payload.get("tags") or ()) & set(self.tags))


def payload_of(chunk: StoredChunk) -> Payload:
    """What a vector carries, so the vector index filters as the lexical one does."""
    return {"document_id": chunk.document_id, "document": chunk.document, "chapter": chunk.chapter,
            "version": chunk.version, "tags": list(chunk.tags)}  # fmt: skip


@dataclass(frozen=True)
class Retrieved:
    chunk: StoredChunk
    score: float  # the fused score
    lexical_rank: int | None = None
    vector_rank: int | None = None
    #: cosine similarity of the question and the chunk (None without an embedder)
    similarity: float | None = None
    lexical_score: float | None = None


def rrf(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of rankings of ids, best first (ties keep first-seen order)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


@dataclass
class Retriever:
    lexical: LexicalIndex
    embedder: Embedder | None = None
    vectors: VectorIndex | None = None
    chunks_by_id: dict[str, StoredChunk] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.chunks_by_id:
            self.chunks_by_id = {c.id: c for c in self.lexical.chunks}

    def search(self, query: str, top_k: int, filters: Filters | None = None) -> list[Retrieved]:
        wanted = filters if filters else None
        depth = max(top_k * CANDIDATES, 20)
        lexical = self.lexical.search(query, depth, keep=wanted.passes if wanted else None)
        by_lexical = {h.chunk.id: (rank, h.score) for rank, h in enumerate(lexical, 1)}
        by_vector: dict[str, tuple[int, float]] = {}
        if self.embedder is not None and self.vectors is not None:
            vector = self.embedder.encode([query])[0]
            hits = self.vectors.search(
                vector, depth, keep=wanted.passes_payload if wanted else None
            )
            by_vector = {
                h.id: (rank, h.score) for rank, h in enumerate(hits, 1) if h.id in self.chunks_by_id
            }
        fused = rrf([list(by_lexical), list(by_vector)])
        results = []
        for chunk_id, score in fused[:top_k]:
            lex, vec = by_lexical.get(chunk_id), by_vector.get(chunk_id)
            results.append(Retrieved(
                self.chunks_by_id[chunk_id], score,
                lexical_rank=lex[0] if lex else None, vector_rank=vec[0] if vec else None,
                similarity=vec[1] if vec else None, lexical_score=lex[1] if lex else None,
            ))  # fmt: skip
        return results
