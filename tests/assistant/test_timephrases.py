"""The time phrases the assistant reads in a question: the ranges, grains and comparisons it
turns into a semantic query, with spans the interpreter blanks out. TPC-H questions are
read on 2 August 1998 (the data's last order date); relative ones on 23 November 2026 (a
Monday)."""

from __future__ import annotations

import itertools
import random
from datetime import date

import pytest

from lakechat.assistant.timephrases import (
    Comparison,
    GrainMention,
    TimeFindings,
    TimeMention,
    UnreadableTime,
    find_times,
)
from lakechat.semantic.timerange import resolve

TPCH = date(1998, 8, 2)
NOW = date(2026, 11, 23)
Y1995 = ("1995-01-01", "1995-12-31")
Y1996 = ("1996-01-01", "1996-12-31")
Span = TimeMention | GrainMention | Comparison | UnreadableTime


def only_mention(question: str, today: date) -> TimeMention:
    found = find_times(question, today)
    assert len(found.mentions) == 1, found
    assert not found.unreadable, found
    return found.mentions[0]


def everything(found: TimeFindings) -> list[Span]:
    return [*found.mentions, *found.grains, *found.comparisons, *found.unreadable]


def assert_well_formed(question: str, found: TimeFindings) -> None:
    """Spans are exact and never overlap; every range resolves in the semantic layer."""
    spans = []
    for item in everything(found):
        assert question[item.start : item.end] == item.text
        assert item.text == item.text.strip()
        spans.append((item.start, item.end))
    spans.sort()
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    mentions = list(found.mentions)
    for c in found.comparisons:
        mentions += [m for m in (c.first, c.second) if m is not None]
        for m in (c.first, c.second):
            if m is not None:
                assert c.start <= m.start and m.end <= c.end
                assert question[m.start : m.end] == m.text
    for m in mentions:
        resolve(m.range, NOW)  # raises BadRequest for a spec the semantic layer can't read


# ---- absolute periods (TPC-H questions) ---------------------------------------------------

