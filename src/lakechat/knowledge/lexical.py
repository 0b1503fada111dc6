"""Lexical search: BM25 (bm25s, sparse matrices) over every chunk's heading path and text,
on Snowball stems, so "rotate" finds "rotating".

The index is built from the chunks as they are and rebuilt when they change (bm25s has no
incremental add; building 100,000 chunks takes seconds). Filters are a weight mask, so a
filtered search ranks only the chunks that pass, with the corpus' own statistics.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import Stemmer

from lakechat.knowledge.documents import StoredChunk

#: tokens: words of letters or digits, lower-cased, English stopwords dropped; one character
#: is a word too ("SOC 2", "a rating of 3", "plan B")
_TOKENS = r"(?u)\b\w+\b"
STEMMER = Stemmer.Stemmer("english")
#: Lucene's BM25 with less length normalisation than its usual b=0.75, so short chunks (a
#: page's intro, a glossary entry) do not outrank the section that answers
BM25_K1 = 1.2
BM25_B = 0.5

#: the words questions are made of (pronouns, question words, auxiliary verbs, "how many"),
#: besides bm25s' English stopwords (Lucene's): they would otherwise favour chunks that
#: happen to say "how" or "have"
QUESTION_WORDS = frozenset({"am", "been", "being", "can", "could", "did", "do", "does", "doing", "done",
    "get", "gets", "getting", "got", "had", "has", "have", "having", "he", "her", "here", "him", "his", "how", "i", "many", "me", "much",
    "my", "our", "please", "shall", "she", "should", "tell", "us", "we", "were", "what", "when", "where",
    "which", "who", "whom", "why", "would", "you", "your"})  # fmt: skip
#: what is left of a contraction once the apostrophe splits it ("King's", "we'll", "doesn't")
CONTRACTIONS = frozenset({"d", "ll", "m", "re", "s", "t", "ve", "aren", "couldn", "didn", "doesn", "don",
    "hadn", "hasn", "haven", "isn", "shouldn", "wasn", "weren", "wouldn"})  # fmt: skip


@functools.cache
def stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN  # bm25s takes ~0.6 s to import: only when used

    return sorted({*STOPWORDS_EN, *QUESTION_WORDS, *CONTRACTIONS})


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float


class LexicalIndex:
    def __init__(self, chunks: Iterable[StoredChunk]) -> None:
        import bm25s

        self.chunks = list(chunks)
        #: each chunk by its id, built once per index rather than once per question
        self.by_id = {c.id: c for c in self.chunks}
        self._bm25 = bm25s.BM25(method="lucene", k1=BM25_K1, b=BM25_B)
        #: in how many chunks each stem occurs, for weighting a question's terms
        self._chunk_counts: dict[str, int] = {}
        if self.chunks:
            tokens = bm25s.tokenize([_words(c.for_search()) for c in self.chunks], token_pattern=_TOKENS,
                                    stopwords=stopwords(), stemmer=STEMMER, show_progress=False)  # fmt: skip
            self._bm25.index(tokens, show_progress=False)
            counts = np.zeros(len(tokens.vocab), dtype=np.int64)
            for ids in tokens.ids:
                counts[np.unique(np.asarray(ids, dtype=np.int64))] += 1
            self._chunk_counts = {stem: int(counts[i]) for stem, i in tokens.vocab.items()}

    def weight(self, stem: str) -> float:
        """How telling a stem is: its inverse chunk frequency (BM25's idf). A stem no chunk
        has weighs as much as the rarest one: a question about something no chunk mentions
        is not "found", and a misspelt word does not outweigh the rest of the question."""
        n = len(self.chunks)
        seen = max(self._chunk_counts.get(stem, 0), 1)
        return math.log(1 + (n - seen + 0.5) / (seen + 0.5))

    def search(
        self, query: str, k: int, keep: Callable[[StoredChunk], bool] | None = None
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query`` among those ``keep`` lets through."""
        if not self.chunks or k <= 0:
            return []
        terms = [t for t in stems(query) if t in self._chunk_counts]
        if not terms:
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
        found, scores = self._bm25.retrieve([terms], k=min(k, len(self.chunks)), show_progress=False,
                                            weight_mask=mask, n_threads=1)  # fmt: skip
        return [
            Hit(self.chunks[int(i)], float(s))
            for i, s in zip(found[0], scores[0], strict=True)
            if s > 0
        ]


def stems(text: str) -> list[str]:
    """The text's terms as the index sees them: no stopwords, Snowball stems, snake_case
    names also by their parts."""
    import bm25s

    tokens = bm25s.tokenize([_words(text)], token_pattern=_TOKENS, stopwords=stopwords(),
                            stemmer=STEMMER, show_progress=False, return_ids=False)  # fmt: skip
    return list(tokens[0]) if tokens else []


def _words(text: str) -> str:
    """``text`` with each snake_case name also in its parts: "QUERY_MAX_ROWS" is found by
    "query_max_rows" and by "max rows"."""
    if "_" not in text:  # most text: skip the regex
        return text
    names = re.findall(r"\b\w+_\w+\b", text)
    return f"{text}\n{' '.join(names).replace('_', ' ')}" if names else text
