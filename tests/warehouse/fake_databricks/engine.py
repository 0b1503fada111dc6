"""The fake warehouse's engine: Databricks SQL, transpiled by sqlglot, run on DuckDB.

Every ``<lakehouse>/<catalog>.duckdb`` file is attached READ_ONLY under its catalog's name
(``main`` and ``system``, which DuckDB reserves, through the embedded warehouse's own name
mapping in ``lakechat.warehouse.duckdb_names``), so ``samples.tpch.nation`` means what it
means on Databricks, and a write fails the way a principal holding only SELECT sees it fail. ``SHOW CATALOGS`` and ``EXPLAIN`` answer in
Databricks' shape (one ``catalog`` column; one ``plan`` row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot.errors import ParseError

from lakechat.warehouse import duckdb_names

SHOW_CATALOGS = re.compile(r"\s*SHOW\s+CATALOGS\s*;?\s*", re.IGNORECASE)
EXPLAIN = re.compile(r"\s*EXPLAIN\s+(?P<statement>.+)", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class EngineResult:
    """A finished statement: (name, DuckDB type) per column, and every row."""

    columns: tuple[tuple[str, str], ...]
    rows: list[tuple[Any, ...]]


class EngineError(Exception):
    """The statement failed; ``message`` is what the warehouse reports to its client."""

    def __init__(self, message: str, sql_state: str) -> None:
        super().__init__(message)
        self.message = message
        self.sql_state = sql_state


class StatementInterrupted(Exception):
    """DuckDB stopped the statement because the operation was cancelled."""


class FakeEngine:
    """One in-memory DuckDB database with the lakehouse's catalog files attached."""

    def __init__(self, lakehouse_dir: Path) -> None:
        self._conn = duckdb.connect(":memory:")
        files = sorted(lakehouse_dir.glob("*.duckdb"))
        self._catalogs = frozenset(path.stem for path in files)
        for path in files:
            alias = duckdb_names.attach_alias(path.stem).replace('"', '""')
            location = str(path).replace("'", "''")
            self._conn.execute(f"ATTACH '{location}' AS \"{alias}\" (READ_ONLY)")
        self._conn.execute("SET TimeZone = 'UTC'")  # Databricks shows instants in UTC
        self._conn.execute("SET enable_external_access = false")
        self._conn.execute("SET lock_configuration = true")

    def catalogs(self) -> list[str]:
        return sorted(self._catalogs)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for one operation, so it can be interrupted alone."""
        return self._conn.cursor()

    def run(
        self, cursor: duckdb.DuckDBPyConnection, statement: str, row_limit: int | None
    ) -> EngineResult:
        if SHOW_CATALOGS.fullmatch(statement):
            return EngineResult((("catalog", "VARCHAR"),), [(name,) for name in self.catalogs()])
        explain = EXPLAIN.fullmatch(statement)
        duck_sql = duckdb_names.to_duckdb(
            to_duckdb(explain["statement"] if explain else statement), self._catalogs
        )
        try:
            cursor.execute(f"EXPLAIN {duck_sql}" if explain else duck_sql)
            if explain:
                plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
                return EngineResult((("plan", "VARCHAR"),), [(plan,)])
            columns = tuple((str(d[0]), str(d[1])) for d in cursor.description or ())
            if not columns:
                return EngineResult((), [])
            rows = cursor.fetchmany(row_limit) if row_limit else cursor.fetchall()
        except duckdb.InterruptException:
            raise StatementInterrupted from None
        except duckdb.Error as exc:
            raise EngineError(duckdb_names.from_duckdb(first_line(str(exc))), "42000") from None
        return EngineResult(columns, [tuple(row) for row in rows])

    def close(self) -> None:
        self._conn.close()


def to_duckdb(statement: str) -> str:
    """One Databricks statement as DuckDB SQL; Spark's parser refuses a second statement."""
    try:
        trees = [tree for tree in sqlglot.parse(statement, read="databricks") if tree is not None]
    except ParseError as exc:
        raise EngineError(f"[PARSE_SYNTAX_ERROR] {first_line(str(exc))}", "42601") from None
    if len(trees) != 1:
        raise EngineError(
            f"[PARSE_SYNTAX_ERROR] Syntax error: expected one statement, got {len(trees)}",
            "42601",
        )
    return trees[0].sql(dialect="duckdb")


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "error"
