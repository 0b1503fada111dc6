"""Time phrases in a plain-language question, read deterministically: the ranges it limits
to ("in 1995", "since June 1995", "in the last 30 days"), the grains it groups by
("monthly", "by quarter") and the comparisons it asks for ("year over year", "growth from
1995 to 1996"), each with its exact character span so the caller can blank it out before
reading the rest. Ranges come out as the semantic layer's own specs (a named range of
``semantic/timerange.py`` or ``(first, last)`` ISO days, both inclusive); no SQL here.
Each period itself ("Q3", "March 15", "3/15/1995") is read by ``timeperiods``.

How ambiguous phrases resolve:

- A bare 4-digit number is a year (1900-2099) only in a time context: after in, on, for,
  during, from, of, within, throughout, since, after, before, until, till, through, up to,
  between; as one end of a range ("1994-1996", "1994 to 1996") or a comparison ("1996 vs
  1995"); in a list after another period ("in 1995, 1996 and 1997"); before "onwards"; or
  as "year 1995", "fiscal year 1995", "FY1995" (fiscal years are calendar years: no model
  says otherwise). "top 5", "order 1995 items", "1995 orders", "more than 2000", "a total
  of 1995 orders" and "from 1000 to 2000 units" are counts, not years.
- A month named alone needs a time word before it ("in May", "since March"), so "may" the
  verb and "march" the verb stay words; "Q1".."Q4" and "the third quarter" stand alone.
- Ranges include both ends: "between 1994 and 1996" and "1994-1996" are 1994-01-01 to
  1996-12-31, whatever order the ends are written in. An end without a year takes the other
  end's year ("from March to June 1995", "between Q1 and Q3 1995"), a year earlier or later
  when that keeps the ends in order ("from November to February 1996").
- Open ends: "since P" runs from P's first day to today, "after P" from the day after P,
  "before P" from 1900-01-01 (the earliest year read) to the day before P, and "until",
  "till", "through", "up to" P to P's last day (P included). A start after today, or an end
  before 1900, is unreadable.
- "last week/month/quarter/year" (and "previous", "prior", "the previous ...") is the whole
  previous calendar unit (``last_year``). "the last year", "the past year", "past year" and
  any counted phrase ("last 12 months", "past 7 days", "the last two weeks") are rolling:
  ``last_N_units``, the N complete units before today as the semantic layer defines them
  (today excluded); a rolling year, quarter and week are ``last_12_months``,
  ``last_3_months`` and ``last_7_days``. Counts are digits or one..twelve; a rolling
  range reaching back before 1900 is unreadable.
- Hours: ranges are whole days, so "the last 24 hours" is the explicit days that cover
  it, yesterday through today (not ``last_1_days``, which would leave out today's hours).
- "this year" is the whole calendar year; "year to date", "ytd", "so far this year" and
  "since the start of the year" are ``ytd`` (likewise mtd, qtd, wtd).
- Grains are always one of hour/day/week/month/quarter/year: "monthly", "per quarter", "by
  year", "each month", "month by month", "over the years", "daily", "annually". "over time"
  and "trend" name no grain, so they are not grain mentions (the caller picks one).
- Comparisons: "year over year", "YoY", "month-over-month", "MoM", "QoQ", "w/w" are growth
  at that grain ("wow" is an exclamation, not week over week). "compared to the previous
  year", "vs last year", "than the prior month", "vs the same period last year" are the
  previous period at that grain (None for "the previous period"), or growth when a growth
  word (growth, change, increase, decline, difference...) comes earlier in the sentence.
  Two named periods ("1996 vs 1995", "compare 1995 and 1996", "growth from 1995 to 1996",
  "difference between Q1 and Q2 1996") are growth from the earlier to the later ("from A to
  B" keeps the written order). "from/between A and B" is a comparison instead of a range
  only when a growth or compare word comes earlier in the sentence. "change since 1995" is
  growth from 1995 with no second period (up to the latest one). A comparison's periods
  are its ``first``/``second``, never repeated in ``mentions``.
- Overlapping phrases: the longest wins; spans in ``mentions``, ``grains``,
  ``comparisons`` and ``unreadable`` never overlap, and ``text[start:end] == text``.
- Impossible dates ("February 30, 1995", "Q5 1996", "1997-13") are no mention; they are
  listed in ``unreadable`` with the reason, so the caller can say it couldn't read them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from lakechat.assistant.timeperiods import (
    GRAINS,
    MONTH_NAME,
    PERIOD,
    PERIOD_ALONE,
    RELATIVE_PERIOD,
    YEAR_DIGITS,
    Period,
    Unreadable,
    day_label,
    is_dated,
    read_pair,
    read_period,
)
from lakechat.semantic.query import TimeGrain
from lakechat.semantic.timerange import MAX_ROLLING, back, shift

#: the first day "before 1993" and "until 1995" start from: the earliest year read as one
EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class TimeMention:
    """A range the question limits to, as a ``timerange.py`` spec and as the answer says it.
    ``verb`` is the word just before that says which date is meant ("shipped" in "shipped
    in 1995"), lowercased as written; ``open_ended`` marks since/after/before/until."""

    start: int
    end: int
    text: str
    range: str | tuple[str, str]
    label: str
    verb: str | None = None
    open_ended: bool = False


@dataclass(frozen=True)
class GrainMention:
    """A time grain the question groups by ("monthly", "by quarter", "each year")."""

    start: int
    end: int
    text: str
    grain: TimeGrain


@dataclass(frozen=True)
class Comparison:
    """A period-over-period question: ``growth`` from ``first`` to ``second`` when both are
    named (``second`` None: up to the latest period), else against the previous period at
    ``grain`` (None: the previous range of the same length)."""

    start: int
    end: int
    text: str
    kind: Literal["growth", "previous_period"]
    grain: TimeGrain | None
    first: TimeMention | None = None
    second: TimeMention | None = None


@dataclass(frozen=True)
class UnreadableTime:
    """A phrase shaped like a date that is none ("February 30, 1995"), and why."""

    start: int
    end: int
    text: str
    reason: str


@dataclass(frozen=True)
class TimeFindings:
    """Everything time-related in one question, each kind in the order it was written."""

    mentions: tuple[TimeMention, ...]
    grains: tuple[GrainMention, ...]
    comparisons: tuple[Comparison, ...]
    unreadable: tuple[UnreadableTime, ...] = ()


Finding = TimeMention | GrainMention | Comparison


def find_times(text: str, today: date) -> TimeFindings:
    """Every time phrase in ``text``, read against ``today`` (the day in the question's
    time zone); the longest of overlapping phrases wins."""
    found: list[tuple[int, int, int, Finding | UnreadableTime]] = []
    starts = [
        i for i, c in enumerate(text) if c.isalnum() and (i == 0 or not text[i - 1].isalnum())
    ]
    for order, (pattern, handler) in enumerate(_PATTERNS):
        for pos in starts:
            match = pattern.match(text, pos)
            if match is None:
                continue
            try:
                finding: Finding | UnreadableTime | None = handler(match, today)
            except Unreadable as error:
                finding = UnreadableTime(match.start(), match.end(), match.group(), str(error))
            if finding is not None:
                found.append((match.start(), match.end(), order, finding))
    found.sort(key=lambda f: (f[0] - f[1], f[0], f[2]))
    kept: list[tuple[int, int, int, Finding | UnreadableTime]] = []
    for item in found:
        if all(item[1] <= k[0] or item[0] >= k[1] for k in kept):
            kept.append(item)
    chosen = [k[3] for k in sorted(kept, key=lambda k: k[0])]
    return TimeFindings(
        mentions=tuple(f for f in chosen if isinstance(f, TimeMention)),
        grains=tuple(f for f in chosen if isinstance(f, GrainMention)),
        comparisons=tuple(f for f in chosen if isinstance(f, Comparison)),
        unreadable=tuple(f for f in chosen if isinstance(f, UnreadableTime)),
    )


_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_UNIT = r"(?:hour|day|week|month|quarter|year)"
_NUMBER = r"(?:\d{1,5}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_GROWTH = (
    r"(?:growth|grow(?:s|n|ing)?|grew|chang(?:e|es|ed|ing)|increas(?:e|es|ed|ing)|"
    r"decreas(?:e|es|ed|ing)|declin(?:e|es|ed|ing)|ris(?:e|es|en|ing)|rose|fell|"
    r"fall(?:s|en|ing)?|drop(?:s|ped|ping)?|difference|delta|evolv(?:e|ed|ing)|evolution)"
)
_COMPARE = r"(?:compar(?:e|ed|es|ing|ison)|versus|vs)"


