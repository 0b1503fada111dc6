"""Running raw SQL: the guard on the exact text, then the warehouse, one path for every surface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    """Every table of every catalog the warehouse can read.

    Until catalog grants decide a principal's allow-list, every caller with ``data:sql``
    may read the whole lakehouse; this is the one place that decision lives.
    """
    return tuple(f"{catalog}.*.*" for catalog in warehouse.catalogs())


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