ABSOLUTE = [
    ("Top 5 nations by revenue in 1996", "in 1996", Y1996, "in 1996"),
    ("revenue for 1995", "for 1995", Y1995, "in 1995"),
    ("revenue during 1995 by nation", "during 1995", Y1995, "in 1995"),
    ("orders from 1995", "from 1995", Y1995, "in 1995"),
    ("the revenue of 1995", "of 1995", Y1995, "in 1995"),
    ("orders placed within 1995", "within 1995", Y1995, "in 1995"),
    ("revenue   IN   1995 .", "IN   1995", Y1995, "in 1995"),
    ("revenue in the year 1995", "in the year 1995", Y1995, "in 1995"),
    ("revenue fiscal year 1995", "fiscal year 1995", Y1995, "in 1995"),
    ("revenue FY1995", "FY1995", Y1995, "in 1995"),
    ("revenue in calendar year 1996", "in calendar year 1996", Y1996, "in 1996"),
    ("revenue in 2000", "in 2000", ("2000-01-01", "2000-12-31"), "in 2000"),
    ("revenue in 1900", "in 1900", ("1900-01-01", "1900-12-31"), "in 1900"),
    ("revenue in 2099", "in 2099", ("2099-01-01", "2099-12-31"), "in 2099"),
    ("revenue in the 1990s", "in the 1990s", ("1990-01-01", "1999-12-31"), "in the 1990s"),
    # quarters
    ("revenue by quarter in Q3 1996", "in Q3 1996", ("1996-07-01", "1996-09-30"), "in Q3 1996"),
    ("orders in q3 of 1996", "in q3 of 1996", ("1996-07-01", "1996-09-30"), "in Q3 1996"),
    ("orders Q1 1995", "Q1 1995", ("1995-01-01", "1995-03-31"), "in Q1 1995"),
    ("orders in Q4 1995", "in Q4 1995", ("1995-10-01", "1995-12-31"), "in Q4 1995"),
    ("orders in Q3/1996", "in Q3/1996", ("1996-07-01", "1996-09-30"), "in Q3 1996"),
    ("orders in q2-1996", "in q2-1996", ("1996-04-01", "1996-06-30"), "in Q2 1996"),
    ("orders in 1996 Q2", "in 1996 Q2", ("1996-04-01", "1996-06-30"), "in Q2 1996"),
    (
        "revenue in the third quarter of 1996",
        "in the third quarter of 1996",
        ("1996-07-01", "1996-09-30"),
        "in Q3 1996",
    ),
    ("3rd quarter 1996 revenue", "3rd quarter 1996", ("1996-07-01", "1996-09-30"), "in Q3 1996"),
    (
        "the first quarter of 1997",
        "the first quarter of 1997",
        ("1997-01-01", "1997-03-31"),
        "in Q1 1997",
    ),
    (
        "the last quarter of 1996",
        "the last quarter of 1996",
        ("1996-10-01", "1996-12-31"),
        "in Q4 1996",
    ),
    (
        "orders in quarter 2 of 1995",
        "in quarter 2 of 1995",
        ("1995-04-01", "1995-06-30"),
        "in Q2 1995",
    ),
    ("revenue Q3", "Q3", ("1998-07-01", "1998-09-30"), "in Q3 1998"),
    ("revenue in Q4", "in Q4", ("1998-10-01", "1998-12-31"), "in Q4 1998"),
    (
        "revenue in the second quarter",
        "in the second quarter",
        ("1998-04-01", "1998-06-30"),
        "in Q2 1998",
    ),
    # halves
    ("revenue in H1 1996", "in H1 1996", ("1996-01-01", "1996-06-30"), "in the first half of 1996"),
    (
        "revenue in the second half of 1995",
        "in the second half of 1995",
        ("1995-07-01", "1995-12-31"),
        "in the second half of 1995",
    ),
    # months
    (
        "How many orders were placed in March 1997?",
        "in March 1997",
        ("1997-03-01", "1997-03-31"),
        "in March 1997",
    ),
    ("orders in Mar 1997", "in Mar 1997", ("1997-03-01", "1997-03-31"), "in March 1997"),
    ("orders in Sept. 1996", "in Sept. 1996", ("1996-09-01", "1996-09-30"), "in September 1996"),
    ("orders in march of 1997", "in march of 1997", ("1997-03-01", "1997-03-31"), "in March 1997"),
    ("orders for may 1995", "for may 1995", ("1995-05-01", "1995-05-31"), "in May 1995"),
    ("orders 1997-03", "1997-03", ("1997-03-01", "1997-03-31"), "in March 1997"),
    ("orders in 1997/12", "in 1997/12", ("1997-12-01", "1997-12-31"), "in December 1997"),
    (
        "orders in month 3 of 1996",
        "in month 3 of 1996",
        ("1996-03-01", "1996-03-31"),
        "in March 1996",
    ),
    (
        "revenue in February 1996",
        "in February 1996",
        ("1996-02-01", "1996-02-29"),
        "in February 1996",
    ),
    (
        "revenue in February 1997",
        "in February 1997",
        ("1997-02-01", "1997-02-28"),
        "in February 1997",
    ),
    (
        "revenue in February 2000",
        "in February 2000",
        ("2000-02-01", "2000-02-29"),
        "in February 2000",
    ),
    (
        "revenue in February 1900",
        "in February 1900",
        ("1900-02-01", "1900-02-28"),
        "in February 1900",
    ),
    (
        "revenue in December 1996",
        "in December 1996",
        ("1996-12-01", "1996-12-31"),
        "in December 1996",
    ),
    # a month alone: the latest one begun (today is 2 August 1998)
    ("orders in March", "in March", ("1998-03-01", "1998-03-31"), "in March 1998"),
    ("orders in August", "in August", ("1998-08-01", "1998-08-31"), "in August 1998"),
    ("orders in September", "in September", ("1997-09-01", "1997-09-30"), "in September 1997"),
    ("orders in may", "in may", ("1998-05-01", "1998-05-31"), "in May 1998"),
    # days
    ("orders on 1995-03-15", "on 1995-03-15", ("1995-03-15", "1995-03-15"), "on March 15, 1995"),
    (
        "orders on March 15, 1995",
        "on March 15, 1995",
        ("1995-03-15", "1995-03-15"),
        "on March 15, 1995",
    ),
    ("March 15 1995 orders", "March 15 1995", ("1995-03-15", "1995-03-15"), "on March 15, 1995"),
    (
        "March 15th, 1995 orders",
        "March 15th, 1995",
        ("1995-03-15", "1995-03-15"),
        "on March 15, 1995",
    ),
    (
        "orders on 15 March 1995",
        "on 15 March 1995",
        ("1995-03-15", "1995-03-15"),
        "on March 15, 1995",
    ),
    (
        "the 15th of March, 1995",
        "the 15th of March, 1995",
        ("1995-03-15", "1995-03-15"),
        "on March 15, 1995",
    ),
    ("orders on 3/15/1995", "on 3/15/1995", ("1995-03-15", "1995-03-15"), "on March 15, 1995"),
    ("orders on 03/05/1995", "on 03/05/1995", ("1995-03-05", "1995-03-05"), "on March 5, 1995"),
    ("orders on 15/3/1995", "on 15/3/1995", ("1995-03-15", "1995-03-15"), "on March 15, 1995"),
    ("orders on 15.03.1995", "on 15.03.1995", ("1995-03-15", "1995-03-15"), "on March 15, 1995"),
    (
        "orders on February 29, 1996",
        "on February 29, 1996",
        ("1996-02-29", "1996-02-29"),
        "on February 29, 1996",
    ),
    ("orders on 2000-02-29", "on 2000-02-29", ("2000-02-29", "2000-02-29"), "on February 29, 2000"),
    ("orders on 1998-12-31", "on 1998-12-31", ("1998-12-31", "1998-12-31"), "on December 31, 1998"),
    ("orders on March 15", "on March 15", ("1998-03-15", "1998-03-15"), "on March 15, 1998"),
    (
        "orders on the 2nd of August",
        "on the 2nd of August",
        ("1998-08-02", "1998-08-02"),
        "on August 2, 1998",
    ),
    ("orders on August 3", "on August 3", ("1997-08-03", "1997-08-03"), "on August 3, 1997"),
    # weeks
    (
        "orders in the week of 1995-03-13",
        "in the week of 1995-03-13",
        ("1995-03-13", "1995-03-19"),
        "in the week of March 13, 1995",
    ),
    (
        "orders the week of March 15, 1995",
        "the week of March 15, 1995",
        ("1995-03-13", "1995-03-19"),
        "in the week of March 15, 1995",
    ),
    # closed ranges
    (
        "revenue shipped between 1994 and 1996",
        "between 1994 and 1996",
        ("1994-01-01", "1996-12-31"),
        "between 1994 and 1996",
    ),
    (
        "between 1996 and 1994",
        "between 1996 and 1994",
        ("1994-01-01", "1996-12-31"),
        "between 1994 and 1996",
    ),
    (
        "revenue from 1994 to 1996",
        "from 1994 to 1996",
        ("1994-01-01", "1996-12-31"),
        "from 1994 to 1996",
    ),
    (
        "revenue from 1994 through 1996",
        "from 1994 through 1996",
        ("1994-01-01", "1996-12-31"),
        "from 1994 to 1996",
    ),
    ("revenue 1994-1996", "1994-1996", ("1994-01-01", "1996-12-31"), "from 1994 to 1996"),
    ("revenue in 1994-1996?", "in 1994-1996", ("1994-01-01", "1996-12-31"), "from 1994 to 1996"),
    (
        "revenue 1994 \u2013 1996",
        "1994 \u2013 1996",
        ("1994-01-01", "1996-12-31"),
        "from 1994 to 1996",
    ),
    ("revenue 1994 to 1996", "1994 to 1996", ("1994-01-01", "1996-12-31"), "from 1994 to 1996"),
    (
        "orders from March to June 1995",
        "from March to June 1995",
        ("1995-03-01", "1995-06-30"),
        "from March to June 1995",
    ),
    (
        "orders Jan-Mar 1995",
        "Jan-Mar 1995",
        ("1995-01-01", "1995-03-31"),
        "from January to March 1995",
    ),
    (
        "orders from November to February 1996",
        "from November to February 1996",
        ("1995-11-01", "1996-02-29"),
        "from November 1995 to February 1996",
    ),
    (
        "orders from June 1995 to March",
        "from June 1995 to March",
        ("1995-06-01", "1996-03-31"),
        "from June 1995 to March 1996",
    ),
    (
        "revenue between Q1 and Q3 1995",
        "between Q1 and Q3 1995",
        ("1995-01-01", "1995-09-30"),
        "between Q1 and Q3 1995",
    ),
    (
        "orders from March 3 to March 10, 1995",
        "from March 3 to March 10, 1995",
        ("1995-03-03", "1995-03-10"),
        "from March 3 to March 10, 1995",
    ),
    (
        "orders from 3/1/1995 through 3/31/1995",
        "from 3/1/1995 through 3/31/1995",
        ("1995-03-01", "1995-03-31"),
        "from March 1 to March 31, 1995",
    ),
    (
        "orders from March to June",
        "from March to June",
        ("1998-03-01", "1998-06-30"),
        "from March to June 1998",
    ),
    (
        "orders from 1994 to Q2 1996",
        "from 1994 to Q2 1996",
        ("1994-01-01", "1996-06-30"),
        "from 1994 to Q2 1996",
    ),
]


