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
        "which jobs failed yesterday",  # another period than the analyzer's window
        "p95 queue time by warehouse yesterday",
        "how many orders were placed in 1995?",
        "which of those failed most often?",  # a follow-up with nothing before it
    ],
)
def test_data_questions_are_not_health_questions(message: str) -> None:
    assert route(message) is None


def test_a_follow_up_keeps_the_previous_domains() -> None:
    found = route("which of those failed most often?", {"domains": ["reliability"]})
    assert found is not None and found.follow_up
    assert found.domains == ("reliability",) and found.analyzers == ("reliability.flaky_jobs",)
