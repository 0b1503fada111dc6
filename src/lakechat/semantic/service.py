"""Answer a semantic query: limits, compile for the warehouse, the SQL guard, run, shape.

The compiled SQL passes the SQL guard like every statement, with the model's own tables
as its allow-list: what a caller may read through a model is the model (and its
row-level security), not their raw-table grants.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlglot
from pydantic_core import to_jsonable_python
from sqlglot import exp

from lakechat.errors import BadRequest, MissingScope
from lakechat.security.principals import Principal, Role
from lakechat.semantic.cache import CacheKey, ResultCache
from lakechat.semantic.compiler import (
    MODEL_DIALECT,
    TIME_FORMATS,
    UTC,
    Access,
    Clock,
    CompiledQuery,
    compile_query,
)
from lakechat.semantic.loader import LoadedModel
from lakechat.semantic.model import MetricView
from lakechat.semantic.query import Filter, FilterGroup, SemanticQuery
from lakechat.semantic.registry import ModelRegistry
from lakechat.semantic.timerange import today_in, zone
from lakechat.settings import Settings
from lakechat.sqlguard.guard import GuardPolicy, check
from lakechat.store.types import utcnow
from lakechat.warehouse.base import Warehouse


def answer(
    registry: ModelRegistry,
    warehouse: Warehouse,
    query: SemanticQuery,
    principal: Principal,
    settings: Settings,
    cache: ResultCache | None = None,
    now: Callable[[], datetime] = utcnow,
) -> dict[str, Any]:
    """The ``/v1/query`` response (JSON-ready) for ``query`` asked by ``principal``;
    relative time ranges count from ``now()`` in the query's time zone."""
    started = time.perf_counter()
    _enforce_limits(query, settings)
    model = registry.get(query.dataset)
    needed = model.view.extras.required_scope
    if needed is not None and not principal.has_scope(needed):
        raise MissingScope(f"dataset {model.id!r} needs the {needed.value} scope")
    warehouse = registry.warehouse_for(model, warehouse)
    if model.view.extras.warehouse is not None:
        cache = None  # lakechat's own state (the request log) changes with every request
    timezone = query.timezone or settings.query_timezone
    clock = Clock(today_in(now(), zone(timezone)), timezone)
    asked = query.model_dump(mode="json", by_alias=True, exclude_none=True)
    if query.time_range is not None:
        asked["_today"] = clock.today.isoformat()  # "last_7_days" means other days tomorrow
    if timezone != UTC:
        asked["_timezone"] = timezone  # hours and days are counted in it
    key = CacheKey(model.digest, principal.tenant, principal.role.value, warehouse.dialect, asked)
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        elapsed = round((time.perf_counter() - started) * 1000, 2)
        return {**cached, "stats": {**cached["stats"], "cached": True, "elapsed_ms": elapsed}}
    result = _run(model, warehouse, query, principal, settings, clock)
    result["stats"]["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 2)
    encoded: dict[str, Any] = to_jsonable_python(result)
    if cache is not None and result["stats"]["row_count"] <= settings.cache_max_rows:
        cache.put(key, encoded)
    return encoded


def _run(
    model: LoadedModel,
    warehouse: Warehouse,
    query: SemanticQuery,
    principal: Principal,
    settings: Settings,
    clock: Clock,
) -> dict[str, Any]:
    access = Access(principal.tenant, principal.role == Role.ADMIN)
    compiled = compile_query(
        model.view, query, dialect=warehouse.dialect, access=access, clock=clock
    )
    warnings: list[str] = []
    max_rows = settings.query_max_rows
    if query.limit is not None and query.limit > max_rows:
        warnings.append(
            f"limit {query.limit} is above QUERY_MAX_ROWS={max_rows}; {max_rows} rows at most"
        )
    verdict = check(
        compiled.sql, GuardPolicy(warehouse.dialect, model_tables(model.view), max_rows)
    )
    result = warehouse.execute(
        verdict.sql, max_rows=max_rows, timeout_seconds=settings.query_timeout_seconds
    )
    truncated = result.truncated or (verdict.limit_applied and result.row_count >= max_rows)
    names = [c.name for c in compiled.columns]
    types = {c.name: c.type for c in result.columns}
    columns = [
        {
            "name": c.name,
            "type": types.get(c.name, "UNKNOWN"),
            "semanticType": _semantic_type(model.view, c.kind, c.field),
            "format": c.format,
            **({"calculation": c.calculation} if c.calculation else {}),
        }
        for c in compiled.columns
    ]
    return {
        "dataset": query.dataset,
        "time_range": _time_range(compiled),
        "columns": columns,
        "rows": [dict(zip(names, map(_plain, row), strict=True)) for row in result.rows],
        "stats": {
            "sql": verdict.sql,
            "row_count": result.row_count,
            "truncated": truncated,
            "cached": False,
            "elapsed_ms": 0.0,
        },
        "warnings": warnings,
    }


def _time_range(compiled: CompiledQuery) -> dict[str, Any] | None:
    """What the query's timeRange resolved to, so "last_month" is never a guess."""
    resolved = compiled.time_range
    if resolved is None:
        return None
    return {
        "dimension": resolved.dimension,
        "range": resolved.label,
        "first_day": resolved.first.isoformat(),
        "last_day": resolved.last.isoformat(),
        "timezone": resolved.timezone,
    }


def model_tables(view: MetricView) -> tuple[str, ...]:
    """The tables a model reads: its source and joins (tables named inside SQL sources too)."""
    found: set[str] = set()
    for text in [view.source, *(join.source for join in view.all_joins())]:
        is_query = text.lstrip("(").split(None, 1)[0].upper() in ("SELECT", "WITH", "VALUES")
        tree = (
            sqlglot.parse_one(text, read=MODEL_DIALECT)
            if is_query
            else exp.to_table(text, dialect=MODEL_DIALECT)
        )
        tables = [tree] if isinstance(tree, exp.Table) else list(tree.find_all(exp.Table))
        for table in tables:
            if table.catalog and table.db:
                found.add(f"{table.catalog}.{table.db}.{table.name}".lower())
    return tuple(sorted(found))


def _semantic_type(view: MetricView, kind: str, field: str) -> str:
    if kind == "metric":
        return "metric"
    dim = view.dimension(field)
    is_time = dim is not None and (
        (dim.format is not None and dim.format.type in TIME_FORMATS)
        or dim.name == view.extras.default_time_dimension
    )
    return "time" if is_time else "dimension"


def _enforce_limits(query: SemanticQuery, settings: Settings) -> None:
    if len(query.dimensions) > settings.query_max_dimensions:
        raise BadRequest(
            f"dimensions: {len(query.dimensions)} asked, QUERY_MAX_DIMENSIONS={settings.query_max_dimensions}"
        )
    if len(query.metrics) > settings.query_max_metrics:
        raise BadRequest(
            f"metrics: {len(query.metrics)} asked, QUERY_MAX_METRICS={settings.query_max_metrics}"
        )
    depth = _depth(query.filters) if query.filters is not None else 0
    if depth > settings.query_max_filter_depth:
        raise BadRequest(
            f"filters: nested {depth} deep, QUERY_MAX_FILTER_DEPTH={settings.query_max_filter_depth}"
        )


def _depth(node: Filter) -> int:
    if not isinstance(node, FilterGroup):
        return 0
    children = list(node.and_ or node.or_ or ()) + ([node.not_] if node.not_ else [])
    return 1 + max((_depth(child) for child in children), default=0)


def _plain(value: Any) -> Any:
    """Numbers as JSON numbers (BI clients chart them), instants and days as ISO text."""
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and abs(value) < 2**53
            else float(value)
        )
    return value
