"""A Databricks SQL warehouse as a warehouse (databricks-sql-connector). Extra ``databricks``.

The connector speaks Thrift over HTTPS to ``/sql/1.0/warehouses/<DATABRICKS_WAREHOUSE_ID>``
with DATABRICKS_TOKEN as a bearer token. A connector ``Connection`` must not be used by
two threads at once, so each running statement has a connection to itself: connections
wait in a small pool (at most WAREHOUSE_MAX_CONCURRENCY of them) between statements. At
the timeout a watchdog thread calls ``cursor.cancel()``, which sends CancelOperation, so
the warehouse stops the statement instead of running it to the end for nobody.

Databricks has no read-only session: give lakechat a token whose principal holds only
USE CATALOG, USE SCHEMA and SELECT, so that the warehouse itself refuses writes.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from lakechat.errors import (
    ConfigurationError,
    DependencyUnavailable,
    LakechatError,
    QueryFailed,
    first_line,
)
from lakechat.warehouse.base import Column, QueryResult, cancelled, capped_result, no_free_slot

if TYPE_CHECKING:
    from databricks.sql.client import Connection, Cursor

    from lakechat.settings import Settings

log = logging.getLogger(__name__)

#: One HTTP exchange (a status poll, a page of at most QUERY_MAX_ROWS rows) taking longer
#: means the warehouse is unwell; the connector's own default is 15 minutes.
SOCKET_TIMEOUT_SECONDS = 120.0
#: The connector waits at least this long before it retries a 429 or 503 (a warehouse
#: starting); its default, 60 s, is longer than QUERY_TIMEOUT_SECONDS. 5 is its minimum.
RETRY_DELAY_MAX_SECONDS = 5.0
#: SHOW CATALOGS and the health check's statement give up after this.
METADATA_TIMEOUT_SECONDS = 10.0
#: catalogs() is asked on every guarded statement; the list is read again after this.
CATALOGS_TTL_SECONDS = 60.0
#: How often the watchdog looks for the statement id it must cancel.
CANCEL_POLL_SECONDS = 0.05
WAREHOUSE_ID = re.compile(r"[A-Za-z0-9]+")


class DatabricksWarehouse:
    """A SQL warehouse through databricks-sql-connector; one pooled connection per statement."""

    dialect: ClassVar[str] = "databricks"
    SUPPORTS_CANCEL: ClassVar[bool] = True  # cursor.cancel() sends CancelOperation to the warehouse
    SUPPORTS_THREE_LEVEL_NAMES: ClassVar[bool] = True  # Unity Catalog: catalog.schema.table

    def __init__(
        self,
        host: str,
        token: str,
        warehouse_id: str,
        *,
        max_concurrency: int = 5,
        retry_seconds: float = 30.0,
        ca_file: str | None = None,
    ) -> None:
        """``retry_seconds`` bounds the connector's retries of one request (connection
        errors; 429 and 503 while a warehouse starts); ``ca_file`` is a PEM bundle to trust
        instead of the system's (a private CA in front of the workspace)."""
        self.server_hostname, self.port = _host_and_port(host)
        if not WAREHOUSE_ID.fullmatch(warehouse_id):
            raise ConfigurationError(
                f"DATABRICKS_WAREHOUSE_ID {warehouse_id!r} is not a warehouse id: copy the id "
                "from the SQL warehouse's Connection details (letters and digits)"
            )
        self.warehouse_id = warehouse_id
        self.http_path = f"/sql/1.0/warehouses/{warehouse_id}"
        self._token = token
        self._retry_seconds = max(1.0, retry_seconds)
        self._ca_file = ca_file
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._lock = threading.Lock()
        self._idle: list[Connection] = []
        self._running: dict[Cursor, threading.Event] = {}  # a statement's cursor: its wake-up
        self._closed = False
        self._catalogs: tuple[float, list[str]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DatabricksWarehouse:
        """The warehouse DATABRICKS_HOST, DATABRICKS_TOKEN and DATABRICKS_WAREHOUSE_ID name."""
        token = settings.databricks_token.get_secret_value() if settings.databricks_token else ""
        values = {
            "DATABRICKS_HOST": (settings.databricks_host or "").strip(),
            "DATABRICKS_TOKEN": token.strip(),
            "DATABRICKS_WAREHOUSE_ID": (settings.databricks_warehouse_id or "").strip(),
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ConfigurationError(
                f"WAREHOUSE_URL=databricks needs {', '.join(missing)}: set the workspace URL, "
                "a token, and the id of the SQL warehouse to run statements on"
            )
        try:
            import databricks.sql  # noqa: F401
        except ImportError:
            raise ConfigurationError(
                "WAREHOUSE_URL=databricks needs databricks-sql-connector: "
                "pip install 'lakechat[databricks]'"
            ) from None
        return cls(
            values["DATABRICKS_HOST"],
            values["DATABRICKS_TOKEN"],
            values["DATABRICKS_WAREHOUSE_ID"],
            max_concurrency=settings.warehouse_max_concurrency,
            retry_seconds=settings.query_timeout_seconds,
        )

    # statements -------------------------------------------------------------------
    def execute(self, sql: str, *, max_rows: int, timeout_seconds: float) -> QueryResult:
        started = time.perf_counter()
        if not self._slots.acquire(timeout=timeout_seconds):
            raise no_free_slot(timeout_seconds)
        try:
            deadline = started + timeout_seconds
            try:
                columns, fetched = self._on_a_connection(sql, max_rows, deadline, timeout_seconds)
            except _StaleSession:
                # the warehouse restarted since these sessions were opened: none of them
                # ran the statement, so it is sent once more on a new session
                self._drop_idle()
                try:
                    columns, fetched = self._on_a_connection(
                        sql, max_rows, deadline, timeout_seconds
                    )
                except _StaleSession as exc:
                    raise DependencyUnavailable("warehouse", str(exc)) from None
        finally:
            self._slots.release()
        return capped_result(sql, columns, fetched, max_rows, started)

    def _on_a_connection(
        self, sql: str, max_rows: int, deadline: float, timeout_seconds: float
    ) -> tuple[tuple[Column, ...], list[Any]]:
        conn = self._checkout()
        reusable = False
        try:
            outcome = self._run(conn, sql, max_rows, deadline, timeout_seconds)
            reusable = True
            return outcome
        except LakechatError as exc:
            reusable = not isinstance(exc, DependencyUnavailable)
            raise
        finally:
            self._checkin(conn, reusable)

    def _run(
        self, conn: Connection, sql: str, max_rows: int, deadline: float, timeout_seconds: float
    ) -> tuple[tuple[Column, ...], list[Any]]:
        try:
            # the server stops at max_rows + 1 rows; the extra row only says "truncated"
            cursor = conn.cursor(arraysize=max_rows + 1, row_limit=max_rows + 1)
        except Exception as exc:
            raise self._translate(exc) from None
        done, wake, timed_out = threading.Event(), threading.Event(), threading.Event()
        watchdog = threading.Thread(
            target=_cancel_at_deadline,
            args=(cursor, deadline, done, wake, timed_out),
            name="lakechat-databricks-cancel",
            daemon=True,
        )
        with self._lock:
            self._running[cursor] = wake
        watchdog.start()
        try:
            cursor.execute(sql)
            columns = tuple(_column(entry) for entry in cursor.description or ())
            fetched = cursor.fetchmany(max_rows + 1) if columns else []
        except Exception as exc:
            if timed_out.is_set():
                raise cancelled(timeout_seconds) from None
            if self._closed:
                raise DependencyUnavailable(
                    "warehouse", "the warehouse was closed while the statement ran"
                ) from None
            raise self._translate(exc) from None
        finally:
            done.set()
            wake.set()
            watchdog.join()
            with self._lock:
                self._running.pop(cursor, None)
            _close_quietly(cursor)
        if timed_out.is_set():
            raise cancelled(timeout_seconds)
        return columns, list(fetched)

    def explain(self, sql: str, *, timeout_seconds: float) -> str:
        result = self.execute(f"EXPLAIN {sql}", max_rows=10_000, timeout_seconds=timeout_seconds)
        return "\n".join(str(row[0]) for row in result.rows)

    def catalogs(self) -> list[str]:
        with self._lock:
            cached = self._catalogs
        if cached is not None and time.monotonic() - cached[0] < CATALOGS_TTL_SECONDS:
            return list(cached[1])
        return self._show_catalogs()

    def _show_catalogs(self) -> list[str]:
        result = self.execute(
            "SHOW CATALOGS", max_rows=10_000, timeout_seconds=METADATA_TIMEOUT_SECONDS
        )
        names = sorted(str(row[0]) for row in result.rows)
        with self._lock:
            self._catalogs = (time.monotonic(), names)
        return list(names)

    def ping(self) -> str:
        names = self._show_catalogs()  # a round trip every time, never the cached list
        return (
            f"databricks SQL warehouse {self.warehouse_id} at {self.server_hostname}; "
            f"catalogs: {', '.join(names) or 'none visible to this token'}"
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            running = list(self._running.values())
        for wake in running:
            wake.set()  # its watchdog cancels the statement on the warehouse now
        # CloseSession is retried like any request; the sessions close side by side, and
        # whatever has not closed after METADATA_TIMEOUT_SECONDS the warehouse expires itself
        closers = [
            threading.Thread(target=_close_quietly, args=(conn,), daemon=True) for conn in idle
        ]
        for closer in closers:
            closer.start()
        give_up = time.monotonic() + METADATA_TIMEOUT_SECONDS
        for closer in closers:
            closer.join(max(0.0, give_up - time.monotonic()))

    # connections ------------------------------------------------------------------
    def _checkout(self) -> Connection:
        with self._lock:
            if self._closed:
                raise DependencyUnavailable("warehouse", "the Databricks warehouse was closed")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _checkin(self, conn: Connection, reusable: bool) -> None:
        with self._lock:
            if reusable and not self._closed:
                self._idle.append(conn)
                return
        _close_quietly(conn)

    def _drop_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            _close_quietly(conn)

    def _connect(self) -> Connection:
        from databricks import sql

        try:
            return sql.connect(
                server_hostname=self.server_hostname,
                http_path=self.http_path,
                access_token=self._token,
                user_agent_entry="lakechat",
                # no usage reports from a self-hosted tool, and no cloud-fetch downloads:
                # results are capped at QUERY_MAX_ROWS and come back inline
                enable_telemetry=False,
                use_cloud_fetch=False,
                # instants in UTC, as every other provider answers (hour(), dates, display)
                session_configuration={"TIMEZONE": "UTC"},
                _port=self.port,
                _tls_trusted_ca_file=self._ca_file,
                _retry_stop_after_attempts_duration=self._retry_seconds,
                _retry_delay_max=RETRY_DELAY_MAX_SECONDS,
                _socket_timeout=SOCKET_TIMEOUT_SECONDS,
            )
        except Exception as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: Exception) -> Exception:
        """The connector's exceptions in lakechat's tree; the first line of the message is kept."""
        from databricks.sql import exc as dbx

        message = first_line(exc)
        if isinstance(exc, dbx.RequestError):  # the HTTP exchange itself failed
            context = exc.context if isinstance(exc.context, dict) else {}
            code = context.get("http-code")
            reason = str(context.get("error-message") or "").strip(" :")
            if code in (401, 403):
                return DependencyUnavailable(
                    "warehouse",
                    f"Databricks refused DATABRICKS_TOKEN (HTTP {code} {reason}); "
                    "set a valid token whose principal may use the SQL warehouse",
                )
            if code == 404:
                return DependencyUnavailable(
                    "warehouse",
                    f"{self.server_hostname} has no SQL warehouse {self.warehouse_id} "
                    "(HTTP 404); check DATABRICKS_HOST and DATABRICKS_WAREHOUSE_ID",
                )
            root = _root_cause(exc)
            if isinstance(root, dbx.MaxRetryDurationError):  # 429/503 answers until the end
                return DependencyUnavailable(
                    "warehouse",
                    f"the SQL warehouse {self.warehouse_id} was still starting or busy after "
                    f"{self._retry_seconds:g} s of retries",
                )
            return DependencyUnavailable(
                "warehouse", f"cannot reach {self.server_hostname}:{self.port}: {first_line(root)}"
            )
        if isinstance(exc, dbx.ServerOperationError):  # the statement failed on the warehouse
            return QueryFailed(message)
        if isinstance(exc, dbx.DatabaseError) and "Invalid SessionHandle" in str(exc):
            return _StaleSession(f"the warehouse no longer knows this session: {message}")
        if isinstance(exc, dbx.OperationalError | dbx.InterfaceError):
            return DependencyUnavailable("warehouse", message)
        if isinstance(exc, dbx.DatabaseError):
            return QueryFailed(message)
        return DependencyUnavailable("warehouse", f"{type(exc).__name__}: {message}")


class _StaleSession(Exception):
    """A pooled session the warehouse has forgotten (it restarted or expired the session)."""


def _root_cause(exc: BaseException) -> BaseException:
    """What went wrong underneath the connector's retries ("Connection refused", a TLS error).

    A RequestError carries the failed attempt's exception as its second argument; a retry
    budget running out hides the socket or TLS error in that exception's context chain.
    """
    cause: BaseException = (
        exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], BaseException) else exc
    )
    for _ in range(10):
        inner = cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    return cause


