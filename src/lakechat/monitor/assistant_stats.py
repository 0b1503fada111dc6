"""The assistant's own numbers, read from the request log (its "inference table").

    window_stats(store, since=, until=)   totals over one window (the alerts read this)
    hourly_stats(store, hours=, until=)   one row per clock hour (UTC), empty hours included

Which requests count: **assistant requests**, those that carry a ``plan_type`` or a
``domain`` (the assistant planned or answered them), plus every request to a
question-answering route (``ASSISTANT_ROUTES``), so a question that failed before it had
a plan still counts as the failure it is. Catalog browsing, keys, probes and the
monitor's own routes do not count.

What fails: ``errors`` are the assistant's failures, a 5xx or an answer whose status is
``error`` (a streamed chat answers 200 and reports its failure in the stream). A 4xx is
``rejected``: the caller was refused (bad input, no key, a missing scope, a rate limit),
and counting those as errors would let a client with a wrong key page the operator.
``error_rate`` is errors over every assistant request, rejected ones included (the
``assistant_requests`` model computes it so too); ``success_rate`` is the share of
requests that neither failed nor were rejected. Too few requests make either rate noise:
the built-in alerts judge an hour only from 10 requests (``min_requests``).

Latency percentiles are ``percentile_cont`` (linear interpolation between ranks, the
same as ``statistics.quantiles(..., method="inclusive")``): in SQL where the database
has it, computed here from the fetched latencies where it does not (SQLite).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, and_, case, func, or_, select
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from lakechat.errors import BadRequest
from lakechat.store.database import StateStore
from lakechat.store.models import RequestLogRow

#: Route templates whose every request is a question to the assistant, answered or not.
ASSISTANT_ROUTES: tuple[str, ...] = (
    "/api/chat",
    "/api/chat/stream",
    "/query",
    "/invocations",
    "/v1/query",
    "/api/sql",
)
#: The longest history ``hourly_stats`` reads: 90 days.
MAX_HOURS = 24 * 90
#: The percentile reported as ``p95_latency_ms``.
P95 = 0.95
#: State-store dialects with ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``; on the
#: others the latencies are fetched and the percentile computed in Python.
PERCENTILE_IN_SQL: frozenset[str] = frozenset({"postgresql"})

_LOG = RequestLogRow.__table__.c
_HOUR = timedelta(hours=1)


class _HourOf(FunctionElement[str]):
    """The UTC clock hour a timestamp falls in, as text ``YYYY-MM-DD HH:00:00``."""

    type = String()
    name = "hour_of"
    inherit_cache = True


@compiles(_HourOf)
def _hour_of_unknown(element: _HourOf, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(
        f"the request log's hourly buckets are not written for {compiler.dialect.name}"
    )


@compiles(_HourOf, "sqlite")
def _hour_of_sqlite(element: _HourOf, compiler: SQLCompiler, **kw: Any) -> str:
    # timestamps are stored as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'
    return f"strftime('%Y-%m-%d %H:00:00', {compiler.process(element.clauses, **kw)})"


@compiles(_HourOf, "postgresql")
def _hour_of_postgresql(element: _HourOf, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00:00')"


def is_assistant_request() -> ColumnElement[bool]:
    """The request-log rows that are assistant requests (see the module docstring)."""
    return or_(
        _LOG.plan_type.is_not(None), _LOG.domain.is_not(None), _LOG.route.in_(ASSISTANT_ROUTES)
    )


def is_error() -> ColumnElement[bool]:
    """The assistant failed: a 5xx, or an error answer sent with a 2xx (a stream)."""
    return or_(_LOG.http_status >= 500, and_(_LOG.status == "error", _LOG.http_status < 400))


def is_rejected() -> ColumnElement[bool]:
    """The caller was refused (4xx): bad input, no key, a missing scope, a rate limit."""
    return and_(_LOG.http_status >= 400, _LOG.http_status < 500)


def window_stats(
    store: StateStore, *, since: datetime, until: datetime, tenant: str | None = None
) -> dict[str, Any]:
    """The assistant's requests in ``[since, until)``: counts, rates, latency, confidence;
    one tenant's when ``tenant`` is given, every tenant's otherwise.

    ``error_rate``, ``success_rate`` and the averages are None when there were no requests.
    """
    _check_aware(since, until)
    rows = _aggregate(store, _window(since, until, tenant), by_hour=False)
    return rows.get(None) or _empty()


def hourly_stats(
    store: StateStore, *, hours: int, until: datetime, tenant: str | None = None
) -> list[dict[str, Any]]:
    """One row per UTC clock hour, oldest first, the last one holding ``until``.

    Each row is ``window_stats``' numbers for that hour plus ``hour`` (its start) and
    ``domains`` ({domain: requests}); an hour without requests has zero counts.
    """
    first = hourly_window_start(hours=hours, until=until)
    window = _window(first, until, tenant)
    by_hour = _aggregate(store, window, by_hour=True)
    domains = _domains(store, window)
    result = []
    for index in range(hours):
        start = first + index * _HOUR
        row = by_hour.get(start) or _empty()
        result.append({"hour": start, **row, "domains": domains.get(start, {})})
    return result


def hourly_window_start(*, hours: int, until: datetime) -> datetime:
    """Where ``hours`` clock hours ending with the one holding ``until`` begin.

    BadRequest when ``hours`` is not a whole number from 1 to MAX_HOURS.
    """
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        raise BadRequest(f"hours must be a whole number from 1 to {MAX_HOURS}, not {hours!r}")
    _check_aware(until)
    until = until.astimezone(UTC)
    last = until.replace(minute=0, second=0, microsecond=0)
    if last == until:  # exactly on the hour: the hour that just ended is the last one
        last -= _HOUR
    return last - (hours - 1) * _HOUR


def domain_counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """The domain distribution of several hourly rows, most requests first."""
    total: dict[str, int] = defaultdict(int)
    for row in rows:
        for domain, count in row["domains"].items():
            total[domain] += count
    return _most_first(total)


def _aggregate(
    store: StateStore, window: ColumnElement[bool], *, by_hour: bool
) -> dict[datetime | None, dict[str, Any]]:
    in_sql = store.engine.dialect.name in PERCENTILE_IN_SQL
    hour = _HourOf(_LOG.time).label("hour")
    columns: list[Any] = [
        func.count().label("requests"),
        func.sum(case((is_error(), 1), else_=0)).label("errors"),
        func.sum(case((is_rejected(), 1), else_=0)).label("rejected"),
        func.avg(_LOG.latency_ms).label("avg_latency_ms"),
        func.avg(_LOG.confidence).label("avg_confidence"),
    ]
    if in_sql:
        columns.append(func.percentile_cont(P95).within_group(_LOG.latency_ms).label("p95"))
    query = select(*([hour] if by_hour else []), *columns).where(window)
    if by_hour:
        query = query.group_by(hour)
    with store.connection() as connection:
        found = connection.execute(query).mappings().all()
        latencies = {} if in_sql else _latencies(connection, window, by_hour=by_hour)
    result: dict[datetime | None, dict[str, Any]] = {}
    for row in found:
        key = _hour_key(row["hour"]) if by_hour else None
        p95 = row["p95"] if in_sql else _percentile(latencies.get(key, []), P95)
        if row["requests"]:
            result[key] = _stats(row, p95)
    return result


def _latencies(
    connection: Connection, window: ColumnElement[bool], *, by_hour: bool
) -> dict[datetime | None, list[float]]:
    hour = _HourOf(_LOG.time)
    query = select(*([hour] if by_hour else []), _LOG.latency_ms).where(window)
    grouped: dict[datetime | None, list[float]] = defaultdict(list)
    for row in connection.execute(query):
        grouped[_hour_key(row[0]) if by_hour else None].append(float(row[-1]))
    return grouped


def _domains(store: StateStore, window: ColumnElement[bool]) -> dict[datetime, dict[str, int]]:
    hour = _HourOf(_LOG.time).label("hour")
    query = (
        select(hour, _LOG.domain, func.count().label("requests"))
        .where(window, _LOG.domain.is_not(None))
        .group_by(hour, _LOG.domain)
        .order_by(hour, _LOG.domain)
    )
    result: dict[datetime, dict[str, int]] = defaultdict(dict)
    with store.connection() as connection:
        for row in connection.execute(query):
            result[_hour_key(row.hour)][row.domain] = int(row.requests)
    return {key: _most_first(value) for key, value in result.items()}


def _window(since: datetime, until: datetime, tenant: str | None) -> ColumnElement[bool]:
    window = and_(is_assistant_request(), _LOG.time >= since, _LOG.time < until)
    return window if tenant is None else and_(window, _LOG.tenant == tenant)


def _stats(row: Any, p95: float | None) -> dict[str, Any]:
    requests = int(row["requests"])
    errors = int(row["errors"] or 0)
    rejected = int(row["rejected"] or 0)
    return {
        "requests": requests,
        "errors": errors,
        "rejected": rejected,
        "error_rate": errors / requests,
        "success_rate": (requests - errors - rejected) / requests,
        "avg_latency_ms": _number(row["avg_latency_ms"]),
        "p95_latency_ms": _number(p95),
        "avg_confidence": _number(row["avg_confidence"]),
    }


def _empty() -> dict[str, Any]:
    return {
        "requests": 0,
        "errors": 0,
        "rejected": 0,
        "error_rate": None,
        "success_rate": None,
        "avg_latency_ms": None,
        "p95_latency_ms": None,
        "avg_confidence": None,
    }


def _percentile(values: list[float], fraction: float) -> float | None:
    """``percentile_cont``: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _hour_key(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _check_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None:
            raise ValueError("the request log's times are UTC: pass timezone-aware datetimes")
