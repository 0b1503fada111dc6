"""Running an analysis's statements: Databricks SQL, written for the warehouse's dialect,
through the SQL guard, then the warehouse.

Every analyzer writes Databricks SQL over ``system.*`` (the names and types Databricks
documents) with ``:name`` markers for its values; the values are bound as sqlglot literals,
then sqlglot writes the statement in the warehouse's dialect (Databricks SQL as it was, on
Databricks). The guard checks the final text against the tables the monitor
may read: the system catalog and the catalogs it watches for data quality.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from lakechat.errors import BadRequest
from lakechat.semantic.dialects import write_sql
from lakechat.sqlguard.guard import GuardPolicy, check
from lakechat.warehouse.base import QueryResult, Warehouse

#: the dialect analyzers are written in
SOURCE_DIALECT = "databricks"


@dataclass(frozen=True)
class Statement:
    """A statement as written (Databricks SQL, its values bound) and as the warehouse ran it."""

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

    def bound(self, sql: str, values: Mapping[str, Any]) -> exp.Expr:
        """``sql`` (Databricks SQL with ``:name`` markers) with each marker replaced by its
        value as a sqlglot literal: values never become SQL text themselves."""
        try:
            tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
        except ParseError as exc:  # an analyzer's own SQL: a bug, said plainly
            raise BadRequest(f"an analysis statement could not be read: {exc}") from exc

        def bind(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Placeholder) and node.name:
                if node.name not in values:
                    raise BadRequest(f"an analysis statement has no value for :{node.name}")
                return exp.convert(_utc(values[node.name]))
            return node

        # so the statement shown is the one a person would write for these values
        return tree.transform(bind).transform(_optional_filter).transform(_without_true)

    def run(self, sql: str, **values: Any) -> Statement:
        tree = self.bound(sql, values)
        # write_sql keeps an exact percentile exact in every dialect (sqlglot alone would
        # write PERCENTILE_CONT ... WITHIN GROUP as Databricks' approximate one)
        written = write_sql(tree.copy(), SOURCE_DIALECT)
        source = sqlglot.transpile(written, read=SOURCE_DIALECT, pretty=True)[0]
        sent = (
            source
            if self.warehouse.dialect == SOURCE_DIALECT
            else write_sql(tree, self.warehouse.dialect)
        )
        verdict = check(sent, GuardPolicy(self.warehouse.dialect, self.allowed, self.max_rows))
        result = self.warehouse.execute(
            verdict.sql, max_rows=self.max_rows, timeout_seconds=self.timeout_seconds
        )
        return Statement(source, verdict.sql, result)

    def rows(self, sql: str, **values: Any) -> tuple[Statement, list[dict[str, Any]]]:
        """Run ``sql`` with ``values`` bound; its rows as dicts keyed by column name."""
        done = self.run(sql, **values)
        names = [c.name for c in done.result.columns]
        return done, [dict(zip(names, row, strict=True)) for row in done.result.rows]


def _optional_filter(node: exp.Expr) -> exp.Expr:
    """``(v IS NULL OR x = v)``, an optional filter, as written for its value: TRUE when
    ``v`` is NULL (not set), else ``x = v``."""
    inner = node.this if isinstance(node, exp.Paren) else node
    if isinstance(inner, exp.Or) and isinstance(inner.this, exp.Is):
        value, null = inner.this.this, inner.this.expression
        if isinstance(null, exp.Null) and isinstance(value, exp.Null | exp.Literal):
            return exp.true() if isinstance(value, exp.Null) else inner.expression
    return node


def _without_true(node: exp.Expr) -> exp.Expr:
    """``a AND TRUE`` is ``a``."""
    if isinstance(node, exp.And):
        left, right = node.left, node.right
        if right == exp.true():
            return left
        if left == exp.true():
            return right
    return node


def _utc(value: Any) -> Any:
    """Instants in UTC, as the system tables keep them."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return value


def identifier(*parts: str) -> str:
    """A dotted name with each part quoted for Databricks SQL."""
    return ".".join(exp.to_identifier(p, quoted=True).sql(SOURCE_DIALECT) for p in parts)
