"""Numbers in a question that shape the query rather than name a value: "top 5", "the three
largest", "which region had the most", "with more than 100 orders", "over $1M".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "twenty-five": 25, "thirty": 30, "fifty": 50, "hundred": 100, "a dozen": 12, "dozen": 12,
}  # fmt: skip
_NUM = r"(?P<n>\d{1,4}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_HIGH = r"top|first|best|largest|biggest|highest|greatest|leading|most"
_LOW = r"bottom|worst|smallest|lowest|least|fewest"
_TOP = re.compile(rf"\b(?:the\s+)?(?P<dir>{_HIGH}|{_LOW})\s+{_NUM}\b", re.IGNORECASE)
_N_FIRST = re.compile(rf"\b(?:the\s+)?{_NUM}\s+(?P<dir>{_HIGH}|{_LOW}|top|bottom)\b", re.IGNORECASE)
#: "which 3 regions had the most", "the 3 nations with the lowest"
_WHICH_N = re.compile(
    rf"\b(?:which|what|the)\s+{_NUM}\b(?!\s*(?:%|percent|days?|weeks?|months?|years?|quarters?))",
    re.IGNORECASE,
)
_BARE_TOP = re.compile(r"\b(?P<dir>top|bottom)\b(?!\s+\d)", re.IGNORECASE)
_SUPERLATIVE = re.compile(
    r"\b(?:the\s+)?(?P<dir>most|highest|largest|biggest|greatest|maximum|max|best|top"
    r"|least|lowest|smallest|fewest|minimum|min|worst)\b",
    re.IGNORECASE,
)
_UNITS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9,
          "bn": 1e9, "billion": 1e9}  # fmt: skip
_COMPARE = re.compile(
    r"\b(?P<op>more than|greater than|higher than|over|above|exceeding|at least|no less than"
    r"|not less than|less than|fewer than|lower than|under|below|at most|no more than"
    r"|not more than|exactly|equal to|>=|<=|>|<|=)\s*(?P<cur>\$)?(?P<num>\d[\d,]*(?:\.\d+)?)"
    r"\s*(?P<unit>k|mm|m|bn|b|thousand|million|billion|%|percent)?(?![\w-])",
    re.IGNORECASE,
)
_OPS = {
    "more than": "gt", "greater than": "gt", "higher than": "gt", "over": "gt", "above": "gt",
    "exceeding": "gt", ">": "gt", "at least": "gte", "no less than": "gte",
    "not less than": "gte", ">=": "gte", "less than": "lt", "fewer than": "lt",
    "lower than": "lt", "under": "lt", "below": "lt", "<": "lt", "at most": "lte",
    "no more than": "lte", "not more than": "lte", "<=": "lte", "exactly": "eq",
    "equal to": "eq", "=": "eq",
}  # fmt: skip


@dataclass(frozen=True)
class Ranking:
    start: int
    end: int
    direction: Literal["desc", "asc"]
    #: None for "which region had the most" (the interpreter decides: one row or all)
    count: int | None
    explicit: bool  # "top 5" rather than "the most"
    #: the superlative read apart from the count ("which 3 regions had *the most*")
    also: tuple[int, int] | None = None


@dataclass(frozen=True)
class Threshold:
    start: int
    end: int
    op: str  # gt gte lt lte eq
    value: float | int
    #: "%": the number was a percentage (0.05 for 5%)
    percent: bool


def _count(text: str) -> int:
    text = text.lower()
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


def _direction(word: str) -> Literal["desc", "asc"]:
    return "asc" if re.fullmatch(_LOW + "|bottom|minimum|min", word.lower()) else "desc"


def find_ranking(text: str, skip: list[tuple[int, int]]) -> Ranking | None:
    """The first ranking phrase outside ``skip`` (character spans already read as time)."""

    def free(m: re.Match[str]) -> bool:
        return not any(m.start() < end and start < m.end() for start, end in skip)

    which = _WHICH_N.search(text)
    if which is not None and free(which) and _count(which["n"]) > 0:
        later = _SUPERLATIVE.search(text, which.end())
        direction = _direction(later["dir"]) if later else "desc"
        also = (later.start(), later.end()) if later else None
        return Ranking(which.start(), which.end(), direction, _count(which["n"]), True, also)
    for pattern in (_TOP, _N_FIRST):
        for m in pattern.finditer(text):
            if free(m) and _count(m["n"]) > 0:
                return Ranking(m.start(), m.end(), _direction(m["dir"]), _count(m["n"]), True)
    for m in _BARE_TOP.finditer(text):
        if free(m):
            return Ranking(m.start(), m.end(), _direction(m["dir"]), 10, True)
    for m in _SUPERLATIVE.finditer(text):
        if free(m):
            return Ranking(m.start(), m.end(), _direction(m["dir"]), None, False)
    return None


def find_thresholds(text: str, skip: list[tuple[int, int]]) -> list[Threshold]:
    found = []
    for m in _COMPARE.finditer(text):
        if any(m.start() < end and start < m.end() for start, end in skip):
            continue
        number = float(m["num"].replace(",", ""))
        unit = (m["unit"] or "").lower()
        percent = unit in ("%", "percent")
        if percent:
            number /= 100
        else:
            number *= _UNITS.get(unit, 1)
        value: float | int = int(number) if number.is_integer() and not percent else number
        found.append(Threshold(m.start(), m.end(), _OPS[m["op"].lower()], value, percent))
    return found