# ---- building findings -----------------------------------------------------------------

_VERBS_IRREGULAR = frozenset({
    "ran", "run", "ship", "ships", "made", "sold", "paid", "sent", "spent", "bought", "built",
    "began", "begun", "done", "held", "kept", "left", "lost", "met", "took", "taken", "won",
    "wrote", "written", "seen", "shown", "grown", "due",
})  # fmt: skip
_WORD_BEFORE = re.compile(r"([A-Za-z]+)[\s,]*$")


def _verb_before(text: str, start: int) -> str | None:
    """The verb right before a phrase ("shipped" in "shipped in 1995"): a known irregular
    one or a word ending in -ed (not "-eed": need, speed), lowercased as written."""
    match = _WORD_BEFORE.search(text, 0, start)
    if match is None:
        return None
    word = match.group(1).lower()
    if word in _VERBS_IRREGULAR:
        return word
    if len(word) >= 4 and word.endswith("ed") and not word.endswith("eed") and word != "hundred":
        return word
    return None


def _mention(
    match: re.Match[str], spec: str | tuple[str, str], label: str, open_ended: bool = False
) -> TimeMention:
    return _mention_at(match, match.start(), match.end(), spec, label, open_ended)


def _mention_at(
    match: re.Match[str],
    start: int,
    end: int,
    spec: str | tuple[str, str],
    label: str,
    open_ended: bool = False,
) -> TimeMention:
    text = match.string
    verb = _verb_before(text, start)
    return TimeMention(start, end, text[start:end], spec, label, verb, open_ended)


