"""What every DuckDB-backed warehouse shares: the locked-down connection settings, and one
statement run on its own cursor, inside a concurrency slot, interrupted at its timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import duckdb

from lakechat.warehouse.base import Column, QueryResult, cancelled, capped_result, no_free_slot

#: Timestamps are instants shown in UTC (as Databricks shows them); no statement may reach
#: files, URLs or extensions, or change these settings afterwards.
LOCKED_DOWN = (
    "SET TimeZone = 'UTC'",
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET lock_configuration = true",
)


def lock_down(conn: duckdb.DuckDBPyConnection) -> None:
    """Apply ``LOCKED_DOWN``; call it after the catalogs are attached."""
    for setting in LOCKED_DOWN:
        conn.execute(setting)


def run_statement(
    connection: Callable[[], duckdb.DuckDBPyConnection],
    slots: threading.BoundedSemaphore,
    sql: str,
    *,
    max_rows: int,
    timeout_seconds: float,
    started: float,
    translate: Callable[[duckdb.Error], Exception],
    rewrite: Callable[[str], str] = str,
) -> QueryResult:
    """Run ``sql`` within a free slot, cancelling it at the timeout. ``rewrite`` gives the
    text DuckDB runs, once the connection (and what it attached) is current; ``translate``
    maps DuckDB's errors into lakechat's tree."""
    if not slots.acquire(timeout=timeout_seconds):
        raise no_free_slot(timeout_seconds)
    try:
        remaining = max(0.001, timeout_seconds - (time.perf_counter() - started))
        cursor = connection().cursor()
        timer = threading.Timer(remaining, cursor.interrupt)
        timer.start()
        try:
            cursor.execute(rewrite(sql))
            columns = tuple(
                Column(name, str(type_code)) for name, type_code, *_ in (cursor.description or [])
            )
            fetched = cursor.fetchmany(max_rows + 1) if columns else []
        except duckdb.InterruptException:
            raise cancelled(timeout_seconds) from None
        except duckdb.Error as exc:
            raise translate(exc) from None
        finally:
            timer.cancel()
            cursor.close()
    finally:
        slots.release()
    return capped_result(sql, columns, fetched, max_rows, started)