def _cancel_at_deadline(
    cursor: Cursor,
    deadline: float,
    done: threading.Event,
    wake: threading.Event,
    timed_out: threading.Event,
) -> None:
    """At the deadline (or when woken by close()), cancel the statement on the warehouse.

    The statement id the cancel needs exists once the warehouse accepted the statement.
    """
    if not wake.wait(max(0.0, deadline - time.perf_counter())):
        timed_out.set()
    while not done.is_set():
        if cursor.active_command_id is not None:
            _cancel_quietly(cursor)
            return
        done.wait(CANCEL_POLL_SECONDS)


def _cancel_quietly(cursor: Cursor) -> None:
    """Send CancelOperation; a failure is logged, and the statement's own thread reports it."""
    try:
        cursor.cancel()
    except Exception as exc:
        log.warning("cancelling a Databricks statement failed: %s", first_line(exc))


def _close_quietly(resource: Connection | Cursor) -> None:
    """Close a cursor or connection; a failure only means the server has already let go."""
    try:
        resource.close()
    except Exception as exc:
        log.info("closing a Databricks %s failed: %s", type(resource).__name__, first_line(exc))


def _column(entry: tuple[Any, ...]) -> Column:
    """A Column from a DB-API description entry: ("n_name", "string", ..., precision, scale)."""
    name, type_code, _, _, precision, scale, *_ = entry
    type_name = str(type_code).upper()
    if precision is not None and scale is not None:
        type_name += f"({precision},{scale})"
    return Column(str(name), type_name)


def _host_and_port(host: str) -> tuple[str, int]:
    """DATABRICKS_HOST as the connector wants it: a bare host name and the HTTPS port."""
    text = host.strip().rstrip("/")
    parts = urlsplit(text if "://" in text else f"https://{text}")
    try:
        port = parts.port or 443
    except ValueError:
        port = 0
    if parts.scheme != "https" or not parts.hostname or parts.path or not port:
        raise ConfigurationError(
            f"DATABRICKS_HOST {host!r} is not a workspace URL: use "
            "https://<workspace>.cloud.databricks.com (or the host name alone)"
        )
    return parts.hostname, port
