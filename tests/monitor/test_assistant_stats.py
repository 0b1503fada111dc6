"""The assistant's own numbers from the request log, on SQLite and PostgreSQL: which requests
count, errors against rejections, exact p95 (as statistics.quantiles computes it), hourly
rows with the empty hours, domains, and one tenant's view."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from lakechat.errors import BadRequest
from lakechat.monitor.assistant_stats import (
    MAX_HOURS,
    domain_counts,
    hourly_stats,
    hourly_window_start,
    window_stats,
)
from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.store.migrate import upgrade
from lakechat.store.request_log import RequestLogEntry, RequestLogWriter

UNTIL = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
#: minutes before UNTIL, latency (ms), http status, status, domain, confidence
ROWS: list[tuple[int, float, int, str, str | None, float | None]] = [
    (5, 120.0, 200, "answered", "cost", 0.9),
    (10, 80.0, 200, "answered", "cost", 0.7),
    (20, 300.0, 200, "clarify", "data", None),
    (40, 950.0, 500, "error", None, None),  # the assistant failed
    (50, 60.0, 200, "error", "data", 0.0),  # an error answer sent with 200 (a stream)
    (70, 45.0, 429, "error", None, None),  # rate-limited: rejected, not an error
    (80, 410.0, 200, "answered", "reliability", 0.8),
    (95, 15.0, 200, "answered", "cost", 0.95),
    (130, 700.0, 200, "answered", "data", 0.6),
]


def entry(
    minutes: float,
    latency: float,
    http_status: int = 200,
    status: str = "answered",
    domain: str | None = None,
    confidence: float | None = None,
    *,
    route: str = "/api/chat",
    plan_type: str | None = "SemanticQuery",
    tenant: str = "acme",
) -> RequestLogEntry:
    return RequestLogEntry(
        request_id=f"r-{minutes}-{route}",
        time=UNTIL - timedelta(minutes=minutes),
        method="POST",
        route=route,
        http_status=http_status,
        status=status,
        latency_ms=latency,
        principal="analyst",
        tenant=tenant,
        plan_type=plan_type,
        domain=domain,
        confidence=confidence,
    )


def write(store: StateStore, entries: list[RequestLogEntry]) -> None:
    writer = RequestLogWriter(store, flush_seconds=60, buffer_max=10_000)
    for item in entries:
        writer.submit(item)
    assert writer.flush() == len(entries)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[StateStore]:
    url = settings.state_url
    if request.param == "postgresql":
        url = "postgresql+psycopg://" + request.getfixturevalue("postgres_url").split("://", 1)[1]
    found = StateStore(url)
    upgrade(found)
    yield found
    found.dispose()


@pytest.fixture
def logged(store: StateStore) -> StateStore:
    noise = [
        # not assistant requests: browsing the catalog, a probe-like ping
        entry(3, 5000.0, route="/api/catalogs", plan_type=None),
        entry(4, 5000.0, 500, "error", route="/api/keys", plan_type=None),
        # an assistant route that failed before it had a plan still counts (as an error)
        entry(6, 30.0, 503, "error", route="/api/chat/stream", plan_type=None),
        # outside the window
        entry(-1, 9999.0),
        entry(60 * 30, 9999.0),
    ]
    write(store, [entry(*row) for row in ROWS] + noise)
    return store


def test_window_counts_assistant_requests_errors_and_rejections(logged: StateStore) -> None:
    stats = window_stats(logged, since=UNTIL - timedelta(hours=3), until=UNTIL)
    latencies = [row[1] for row in ROWS] + [30.0]
    assert stats["requests"] == 10
    assert stats["errors"] == 3  # the 500, the error answer and the failed stream
    assert stats["rejected"] == 1
    assert stats["error_rate"] == pytest.approx(3 / 10)
    assert stats["success_rate"] == pytest.approx(6 / 10)
    assert stats["avg_latency_ms"] == pytest.approx(statistics.fmean(latencies))
    expected_p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18]
    assert stats["p95_latency_ms"] == pytest.approx(expected_p95)
    confidences = [row[5] for row in ROWS if row[5] is not None]
    assert stats["avg_confidence"] == pytest.approx(statistics.fmean(confidences))


def test_an_empty_window_has_zero_counts_and_no_rates(logged: StateStore) -> None:
    stats = window_stats(logged, since=UNTIL + timedelta(hours=1), until=UNTIL + timedelta(hours=2))
    assert stats["requests"] == 0 and stats["errors"] == 0
    assert stats["error_rate"] is None and stats["p95_latency_ms"] is None


def test_hourly_rows_cover_every_hour_and_add_up_to_the_window(logged: StateStore) -> None:
    hourly = hourly_stats(logged, hours=4, until=UNTIL)
    assert [row["hour"] for row in hourly] == [
        datetime(2026, 3, 2, hour, tzinfo=UTC) for hour in (9, 10, 11, 12)
    ]
    assert [row["requests"] for row in hourly] == [0, 2, 4, 4]
    assert hourly[0]["p95_latency_ms"] is None and hourly[0]["domains"] == {}
    last_hour = [5.0, 10.0, 20.0, 6.0]  # 12:00-12:30: minutes before 12:30
    latencies = [r[1] for r in ROWS if r[0] in last_hour] + [30.0]
    assert hourly[3]["p95_latency_ms"] == pytest.approx(
        statistics.quantiles(latencies, n=20, method="inclusive")[18]
    )
    assert hourly[3]["domains"] == {"cost": 2, "data": 1}
    assert hourly[2]["errors"] == 2 and hourly[2]["rejected"] == 1
    since = hourly_window_start(hours=4, until=UNTIL)
    totals = window_stats(logged, since=since, until=UNTIL)
    assert sum(row["requests"] for row in hourly) == totals["requests"]
    assert domain_counts(hourly) == {"cost": 3, "data": 3, "reliability": 1}


def test_one_request_hour_has_its_own_latency_as_p95(store: StateStore) -> None:
    write(store, [entry(5, 42.5)])
    (row,) = hourly_stats(store, hours=1, until=UNTIL)
    assert row["requests"] == 1 and row["p95_latency_ms"] == pytest.approx(42.5)


def test_a_tenant_sees_only_its_own_requests(store: StateStore) -> None:
    write(store, [entry(5, 10.0), entry(6, 20.0, tenant="globex"), entry(7, 30.0)])
    since = UNTIL - timedelta(hours=1)
    assert window_stats(store, since=since, until=UNTIL)["requests"] == 3
    mine = window_stats(store, since=since, until=UNTIL, tenant="acme")
    assert mine["requests"] == 2 and mine["avg_latency_ms"] == pytest.approx(20.0)
    hourly = hourly_stats(store, hours=1, until=UNTIL, tenant="globex")
    assert [row["requests"] for row in hourly] == [1]


def test_hours_end_with_the_hour_holding_until() -> None:
    assert hourly_window_start(hours=1, until=UNTIL) == datetime(2026, 3, 2, 12, tzinfo=UTC)
    on_the_hour = datetime(2026, 3, 2, 12, tzinfo=UTC)
    # exactly on the hour: the hour that just ended is the last one
    assert hourly_window_start(hours=2, until=on_the_hour) == datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize("hours", [0, -3, MAX_HOURS + 1, True, 2.5])
def test_hours_out_of_range_are_refused(hours: object) -> None:
    with pytest.raises(BadRequest, match="hours must be a whole number from 1 to 2160"):
        hourly_window_start(hours=hours, until=UNTIL)  # type: ignore[arg-type]


def test_naive_times_are_refused(migrated: StateStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        window_stats(migrated, since=datetime(2026, 3, 2), until=datetime(2026, 3, 3))