def _period_mention(match: re.Match[str], group: str, period: Period) -> TimeMention:
    return _mention_at(match, match.start(group), match.end(group), period.spec, period.in_label)


_CLAUSE_END = re.compile(r"[?!;]|\.(?=\s)")
_GROWTH_WORD = re.compile(rf"(?<!\w){_GROWTH}(?!\w)", re.I)
_GROWTH_OR_COMPARE = re.compile(rf"(?<!\w)(?:{_GROWTH}|{_COMPARE})(?!\w)", re.I)


def _said_before(word: re.Pattern[str], text: str, start: int) -> bool:
    """Whether ``word`` occurs earlier in the sentence that ``start`` is in."""
    clause = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    return word.search(text, clause, start) is not None


def _shared_grain(a: Period, b: Period) -> TimeGrain | None:
    return a.grain if a.grain == b.grain else None


def _two_periods(match: re.Match[str], first: Period, second: Period, ordered: bool) -> Comparison:
    """Growth between two named periods; ``ordered`` keeps the written order."""
    ends = [("a", first), ("b", second)]
    if not ordered:
        ends.sort(key=lambda end: end[1].first)
    (g1, p1), (g2, p2) = ends
    return Comparison(
        match.start(),
        match.end(),
        match.group(),
        "growth",
        _shared_grain(p1, p2),
        _period_mention(match, g1, p1),
        _period_mention(match, g2, p2),
    )


_QUANTITY_OF = re.compile(
    r"(?:total|number|count|sum|average|avg|set|batch|group|list|lots?|max(?:imum)?|"
    r"min(?:imum)?|out|each|any|all|none|some|most|many|few|one)\s+$",
    re.I,
)


def _on_period(match: re.Match[str], today: date) -> TimeMention | None:
    prep = (match.group("prep") or "").lower()
    if (
        prep == "of"
        and match["a"].isdigit()
        and _QUANTITY_OF.search(match.string, 0, match.start())
    ):
        return None  # "a total of 1995 orders"
    period = read_period(match["a"], today)
    return _mention(match, period.spec, period.in_label)


def _on_range(match: re.Match[str], today: date) -> Finding | None:
    keyword = (match.group("kw") or "").lower()
    if not keyword and not is_dated(match["b"]):
        return None  # "March to June" needs "from"; "March to June 1995" does not
    first, second = read_pair(match["a"], match["b"], today)
    if match["g"] or _said_before(_GROWTH_OR_COMPARE, match.string, match.start()):
        return _two_periods(match, first, second, ordered=keyword != "between")
    if second.first < first.first:
        first, second = second, first  # "between 1996 and 1994"
    start, last = first.first, max(first.last, second.last)
    a_label = first.label
    year = str(second.last.year)
    if first.grain in ("day", "month", "quarter") and first.first.year == second.last.year:
        a_label = a_label.removesuffix(year).rstrip(", ")  # "from March to June 1995"
    if keyword == "between":
        label = f"between {a_label} and {second.label}"
    else:
        label = f"from {a_label} to {second.label}"
    return _mention(match, (start.isoformat(), last.isoformat()), label)


