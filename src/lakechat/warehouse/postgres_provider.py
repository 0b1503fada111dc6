"""PostgreSQL as a warehouse (psycopg 3, pooled). Extra ``postgres``.

PostgreSQL resolves a three-part name only in the database it is connected to, so this
provider serves one catalog: the database named in its URL (a database called ``samples``
answers ``samples.tpch.orders`` as written). Every statement runs in a READ ONLY
transaction with ``statement_timeout`` set, so the server itself cancels it at the timeout,
and with the time zone UTC, the zone the semantic layer reads stored instants in (whatever
the server's own setting).
"""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

from lakechat.errors import DependencyUnavailable, QueryFailed, first_line
from lakechat.warehouse.base import Column, QueryResult, cancelled, capped_result, no_free_slot


class PostgresWarehouse:
    """A pooled PostgreSQL connection set; each statement in its own read-only transaction."""

    dialect: ClassVar[str] = "postgres"
    SUPPORTS_CANCEL: ClassVar[bool] = True  # statement_timeout cancels on the server
    SUPPORTS_THREE_LEVEL_NAMES: ClassVar[bool] = True  # for the connected database only
    #: Only the connected database can be named as a catalog.
    SINGLE_CATALOG: ClassVar[bool] = True

    def __init__(self, url: str, *, max_concurrency: int = 5, connect_timeout: float = 5.0) -> None:
        from psycopg.conninfo import conninfo_to_dict
        from psycopg_pool import ConnectionPool

        self._database = str(conninfo_to_dict(url).get("dbname") or "")
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._pool = ConnectionPool(
            url,
            min_size=0,
            max_size=max_concurrency,
            kwargs={
                "connect_timeout": max(1, int(connect_timeout)),
                "application_name": "lakechat-warehouse",
            },
            timeout=connect_timeout,
            open=False,
        )
        self._pool.open(wait=False)

    def execute(self, sql: str, *, max_rows: int, timeout_seconds: float) -> QueryResult:
        import psycopg
        from psycopg_pool import PoolTimeout

        started = time.perf_counter()
        if not self._slots.acquire(timeout=timeout_seconds):
            raise no_free_slot(timeout_seconds)
        try:
            with self._pool.connection() as conn:
                conn.read_only = True
                with conn.transaction(), conn.cursor() as cursor:
                    millis = max(1, int(timeout_seconds * 1000))
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, true), "
                        "set_config('TimeZone', 'UTC', true)",
                        [str(millis)],
                    )
                    # the extended protocol (prepare=True) makes the server refuse more than
                    # one statement, so a "COMMIT; ..." can never leave the read-only transaction
                    cursor.execute(sql.encode(), prepare=True)
                    columns = tuple(
                        Column(d.name, _type_name(conn, d.type_code))
                        for d in (cursor.description or [])
                    )
                    fetched = cursor.fetchmany(max_rows + 1) if columns else []
        except psycopg.errors.QueryCanceled:
            raise cancelled(timeout_seconds) from None
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise DependencyUnavailable("warehouse", first_line(exc)) from None
        except psycopg.Error as exc:
            raise QueryFailed(first_line(exc)) from None
        finally:
            self._slots.release()
        return capped_result(sql, columns, fetched, max_rows, started)

    def explain(self, sql: str, *, timeout_seconds: float) -> str:
        result = self.execute(f"EXPLAIN {sql}", max_rows=10_000, timeout_seconds=timeout_seconds)
        return "\n".join(str(row[0]) for row in result.rows)

    def catalogs(self) -> list[str]:
        return [self._database] if self._database else []

    def ping(self) -> str:
        self.execute("SELECT 1", max_rows=1, timeout_seconds=5)
        return f"postgresql; catalog: {self._database}"

    def close(self) -> None:
        self._pool.close()


def _type_name(conn: Any, oid: int) -> str:
    info = conn.adapters.types.get(oid)
    return str(info.name).upper() if info is not None else str(oid)