@pytest.mark.parametrize(
    ("question", "text", "spec", "label"), ABSOLUTE, ids=[q[0] for q in ABSOLUTE]
)
def test_absolute_periods_and_ranges(
    question: str, text: str, spec: tuple[str, str], label: str
) -> None:
    mention = only_mention(question, TPCH)
    assert (mention.text, mention.range, mention.label) == (text, spec, label)
    assert not mention.open_ended
    assert_well_formed(question, find_times(question, TPCH))


OPEN_ENDED = [
    (
        "monthly revenue since June 1995",
        "since June 1995",
        ("1995-06-01", "1998-08-02"),
        "since June 1995",
    ),
    ("orders since 1995", "since 1995", ("1995-01-01", "1998-08-02"), "since 1995"),
    ("orders after 1995", "after 1995", ("1996-01-01", "1998-08-02"), "after 1995"),
    (
        "orders after March 1997",
        "after March 1997",
        ("1997-04-01", "1998-08-02"),
        "after March 1997",
    ),
    ("orders before 1993", "before 1993", ("1900-01-01", "1992-12-31"), "before 1993"),
    (
        "orders before March 15, 1995",
        "before March 15, 1995",
        ("1900-01-01", "1995-03-14"),
        "before March 15, 1995",
    ),
    ("orders prior to 1993", "prior to 1993", ("1900-01-01", "1992-12-31"), "before 1993"),
    ("orders until 1995", "until 1995", ("1900-01-01", "1995-12-31"), "through 1995"),
    ("orders up to 1995", "up to 1995", ("1900-01-01", "1995-12-31"), "through 1995"),
    ("orders through Q2 1995", "through Q2 1995", ("1900-01-01", "1995-06-30"), "through Q2 1995"),
    (
        "orders till March 1995",
        "till March 1995",
        ("1900-01-01", "1995-03-31"),
        "through March 1995",
    ),
    ("orders starting in 1997", "starting in 1997", ("1997-01-01", "1998-08-02"), "since 1997"),
    ("orders from 1995 onwards", "from 1995 onwards", ("1995-01-01", "1998-08-02"), "since 1995"),
    ("orders 1996 and later", "1996 and later", ("1996-01-01", "1998-08-02"), "since 1996"),
    ("orders placed since March", "since March", ("1998-03-01", "1998-08-02"), "since March 1998"),
    (
        "orders since last month",
        "since last month",
        ("1998-07-01", "1998-08-02"),
        "since last month",
    ),
    (
        "orders before last year",
        "before last year",
        ("1900-01-01", "1996-12-31"),
        "before last year",
    ),
]


