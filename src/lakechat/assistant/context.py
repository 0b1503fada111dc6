"""Everything the interpreter read from one message, before it is turned into a plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lakechat.assistant.numbers import Ranking, Threshold
from lakechat.assistant.reading import Reading
from lakechat.assistant.text import Word
from lakechat.assistant.timephrases import TimeFindings


@dataclass(frozen=True)
class Question:
    text: str
    today: date
    words: list[Word]
    reading: Reading
    times: TimeFindings
    ranking: Ranking | None
    thresholds: list[Threshold]
    #: indexes of words read as time, numbers or rankings
    used: frozenset[int] = frozenset()

    def before(self, char: int, count: int = 3) -> list[str]:
        """The ``count`` words (lower case) right before character ``char``."""
        earlier = [w.norm for w in self.words if w.end <= char]
        return earlier[-count:]

    def word_index_at(self, char: int) -> int:
        return next((i for i, w in enumerate(self.words) if w.end > char), len(self.words))

    def has(self, *phrases: str) -> bool:
        lowered = f" {' '.join(w.norm for w in self.words)} "
        return any(f" {p} " in lowered for p in phrases)
