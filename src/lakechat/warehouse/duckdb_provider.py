"""The embedded warehouse: DuckDB with one read-only file per catalog.

Every ``<lakehouse>/<catalog>.duckdb`` file is attached read-only under its catalog's name,
so ``samples.tpch.orders`` resolves exactly as on Databricks (``system`` and ``main``, which
DuckDB reserves, through the name mapping in ``duckdb_names``). External access (files,
URLs, extension installs) is switched off and the configuration locked before any user
statement runs, so a statement can neither write nor read outside the lakehouse even if
the SQL guard were bypassed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import duckdb

from lakechat.errors import DependencyUnavailable, QueryFailed, first_line
from lakechat.warehouse.base import QueryResult
from lakechat.warehouse.duckdb_cursor import lock_down, run_statement
from lakechat.warehouse.duckdb_names import attach_alias, from_duckdb, to_duckdb


class DuckDBWarehouse:
    """Embedded DuckDB over the lakehouse folder; each statement gets its own cursor."""

    dialect: ClassVar[str] = "duckdb"
    SUPPORTS_CANCEL: ClassVar[bool] = True  # cursor.interrupt() stops the running statement
    SUPPORTS_THREE_LEVEL_NAMES: ClassVar[bool] = True

    def __init__(
        self, lakehouse_dir: Path, *, max_concurrency: int = 5, threads: int | None = None
    ) -> None:
        self.lakehouse_dir = lakehouse_dir
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._attached: tuple[str, ...] = ()
        self._attached_set: frozenset[str] = frozenset()
        self._stamp: int | None = None
        self._threads = threads
        self._closed = False

    # connection -------------------------------------------------------------------
    def _connection(self) -> duckdb.DuckDBPyConnection:
        """One in-memory database with every catalog file attached; rebuilt when files change.

        The folder is listed again only when its modification time moves (a catalog file
        added, renamed into place or removed), not on every statement. The old database is
        not closed: statements running on it finish on the files they started with, and it
        goes when its last cursor does.
        """
        stamp = self._folder_stamp()
        with self._lock:
            if self._closed:
                raise DependencyUnavailable(
                    "warehouse", "the warehouse is closed (lakechat is stopping)"
                )
            if self._conn is not None and stamp == self._stamp:
                return self._conn
        files = self._catalog_files()
        names = tuple(sorted(files))
        with self._lock:
            if self._conn is None or stamp != self._stamp:
                self._conn = self._open(files)
                self._attached = names
                self._attached_set = frozenset(names)
            self._stamp = stamp
            return self._conn

    def _folder_stamp(self) -> int | None:
        try:
            return self.lakehouse_dir.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _catalog_files(self) -> dict[str, Path]:
        if not self.lakehouse_dir.is_dir():
            return {}
        return {
            path.stem: path
            for path in self.lakehouse_dir.glob("*.duckdb")
            if not path.stem.startswith(".")
        }

    def _open(self, files: dict[str, Path]) -> duckdb.DuckDBPyConnection:
        config: dict[str, Any] = {}
        if self._threads:
            config["threads"] = self._threads
        try:
            conn = duckdb.connect(":memory:", config=config)
            for name, path in sorted(files.items()):
                alias = attach_alias(name).replace('"', '""')
                location = str(path).replace("'", "''")
                conn.execute(f"ATTACH '{location}' AS \"{alias}\" (READ_ONLY)")
            lock_down(conn)
        except duckdb.Error as exc:
            raise DependencyUnavailable("warehouse", f"cannot open the lakehouse: {exc}") from exc
        return conn

    # statements -------------------------------------------------------------------
    def execute(self, sql: str, *, max_rows: int, timeout_seconds: float) -> QueryResult:
        started = time.perf_counter()
        _one_statement(sql)
        return run_statement(
            self._connection,
            self._slots,
            sql,
            max_rows=max_rows,
            timeout_seconds=timeout_seconds,
            started=started,
            translate=_translate,
            rewrite=lambda text: to_duckdb(text, self._attached_set),
        )

    def explain(self, sql: str, *, timeout_seconds: float) -> str:
        result = self.execute(f"EXPLAIN {sql}", max_rows=10_000, timeout_seconds=timeout_seconds)
        return "\n".join(str(row[-1]) for row in result.rows)

    def catalogs(self) -> list[str]:
        return sorted(self._catalog_files())

    def ping(self) -> str:
        self.execute("SELECT 1", max_rows=1, timeout_seconds=5)
        names = self.catalogs()
        return (
            f"duckdb embedded; catalogs: {', '.join(names)}"
            if names
            else "duckdb embedded; no catalogs built yet"
        )

    def close(self) -> None:
        """Stop running statements and refuse new ones."""
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.interrupt()
                self._conn.close()
                self._conn = None
                self._attached = ()
                self._attached_set = frozenset()
                self._stamp = None


def _one_statement(sql: str) -> None:
    """The warehouse's own check, independent of the guard: DuckDB would run every statement."""
    try:
        count = len(duckdb.extract_statements(sql))
    except duckdb.Error as exc:
        raise _translate(exc) from None
    if count != 1:
        raise QueryFailed(f"the warehouse runs exactly one statement at a time ({count} were sent)")


def _translate(exc: duckdb.Error) -> Exception:
    """DuckDB's exceptions in lakechat's tree; the first line of its message is kept."""
    message = from_duckdb(first_line(exc))
    if isinstance(
        exc,
        duckdb.IOException
        | duckdb.ConnectionException
        | duckdb.FatalException
        | duckdb.InternalException,
    ):
        return DependencyUnavailable("warehouse", message)
    return QueryFailed(message)
