"""Running raw SQL: the guard on the exact text, then the warehouse, one path for every surface."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lakechat.errors import FeatureDisabled
from lakechat.security.principals import Principal
from lakechat.settings import Settings
from lakechat.sqlguard.guard import GuardPolicy, GuardVerdict, check
from lakechat.warehouse.base import QueryResult, Warehouse


@dataclass(frozen=True)
class SqlRunResult:
    """A guarded statement's result in the shape the API and CLI return."""

    verdict: GuardVerdict
    result: QueryResult
    truncated: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "columns": [{"name": c.name, "type": c.type} for c in self.result.columns],
            "rows": [list(row) for row in self.result.rows],
            "row_count": self.result.row_count,
            "truncated": self.truncated,
            "sql": self.verdict.sql,
            "elapsed_ms": round(self.result.elapsed_ms, 2),
        }


def lakehouse_allow_list(warehouse: Warehouse) -> tuple[str, ...]:
    """Every table of every catalog the warehouse can read, and Databricks' governed
    metadata in ``system.information_schema`` when there is a ``system`` catalog: what the
    operator at the terminal (``lakechat sql``) may read.
    """
    catalogs = warehouse.catalogs()
    patterns = [f"{catalog}.*.*" for catalog in catalogs]
    if "system" in catalogs:
        patterns.append("system.information_schema.*")
    return tuple(patterns)


def principal_allow_list(
    principal: Principal, table_access: Mapping[str, list[str]], granted: Sequence[str] = ()
) -> tuple[str, ...]:
    """The table patterns a caller may read: its role's, each of its groups', then what
    catalog grants give it (``granted``)."""
    keys = [principal.role.value, *(f"group:{group}" for group in sorted(principal.groups))]
    patterns = [p for key in keys for p in table_access.get(key, ())]
    return tuple(dict.fromkeys([*patterns, *granted]))


def run_sql(
    warehouse: Warehouse,
    sql: str,
    *,
    allowed_tables: tuple[str, ...],
    max_rows: int,
    timeout_seconds: float,
) -> SqlRunResult:
    """Guard ``sql`` and run exactly the text the guard let through."""
    verdict = check(sql, GuardPolicy(warehouse.dialect, allowed_tables, max_rows))
    result = warehouse.execute(verdict.sql, max_rows=max_rows, timeout_seconds=timeout_seconds)
    # a LIMIT the guard brought down to QUERY_MAX_ROWS and that came back full was cut too
    truncated = result.truncated or (verdict.limit_applied and result.row_count >= max_rows)
    return SqlRunResult(verdict, result, truncated)


def run_for(
    principal: Principal,
    warehouse: Warehouse,
    sql: str,
    settings: Settings,
    granted: Sequence[str] = (),
) -> SqlRunResult:
    """``sql`` as ``principal`` may run it: raw SQL switched on, their tables only (their
    role's and groups' TABLE_ACCESS and the catalog's ``granted`` tables), and the row cap
    and timeout the settings give (POST /api/sql and the assistant's SqlRun)."""
    if not settings.feature_sql_execution:
        raise FeatureDisabled("raw SQL is turned off here (FEATURE_SQL_EXECUTION=false)")
    return run_sql(
        warehouse,
        sql,
        allowed_tables=principal_allow_list(principal, settings.table_access, granted),
        max_rows=settings.query_max_rows,
        timeout_seconds=settings.query_timeout_seconds,
    )