@pytest.mark.parametrize(
    ("question", "text", "spec", "label"), OPEN_ENDED, ids=[q[0] for q in OPEN_ENDED]
)
def test_open_ended_ranges(question: str, text: str, spec: tuple[str, str], label: str) -> None:
    mention = only_mention(question, TPCH)
    assert (mention.text, mention.range, mention.label) == (text, spec, label)
    assert mention.open_ended
    assert_well_formed(question, find_times(question, TPCH))


# ---- relative periods ---------------------------------------------------------------------

RELATIVE = [
    ("revenue today", "today", "today", "today"),
    ("failed jobs yesterday", "yesterday", "yesterday", "yesterday"),
    ("cost this week", "this week", "this_week", "this week"),
    ("cost this month", "this month", "this_month", "this month"),
    ("cost in this quarter", "in this quarter", "this_quarter", "this quarter"),
    ("cost this year", "this year", "this_year", "this year"),
    ("cost the current month", "the current month", "this_month", "this month"),
    ("cost last week", "last week", "last_week", "last week"),
    ("cost last month", "last month", "last_month", "last month"),
    ("cost last quarter", "last quarter", "last_quarter", "last quarter"),
    ("cost last year", "last year", "last_year", "last year"),
    ("cost during last year", "during last year", "last_year", "last year"),
    ("cost in the previous quarter", "in the previous quarter", "last_quarter", "last quarter"),
    ("cost prior year", "prior year", "last_year", "last year"),
    ("cost in the last 30 days", "in the last 30 days", "last_30_days", "in the last 30 days"),
    ("cost last 30 days", "last 30 days", "last_30_days", "in the last 30 days"),
    ("cost past 7 days", "past 7 days", "last_7_days", "in the last 7 days"),
    ("cost previous 3 months", "previous 3 months", "last_3_months", "in the last 3 months"),
    ("cost the last two weeks", "the last two weeks", "last_2_weeks", "in the last 2 weeks"),
    (
        "cost over the past six months",
        "over the past six months",
        "last_6_months",
        "in the last 6 months",
    ),
    (
        "cost for the last twelve months",
        "for the last twelve months",
        "last_12_months",
        "in the last 12 months",
    ),
    (
        "cost in the last 12 months",
        "in the last 12 months",
        "last_12_months",
        "in the last 12 months",
    ),
    (
        "cost trailing 4 quarters",
        "trailing 4 quarters",
        "last_4_quarters",
        "in the last 4 quarters",
    ),
    ("cost within the last 1 day", "within the last 1 day", "last_1_days", "in the last day"),
    ("cost in the last 2 years", "in the last 2 years", "last_2_years", "in the last 2 years"),
    ("cost in the last year", "in the last year", "last_12_months", "in the last 12 months"),
    ("cost past year", "past year", "last_12_months", "in the last 12 months"),
    ("cost over the past year", "over the past year", "last_12_months", "in the last 12 months"),
    ("cost in the past week", "in the past week", "last_7_days", "in the last 7 days"),
    ("cost in the past month", "in the past month", "last_1_months", "in the last month"),
    ("cost in the past quarter", "in the past quarter", "last_3_months", "in the last 3 months"),
    ("cost year to date", "year to date", "ytd", "year to date"),
    ("cost year-to-date", "year-to-date", "ytd", "year to date"),
    ("cost YTD", "YTD", "ytd", "year to date"),
    ("cost mtd", "mtd", "mtd", "month to date"),
    ("cost month to date", "month to date", "mtd", "month to date"),
    ("cost quarter to date", "quarter to date", "qtd", "quarter to date"),
    ("cost week to date", "week to date", "wtd", "week to date"),
    ("cost so far this year", "so far this year", "ytd", "year to date"),
    ("cost this month so far", "this month so far", "mtd", "month to date"),
    ("cost since the start of the year", "since the start of the year", "ytd", "year to date"),
    # hours: the whole days that cover them
    (
        "cost in the last 24 hours",
        "in the last 24 hours",
        ("2026-11-22", "2026-11-23"),
        "since yesterday",
    ),
    ("cost in the past hour", "in the past hour", ("2026-11-22", "2026-11-23"), "since yesterday"),
    (
        "cost last 48 hours",
        "last 48 hours",
        ("2026-11-21", "2026-11-23"),
        "since November 21, 2026",
    ),
    (
        "cost last 25 hours",
        "last 25 hours",
        ("2026-11-21", "2026-11-23"),
        "since November 21, 2026",
    ),
    # relative months and quarters alone (today is 23 November 2026)
    ("cost in December", "in December", ("2025-12-01", "2025-12-31"), "in December 2025"),
    ("cost in November", "in November", ("2026-11-01", "2026-11-30"), "in November 2026"),
    ("cost in Q4", "in Q4", ("2026-10-01", "2026-12-31"), "in Q4 2026"),
    ("cost in February", "in February", ("2026-02-01", "2026-02-28"), "in February 2026"),
]


