"""Time ranges resolve to the right whole days: every named range against edge days
(1 January, month ends, leap years, Mondays), the range before each, explicit days, the
bounds of last_N, the errors a caller sees, and which day "today" is in a time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from lakechat.errors import BadRequest
from lakechat.semantic.timerange import DayRange, resolve, today_in, zone

D = date


def days(spec: str | tuple[str, str], today: date) -> tuple[date, date]:
    """The first and last day (both included) ``spec`` means on ``today``."""
    found = resolve(spec, today)
    return found.start, found.last


def before(spec: str | tuple[str, str], today: date) -> tuple[date, date]:
    """The first and last day of the range before ``spec`` on ``today``."""
    found = resolve(spec, today).previous()
    return found.start, found.last


@pytest.mark.parametrize(
    ("spec", "today", "first", "last"),
    [
        ("today", D(2024, 1, 1), D(2024, 1, 1), D(2024, 1, 1)),
        ("yesterday", D(2024, 1, 1), D(2023, 12, 31), D(2023, 12, 31)),
        ("yesterday", D(2024, 3, 1), D(2024, 2, 29), D(2024, 2, 29)),
        # weeks start on Monday: 1 January 2024 is one, 3 March 2024 a Sunday
        ("this_week", D(2024, 1, 1), D(2024, 1, 1), D(2024, 1, 7)),
        ("this_week", D(2024, 3, 3), D(2024, 2, 26), D(2024, 3, 3)),
        ("last_week", D(2024, 1, 3), D(2023, 12, 25), D(2023, 12, 31)),
        ("last_week", D(2024, 1, 1), D(2023, 12, 25), D(2023, 12, 31)),
        ("this_month", D(2024, 2, 10), D(2024, 2, 1), D(2024, 2, 29)),
        ("this_month", D(2023, 2, 10), D(2023, 2, 1), D(2023, 2, 28)),
        ("last_month", D(2024, 1, 1), D(2023, 12, 1), D(2023, 12, 31)),
        ("last_month", D(2024, 3, 31), D(2024, 2, 1), D(2024, 2, 29)),
        ("this_quarter", D(2024, 5, 15), D(2024, 4, 1), D(2024, 6, 30)),
        ("this_quarter", D(2024, 12, 31), D(2024, 10, 1), D(2024, 12, 31)),
        ("last_quarter", D(2024, 1, 1), D(2023, 10, 1), D(2023, 12, 31)),
        ("last_quarter", D(2024, 5, 31), D(2024, 1, 1), D(2024, 3, 31)),
        ("this_year", D(2024, 2, 29), D(2024, 1, 1), D(2024, 12, 31)),
        ("last_year", D(2024, 1, 1), D(2023, 1, 1), D(2023, 12, 31)),
        # the to-date ranges include today
        ("wtd", D(2024, 3, 6), D(2024, 3, 4), D(2024, 3, 6)),
        ("wtd", D(2024, 3, 4), D(2024, 3, 4), D(2024, 3, 4)),
        ("mtd", D(2024, 3, 31), D(2024, 3, 1), D(2024, 3, 31)),
        ("qtd", D(2024, 5, 15), D(2024, 4, 1), D(2024, 5, 15)),
        ("ytd", D(2024, 1, 1), D(2024, 1, 1), D(2024, 1, 1)),
        ("ytd", D(2024, 2, 29), D(2024, 1, 1), D(2024, 2, 29)),
        # rolling ranges are the complete units before today, today left out
        ("last_7_days", D(2024, 3, 1), D(2024, 2, 23), D(2024, 2, 29)),
        ("last_1_days", D(2024, 1, 1), D(2023, 12, 31), D(2023, 12, 31)),
        ("last_2_weeks", D(2024, 3, 6), D(2024, 2, 21), D(2024, 3, 5)),
        ("last_3_months", D(2024, 5, 31), D(2024, 2, 29), D(2024, 5, 30)),
        ("last_1_quarters", D(2024, 7, 1), D(2024, 4, 1), D(2024, 6, 30)),
        ("last_1_years", D(2024, 2, 29), D(2023, 2, 28), D(2024, 2, 28)),
        ("last_3650_days", D(2024, 1, 1), D(2014, 1, 3), D(2023, 12, 31)),
        # names are read without case or surrounding blanks
        (" Last_Month ", D(2024, 3, 31), D(2024, 2, 1), D(2024, 2, 29)),
    ],
)
def test_named_ranges(spec: str, today: date, first: date, last: date) -> None:
    assert days(spec, today) == (first, last)


@pytest.mark.parametrize(
    ("spec", "today", "first", "last"),
    [
        ("today", D(2024, 1, 1), D(2023, 12, 31), D(2023, 12, 31)),
        ("this_week", D(2024, 1, 1), D(2023, 12, 25), D(2023, 12, 31)),
        ("last_month", D(2024, 3, 31), D(2024, 1, 1), D(2024, 1, 31)),
        ("this_month", D(2024, 3, 31), D(2024, 2, 1), D(2024, 2, 29)),
        ("last_quarter", D(2024, 2, 29), D(2023, 7, 1), D(2023, 9, 30)),
        ("this_year", D(2024, 2, 29), D(2023, 1, 1), D(2023, 12, 31)),
        # a to-date range: the same days of the unit before, never running into itself
        ("mtd", D(2024, 3, 10), D(2024, 2, 1), D(2024, 2, 10)),
        ("mtd", D(2024, 3, 31), D(2024, 2, 1), D(2024, 2, 29)),
        ("mtd", D(2023, 3, 31), D(2023, 2, 1), D(2023, 2, 28)),
        ("mtd", D(2024, 1, 15), D(2023, 12, 1), D(2023, 12, 15)),
        ("mtd", D(2024, 4, 30), D(2024, 3, 1), D(2024, 3, 31)),
        ("mtd", D(2024, 4, 29), D(2024, 3, 1), D(2024, 3, 29)),
        ("wtd", D(2024, 3, 6), D(2024, 2, 26), D(2024, 2, 28)),
        ("qtd", D(2024, 5, 15), D(2024, 1, 1), D(2024, 2, 15)),
        ("qtd", D(2024, 6, 30), D(2024, 1, 1), D(2024, 3, 31)),
        # ytd: last year's same days, also across 29 February
        ("ytd", D(2023, 6, 30), D(2022, 1, 1), D(2022, 6, 30)),
        ("ytd", D(2024, 3, 1), D(2023, 1, 1), D(2023, 3, 1)),
        ("ytd", D(2024, 2, 29), D(2023, 1, 1), D(2023, 2, 28)),
        ("ytd", D(2025, 3, 1), D(2024, 1, 1), D(2024, 3, 1)),
        ("ytd", D(2024, 12, 31), D(2023, 1, 1), D(2023, 12, 31)),
        # rolling ranges: the same number of units just before
        ("last_7_days", D(2024, 3, 1), D(2024, 2, 16), D(2024, 2, 22)),
        ("last_2_weeks", D(2024, 3, 6), D(2024, 2, 7), D(2024, 2, 20)),
        ("last_3_months", D(2024, 5, 31), D(2023, 11, 29), D(2024, 2, 28)),
    ],
)
def test_the_range_before(spec: str, today: date, first: date, last: date) -> None:
    assert before(spec, today) == (first, last)


@pytest.mark.parametrize(
    ("to_date", "calendar", "today"),
    [("mtd", "this_month", D(2024, 4, 30)), ("mtd", "this_month", D(2024, 2, 29)),
     ("qtd", "this_quarter", D(2024, 6, 30)), ("qtd", "this_quarter", D(2024, 9, 30)),
     ("ytd", "this_year", D(2024, 12, 31)), ("wtd", "this_week", D(2024, 3, 10))],
)  # fmt: skip
def test_a_whole_unit_to_date_compares_like_the_calendar_unit(
    to_date: str, calendar: str, today: date
) -> None:
    """On a unit's last day mtd is this_month (qtd this_quarter...): so is the period before."""
    assert days(to_date, today) == days(calendar, today)
    assert before(to_date, today) == before(calendar, today)


