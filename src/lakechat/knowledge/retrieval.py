"""Hybrid retrieval: BM25 and vector rankings fused by reciprocal rank fusion, with filters.

RRF scores each chunk by the sum over rankings of 1 / (K + rank): a chunk near the top of
both rankings beats one at the top of only one, and neither ranking's score scale matters.
With no embedder, the lexical ranking alone answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lakechat.knowledge.base import Embedder, Filters, VectorIndex
from lakechat.knowledge.documents import StoredChunk
from lakechat.knowledge.lexical import LexicalIndex

#: the usual RRF constant: ranks below ~60 add little
RRF_K = 60
#: each ranking is asked for this many times top_k candidates before fusing
CANDIDATES = 4


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
    tenant: str | None = None
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
            hits = self.vectors.search(vector, depth, wanted, self.tenant)
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