@pytest.mark.parametrize(
    ("question", "text", "spec", "label"), RELATIVE, ids=[q[0] for q in RELATIVE]
)
def test_relative_periods(
    question: str, text: str, spec: str | tuple[str, str], label: str
) -> None:
    mention = only_mention(question, NOW)
    assert (mention.text, mention.range, mention.label) == (text, spec, label)
    assert_well_formed(question, find_times(question, NOW))


def test_last_year_is_the_calendar_year_and_the_last_year_is_rolling() -> None:
    calendar_year = resolve(only_mention("cost last year", NOW).range, NOW)
    rolling_year = resolve(only_mention("cost in the last year", NOW).range, NOW)
    assert (calendar_year.start, calendar_year.last) == (date(2025, 1, 1), date(2025, 12, 31))
    assert (rolling_year.start, rolling_year.last) == (date(2025, 11, 23), date(2026, 11, 22))


# ---- verbs --------------------------------------------------------------------------------

VERBS = [
    ("How many orders were placed in March 1997?", "placed"),
    ("revenue shipped between 1994 and 1996", "shipped"),
    ("parts Shipped in 1995", "shipped"),
    ("lineitems received after 1995", "received"),
    ("orders committed before 1993", "committed"),
    ("items delivered since June 1995", "delivered"),
    ("tables created last month", "created"),
    ("jobs that ran yesterday", "ran"),
    ("orders ordered in Q3 1996", "ordered"),
    ("tokens used over the last 3 years", "used"),
    ("orders placed, in 1995", "placed"),
    ("revenue in 1995", None),
    ("orders shipped late in 1995", None),
    ("top 5 nations by revenue in 1996", None),
    ("hundred orders in 1995", None),
    ("speed in 1995", None),
]


@pytest.mark.parametrize(("question", "verb"), VERBS, ids=[q[0] for q in VERBS])
def test_the_verb_before_a_mention(question: str, verb: str | None) -> None:
    today = NOW if "last" in question or "yesterday" in question else TPCH
    assert only_mention(question, today).verb == verb


# ---- grains -------------------------------------------------------------------------------

GRAINS = [
    ("monthly revenue since June 1995", [("monthly", "month")]),
    ("revenue by quarter in Q3 1996", [("by quarter", "quarter")]),
    ("revenue per year", [("per year", "year")]),
    ("orders each month", [("each month", "month")]),
    ("orders for every week", [("for every week", "week")]),
    ("orders month by month", [("month by month", "month")]),
    ("orders year-by-year", [("year-by-year", "year")]),
    ("daily revenue", [("daily", "day")]),
    ("weekly orders", [("weekly", "week")]),
    ("yearly revenue", [("yearly", "year")]),
    ("revenue annually", [("annually", "year")]),
    ("annual revenue", [("annual", "year")]),
    ("hourly cost", [("hourly", "hour")]),
    ("cost by hour", [("by hour", "hour")]),
    ("quarterly revenue", [("quarterly", "quarter")]),
    ("revenue by date", [("by date", "day")]),
    ("revenue broken down by month", [("broken down by month", "month")]),
    ("orders per day over the years", [("per day", "day"), ("over the years", "year")]),
    ("revenue in the last 7 days by day", [("by day", "day")]),
    ("orders by hour of day", []),
    ("bi-weekly orders", []),
    ("revenue over time", []),
    ("revenue trend", []),
    ("revenue by nation", []),
]


