"""Extractive answers: the sentences of the best passages that answer, quoted, each with
its citation; or, below the relevance threshold, "not found" and the closest sections.

No language model is needed. A passage's relevance (0-1) is the larger of the question's
cosine similarity to it (when an embedder is set up) and its term coverage: the share of
the question's terms, weighted by how rare each is in the documents, that the passage (its
headings included) contains. A question about something no document mentions covers
little, whatever words it shares with them. Sentences are then picked by the same coverage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lakechat.knowledge.chunking import sentences
from lakechat.knowledge.documents import StoredChunk
from lakechat.knowledge.lexical import stems
from lakechat.knowledge.retrieval import Retrieved

#: at most this many sentences are quoted, from at most this many passages
MAX_QUOTES = 3
MAX_PASSAGES = 2
#: a quoted sentence must cover at least this share of what the best one covers
SENTENCE_FLOOR = 0.8
#: marks that code, command lines and JSON are full of and prose is not
_CODE_MARKS = re.compile(r"[{}\[\]\"'=$|<>\\]")
#: a sentence with more of them than this share of its characters is code, not an answer
CODE_MARK_SHARE = 0.06
#: a sentence is worth quoting when it has this many words and is mostly words (not code)
QUOTABLE_WORDS = 3
QUOTABLE_LETTERS = 0.5
#: a sentence shorter than this many words takes the next one along, for context
SHORT_SENTENCE_WORDS = 10
NOT_FOUND = "I could not find the answer in the documents."
NOT_IN_SELECTION = "The selected text does not contain the answer to this question."

#: how telling a stem is in these documents (LexicalIndex.weight)
Weight = Callable[[str], float]


@dataclass(frozen=True)
class Source:
    """A cited passage, in the shape the /query guide's clients read."""

    doc_id: str | None
    document: str | None
    title: str | None
    path: tuple[str, ...]
    page: int | None
    similarity_score: float
    content: str

    @property
    def chapter(self) -> str | None:
        return self.path[0] if self.path else None

    @property
    def section(self) -> str | None:
        return self.path[-1] if self.path else None

    def label(self) -> str:
        where = " > ".join(p for p in (self.document, *self.path) if p)
        if self.page and f"page {self.page}" not in self.path:
            return f"{where} (page {self.page})"
        return where

    def as_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "document": self.document, "title": self.title,
                "chapter": self.chapter, "section": self.section, "path": list(self.path),
                "page": self.page, "similarity_score": self.similarity_score,
                "content": self.content}  # fmt: skip


@dataclass(frozen=True)
class Quote:
    text: str
    #: 1-based index into the answer's sources
    source: int


@dataclass(frozen=True)
class DocsAnswer:
    response: str
    found: bool
    sources: tuple[Source, ...]
    quotes: tuple[Quote, ...]
    mode: str  # "full_book" | "selected_text"
    input_tokens: int
    output_tokens: int


def coverage(question: Sequence[str], text: str, weight: Weight) -> float:
    """The share of the question's term weight that ``text`` contains (0-1)."""
    wanted = set(question)
    total = sum(weight(s) for s in wanted)
    if not total:
        return 0.0
    present = wanted & set(stems(text))
    return sum(weight(s) for s in present) / total


def relevance(question: Sequence[str], found: Retrieved, weight: Weight) -> float:
    chunk = found.chunk
    covered = coverage(question, chunk.for_search(), weight)
    return round(max(covered, found.similarity or 0.0), 3)


def answer_from_passages(
    question: str, found: Sequence[Retrieved], weight: Weight, min_relevance: float
) -> DocsAnswer:
    """Quote the best passages' answering sentences, or say nothing relevant was found."""
    terms = stems(question)
    # the retriever's order (both rankings fused) is the better order; relevance decides
    # only which passages may answer
    scored = [(relevance(terms, r, weight), r.chunk) for r in found]
    sources = tuple(_source(chunk, score) for score, chunk in scored)
    relevant = [(n, chunk) for n, (score, chunk) in enumerate(scored, 1) if score >= min_relevance]
    read = question + " ".join(chunk.text for _, chunk in scored)
    if not relevant:
        response = _not_found(sources)
        return DocsAnswer(response, False, sources, (), "full_book", tokens(read), tokens(response))
    picked: list[Quote] = []
    first_best: float | None = None
    passages = 0
    for n, chunk in relevant:
        room = MAX_QUOTES - len(picked)
        if passages >= MAX_PASSAGES or room <= 0:
            break
        said, best = _answering(terms, chunk.text, weight, room, first_best is None)
        said = [t for t in said if not any(_same(t, q.text) for q in picked)]
        if not said:
            continue  # nothing quotable (a code block): the next passage
        if first_best is None:
            first_best = best
        elif best < first_best or best == 0.0:
            break  # a second passage is quoted only when it answers as well as the first
        picked += [Quote(text, n) for text in said]
        passages += 1
    if not picked:  # only code answers: quote the best passage's opening as it is
        n, chunk = relevant[0]
        picked = [Quote(text, n) for text in sentences(chunk.text)[:2]]
    response = _quoted(picked, sources)
    return DocsAnswer(
        response, True, sources, tuple(picked), "full_book", tokens(read), tokens(response)
    )