_OPEN_KINDS = {
    "since": "since", "starting": "since", "beginning": "since", "after": "after",
    "before": "before", "prior": "before", "until": "through", "till": "through",
    "through": "through", "thru": "through", "up": "through",
}  # fmt: skip


def _on_open(match: re.Match[str], today: date) -> Finding | None:
    kind = _OPEN_KINDS[match["op"].split()[0].lower()]
    if match["g"] and kind != "since":
        return None  # the open range alone, without the growth word, is the finding
    period = read_period(match["a"], today)
    if match["g"]:
        mention = _period_mention(match, "a", period)
        return Comparison(
            match.start(), match.end(), match.group(), "growth", period.grain, mention
        )
    first, last = EARLIEST, today
    if kind == "since":
        first = period.first
    elif kind == "after":
        first = period.last + timedelta(days=1)
    elif kind == "before":
        last = period.first - timedelta(days=1)
    else:
        last = period.last
    if first > today:
        raise Unreadable(f"{kind} {period.label} starts after today ({today.isoformat()})")
    if last < EARLIEST:
        raise Unreadable(f"{kind} {period.label} ends before {EARLIEST.year}")
    return _mention(match, (first.isoformat(), last.isoformat()), f"{kind} {period.label}", True)


def _on_onwards(match: re.Match[str], today: date) -> TimeMention:
    period = read_period(match["a"], today)
    if period.first > today:
        raise Unreadable(f"{period.label} starts after today ({today.isoformat()})")
    spec = (period.first.isoformat(), today.isoformat())
    return _mention(match, spec, f"since {period.label}", True)


#: a rolling unit without a count: its spec and how the answer says it
_ROLLING_ONE = {
    "day": ("last_1_days", "in the last day"),
    "week": ("last_7_days", "in the last 7 days"),
    "month": ("last_1_months", "in the last month"),
    "quarter": ("last_3_months", "in the last 3 months"),
    "year": ("last_12_months", "in the last 12 months"),
}


