"""The Warehouse protocol and the values that cross it.

A warehouse runs one read-only statement with a timeout that cancels the work and a row
cap, and returns typed columns, rows, whether rows were cut, and the elapsed time.
Providers differ through documented capability flags on their class, never through
``if engine == ...`` in shared code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from lakechat.errors import QueryTimeout


@dataclass(frozen=True)
class Column:
    """A result column: its name and the warehouse's type name (``BIGINT``, ``VARCHAR``, ...)."""

    name: str
    type: str


@dataclass(frozen=True)
class QueryResult:
    """What a statement returned, capped at the caller's row limit."""

    sql: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool
    elapsed_ms: float

    @property
    def row_count(self) -> int:
        return len(self.rows)


class Warehouse(Protocol):
    """Runs statements that already passed the SQL guard."""

    #: sqlglot dialect name the SQL guard and compiler write for.
    dialect: ClassVar[str]
    #: The provider cancels a running statement at its timeout (not just stops waiting).
    SUPPORTS_CANCEL: ClassVar[bool]
    #: Three-level names (catalog.schema.table) resolve as on Databricks.
    SUPPORTS_THREE_LEVEL_NAMES: ClassVar[bool]

    def execute(self, sql: str, *, max_rows: int, timeout_seconds: float) -> QueryResult:
        """Run one statement; raises QueryTimeout, QueryFailed or DependencyUnavailable."""
        ...

    def explain(self, sql: str, *, timeout_seconds: float) -> str:
        """The warehouse's plan for a statement, as text."""
        ...

    def catalogs(self) -> list[str]:
        """The catalogs this warehouse can read."""
        ...

    def ping(self) -> str:
        """A one-line status; raises DependencyUnavailable when the warehouse cannot answer."""
        ...

    def close(self) -> None:
        """Release connections; running statements are cancelled."""
        ...


def capped_result(
    sql: str, columns: tuple[Column, ...], fetched: list[Any], max_rows: int, started: float
) -> QueryResult:
    """A result from up to ``max_rows + 1`` fetched rows: the extra row only says "truncated"."""
    rows = tuple(tuple(row) for row in fetched[:max_rows])
    return QueryResult(
        sql, columns, rows, len(fetched) > max_rows, (time.perf_counter() - started) * 1000
    )


def cancelled(timeout_seconds: float) -> Exception:
    """The error every provider raises when its timeout cancelled a statement."""
    return QueryTimeout(
        f"the query ran longer than QUERY_TIMEOUT_SECONDS={timeout_seconds:g} and was cancelled"
    )


def no_free_slot(timeout_seconds: float) -> Exception:
    """The error when WAREHOUSE_MAX_CONCURRENCY statements held every slot past the timeout."""
    return QueryTimeout(
        f"no free warehouse slot within QUERY_TIMEOUT_SECONDS={timeout_seconds:g} "
        "(WAREHOUSE_MAX_CONCURRENCY statements are running)"
    )
