"""Every analyzer by name, and running one with checked parameters.

Analyzers register themselves with ``@analyzer(...)`` when their domain module is
imported; ``ANALYZERS`` imports every domain module, so it always holds them all.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import Any

from lakechat.errors import BadRequest, NotFound
from lakechat.monitor.base import (
    DOMAINS,
    Analysis,
    Analyzer,
    Context,
    Domain,
    Param,
    RunFunction,
    Window,
)
from lakechat.monitor.runner import AnalysisRunner

_REGISTERED: dict[str, Analyzer] = {}


def analyzer(
    name: str,
    domain: Domain,
    title: str,
    description: str,
    *,
    tables: tuple[str, ...],
    params: tuple[Param, ...] = (),
    keywords: tuple[str, ...] = (),
    in_overview: bool = True,
    per_day: bool = False,
) -> Callable[[RunFunction], RunFunction]:
    """Register the decorated function as the analyzer ``name``."""

    def register(run: RunFunction) -> RunFunction:
        if name in _REGISTERED:
            raise ValueError(f"analyzer {name!r} is registered twice")
        _REGISTERED[name] = Analyzer(
            name, domain, title, description, tables, run, params, keywords, in_overview, per_day
        )
        return run

    return register


def all_analyzers() -> dict[str, Analyzer]:
    from lakechat.monitor import cost, performance, quality, reliability, security  # noqa: F401

    return dict(_REGISTERED)


def get_analyzer(name: str) -> Analyzer:
    found = all_analyzers()
    if name not in found:
        raise NotFound(f"no analyzer {name!r}; the analyzers are: {', '.join(sorted(found))}")
    return found[name]


def check_domain(domain: str) -> Domain:
    for known in DOMAINS:
        if domain == known:
            return known
    raise BadRequest(f"no health domain {domain!r}; the domains are: {', '.join(DOMAINS)}")


def in_domain(domain: Domain, *, overview_only: bool = False) -> list[Analyzer]:
    return [
        a
        for a in all_analyzers().values()
        if a.domain == domain and (a.in_overview or not overview_only)
    ]


def resolve_window(runner: AnalysisRunner, as_of: dt.date | None, clock: dt.datetime) -> Window:
    """The instant the analyses look back from.

    The end of the as-of day, or now when that is sooner; system tables that already hold
    events later than the clock (a lakehouse generated for a day still under way) move it
    up to their newest event, so "the last 24 hours" means the last 24 hours of data.
    """
    window = Window.at(as_of, clock)
    end = window.today_start + dt.timedelta(days=1)
    if window.now >= end:
        return window
    _, rows = runner.rows(
        "SELECT max(event_time) AS newest FROM system.access.audit "
        "WHERE event_time >= :start AND event_time < :end",
        start=window.today_start,
        end=end,
    )
    newest = rows[0]["newest"] if rows else None
    if isinstance(newest, dt.datetime):
        # Databricks' connector returns instants without a zone: they are UTC
        newest = newest.replace(tzinfo=dt.UTC) if newest.tzinfo is None else newest
        if newest > window.now:
            return Window(window.as_of, min(end, newest.astimezone(dt.UTC)))
    return window


def run_analyzer(
    runner: AnalysisRunner,
    name: str,
    *,
    params: Mapping[str, Any] | None = None,
    window: Window,
    workspace: tuple[str, str] | None = None,
) -> Analysis:
    """Run one analyzer; ``workspace`` is (id, name) to look at one workspace only."""
    spec = get_analyzer(name)
    values = spec.read_params(params)
    context = Context(
        window=window,
        params=values,
        workspace_id=workspace[0] if workspace else None,
        workspace_name=workspace[1] if workspace else None,
        analyzer=spec.name,
        domain=spec.domain,
    )
    started = time.perf_counter()
    outcome = spec.run(runner, context)
    # the first statement is the analysis; later ones look closer at what it found
    last = outcome.statements[0].result if outcome.statements else None
    summary = outcome.summary
    if any(s.result.truncated for s in outcome.statements):
        summary += (
            f" (only the first {runner.max_rows:,} rows of a statement were read; "
            "narrow the window or raise HEALTH_QUERY_MAX_ROWS)"
        )
    return Analysis(
        analyzer=spec.name,
        domain=spec.domain,
        title=spec.title,
        summary=summary,
        params=values,
        sql=tuple(s.source for s in outcome.statements),
        columns=tuple(c.name for c in last.columns) if last else (),
        rows=last.rows if last else (),
        findings=outcome.findings,
        tables=spec.tables,
        chart=outcome.chart,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def find_workspace(runner: AnalysisRunner, given: str) -> tuple[str, str]:
    """A workspace by id or name, as (id, name); NotFound listing the known ones."""
    _, rows = runner.rows(
        "SELECT workspace_id, workspace_name FROM system.access.workspaces_latest "
        "ORDER BY workspace_name"
    )
    wanted = given.strip().lower()
    for row in rows:
        if wanted in (str(row["workspace_id"]).lower(), str(row["workspace_name"]).lower()):
            return str(row["workspace_id"]), str(row["workspace_name"])
    known = ", ".join(str(r["workspace_name"]) for r in rows) or "none"
    raise NotFound(f"no workspace {given!r}; the workspaces are: {known}")
