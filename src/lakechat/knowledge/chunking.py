"""Sections -> chunks: pieces of at most ``max_words`` words that never cross a heading,
split between sentences, each repeating the last sentences of the one before (a little
overlap, so an answer that straddles a split is still found whole in one chunk)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from lakechat.knowledge.parsing import Section

#: the packaged MiniLM embedder reads a chunk's first 256 word pieces, and a word is ~1.4
#: pieces in prose, ~2 in technical text: on the shipped eval cases 150 words did as well as
#: 180 on the handbook and better on docs/, and 120-140 did worse
MAX_WORDS = 150
OVERLAP_WORDS = 25
#: how documents are read and cut: change it whenever parsing or chunking changes, so files
#: ingested before are cut again (their unchanged chunks keep their vectors) instead of
#: being skipped as unchanged
SPLITTING = f"2026-11-23/{MAX_WORDS}/{OVERLAP_WORDS}"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9`*-])|\n+")


@dataclass(frozen=True)
class Chunk:
    index: int
    path: tuple[str, ...]
    page: int | None
    text: str

    @property
    def digest(self) -> str:
        """What identifies the chunk's content (heading path and text)."""
        return hashlib.sha256(("\x1f".join(self.path) + "\x1e" + self.text).encode()).hexdigest()


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def chunk(
    sections: Iterable[Section], *, max_words: int = MAX_WORDS, overlap_words: int = OVERLAP_WORDS
) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in sections:
        for text in _pieces(sentences(section.text), max_words, overlap_words):
            chunks.append(Chunk(len(chunks), section.path, section.page, text))
    return chunks


def _pieces(parts: list[str], max_words: int, overlap_words: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = fresh = 0  # words in the chunk; sentences added since the last split
    for part in _bounded(parts, max_words):
        words = len(part.split())
        if fresh and size + words > max_words:
            pieces.append("\n".join(current))
            current, size = _tail(current, overlap_words)
            fresh = 0
        current.append(part)
        size += words
        fresh += 1
    if fresh:
        pieces.append("\n".join(current))
    return pieces


def _bounded(parts: list[str], max_words: int) -> Iterable[str]:
    """A sentence longer than a chunk (a table row run, a code block) is cut by words."""
    for part in parts:
        words = part.split()
        if len(words) <= max_words:
            yield part
            continue
        for start in range(0, len(words), max_words):
            yield " ".join(words[start : start + max_words])


def _tail(current: list[str], overlap_words: int) -> tuple[list[str], int]:
    """The last whole sentences of a chunk, up to ``overlap_words`` words, to start the next."""
    kept: list[str] = []
    size = 0
    for part in reversed(current):
        words = len(part.split())
        if size + words > overlap_words:
            break
        kept.insert(0, part)
        size += words
    return kept, size
