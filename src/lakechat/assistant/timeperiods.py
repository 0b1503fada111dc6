"""One calendar period named in a question, read into its first and last day: "1995",
"Q3 1996", "March 15, 1995", "the week of March 15, 1995", "last month", "the 1990s".

``timephrases`` finds the phrases around periods (in, since, between, vs) and what they ask;
this module reads the periods themselves, and gives it the patterns that match one.
``PERIOD`` matches any period and ``PERIOD_ALONE`` one that needs no time word before it.
How a period reads:

- A month without a year ("in March", "on March 15") is the latest one that has begun:
  this year's unless it is still ahead, then last year's. A quarter or half without a year
  ("Q3", "the third quarter", "H1") is today's year's, even when it is still ahead.
- "the week of March 15, 1995" is that day's ISO week, Monday to Sunday.
- "3/15/1995" is US order (month/day); when the first number cannot be a month and the
  second can ("15/3/1995"), it is day/month. "15.03.1995" (dots) is day.month.year.
- The two ends of a range or comparison are read together (``read_pair``): an end without a
  year takes the other end's, a year earlier or later when that keeps the ends in order.
- Impossible dates ("February 30, 1995", "Q5 1996", "1997-13") raise ``Unreadable``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from lakechat.semantic.query import TimeGrain
from lakechat.semantic.timerange import resolve, unit_start


class Unreadable(ValueError):
    """A date-shaped phrase that names no day; the message says why."""


@dataclass(frozen=True)
class Period:
    """One calendar period named in the text, absolute or relative to today."""

    first: date
    last: date
    label: str  # "1995", "Q3 1996", "March 15, 1995", "last month"
    grain: TimeGrain | None  # None for decades and halves
    named: str | None = None  # the timerange.py name of a relative period

    @property
    def spec(self) -> str | tuple[str, str]:
        return self.named or (self.first.isoformat(), self.last.isoformat())

    @property
    def in_label(self) -> str:
        if self.named:
            return self.label
        return f"on {self.label}" if self.grain == "day" else f"in {self.label}"


# ---- the pieces of a period ------------------------------------------------------------

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_MONTHS = {name[:3].lower(): number for number, name in enumerate(_MONTH_NAMES, 1)}
#: every word that names a grain: units, adjectives, "by date", the letters of "YoY", "ytd"
GRAINS: dict[str, TimeGrain] = {
    "hour": "hour", "day": "day", "date": "day", "week": "week", "month": "month",
    "quarter": "quarter", "year": "year", "hourly": "hour", "daily": "day", "weekly": "week",
    "monthly": "month", "quarterly": "quarter", "yearly": "year", "annually": "year",
    "annual": "year", "y": "year", "q": "quarter", "m": "month", "w": "week",
}  # fmt: skip
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4}
_ORDINALS |= {"4th": 4, "last": 4, "final": 4}

#: a year's four digits, 1900 to 2099 (no boundaries: the patterns add their own)
YEAR_DIGITS = r"(?:19|20)\d\d"
# a year stands alone: not inside a key, an amount, a decimal or a time of day
_YEAR_END = r"(?![\w%]|[.,/:]\d)"
_YEAR = rf"(?<![\w$#./])(?<!\d[.,]){YEAR_DIGITS}{_YEAR_END}"
# a year right after another part of the same form: "Q3/1996"
_YEAR_NEXT = rf"{YEAR_DIGITS}{_YEAR_END}"
#: a month's name or abbreviation
MONTH_NAME = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b\.?)(?!\w)"
)
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_ORD = r"(?:first|second|third|fourth|1st|2nd|3rd|4th)"


def _anonymous(*forms: str) -> str:
    """The forms as one alternation without their group names, to nest in longer patterns
    (a pattern may name a group once; the named form is read again on its own)."""
    return "(?:" + "|".join(re.sub(r"\(\?P<\w+>", "(?:", f) for f in forms) + ")"


# Each form of a period, with named groups that say how to read it. Forms with a year come
# first: inside a longer pattern the first alternative that fits wins.
_MONTH_DAY = rf"(?P<mn>{MONTH_NAME})\s+{_DAY}(?!\w)"
_DAY_FORMS = (
    rf"(?<![\w/.-])(?P<y>{YEAR_DIGITS})[-/](?P<m>\d{{1,2}})[-/](?P<d>\d{{1,2}})(?![\w/]|[.-]\d)",
    rf"(?<![\w/.-])(?P<um>\d{{1,2}})/(?P<ud>\d{{1,2}})/(?P<y>{YEAR_DIGITS})(?![\w/]|[.-]\d)",
    rf"(?<![\w/.-])(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.(?P<y>{YEAR_DIGITS})(?![\w/]|[.-]\d)",
    rf"(?P<mn>{MONTH_NAME})\s+{_DAY}(?:\s*,\s*|\s+)(?:of\s+)?(?P<y>{_YEAR})",
    rf"(?:the\s+)?{_DAY}\s+(?:of\s+)?(?P<mn>{MONTH_NAME})(?:\s*,\s*|\s+)(?P<y>{_YEAR})",
)
_DATED = (
    rf"(?:the\s+)?week\s+of\s+(?P<wk>{_anonymous(*_DAY_FORMS, _MONTH_DAY)})",
    *_DAY_FORMS,
    rf"(?P<mn>{MONTH_NAME})(?:\s*,\s*|\s+)(?:of\s+)?(?P<y>{_YEAR})",
    rf"(?<![\w/.-])(?P<y>{YEAR_DIGITS})[-/](?P<m>\d{{1,2}})(?![\w/]|[.-]\d)",
    rf"month\s+(?P<m>\d{{1,2}})\s+(?:of|in)\s+(?P<y>{_YEAR})",
    rf"q(?P<q>\d)(?:\s+of\s+|\s*[-/,]?\s*)(?P<y>{_YEAR_NEXT})",
    rf"(?P<y>{_YEAR})\s*[-/]?\s*q(?P<q>\d)(?!\w)",
    rf"(?:the\s+)?(?P<qo>{_ORD}|last|final)\s+quarter(?:\s+of|\s*,)?\s+(?P<y>{_YEAR})",
    rf"quarter\s+(?P<q>\d)(?:\s+of|\s*,)?\s+(?P<y>{_YEAR})",
    rf"(?:the\s+)?(?P<ho>first|second|1st|2nd)\s+half(?:\s+of|\s*,)?\s+(?P<y>{_YEAR})",
    rf"h(?P<h>\d)(?:\s+of\s+|\s*[-/,]?\s*)(?P<y>{_YEAR_NEXT})",
    r"(?:the\s+)?(?<![\w'])(?P<dec>(?:19|20)\d)0s(?!\w)",
    rf"(?:(?:fiscal|calendar)\s+year|the\s+year|year|fy)\s*(?P<y>{_YEAR_NEXT})",
)
# "last week of March" is not last week
_RELATIVE = (
    r"(?P<rel>today|yesterday|(?:this|current|last|previous|prior)\s+"
    r"(?:week|month|quarter|year))(?!\w)(?!\s+of\b)"
)
_BARE_YEAR = rf"(?P<y>{_YEAR})"
_YEARLESS = (
    _MONTH_DAY,
    rf"(?:the\s+)?{_DAY}\s+(?:of\s+)?(?P<mn>{MONTH_NAME})",
    rf"(?P<mn>{MONTH_NAME})",
    rf"(?:the\s+)?(?P<qo>{_ORD})\s+quarter(?!\w)",
    r"q(?P<q>\d)(?![\w/])",
    r"(?:the\s+)?(?P<ho>first|second|1st|2nd)\s+half(?!\w)",
    r"h(?P<h>\d)(?![\w/])",
    r"month\s+(?P<m>\d{1,2})(?!\w)",
)
_FORMS = tuple(re.compile(f, re.I) for f in (*_DATED, _RELATIVE, _BARE_YEAR, *_YEARLESS))
RELATIVE_PERIOD = _FORMS[len(_DATED)]


#: any period: needs a time word before it when it has no year or is a bare year
PERIOD = _anonymous(*_DATED, _RELATIVE, _BARE_YEAR, *_YEARLESS)
#: a period that is one without a time word before it
PERIOD_ALONE = _anonymous(
    *_DATED, _RELATIVE, r"q[1-4](?![\w/])", rf"(?:the\s+)?{_ORD}\s+quarter(?!\w)"
)


def _form(text: str) -> re.Match[str]:
    for form in _FORMS:
        if match := form.fullmatch(text):
            return match
    raise Unreadable(f"{text!r} is not a date")  # the patterns only capture periods


def is_dated(text: str) -> bool:
    """Whether the period says its own year (or is relative to today)."""
    groups = _form(text).groupdict()
    return any(groups.get(g) for g in ("y", "rel", "dec"))


def read_period(text: str, today: date, year: int | None = None) -> Period:
    """The period ``text`` names, in ``year`` when it names none (else by the rules in the
    module docstring)."""
    g = {k: v for k, v in _form(text).groupdict().items() if v is not None}
    if "rel" in g:
        return _relative(g["rel"], today)
    if "wk" in g:
        day = read_period(g["wk"], today, year)
        monday = unit_start(day.first, "week")
        return Period(monday, monday + timedelta(days=6), f"the week of {day.label}", "week")
    if "dec" in g:
        first = int(g["dec"]) * 10
        return Period(date(first, 1, 1), date(first + 9, 12, 31), f"the {first}s", None)
    y = int(g["y"]) if "y" in g else year
    if "um" in g:
        month, day_number = int(g["um"]), int(g["ud"])
        if month > 12 >= day_number:
            month, day_number = day_number, month
        return _day(y, month, day_number, today)
    month = _MONTHS[g["mn"][:3].lower()] if "mn" in g else int(g.get("m", 0))
    if "d" in g:
        return _day(y, month, int(g["d"]), today)
    if "q" in g or "qo" in g:
        q = int(g["q"]) if "q" in g else _ORDINALS[g["qo"].lower()]
        if not 1 <= q <= 4:
            raise Unreadable(f"there is no Q{q}: quarters are Q1 to Q4")
        y = today.year if y is None else y
        return Period(date(y, 3 * q - 2, 1), _month_end(y, 3 * q), f"Q{q} {y}", "quarter")
    if "h" in g or "ho" in g:
        h = int(g["h"]) if "h" in g else _ORDINALS[g["ho"].lower()]
        if not 1 <= h <= 2:
            raise Unreadable(f"there is no H{h}: halves are H1 and H2")
        y = today.year if y is None else y
        which = "first" if h == 1 else "second"
        return Period(date(y, 6 * h - 5, 1), _month_end(y, 6 * h), f"the {which} half of {y}", None)
    if month:
        _check_month(month)
        if y is None:
            y = today.year if date(today.year, month, 1) <= today else today.year - 1
        label = f"{_MONTH_NAMES[month - 1]} {y}"
        return Period(date(y, month, 1), _month_end(y, month), label, "month")
    if "m" in g:
        _check_month(month)
    if y is None:
        raise Unreadable(f"{text!r} names no year")
    return Period(date(y, 1, 1), date(y, 12, 31), str(y), "year")


def _check_month(month: int) -> None:
    if not 1 <= month <= 12:
        raise Unreadable(f"there is no month {month}: months are 1 to 12")


def _day(year: int | None, month: int, day: int, today: date) -> Period:
    _check_month(month)
    if year is None:
        year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    name = _MONTH_NAMES[month - 1]
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise Unreadable(f"{name} {year} has {days} days, not {day}")
    found = date(year, month, day)
    return Period(found, found, day_label(found), "day")


def day_label(day: date) -> str:
    return f"{_MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _relative(words: str, today: date) -> Period:
    """A calendar period named from today ("last month", "the previous quarter")."""
    which, _, unit = words.lower().partition(" ")
    unit = unit.strip()
    if unit:
        which = "this" if which in ("this", "current") else "last"
        name = f"{which}_{unit}"
    else:
        name, unit = which, "day"
    days = resolve(name, today)
    return Period(days.start, days.last, name.replace("_", " "), GRAINS[unit], name)


def read_pair(a: str, b: str, today: date) -> tuple[Period, Period]:
    """Two ends of a range or comparison; an end without a year takes the other's."""
    if is_dated(a) and not is_dated(b):
        first = read_period(a, today)
        second = read_period(b, today, first.last.year)
        if second.last < first.first:
            second = read_period(b, today, first.last.year + 1)
        return first, second
    second = read_period(b, today)
    if is_dated(a):
        return read_period(a, today), second
    first = read_period(a, today, second.first.year)
    if first.first > second.first:
        first = read_period(a, today, second.first.year - 1)
    return first, second
