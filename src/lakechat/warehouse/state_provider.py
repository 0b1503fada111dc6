"""lakechat's own state store as a read-only warehouse: the request log for semantic models.

The request log lives in the state store (SQLite or PostgreSQL), not in the data warehouse,
so models that say ``x-lakechat: {warehouse: state}`` run here, whatever the data
warehouse is. An in-memory DuckDB attaches the state store READ_ONLY through DuckDB's
``sqlite`` or ``postgres`` extension (offline wheels) and shows one view,
``lakechat.state.request_log``: the log's columns without the question, SQL or tables
anyone sent, times as UTC timestamps, and an ``assistant`` flag saying which requests
``lakechat.monitor.assistant_stats`` counts. Statements are written in DuckDB's dialect,
which the compiler already writes (time grains, exact percentiles, time zones), so a
SQLite state store answers the same SQL as a PostgreSQL one.

Like the embedded warehouse, external access and extension loading are switched off and
the configuration locked before any statement runs; beyond the SQL guard, a statement
may name no table but ``lakechat.state.request_log`` (and its own CTEs): DuckDB's catalog
views (``duckdb_databases`` shows each attachment's connection string) stay out of reach.
The state store's URL holds its password, and DuckDB quotes it when PostgreSQL goes away,
so every message this warehouse raises has credentials masked.
"""

from __future__ import annotations

import re
import threading
import time
from typing import ClassVar
from urllib.parse import unquote

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from lakechat.errors import DependencyUnavailable, QueryFailed, first_line
from lakechat.lakehouse.extensions import load_extension
from lakechat.monitor.assistant_stats import ASSISTANT_ROUTES
from lakechat.settings import mask_url, url_password
from lakechat.warehouse.base import QueryResult
from lakechat.warehouse.duckdb_cursor import lock_down, run_statement

#: The catalog and schema the state store's views are named under.
CATALOG = "lakechat"
SCHEMA = "state"
#: Where the state store itself is attached; no statement may name it.
_ATTACHED = "__lakechat_state_store"
#: The one table a statement may read: the view over the request log.
VIEW = (CATALOG, SCHEMA, "request_log")
#: ``user:password@`` in any ``scheme://`` URL within a message
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@\"']*):[^\s@\"']*@")
#: ``password=...`` in a libpq key-value string or a URL's query
_KEYWORD_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'[^']*'|[^\s&\"']+)", re.IGNORECASE)
#: The request log's columns the view shows (question, sql and tables stay private).
REQUEST_LOG_COLUMNS = (
    "request_id", "method", "route", "http_status", "status", "error_code", "latency_ms",
    "principal", "tenant", "plan_type", "domain", "row_count", "tokens_in", "tokens_out",
    "confidence",
)  # fmt: skip