def answer_from_selection(
    question: str, selected: str, weight: Weight, min_relevance: float,
    similarity: Callable[[Sequence[str]], Sequence[float]] | None = None,
) -> DocsAnswer:  # fmt: skip
    """Answer only from the text the user selected, or say it does not hold the answer."""
    terms = stems(question)
    said = sentences(selected)
    cosines = list(similarity(said)) if similarity is not None and said else [0.0] * len(said)
    scores = [max(coverage(terms, s, weight), cos) for s, cos in zip(said, cosines, strict=True)]
    best = max(scores, default=0.0)
    read = question + selected
    if best < min_relevance:
        source = Source(None, None, None, ("selected text",), None, round(best, 3), selected[:500])
        return DocsAnswer(NOT_IN_SELECTION, False, (source,), (), "selected_text", tokens(read),
                          tokens(NOT_IN_SELECTION))  # fmt: skip
    chosen = [s for s, score in zip(said, scores, strict=True) if score >= best * SENTENCE_FLOOR]
    chosen = chosen[:MAX_QUOTES]
    source = Source(None, None, None, ("selected text",), None, round(best, 3), " ".join(chosen))
    quotes = tuple(Quote(text, 1) for text in chosen)
    response = "\n".join(f"“{q.text}” [1]" for q in quotes) + "\n\n[1] the selected text"
    return DocsAnswer(response, True, (source,), quotes, "selected_text", tokens(read),
                      tokens(response))  # fmt: skip


def _answering(
    terms: Sequence[str], text: str, weight: Weight, room: int, first: bool
) -> tuple[list[str], float]:
    """The sentences of one passage that answer, in the passage's order, and how much of
    the question the best of them covers."""
    said = [s for s in sentences(text) if _quotable(s)]
    if not said or room <= 0:
        return [], 0.0
    scores = [coverage(terms, s, weight) for s in said]
    best = max(scores)
    if best == 0.0:
        # the passage matched by meaning, not by words: its opening says what it is about
        return (said[: min(room, 2)] if first else []), 0.0
    wanted = [i for i, score in enumerate(scores) if score >= best * SENTENCE_FLOOR]
    top = sorted(wanted, key=lambda i: -scores[i])[: room if first else 1]
    chosen = set(top)
    lead = top[0]
    if len(said[lead].split()) < SHORT_SENTENCE_WORDS and lead + 1 < len(said):
        chosen.add(lead + 1)
    return [said[i] for i in sorted(chosen)][:room], best


def _same(one: str, other: str) -> bool:
    """The same words (one quoting the other, as documentation quotes its own examples)."""
    a, b = (re.sub(r"\W+", " ", t).lower().strip() for t in (one, other))
    return a in b or b in a


def _quotable(sentence: str) -> bool:
    """Prose rather than a fragment of code, a command line or JSON."""
    words = re.findall(r"[^\W\d_]{2,}", sentence)
    if len(words) < QUOTABLE_WORDS:
        return False
    if sum(map(len, words)) < QUOTABLE_LETTERS * len(sentence.replace(" ", "")):
        return False
    if sentence.lstrip().startswith(("$ ", "-", "curl ", "{", "[", "<")) and _CODE_MARKS.search(
        sentence
    ):
        return False
    return len(_CODE_MARKS.findall(sentence)) <= CODE_MARK_SHARE * len(sentence)


def _source(chunk: StoredChunk, score: float) -> Source:
    return Source(chunk.document_id, chunk.document, chunk.title, chunk.path, chunk.page, score,
                  chunk.text)  # fmt: skip


def _quoted(quotes: Sequence[Quote], sources: Sequence[Source]) -> str:
    lines = [f"“{q.text}” [{q.source}]" for q in quotes]
    cited = sorted({q.source for q in quotes})
    footer = [f"[{n}] {sources[n - 1].label()}" for n in cited]
    return "\n".join(lines) + "\n\n" + "\n".join(footer)


def _not_found(sources: Sequence[Source]) -> str:
    if not sources:
        return f"{NOT_FOUND} No passage shares a word with the question."
    closest = "\n".join(f"[{n}] {s.label()}" for n, s in enumerate(sources[:3], 1))
    return f"{NOT_FOUND} The closest sections are:\n{closest}"


def tokens(text: str) -> int:
    """Words and punctuation marks: what a reader (or a model) takes in. No model is
    called for an extractive answer, so this is the measure reported."""
    return len(re.findall(r"\w+|[^\w\s]", text))