@pytest.mark.parametrize(
    "spec",
    ["today", "this_week", "last_month", "this_quarter", "last_year", "wtd", "mtd", "qtd", "ytd",
     "last_7_days", "last_5_weeks", "last_13_months", "last_2_quarters", "last_3_years"],
)  # fmt: skip
@pytest.mark.parametrize("today", [D(2024, 1, 1), D(2024, 2, 29), D(2024, 3, 31), D(2025, 12, 31)])
def test_the_range_before_never_overlaps(spec: str, today: date) -> None:
    """The period before ends where the range starts, or earlier (a shorter month)."""
    found = resolve(spec, today)
    earlier = found.previous()
    assert earlier.start < earlier.end <= found.start
    assert earlier.label == f"period before {found.label}"


@pytest.mark.parametrize(
    ("spec", "first", "last", "before_first", "before_last"),
    [
        # whole months step back by their own length
        (("2024-02-01", "2024-02-29"), D(2024, 2, 1), D(2024, 2, 29), D(2024, 1, 1), D(2024, 1, 31)),
        (("2024-03-01", "2024-03-31"), D(2024, 3, 1), D(2024, 3, 31), D(2024, 2, 1), D(2024, 2, 29)),
        (("2024-01-01", "2024-03-31"), D(2024, 1, 1), D(2024, 3, 31), D(2023, 10, 1), D(2023, 12, 31)),
        (("2023-01-01", "2023-12-31"), D(2023, 1, 1), D(2023, 12, 31), D(2022, 1, 1), D(2022, 12, 31)),
        # other days step back by their number of days
        (("2024-03-05", "2024-03-11"), D(2024, 3, 5), D(2024, 3, 11), D(2024, 2, 27), D(2024, 3, 4)),
        (("2024-01-31", "2024-01-31"), D(2024, 1, 31), D(2024, 1, 31), D(2024, 1, 30), D(2024, 1, 30)),
        (("2024-03-31", "2024-04-30"), D(2024, 3, 31), D(2024, 4, 30), D(2024, 2, 29), D(2024, 3, 30)),
    ],
)  # fmt: skip
def test_explicit_days(
    spec: tuple[str, str], first: date, last: date, before_first: date, before_last: date
) -> None:
    found = resolve(spec, D(1999, 1, 1))  # an explicit range does not depend on today
    assert (found.start, found.last, found.end) == (first, last, last + timedelta(days=1))
    assert found.label == f"{first} to {last}"
    assert before(spec, D(1999, 1, 1)) == (before_first, before_last)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("last_0_days", "'last_0_days' must count 1 to 3650 days"),
        ("last_3651_days", "must count 1 to 3650 days"),
        ("last_0_months", "must count 1 to 3650 months"),
        ("last_99999_days", "unknown range 'last_99999_days'"),
        ("last_7_fortnights", "unknown range"),
        ("next_month", "unknown range 'next_month'; use one of today, yesterday, this_week"),
        ("last_month_please", "last_N_days"),
        ("", r"\[first_day, last_day\]"),
        (("2024-02-30", "2024-03-01"), r"must be two ISO days \[YYYY-MM-DD, YYYY-MM-DD\]"),
        (("March 1", "2024-03-31"), "must be two ISO days"),
        (("2024-03-31", "2024-03-01"), "timeRange: 2024-03-01 is before 2024-03-31"),
    ],
)
def test_bad_ranges_say_what_is_accepted(spec: str | tuple[str, str], message: str) -> None:
    with pytest.raises(BadRequest, match=message) as caught:
        resolve(spec, D(2024, 3, 31))
    assert caught.value.message.startswith("timeRange: ")