class StateStoreWarehouse:
    """Read-only DuckDB over the state store's request log; one cursor per statement."""

    dialect: ClassVar[str] = "duckdb"
    SUPPORTS_CANCEL: ClassVar[bool] = True  # cursor.interrupt() stops the running statement
    SUPPORTS_THREE_LEVEL_NAMES: ClassVar[bool] = True

    def __init__(self, state_url: str, *, max_concurrency: int = 2) -> None:
        self.state_url = state_url
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._closed = False

    def _connection(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._closed:
                raise DependencyUnavailable("state store warehouse", "lakechat is stopping")
            if self._conn is None:
                self._conn = self._open()
            return self._conn

    def _open(self) -> duckdb.DuckDBPyConnection:
        extension, location, schema = _attachment(self.state_url)
        conn = duckdb.connect(":memory:")
        try:
            load_extension(conn, extension)
            conn.execute(f"ATTACH {_quoted(location)} AS {_ATTACHED} (TYPE {extension}, READ_ONLY)")
            conn.execute(f"ATTACH ':memory:' AS {CATALOG}")
            conn.execute(f"CREATE SCHEMA {CATALOG}.{SCHEMA}")
            conn.execute(request_log_view(f"{_ATTACHED}.{schema}.request_log"))
            lock_down(conn)
        except duckdb.Error as exc:
            conn.close()
            reason = masked(first_line(exc), self.state_url)
            raise DependencyUnavailable("state store warehouse", reason) from None
        except DependencyUnavailable:
            conn.close()
            raise
        return conn

    def execute(self, sql: str, *, max_rows: int, timeout_seconds: float) -> QueryResult:
        started = time.perf_counter()
        _check_names(sql)
        return run_statement(
            self._connection,
            self._slots,
            sql,
            max_rows=max_rows,
            timeout_seconds=timeout_seconds,
            started=started,
            translate=self._translate,
        )

    def _translate(self, exc: duckdb.Error) -> Exception:
        message = masked(first_line(exc), self.state_url).replace(_ATTACHED, "the state store")
        if isinstance(exc, duckdb.IOException | duckdb.ConnectionException | duckdb.FatalException):
            with self._lock:  # reconnect on the next statement (PostgreSQL restarted, say)
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
            return DependencyUnavailable("state store warehouse", message)
        return QueryFailed(message)

    def explain(self, sql: str, *, timeout_seconds: float) -> str:
        result = self.execute(f"EXPLAIN {sql}", max_rows=10_000, timeout_seconds=timeout_seconds)
        return "\n".join(str(row[-1]) for row in result.rows)

    def catalogs(self) -> list[str]:
        return [CATALOG]

    def ping(self) -> str:
        count = exp.select(exp.func("COUNT", exp.Star())).from_(f"{CATALOG}.{SCHEMA}.request_log")
        self.execute(count.sql(dialect="duckdb"), max_rows=1, timeout_seconds=5)
        return f"duckdb over the state store ({_attachment(self.state_url)[0]})"

    def close(self) -> None:
        """Stop running statements and refuse new ones."""
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.interrupt()
                self._conn.close()
                self._conn = None


def request_log_view(table: str) -> str:
    """``CREATE VIEW lakechat.state.request_log`` over the attached ``table``."""
    source = exp.to_table(table)
    assistant = exp.or_(
        exp.column("plan_type").is_(exp.null()).not_(),
        exp.column("domain").is_(exp.null()).not_(),
        exp.column("route").isin(*(exp.Literal.string(r) for r in ASSISTANT_ROUTES)),
    )
    select = exp.select(
        # stored instants are UTC: TIMESTAMP (no zone) under TimeZone = 'UTC', as on SQLite
        exp.alias_(exp.cast(exp.column("time"), "TIMESTAMP"), "time"),
        *(exp.column(name) for name in REQUEST_LOG_COLUMNS),
        exp.alias_(assistant, "assistant"),
    ).from_(source)
    view = exp.to_table(f"{CATALOG}.{SCHEMA}.request_log")
    return f"CREATE VIEW {view.sql(dialect='duckdb')} AS {select.sql(dialect='duckdb')}"


def masked(message: str, state_url: str) -> str:
    """``message`` with the state store's password, and any URL's or ``password=``'s,
    replaced by ***: DuckDB quotes the connection string it could not reach."""
    password = url_password(state_url) or ""
    for form in {password, unquote(password)}:
        if len(form) >= 4:  # a shorter one would mask innocent text; the patterns cover it
            message = message.replace(form, "***")
    message = _URL_PASSWORD.sub(r"\g<head>:***@", message)
    return _KEYWORD_PASSWORD.sub(r"\g<head>***", message)


def _attachment(state_url: str) -> tuple[str, str, str]:
    """(DuckDB extension, what to attach, the schema holding the tables) for a state URL."""
    scheme, _, rest = state_url.partition("://")
    if scheme.split("+")[0] == "sqlite":
        path = rest.removeprefix("/")
        if not path or path == ":memory:":
            raise DependencyUnavailable(
                "state store warehouse", "an in-memory SQLite state store cannot be shared"
            )
        return "sqlite", path, "main"
    if scheme.split("+")[0] in ("postgresql", "postgres"):
        return "postgres", f"postgresql://{rest}", "public"
    raise DependencyUnavailable(
        "state store warehouse",
        f"the state store {mask_url(state_url)!r} is not SQLite or PostgreSQL",
    )


def _check_names(sql: str) -> None:
    """The warehouse's own check, beside the guard: one query (or EXPLAIN of one) reading
    only the request log's view and its own CTEs (the in-memory catalog holding the view
    could otherwise be written, and DuckDB's catalog views show the attachment's URL)."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.SqlglotError:
        raise QueryFailed("the state store warehouse could not read the statement") from None
    if len(statements) != 1:
        raise QueryFailed(
            f"the warehouse runs exactly one statement at a time ({len(statements)} were sent)"
        )
    (statement,) = statements
    if isinstance(statement, exp.Command) and str(statement.this).upper() == "EXPLAIN":
        _check_names(str(statement.expression.name if statement.expression else ""))
        return
    if not isinstance(statement, exp.Query):
        raise QueryFailed("the state store warehouse only runs queries")
    ctes = _cte_references(statement)
    for table in statement.find_all(exp.Table):
        if id(table) in ctes:
            continue
        named = tuple(part.lower() for part in (table.catalog, table.db, table.name))
        if isinstance(table.this, exp.Func) or named != VIEW:
            raise QueryFailed(
                f"the state store warehouse reads only {'.'.join(VIEW)} "
                f"(got {table.sql(dialect='duckdb')})"
            )
    if _ATTACHED in sql.lower():
        raise QueryFailed(f"the state store warehouse reads only {'.'.join(VIEW)}")


def _cte_references(statement: exp.Query) -> set[int]:
    """The ids of the unqualified table names that name a CTE in scope; any other
    unqualified name would reach DuckDB's own catalog (``duckdb_databases``, say)."""
    try:
        scopes = traverse_scope(statement)
    except sqlglot.errors.SqlglotError:
        raise QueryFailed("the state store warehouse could not read the statement") from None
    return {
        id(table)
        for scope in scopes
        for table in scope.tables
        if not (table.catalog or table.db) and table.name in scope.cte_sources
    }


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