def _on_rolling(match: re.Match[str], today: date) -> TimeMention:
    unit = match["u"].lower()
    count_text = (match["n"] or "").lower()
    count = _NUMBER_WORDS.get(count_text) or int(count_text or 1)
    if unit == "hour":
        days = -(-count // 24)
        if not 1 <= days <= MAX_ROLLING:
            raise Unreadable(f"the last {count} hours: count 1 to {MAX_ROLLING * 24}")
        first = today - timedelta(days=days)
        label = "since yesterday" if days == 1 else f"since {day_label(first)}"
        return _mention(match, (first.isoformat(), today.isoformat()), label)
    if not 1 <= count <= MAX_ROLLING:
        raise Unreadable(f"the last {count} {unit}s: count 1 to {MAX_ROLLING}")
    if not match["n"]:
        spec, label = _ROLLING_ONE[unit]
        return _mention(match, spec, label)
    spec = f"last_{count}_{unit}s"
    try:
        first = back(today, *shift(unit, count))
    except ValueError:  # before year 1
        first = date.min
    if first < EARLIEST:  # "the last 2000 years"
        raise Unreadable(f"the last {count} {unit}s reach back before {EARLIEST.year}")
    label = f"in the last {unit}" if count == 1 else f"in the last {count} {unit}s"
    return _mention(match, spec, label)


def _on_to_date(match: re.Match[str], _today: date) -> TimeMention:
    unit = GRAINS[next(u for u in match.group("u1", "u2", "u3", "u4", "u5") if u).lower()]
    return _mention(match, f"{unit[0]}td", f"{unit} to date")


def _on_grain(match: re.Match[str], _today: date) -> GrainMention:
    grain = GRAINS[match["u"].lower()]
    return GrainMention(match.start(), match.end(), match.group(), grain)


def _on_over(match: re.Match[str], _today: date) -> Comparison:
    grain = GRAINS[(match["u"] or match["abbr"][0]).lower()]
    return Comparison(match.start(), match.end(), match.group(), "growth", grain)


def _on_previous(match: re.Match[str], _today: date) -> Comparison | None:
    if match["cmp"].lower() == "over" and not match["g"]:
        return None  # "over the previous year" compares only after a growth word
    unit = (match["u"] or match["u2"] or ("year" if match["same"] else "period")).lower()
    grain = GRAINS.get(unit)
    growth = match["g"] or _said_before(_GROWTH_WORD, match.string, match.start())
    kind: Literal["growth", "previous_period"] = "growth" if growth else "previous_period"
    return Comparison(match.start(), match.end(), match.group(), kind, grain)


_PREVIOUS = re.compile(r"(?:previous|prior)\b", re.I)


def _on_pair(match: re.Match[str], today: date) -> Comparison | None:
    separator = match["sep"].lower()
    adjacent = (match["g"] or "").lower()
    if separator in ("with", "to") and not adjacent.startswith("compar"):
        return None  # "1995 to 1996" alone is a range
    if separator == "and" and not (
        adjacent or _said_before(_GROWTH_OR_COMPARE, match.string, match.start())
    ):
        return None
    if _PREVIOUS.match(match["b"]):
        return None  # "the previous year" is the one before the first period, not today's
    if match["a"] is None:
        if separator in ("and", "with", "to") or RELATIVE_PERIOD.fullmatch(match["b"]):
            return None  # "vs last year" is the previous period, not a second period
        period = read_period(match["b"], today)
        mention = _period_mention(match, "b", period)
        return Comparison(
            match.start(), match.end(), match.group(), "growth", period.grain, mention
        )
    first, second = read_pair(match["a"], match["b"], today)
    return _two_periods(match, first, second, ordered=False)


_LISTED = re.compile(rf"(?:{YEAR_DIGITS}|{MONTH_NAME}|q\d)\s*,\s*$", re.I)
_LISTED_BEFORE_AND = re.compile(rf"(?:{YEAR_DIGITS}|{MONTH_NAME}|q\d)\s*,?\s*$", re.I)


def _on_list(match: re.Match[str], today: date) -> TimeMention | None:
    """A period after another in a list ("in 1995, 1996 and 1997"): only there is a bare
    year after "," or "and" one."""
    listed = _LISTED_BEFORE_AND if match["conj"] else _LISTED
    if not listed.search(match.string, 0, match.start()):
        return None
    period = read_period(match["a"], today)
    return _mention(match, period.spec, period.in_label)


# ---- the patterns, tried at every word start -------------------------------------------

_PREP = r"(?:in|on|for|during|from|of|within|throughout)"
_THE = r"(?:the\s+(?!last\b|past\b))?"  # "the last year" is rolling, "last year" is not
# "from 1000 to 2000" counts: a number, not a year, right after the period
_NOT_A_COUNT = rf"(?!\s*(?:to|through|-|\u2013|and|or)\s*(?!{YEAR_DIGITS}(?!\d))\d)"
_Handler = Callable[[re.Match[str], date], Finding | None]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


_PATTERNS: tuple[tuple[re.Pattern[str], _Handler], ...] = (
    (_compile(rf"(?P<prep>{_PREP})\s+{_THE}(?P<a>{PERIOD}){_NOT_A_COUNT}"), _on_period),
    (_compile(rf"(?P<prep>){_THE}(?P<a>{PERIOD_ALONE}){_NOT_A_COUNT}"), _on_period),
    (
        _compile(
            rf"(?:(?P<g>{_GROWTH}|{_COMPARE})\s+)?(?P<kw>between)\s+(?:the\s+)?(?P<a>{PERIOD})"
            rf"\s+and\s+(?:the\s+)?(?P<b>{PERIOD})"
        ),
        _on_range,
    ),
    (
        _compile(
            rf"(?:(?P<g>{_GROWTH})\s+)?(?:(?P<kw>from)\s+|(?:in|for|during|of|within)\s+)?"
            rf"(?:the\s+)?(?P<a>{PERIOD})"
            r"(?:\s*[-\u2013\u2014]\s*|\s+(?:to|through|thru|until|till)\s+)"
            rf"(?:the\s+)?(?P<b>{PERIOD})"
        ),
        _on_range,
    ),
    (
        _compile(
            rf"(?:(?P<g>{_GROWTH})\s+)?(?P<op>since|after|before|until|till|through|thru|"
            rf"up\s+(?:to|until)|prior\s+to|starting(?:\s+(?:in|from|with))?|"
            rf"beginning\s+(?:in|from|with))\s+{_THE}(?P<a>{PERIOD}){_NOT_A_COUNT}"
        ),
        _on_open,
    ),
    (
        _compile(
            rf"(?:(?:from|starting(?:\s+(?:in|from))?)\s+)?{_THE}(?P<a>{PERIOD})"
            r"\s+(?:onwards?|(?:and|or)\s+later)(?!\w)"
        ),
        _on_onwards,
    ),
    (
        _compile(
            r"(?:(?:in|over|during|within|for|from)\s+)?(?:(?:the\s+)?(?:last|past|previous|"
            rf"prior|trailing|rolling)\s+(?P<n>{_NUMBER})|(?:the\s+)?past|the\s+last)\s+"
            rf"(?P<u>{_UNIT})s?(?!\w)(?!\s+of\b)"  # "the last day of the month" is no range
        ),
        _on_rolling,
    ),
    (
        _compile(
            r"(?:(?:in|for|during|over)\s+(?:the\s+)?)?(?:(?P<u1>[ymqw])td|"
            r"(?P<u2>year|month|quarter|week)[-\s]+to[-\s]+date|"
            r"so\s+far\s+this\s+(?P<u3>year|month|quarter|week)|"
            r"this\s+(?P<u4>year|month|quarter|week)\s+so\s+far|since\s+the\s+(?:start|beginning)"
            r"\s+of\s+(?:the|this)\s+(?P<u5>year|month|quarter|week))(?!\w)"
        ),
        _on_to_date,
    ),
    (
        _compile(
            r"(?<![-\w])(?P<u>hourly|daily|weekly|monthly|quarterly|yearly|annually|annual)"
            r"(?!\w)"
        ),
        _on_grain,
    ),
    (
        _compile(
            r"(?:broken\s+down\s+)?(?:by|per|each|every|for\s+(?:each|every))\s+(?:the\s+)?"
            rf"(?:calendar\s+)?(?P<u>{_UNIT}|date)s?(?!\w)(?!\s+of\b)"
        ),
        _on_grain,
    ),
    (_compile(rf"(?P<u>{_UNIT})[-\s]+by[-\s]+(?P=u)(?!\w)"), _on_grain),
    (_compile(rf"over\s+the\s+(?P<u>{_UNIT})s(?!\w)"), _on_grain),
    (
        _compile(
            rf"(?:(?P<g>{_GROWTH})\s+)?(?:(?P<u>{_UNIT})[-\s]+(?:over|on)[-\s]+(?P=u)|"
            r"(?P<abbr>yoy|y/y|y-o-y|qoq|q/q|q-o-q|mom|m/m|m-o-m|w/w))"
            r"(?:\s+(?:growth|change))?(?![\w/])"
        ),
        _on_over,
    ),
    (
        _compile(
            rf"(?:(?P<g>{_GROWTH})\s+)?(?P<cmp>compared\s+(?:to|with)|compare\s+(?:to|with)|"
            r"in\s+comparison\s+(?:to|with)|relative\s+to|vs\.?|versus|against|than|over)\s+"
            rf"(?:the\s+)?(?:(?:previous|prior|preceding|last)\s+(?P<u>{_UNIT}|period)|"
            rf"(?P<same>same\s+(?:period|time|{_UNIT})\s+(?:a\s+year\s+ago|last\s+year|"
            r"(?:of|in)\s+the\s+(?:previous|prior)\s+year))|"
            rf"(?:a|one)\s+(?P<u2>{_UNIT})\s+(?:ago|earlier|before))(?!\w)"
        ),
        _on_previous,
    ),
    (
        _compile(
            rf"(?:(?P<g>{_GROWTH}|compare)\s+)?(?:(?:{_PREP}\s+)?{_THE}(?P<a>{PERIOD})\s+)?"
            r"(?P<sep>vs\.?|versus|compared\s+(?:to|with)|against|and|with|to)\s+"
            rf"(?:{_PREP}\s+)?{_THE}(?P<b>{PERIOD}){_NOT_A_COUNT}"
        ),
        _on_pair,
    ),
    (
        _compile(rf"(?:(?P<conj>and|or)\s+)?(?:{_PREP}\s+)?{_THE}(?P<a>{PERIOD}){_NOT_A_COUNT}"),
        _on_list,
    ),
)