def test_rolling_bounds_are_inclusive() -> None:
    assert resolve("last_1_days", D(2024, 1, 1)).start == D(2023, 12, 31)
    assert resolve("last_3650_days", D(2024, 1, 1)).end == D(2024, 1, 1)


def test_a_day_range_knows_its_last_day() -> None:
    found = DayRange(D(2024, 2, 1), D(2024, 3, 1), "x", ("month", 1))
    assert found.last == D(2024, 2, 29)


def test_zone_names_iana_zones_and_refuses_others() -> None:
    assert zone("Asia/Tokyo").key == "Asia/Tokyo"
    assert zone(None).key == "UTC"
    assert zone(None, default="Europe/Berlin").key == "Europe/Berlin"
    for bad in (
        "Mars/Olympus",
        "utc+2",
        "../etc/passwd",
        "/etc/localtime",
        "Europe",
        "tzdata.zi",
        "posixrules",
        "localtime",
        "Factory",
    ):
        with pytest.raises(BadRequest, match=r"timezone: .* is not an IANA time zone \(e\.g\. UTC"):
            zone(bad)


@pytest.mark.parametrize(
    ("now", "name", "day"),
    [
        (datetime(2024, 3, 31, 23, 30, tzinfo=UTC), "UTC", D(2024, 3, 31)),
        (datetime(2024, 3, 31, 23, 30, tzinfo=UTC), "Asia/Tokyo", D(2024, 4, 1)),
        (datetime(2024, 12, 31, 23, 30, tzinfo=UTC), "Asia/Tokyo", D(2025, 1, 1)),
        (datetime(2024, 1, 1, 3, 0, tzinfo=UTC), "America/Los_Angeles", D(2023, 12, 31)),
        (datetime(2024, 1, 1, 3, 0, tzinfo=UTC), "Europe/Berlin", D(2024, 1, 1)),
        # an instant given in another offset is the same instant
        (datetime(2024, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=9))), "UTC", D(2024, 2, 29)),
        # the night clocks go forward in Berlin (31 March 2024, 01:00 UTC)
        (datetime(2024, 3, 30, 22, 59, tzinfo=UTC), "Europe/Berlin", D(2024, 3, 30)),
        (datetime(2024, 3, 30, 23, 0, tzinfo=UTC), "Europe/Berlin", D(2024, 3, 31)),
    ],
)
def test_today_is_the_day_in_the_time_zone(now: datetime, name: str, day: date) -> None:
    assert today_in(now, zone(name)) == day


def test_today_needs_an_aware_clock() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        today_in(datetime(2024, 1, 1, 12, 0), zone("UTC"))


def test_last_month_in_tokyo_can_differ_from_utc() -> None:
    """At 23:30 UTC on 31 March it is already April in Tokyo: last_month is March there."""
    now = datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
    assert days("last_month", today_in(now, zone("UTC"))) == (D(2024, 2, 1), D(2024, 2, 29))
    assert days("last_month", today_in(now, zone("Asia/Tokyo"))) == (D(2024, 3, 1), D(2024, 3, 31))
