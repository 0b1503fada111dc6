"""Running an analysis's statements: Databricks SQL, written for the warehouse's dialect,
through the SQL guard, then the warehouse.

Every analyzer writes Databricks SQL over ``system.*`` (the names and types Databricks
documents), so on Databricks it runs as written; on another warehouse sqlglot writes it in
that warehouse's dialect. The guard checks the final text against the tables the monitor
may read: the system catalog and the catalogs it watches for data quality.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from lakechat.errors import BadRequest
from lakechat.sqlguard.guard import GuardPolicy, check
from lakechat.warehouse.base import QueryResult, Warehouse

#: the dialect analyzers are written in
SOURCE_DIALECT = "databricks"


@dataclass(frozen=True)
class Statement:
    """A statement as written (Databricks SQL) and as the warehouse ran it."""

    source: str
    sent: str
    result: QueryResult


class AnalysisRunner:
    """Runs analyzers' statements on one warehouse with one allow-list, row cap and timeout."""

    def __init__(
        self,
        warehouse: Warehouse,
        *,
        watched_catalogs: Sequence[str] = (),
        max_rows: int = 10_000,
        timeout_seconds: float = 120.0,
    ) -> None:
        self.warehouse = warehouse
        self.watched_catalogs = tuple(watched_catalogs)
        self.allowed = (
            "system.*.*",
            "system.information_schema.*",
            *(f"{c}.*.*" for c in self.watched_catalogs),
        )
        self.max_rows = max_rows
        self.timeout_seconds = timeout_seconds

    def written(self, sql: str) -> str:
        """``sql`` (Databricks SQL) as the warehouse's dialect writes it."""
        if self.warehouse.dialect == SOURCE_DIALECT:
            return sql
        try:
            (text,) = sqlglot.transpile(sql, read=SOURCE_DIALECT, write=self.warehouse.dialect)
        except ParseError as exc:  # an analyzer's own SQL: a bug, said plainly
            raise BadRequest(f"an analysis statement could not be read: {exc}") from exc
        return text

    def run(self, sql: str) -> Statement:
        sent = self.written(sql)
        verdict = check(sent, GuardPolicy(self.warehouse.dialect, self.allowed, self.max_rows))
        result = self.warehouse.execute(
            verdict.sql, max_rows=self.max_rows, timeout_seconds=self.timeout_seconds
        )
        return Statement(sql, verdict.sql, result)

    def rows(self, sql: str) -> tuple[Statement, list[dict[str, Any]]]:
        """Run ``sql``; its rows as dicts keyed by column name."""
        done = self.run(sql)
        names = [c.name for c in done.result.columns]
        return done, [dict(zip(names, row, strict=True)) for row in done.result.rows]


def literal(value: Any) -> str:
    """``value`` as a Databricks SQL literal (user values never become SQL text themselves)."""
    if isinstance(value, dt.datetime):
        stamp = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        return f"TIMESTAMP '{stamp}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return exp.Literal.number(value).sql(SOURCE_DIALECT)
    return exp.Literal.string(str(value)).sql(SOURCE_DIALECT)


def identifier(*parts: str) -> str:
    """A dotted name with each part quoted for Databricks SQL."""
    return ".".join(exp.to_identifier(p, quoted=True).sql(SOURCE_DIALECT) for p in parts)
