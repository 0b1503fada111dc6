"""Which messages are health questions, and which domains and analyzers they reach."""

from __future__ import annotations

import pytest

from lakechat.monitor.routing import route


@pytest.mark.parametrize(
    ("message", "domains", "analyzers"),
    [
        ("Why did costs spike yesterday?", ("cost",), ("cost.spend_spike",)),
        ("Which jobs failed today?", ("reliability",), ("reliability.failed_runs_today",)),
        ("Show me slow queries", ("performance",), ("performance.slow_queries",)),
        ("Any security concerns?", ("security",), ()),
        ("which jobs are flaky?", ("reliability",), ("reliability.flaky_jobs",)),
        ("are there any stale tables?", ("data_quality",), ("data_quality.stale_tables",)),
        ("are the cost spike and the job failures related?", ("cost", "reliability"),
         ("cost.spend_spike", "reliability.failed_runs_today")),
    ],
)  # fmt: skip
def test_health_questions(
    message: str, domains: tuple[str, ...], analyzers: tuple[str, ...]
) -> None:
    found = route(message)
    assert found is not None
    assert found.domains == domains and found.analyzers == analyzers


@pytest.mark.parametrize("message", ["Platform health overview", "what should I look at first?"])
def test_overviews_reach_every_domain(message: str) -> None:
    found = route(message)
    assert found is not None and found.everything and len(found.domains) == 5


def test_related_is_noticed() -> None:
    found = route("are the cost spike and the job failures related?")
    assert found is not None and found.relate


@pytest.mark.parametrize(
    "message",
    [
        "What did each workspace spend yesterday?",  # a number: the semantic model's
        "how many queries failed today",
        "why did costs spike in october?",  # another period than the analyzers' windows
        "why did shipping costs spike in 1995?",
        "p95 queue time by warehouse yesterday",  # numbers grouped by something
        "Failed logins by source IP today",
        "which queries failed today?",
        "give me an overview of sales",
        "what is happening with revenue?",
        "list students with the first login after september",
        "how many orders were placed in 1995?",
        "which of those failed most often?",  # a follow-up with nothing before it
    ],
)
def test_data_questions_are_not_health_questions(message: str) -> None:
    assert route(message) is None


@pytest.mark.parametrize(
    ("message", "analyzer"),
    [
        ("which jobs got slower?", "reliability.duration_regressions"),
        ("which tables have too many nulls?", "data_quality.failing_checks"),
    ],
)
def test_an_analyzers_own_words_are_enough(message: str, analyzer: str) -> None:
    found = route(message)
    assert found is not None and found.analyzers == (analyzer,)


@pytest.mark.parametrize(
    "message", ["what needs my attention?", "is there anything I should worry about?"]
)
def test_worries_reach_every_domain(message: str) -> None:
    found = route(message)
    assert found is not None and found.everything


def test_yesterday_moves_a_one_day_analysis_back() -> None:
    found = route("which jobs failed yesterday")
    assert found is not None and found.yesterday
    assert found.analyzers == ("reliability.failed_runs_today",)


def test_a_data_question_after_a_health_answer_stays_a_data_question() -> None:
    assert route("how many orders did they place in 1995?", {"domains": ["reliability"]}) is None


def test_a_follow_up_keeps_the_previous_domains() -> None:
    found = route("which of those failed most often?", {"domains": ["reliability"]})
    assert found is not None and found.follow_up
    assert found.domains == ("reliability",) and found.analyzers == ("reliability.flaky_jobs",)
