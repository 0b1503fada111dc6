"""Hybrid retrieval: BM25 and vector candidates fused by a weighted sum of their scores,
then at most ``PER_SECTION`` chunks of one section at the top. With no embedder, the
lexical ranking alone answers.

Each ranking gives its ``DEPTH`` best chunks whatever ``top_k`` is, so a search for five
returns the first five of a search for ten. Each ranking's scores are divided by its best
one, so the top of each scores 1: BM25 scores have no fixed scale (they grow with the
question's rare words), and cosine similarities have their own. A chunk scores
``LEXICAL_WEIGHT`` times its BM25 share plus the rest times its cosine share; a chunk a
ranking did not return scores 0 there.

Why not reciprocal rank fusion (the sum of 1 / (60 + rank)): it keeps only the ranks, so a
chunk the vectors put first by a wide margin while BM25 missed it (a question asked in
other words than the text's) scores 1/61 and loses to chunks middling in both. On the
shipped eval cases (``lakechat docs eval``), RRF found 103 of the 107 handbook questions in
the top 5 (MRR 0.871) and this fusion 106 (0.892); both find all 72 docs/ questions.

Variety: a long section (a plain-text file is one) would otherwise fill the top k with its
overlapping chunks. Chunks past the ``PER_SECTION``-th of one document section move behind
the chunks of other sections, and fill the top k only when nothing else is left.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lakechat.knowledge.base import Embedder, Filters, VectorIndex
from lakechat.knowledge.documents import StoredChunk
from lakechat.knowledge.lexical import LexicalIndex

#: candidates asked of each ranking (more when top_k is larger)
DEPTH = 100
#: the BM25 share's weight in the fused score; the cosine share weighs the rest
LEXICAL_WEIGHT = 0.35
#: at most this many chunks of one section (document and heading path) lead the results
PER_SECTION = 2


@dataclass(frozen=True)
class Retrieved:
    chunk: StoredChunk
    score: float  # the fused score, 0-1
    lexical_rank: int | None = None
    vector_rank: int | None = None
    #: cosine similarity of the question and the chunk (None without an embedder)
    similarity: float | None = None
    lexical_score: float | None = None


def fuse(
    lexical: dict[str, float], vector: dict[str, float], lexical_weight: float = LEXICAL_WEIGHT
) -> list[tuple[str, float]]:
    """Ids with their fused score, best first: each ranking's scores as a share of its best,
    weighted (ties keep the lexical ranking's order, then the vector ranking's)."""
    if not vector:
        lexical_weight = 1.0
    elif not lexical:
        lexical_weight = 0.0
    shares = [
        (lexical_weight, _shares(lexical)),
        (1.0 - lexical_weight, _shares(vector)),
    ]
    fused = {
        item: sum(weight * share.get(item, 0.0) for weight, share in shares)
        for item in {**lexical, **vector}
    }
    return sorted(fused.items(), key=lambda pair: -pair[1])


def _shares(scores: dict[str, float]) -> dict[str, float]:
    best = max(scores.values(), default=0.0)
    return {item: max(score, 0.0) / best for item, score in scores.items()} if best > 0 else {}


def varied(chunks: list[StoredChunk], per_section: int = PER_SECTION) -> list[StoredChunk]:
    """``chunks`` with those past the ``per_section``-th of their section moved behind the
    rest, each group in its order."""
    seen: Counter[tuple[str, tuple[str, ...]]] = Counter()
    leading: list[StoredChunk] = []
    trailing: list[StoredChunk] = []
    for chunk in chunks:
        section = (chunk.document_id, chunk.path)
        seen[section] += 1
        (leading if seen[section] <= per_section else trailing).append(chunk)
    return leading + trailing


@dataclass
class Retriever:
    lexical: LexicalIndex
    embedder: Embedder | None = None
    vectors: VectorIndex | None = None
    tenant: str | None = None
    chunks_by_id: dict[str, StoredChunk] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.chunks_by_id:
            self.chunks_by_id = self.lexical.by_id

    def search(self, query: str, top_k: int, filters: Filters | None = None) -> list[Retrieved]:
        wanted = filters if filters else None
        depth = max(DEPTH, top_k)
        lexical = self.lexical.search(query, depth, keep=wanted.passes if wanted else None)
        by_lexical = {h.chunk.id: (rank, h.score) for rank, h in enumerate(lexical, 1)}
        by_vector: dict[str, tuple[int, float]] = {}
        if self.embedder is not None and self.vectors is not None:
            vector = self.embedder.encode([query])[0]
            hits = self.vectors.search(vector, depth, wanted, self.tenant)
            by_vector = {
                h.id: (rank, h.score) for rank, h in enumerate(hits, 1) if h.id in self.chunks_by_id
            }
        fused = dict(fuse({i: s for i, (_, s) in by_lexical.items()},
                          {i: s for i, (_, s) in by_vector.items()}))  # fmt: skip
        ordered = varied([self.chunks_by_id[chunk_id] for chunk_id in fused])
        results = []
        for chunk in ordered[:top_k]:
            lex, vec = by_lexical.get(chunk.id), by_vector.get(chunk.id)
            results.append(Retrieved(
                chunk, fused[chunk.id],
                lexical_rank=lex[0] if lex else None, vector_rank=vec[0] if vec else None,
                similarity=vec[1] if vec else None, lexical_score=lex[1] if lex else None,
            ))  # fmt: skip
        return results
