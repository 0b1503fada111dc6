"""Lexical search: BM25 (bm25s, sparse matrices) over every chunk's heading path and text.

The index is built from the chunks as they are and rebuilt when they change (bm25s has no
incremental add; building 100,000 chunks takes seconds). Filters are a weight mask, so a
filtered search ranks only the chunks that pass, with the corpus' own statistics.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lakechat.knowledge.documents import StoredChunk

#: tokens: words of two or more letters or digits, lower-cased, English stopwords dropped
_TOKENS = r"(?u)\b\w\w+\b"


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float


class LexicalIndex:
    def __init__(self, chunks: Sequence[StoredChunk]) -> None:
        import bm25s

        self.chunks = list(chunks)
        self._bm25 = bm25s.BM25()
        if self.chunks:
            tokens = bm25s.tokenize([_words(c.for_search()) for c in self.chunks], token_pattern=_TOKENS,
                                    stopwords="english", show_progress=False)  # fmt: skip
            self._bm25.index(tokens, show_progress=False)

    def search(
        self, query: str, k: int, keep: Callable[[StoredChunk], bool] | None = None
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query`` among those ``keep`` lets through."""
        import bm25s

        if not self.chunks or k <= 0:
            return []
        tokens = bm25s.tokenize([_words(query)], token_pattern=_TOKENS, stopwords="english", show_progress=False,
                                return_ids=False)  # fmt: skip
        if not tokens or not tokens[0]:
            return []
        mask = None
        if keep is not None:
            mask = np.fromiter(
                (1.0 if keep(c) else 0.0 for c in self.chunks),
                dtype=np.float32,
                count=len(self.chunks),
            )
            if not mask.any():
                return []
        found, scores = self._bm25.retrieve(tokens, k=min(k, len(self.chunks)), show_progress=False,
                                            weight_mask=mask, n_threads=1)  # fmt: skip
        return [
            Hit(self.chunks[int(i)], float(s))
            for i, s in zip(found[0], scores[0], strict=True)
            if s > 0
        ]


def _words(text: str) -> str:
    """``text`` with each snake_case name also in its parts: "QUERY_MAX_ROWS" is found by
    "query_max_rows" and by "max rows"."""
    names = re.findall(r"\b\w+_\w+\b", text)
    return f"{text}\n{' '.join(names).replace('_', ' ')}" if names else text