@pytest.mark.parametrize(("question", "grains"), GRAINS, ids=[q[0] for q in GRAINS])
def test_grains(question: str, grains: list[tuple[str, str]]) -> None:
    found = find_times(question, NOW)
    assert [(g.text, g.grain) for g in found.grains] == grains
    assert_well_formed(question, found)


# ---- comparisons --------------------------------------------------------------------------

Q1_1996 = ("1996-01-01", "1996-03-31")
Q2_1996 = ("1996-04-01", "1996-06-30")
COMPARISONS: list[tuple[str, str, str, str | None, object, object]] = [
    ("year over year", "year over year", "growth", "year", None, None),
    ("revenue year-over-year", "year-over-year", "growth", "year", None, None),
    ("revenue year on year", "year on year", "growth", "year", None, None),
    ("revenue YoY", "YoY", "growth", "year", None, None),
    ("revenue YoY growth", "YoY growth", "growth", "year", None, None),
    ("revenue y/y", "y/y", "growth", "year", None, None),
    ("revenue month-over-month", "month-over-month", "growth", "month", None, None),
    ("revenue MoM", "MoM", "growth", "month", None, None),
    ("revenue QoQ", "QoQ", "growth", "quarter", None, None),
    ("revenue quarter over quarter", "quarter over quarter", "growth", "quarter", None, None),
    ("orders week over week", "week over week", "growth", "week", None, None),
    ("orders w/w", "w/w", "growth", "week", None, None),
    (
        "revenue compared to the previous year",
        "compared to the previous year",
        "previous_period",
        "year",
        None,
        None,
    ),
    (
        "revenue compared with last year",
        "compared with last year",
        "previous_period",
        "year",
        None,
        None,
    ),
    ("revenue vs the prior month", "vs the prior month", "previous_period", "month", None, None),
    ("revenue vs. last quarter", "vs. last quarter", "previous_period", "quarter", None, None),
    (
        "revenue versus the previous period",
        "versus the previous period",
        "previous_period",
        None,
        None,
        None,
    ),
    ("revenue higher than a year ago", "than a year ago", "previous_period", "year", None, None),
    (
        "revenue vs the same period last year",
        "vs the same period last year",
        "previous_period",
        "year",
        None,
        None,
    ),
    (
        "revenue relative to the preceding month",
        "relative to the preceding month",
        "previous_period",
        "month",
        None,
        None,
    ),
    ("revenue growth vs last year", "growth vs last year", "growth", "year", None, None),
    (
        "revenue growth by nation compared to last year",
        "compared to last year",
        "growth",
        "year",
        None,
        None,
    ),
    ("revenue increase over last year", "increase over last year", "growth", "year", None, None),
    ("growth from 1995 to 1996", "growth from 1995 to 1996", "growth", "year", Y1995, Y1996),
    (
        "how did revenue change from 1995 to 1996",
        "change from 1995 to 1996",
        "growth",
        "year",
        Y1995,
        Y1996,
    ),
    (
        "revenue growth by nation from 1995 to 1996",
        "from 1995 to 1996",
        "growth",
        "year",
        Y1995,
        Y1996,
    ),
    ("revenue 1996 vs 1995", "1996 vs 1995", "growth", "year", Y1995, Y1996),
    ("revenue in 1995 versus 1996", "in 1995 versus 1996", "growth", "year", Y1995, Y1996),
    (
        "revenue in 1996 compared to 1995",
        "in 1996 compared to 1995",
        "growth",
        "year",
        Y1995,
        Y1996,
    ),
    ("compare 1995 with 1996", "compare 1995 with 1996", "growth", "year", Y1995, Y1996),
    ("compare 1995 and 1996", "compare 1995 and 1996", "growth", "year", Y1995, Y1996),
    ("compare revenue in 1995 and 1996", "in 1995 and 1996", "growth", "year", Y1995, Y1996),
    (
        "difference between Q1 and Q2 1996",
        "difference between Q1 and Q2 1996",
        "growth",
        "quarter",
        Q1_1996,
        Q2_1996,
    ),
    ("revenue in Q1 vs Q2 1996", "in Q1 vs Q2 1996", "growth", "quarter", Q1_1996, Q2_1996),
    (
        "march 1997 vs march 1996",
        "march 1997 vs march 1996",
        "growth",
        "month",
        ("1996-03-01", "1996-03-31"),
        ("1997-03-01", "1997-03-31"),
    ),
    ("change since 1995", "change since 1995", "growth", "year", Y1995, None),
    ("how has revenue grown since 1995", "grown since 1995", "growth", "year", Y1995, None),
    ("revenue growth compared to 1995", "growth compared to 1995", "growth", "year", Y1995, None),
    (
        "revenue this year vs last year",
        "this year vs last year",
        "growth",
        "year",
        "last_year",
        "this_year",
    ),
]


