"""Time ranges of a semantic query: named relative ranges (``last_7_days``, ``last_month``,
``this_quarter``, ``ytd``, ...) and explicit ``[first, last]`` days, resolved against a
clock in the query's time zone, and the range that precedes each (period over period).

Every range resolves to whole days, ``start`` inclusive and ``end`` exclusive. Rolling
ranges (``last_N_days``, ``last_N_weeks``...) are the N complete units before today, so a
half-finished today never makes a week look bad; ``today`` and the ``*_to_date`` ranges
(``wtd``, ``mtd``, ``qtd``, ``ytd``) include today. Weeks start on Monday (ISO 8601).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from lakechat.errors import BadRequest

UNITS = ("day", "week", "month", "quarter", "year")
ROLLING = re.compile(r"last_(\d{1,4})_(days|weeks|months|quarters|years)")
CALENDAR = re.compile(r"(this|last)_(week|month|quarter|year)")
TO_DATE = {"wtd": "week", "mtd": "month", "qtd": "quarter", "ytd": "year"}
#: The names offered in errors and in the API's schema.
NAMED_RANGES = (
    "today", "yesterday", "this_week", "last_week", "this_month", "last_month",
    "this_quarter", "last_quarter", "this_year", "last_year", "wtd", "mtd", "qtd", "ytd",
    "last_N_days", "last_N_weeks", "last_N_months", "last_N_quarters", "last_N_years",
)  # fmt: skip
MAX_ROLLING = 3650


@dataclass(frozen=True)
class DayRange:
    """Whole days ``[start, end)``; ``label`` is what the caller asked for."""

    start: date
    end: date
    label: str
    #: how the range steps back one period: ("month", 3) for a quarter, ("day", 7) for a week
    step: tuple[str, int]

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> DayRange:
        """The range of the same length just before this one (the calendar unit before for
        calendar ranges; the unit before's same days for ``mtd``, ``qtd`` and ``ytd``)."""
        unit, count = self.step
        start = back(self.start, unit, count)
        if self.label in TO_DATE:
            # a to-date range steps back by its unit to the same day (1-10 March -> 1-10
            # February; ytd to 1 March 2024 -> to 1 March 2023, not a day longer for 29
            # February), through a month's last day to the earlier month's last day (all
            # of Q2 -> all of Q1, as this_quarter), never running into itself
            if self.end.day == 1:
                end = back(self.end, unit, count)
            else:
                end = back(self.last, unit, count) + timedelta(days=1)
            end = min(end, self.start)
        else:
            end = back(self.end, unit, count)
        return DayRange(start, end, f"period before {self.label}", self.step)


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The IANA time zone ``name`` (or ``default``); BadRequest for an unknown one."""
    chosen = name or default
    try:
        if chosen not in _known_zones():  # ZoneInfo alone also opens "posixrules", "localtime"
            raise ZoneInfoNotFoundError(chosen)
        return ZoneInfo(chosen)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(
            f"timezone: {chosen!r} is not an IANA time zone (e.g. UTC, Europe/Berlin, "
            "America/New_York)"
        ) from None


@cache
def _known_zones() -> frozenset[str]:
    """The IANA zones the warehouses know too (tzdata's list, without its file aliases)."""
    return frozenset(available_timezones() - {"localtime", "posixrules", "Factory"})


def today_in(now: datetime, tz: ZoneInfo) -> date:
    """The calendar day ``now`` (an aware instant) falls on in ``tz``."""
    if now.tzinfo is None:
        raise ValueError("the clock must return an aware datetime")
    return now.astimezone(tz).date()


def resolve(spec: str | tuple[str, str], today: date) -> DayRange:
    """``spec`` (a range name or ``(first, last)`` ISO days, both inclusive) as days."""
    if isinstance(spec, tuple):
        return _explicit(spec)
    name = spec.strip().lower()
    if name == "today":
        return DayRange(today, today + timedelta(days=1), name, ("day", 1))
    if name == "yesterday":
        return DayRange(today - timedelta(days=1), today, name, ("day", 1))
    if name in TO_DATE:
        unit = TO_DATE[name]
        return DayRange(unit_start(today, unit), today + timedelta(days=1), name, _step(unit, 1))
    if match := CALENDAR.fullmatch(name):
        which, unit = match.groups()
        start = unit_start(today, unit)
        step = _step(unit, 1)
        if which == "last":
            start = back(start, *step)
        return DayRange(start, back(start, step[0], -step[1]), name, step)
    if match := ROLLING.fullmatch(name):
        count, plural = int(match.group(1)), match.group(2)
        if not 1 <= count <= MAX_ROLLING:
            raise BadRequest(f"timeRange: {spec!r} must count 1 to {MAX_ROLLING} {plural}")
        step = _step(plural.removesuffix("s"), count)
        return DayRange(back(today, *step), today, name, step)
    raise BadRequest(
        f"timeRange: unknown range {spec!r}; use one of {', '.join(NAMED_RANGES)} "
        "(N a number), or [first_day, last_day]"
    )


def shift(unit: str, count: int) -> tuple[str, int]:
    """A time grain's step back as ``(day|month, n)``: a quarter is three months."""
    return _step(unit, count)


def _explicit(spec: tuple[str, str]) -> DayRange:
    try:
        first, last = (date.fromisoformat(part) for part in spec)
    except (TypeError, ValueError):
        raise BadRequest(
            f"timeRange: {list(spec)!r} must be two ISO days [YYYY-MM-DD, YYYY-MM-DD]"
        ) from None
    if last < first:
        raise BadRequest(f"timeRange: {last} is before {first}")
    end = last + timedelta(days=1)
    label = f"{first} to {last}"
    months = (end.year - first.year) * 12 + end.month - first.month
    if first.day == 1 and end.day == 1 and months > 0:
        # whole months (or quarters or years) step back by their own length
        return DayRange(first, end, label, ("month", months))
    return DayRange(first, end, label, ("day", (end - first).days))


def _step(unit: str, count: int) -> tuple[str, int]:
    if unit == "week":
        return ("day", 7 * count)
    if unit == "quarter":
        return ("month", 3 * count)
    if unit == "year":
        return ("month", 12 * count)
    return (unit, count)


def back(day: date, unit: str, count: int) -> date:
    """``day`` moved ``count`` days or months into the past (a negative count: the future);
    a day of month past the target month's end becomes its last day (31 March - 1 month
    = 29 February)."""
    if unit == "day":
        return day - timedelta(days=count)
    months = day.year * 12 + day.month - 1 - count
    year, month = divmod(months, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, _month_days(year, month + 1)))


def _month_days(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def unit_start(day: date, unit: str) -> date:
    """The first day of the week, month, quarter or year ``day`` is in (a day: itself)."""
    if unit in ("hour", "day"):
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)
