"""Running a rule's query to one number: an analyzer, a semantic query, or lakechat's own
request log. ``None`` means there was nothing to measure (no rows, too few requests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, assert_never

from lakechat.errors import BadRequest
from lakechat.monitor.alerts.rules import (
    AnalyzerQuery,
    AssistantQuery,
    RuleQuery,
    SemanticRuleQuery,
)
from lakechat.monitor.base import SEVERITY_RANK
from lakechat.security.principals import ALL_SCOPES, Principal, Role
from lakechat.settings import Settings
from lakechat.store.database import StateStore

if TYPE_CHECKING:
    from lakechat.monitor.runner import AnalysisRunner
    from lakechat.semantic.registry import ModelRegistry
    from lakechat.warehouse.base import Warehouse

#: who semantic alert queries run as: an admin, so row-level security does not narrow them
SYSTEM = Principal(
    id="alerts", name="lakechat-alerts", kind="local", tenant="default", role=Role.ADMIN,
    scopes=ALL_SCOPES,
)  # fmt: skip


@dataclass(frozen=True)
class Reading:
    """A rule query's value and a sentence saying what it is."""

    value: float | None
    summary: str


class Sources:
    """What rule queries read; the warehouse and models are opened on first use, so rules
    over the request log alone never open the lakehouse."""

    def __init__(
        self,
        settings: Settings,
        store: StateStore,
        *,
        warehouse: Callable[[], Warehouse],
        models: Callable[[], ModelRegistry],
    ) -> None:
        self.settings = settings
        self.store = store
        self._warehouse = warehouse
        self._models = models
        self._runner: AnalysisRunner | None = None

    def warehouse(self) -> Warehouse:
        return self._warehouse()

    def models(self) -> ModelRegistry:
        return self._models()

    def analysis_runner(self) -> AnalysisRunner:
        if self._runner is None:
            from lakechat.monitor.factory import build_runner

            self._runner = build_runner(self.settings, self.warehouse())
        return self._runner


def evaluate(query: RuleQuery, sources: Sources, now: datetime) -> Reading:
    """The value of ``query`` at ``now``; a LakechatError says why it could not be read."""
    if isinstance(query, AnalyzerQuery):
        return _analyzer(query, sources, now)
    if isinstance(query, SemanticRuleQuery):
        return _semantic(query, sources, now)
    if isinstance(query, AssistantQuery):
        return _assistant(query, sources, now)
    assert_never(query)


def _analyzer(query: AnalyzerQuery, sources: Sources, now: datetime) -> Reading:
    from lakechat.monitor.registry import find_workspace, resolve_window, run_analyzer

    runner = sources.analysis_runner()
    workspace = find_workspace(runner, query.workspace) if query.workspace else None
    analysis = run_analyzer(runner, query.analyzer, params=query.params,
                            window=resolve_window(runner, None, now), workspace=workspace)  # fmt: skip
    if query.value == "findings":
        floor = SEVERITY_RANK[query.min_severity]
        counted = [f for f in analysis.findings if SEVERITY_RANK[f.severity] >= floor]
        titles = "; ".join(f.title for f in counted[:3])
        more = f" (and {len(counted) - 3} more)" if len(counted) > 3 else ""
        summary = f"{len(counted)} finding(s) from {query.analyzer}"
        return Reading(float(len(counted)), f"{summary}: {titles}{more}" if counted else summary)
    if query.value not in analysis.columns:
        raise BadRequest(
            f"analyzer {query.analyzer!r} has no column {query.value!r}; its columns: "
            f"{', '.join(analysis.columns) or 'none'}"
        )
    index = analysis.columns.index(query.value)
    values = [row[index] for row in analysis.rows if row[index] is not None]
    label = f"{query.aggregate}({query.value}) of {query.analyzer}"
    if query.aggregate == "count":
        return Reading(float(len(values)), f"{label} = {len(values)}")
    numbers = [_number(v, query.value) for v in values]
    if not numbers:
        return Reading(None, f"{label}: no rows")
    value = _AGGREGATES[query.aggregate](numbers)
    return Reading(value, f"{label} = {value:g}")


_AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "max": max,
    "min": min,
    "sum": lambda xs: float(sum(xs)),
    "avg": lambda xs: sum(xs) / len(xs),
}


def _number(value: Any, column: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadRequest(f"column {column!r} holds {value!r}, not a number") from None


def _semantic(query: SemanticRuleQuery, sources: Sources, now: datetime) -> Reading:
    from lakechat.semantic.service import answer

    result = answer(sources.models(), sources.warehouse(), query.body, SYSTEM, sources.settings,
                    None, now=lambda: now)  # fmt: skip
    where = query.body.dataset
    if result.get("time_range"):
        span = result["time_range"]
        where += f", {span['first_day']} to {span['last_day']}"
    rows = result["rows"]
    raw = rows[0].get(query.output) if rows else None
    if raw is None:
        return Reading(None, f"{query.output} ({where}): no value")
    value = _number(raw, query.output)
    return Reading(value, f"{query.output} = {value:g} ({where})")


def _assistant(query: AssistantQuery, sources: Sources, now: datetime) -> Reading:
    from lakechat.monitor.assistant_stats import window_stats

    stats = window_stats(sources.store, since=now - timedelta(hours=query.hours), until=now)
    span = f"the last {query.hours:g}h"
    requests = int(stats["requests"])
    if requests < query.min_requests:
        return Reading(None, f"{requests} assistant requests in {span}: too few to judge")
    raw = stats[query.metric]
    if raw is None:
        return Reading(None, f"{query.metric}: no value in {span}")
    value = float(raw)
    shown = f"{value:.1%}" if query.metric.endswith("_rate") else f"{value:g}"
    return Reading(
        value,
        f"{query.metric} {shown} over {span} ({requests} requests, {stats['errors']} errors)",
    )