@pytest.mark.parametrize(
    ("question", "text", "kind", "grain", "first", "second"),
    COMPARISONS,
    ids=[q[0] for q in COMPARISONS],
)
def test_comparisons(
    question: str, text: str, kind: str, grain: str | None, first: object, second: object
) -> None:
    found = find_times(question, TPCH)
    assert len(found.comparisons) == 1, found
    c = found.comparisons[0]
    assert (c.text, c.kind, c.grain) == (text, kind, grain)
    assert (c.first.range if c.first else None) == first
    assert (c.second.range if c.second else None) == second
    assert not found.mentions  # a comparison's periods are not repeated as mentions
    assert_well_formed(question, found)


def test_a_comparison_keeps_the_range_it_compares() -> None:
    found = find_times("revenue in 1996 compared to the previous year", TPCH)
    assert [m.text for m in found.mentions] == ["in 1996"]
    assert [(c.text, c.kind, c.grain) for c in found.comparisons] == [
        ("compared to the previous year", "previous_period", "year")
    ]


def test_from_to_keeps_the_written_order_in_a_comparison() -> None:
    (c,) = find_times("growth from 1996 to 1995", TPCH).comparisons
    assert isinstance(c, Comparison) and c.first and c.second
    assert (c.first.text, c.second.text) == ("1996", "1995")


def test_a_growth_word_in_another_sentence_does_not_make_a_comparison() -> None:
    found = find_times("Show growth. Revenue from 1994 to 1996", TPCH)
    assert not found.comparisons
    assert [m.range for m in found.mentions] == [("1994-01-01", "1996-12-31")]


# ---- several mentions, overlaps and spans ---------------------------------------------------


def test_a_list_of_years_is_one_mention_each() -> None:
    found = find_times("revenue in 1995, 1996 and 1997", TPCH)
    assert [(m.text, m.range) for m in found.mentions] == [
        ("in 1995", Y1995),
        ("1996", Y1996),
        ("and 1997", ("1997-01-01", "1997-12-31")),
    ]


def test_several_findings_in_one_question() -> None:
    question = (
        "monthly revenue of orders shipped between 1994 and 1996 vs the prior year, by nation"
    )
    found = find_times(question, TPCH)
    assert [(m.text, m.verb) for m in found.mentions] == [("between 1994 and 1996", "shipped")]
    assert [g.text for g in found.grains] == ["monthly"]
    assert [c.text for c in found.comparisons] == ["vs the prior year"]
    assert_well_formed(question, found)


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("between 1994 and 1996", "between 1994 and 1996"),
        ("in the last 3 years", "in the last 3 years"),
        ("the last quarter of 1996", "the last quarter of 1996"),
        ("on March 15, 1995", "on March 15, 1995"),
        ("from March to June 1995", "from March to June 1995"),
    ],
)
def test_the_longest_phrase_wins(question: str, text: str) -> None:
    found = find_times(question, NOW)
    assert [m.text for m in found.mentions] == [text]
    assert not found.grains and not found.comparisons


def test_blanking_the_spans_leaves_the_rest_of_the_question() -> None:
    question = "How many orders were placed in March 1997 by week?"
    found = find_times(question, TPCH)
    spans = sorted((x.start, x.end) for x in everything(found))
    kept, last = [], 0
    for start, end in spans:
        kept.append(question[last:start])
        last = end
    kept.append(question[last:])
    assert " ".join("".join(kept).split()) == "How many orders were placed ?"


# ---- not time phrases ---------------------------------------------------------------------

NEGATIVES = [
    "top 5 nations by revenue",
    "customers with more than 1000 orders",
    "parts of size 15",
    "order 1995 items",
    "How many 1995 orders are there",
    "a total of 1995 orders",
    "the number of 2000 parts",
    "quantity from 1000 to 2000 units",
    "price between 1000 and 2000",
    "over 2000 orders",
    "order key 19950",
    "revenue of $1995",
    "1,995 orders",
    "a discount of 1995.5",
    "in 1899",
    "in 2100",
    "May I see revenue by nation?",
    "march revenue",
    "q5",
    "wow revenue is high",
    "the last day of the month",
    "past due orders",
    "last order date by customer",
    "h2o levels",
]


@pytest.mark.parametrize("question", NEGATIVES)
def test_counts_sizes_and_words_are_not_times(question: str) -> None:
    assert find_times(question, TPCH) == TimeFindings((), (), (), ())


def test_mom_is_month_over_month_even_in_lower_case() -> None:
    # matching is case-insensitive, so "mom and pop" reads as MoM: a known ambiguity
    assert [c.grain for c in find_times("mom and pop stores", TPCH).comparisons] == ["month"]


# ---- unreadable dates ---------------------------------------------------------------------

UNREADABLE = [
    ("orders on February 30, 1995", "on February 30, 1995", "February 1995 has 28 days, not 30"),
    ("orders on February 29, 1995", "on February 29, 1995", "February 1995 has 28 days, not 29"),
    ("orders on 1900-02-29", "on 1900-02-29", "February 1900 has 28 days, not 29"),
    ("orders on April 31 1996", "on April 31 1996", "April 1996 has 30 days, not 31"),
    ("orders on March 0, 1996", "on March 0, 1996", "March 1996 has 31 days, not 0"),
    ("revenue in Q5 1996", "in Q5 1996", "there is no Q5"),
    ("revenue Q0 1996", "Q0 1996", "there is no Q0"),
    ("revenue in H3 1996", "in H3 1996", "there is no H3"),
    ("orders in 1997-13", "in 1997-13", "there is no month 13"),
    ("orders in month 13", "in month 13", "there is no month 13"),
    ("orders on 13/15/1995", "on 13/15/1995", "there is no month 13"),
    ("orders on 1995-13-01", "on 1995-13-01", "there is no month 13"),
    ("orders since 2030", "since 2030", "starts after today"),
    ("orders after 1998", "after 1998", "starts after today"),
    ("orders before 1900", "before 1900", "ends before 1900"),
    ("cost in the last 0 days", "in the last 0 days", "count 1 to 3650"),
    ("cost in the last 5000 days", "in the last 5000 days", "count 1 to 3650"),
    ("cost in the past 200 years", "in the past 200 years", "reach back before 1900"),
    ("growth from 1995 to Q5 1996", "growth from 1995 to Q5 1996", "there is no Q5"),
]


@pytest.mark.parametrize(("question", "text", "reason"), UNREADABLE, ids=[q[0] for q in UNREADABLE])
def test_impossible_dates_are_unreadable_not_mentions(
    question: str, text: str, reason: str
) -> None:
    found = find_times(question, TPCH)
    assert not found.mentions and not found.comparisons
    assert [u.text for u in found.unreadable] == [text]
    assert reason in found.unreadable[0].reason
    assert_well_formed(question, found)


# ---- month and leap-year edges --------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "today", "spec"),
    [
        ("orders in March", date(1998, 3, 1), ("1998-03-01", "1998-03-31")),
        ("orders in March", date(1998, 2, 28), ("1997-03-01", "1997-03-31")),
        ("orders in January", date(1998, 1, 1), ("1998-01-01", "1998-01-31")),
        ("orders in December", date(1998, 1, 1), ("1997-12-01", "1997-12-31")),
        ("orders on March 2", date(1998, 3, 1), ("1997-03-02", "1997-03-02")),
        ("orders on March 1", date(1998, 3, 1), ("1998-03-01", "1998-03-01")),
        ("orders on February 29", date(2024, 3, 1), ("2024-02-29", "2024-02-29")),
        ("orders in February", date(2024, 3, 1), ("2024-02-01", "2024-02-29")),
        ("orders from December to January", date(1998, 8, 2), ("1997-12-01", "1998-01-31")),
        ("orders between Q4 and Q1 1996", date(1998, 8, 2), ("1995-10-01", "1996-03-31")),
    ],
)
def test_month_and_leap_year_edges(question: str, today: date, spec: tuple[str, str]) -> None:
    assert only_mention(question, today).range == spec


def test_a_yearless_leap_day_in_a_common_year_is_unreadable() -> None:
    found = find_times("orders on February 29", date(2026, 11, 23))
    assert not found.mentions
    assert found.unreadable[0].reason == "February 2026 has 28 days, not 29"


def test_open_ended_ranges_run_to_today() -> None:
    for today in (TPCH, NOW):
        mention = only_mention("revenue since June 1995", today)
        assert mention.range == ("1995-06-01", today.isoformat())
        days = resolve(mention.range, today)
        assert days.last == today


_WORDS = (
    "in", "on", "for", "from", "to", "between", "and", "or", "since", "after", "before",
    "until", "the", "last", "past", "previous", "this", "1995", "1996", "2000", "1000", "5",
    "30", "Q3", "q5", "H1", "March", "may", "Feb", "29", "15th", "of", ",", ".", "-", "/",
    "1995-03", "1995-03-15", "3/15/1995", "days", "weeks", "months", "quarter", "year",
    "hours", "by", "per", "monthly", "vs", "compared", "with", "growth", "change", "yoy",
    "week", "ago", "same", "period", "to", "date", "so", "far", "ytd", "onwards", "later",
    "1990s", "FY",
)  # fmt: skip


@pytest.mark.parametrize("today", [TPCH, NOW, date(2024, 2, 29)])
def test_any_jumble_of_time_words_reads_without_errors(today: date) -> None:
    rnd = random.Random(1995)
    for _ in range(400):
        question = " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(1, 9)))
        assert_well_formed(question, find_times(question, today))
