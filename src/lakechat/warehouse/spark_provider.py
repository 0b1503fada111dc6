"""Spark as a warehouse (pyspark): Spark Connect at SPARK_REMOTE, else local mode. Extra ``spark``.

Local mode serves the embedded lakehouse. Spark ships no catalog plugin that could hold
``samples.tpch`` (the only one it loads by name, ``JDBCTableCatalog``, needs a JDBC database)
and its session catalog has one namespace level, so three-level names cannot resolve as
written. Each table of each ``<lakehouse>/<catalog>.duckdb`` is exported once to parquet
under ``<lakehouse>/.spark/<catalog>/<version>/<schema>/<table>/`` (version: the file's mtime
and size) and registered as an external table of the Spark database ``<catalog>__<schema>``;
each ``catalog.schema`` prefix naming a lakehouse catalog is replaced by that database in the
statement's text (nothing else changes) and mapped back in Spark's messages. Through Spark
Connect statements go as written. Spark has no read-only session, so the provider itself
runs only what it parsed as exactly one query.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import sqlglot
from sqlglot import exp

from lakechat.errors import (
    ConfigurationError,
    DependencyUnavailable,
    LakechatError,
    QueryFailed,
    first_line,
)
from lakechat.warehouse.base import Column, QueryResult, cancelled, capped_result, no_free_slot
from lakechat.warehouse.duckdb_names import STORED_INFORMATION_SCHEMA as STORED_INFO_SCHEMA

if TYPE_CHECKING:
    from lakechat.settings import Settings

log = logging.getLogger(__name__)

#: The folder beside the catalog files with the parquet export and Spark's own warehouse.
MIRROR_FOLDER = ".spark"
#: Functions that call Java methods by name: a way out of a read-only warehouse.
JAVA_CALLS = frozenset({"reflect", "java_method", "try_reflect"})
#: DuckDB types Spark's parquet reader cannot read (or would round): exported as text.
_AS_TEXT = frozenset({"UUID", "INTERVAL", "TIME", "TIME_NS", "TIMETZ", "TIME WITH TIME ZONE"})
_AS_TEXT |= {"BIT", "VARINT", "BIGNUM", "JSON", "HUGEINT", "UHUGEINT"}
_VENDOR_MODULES = ("pyspark", "py4j", "grpc")
_UNREACHABLE = frozenset({"UNAVAILABLE", "UNAUTHENTICATED", "DEADLINE_EXCEEDED"})


class SparkWarehouse:
    """A Spark session; each statement runs under its own tag, cancelled at the timeout."""

    dialect: ClassVar[str] = "spark"
    #: Local mode cancels the statement's job tag, Spark Connect interrupts its operation tag.
    SUPPORTS_CANCEL: ClassVar[bool] = True
    #: Local mode through the name rewrite below; Spark Connect through the server's catalogs.
    SUPPORTS_THREE_LEVEL_NAMES: ClassVar[bool] = True
    #: Local mode sends ``catalog.schema.table`` as ```catalog__schema`.table`` (only the
    #: name changes in the text) and shows Spark's messages with the names the user wrote.
    REWRITES_THREE_LEVEL_NAMES: ClassVar[bool] = True
    #: Spark has no read-only mode: the provider itself refuses all but one query.
    REFUSES_NON_QUERIES_ITSELF: ClassVar[bool] = True

    def __init__(
        self,
        session: Any,
        *,
        lakehouse_dir: Path | None = None,
        max_concurrency: int = 5,
        owns_session: bool = True,
        label: str = "spark local",
    ) -> None:
        """``lakehouse_dir``: mirror those catalog files into a local session (None for Spark
        Connect). ``owns_session``: close() stops the session, else only its statements."""
        self._session = session
        self._connect = type(session).__module__.startswith("pyspark.sql.connect")
        self._mirror = _LakehouseMirror(lakehouse_dir) if lakehouse_dir is not None else None
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._owns_session = owns_session
        self._label = label
        self._running: set[str] = set()
        self._closed = False
        #: set by close(): every running statement's watchdog starts cancelling it
        self._stopping = threading.Event()
        self._sync()

    @classmethod
    def from_settings(cls, settings: Settings) -> SparkWarehouse:
        """Spark Connect when SPARK_REMOTE is set, else local mode over LAKEHOUSE_PATH."""
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise ConfigurationError(
                "WAREHOUSE_URL=spark needs pyspark: pip install 'lakechat[spark]'"
            ) from exc
        limit, remote = settings.warehouse_max_concurrency, settings.spark_remote
        with _mapped(lambda exc: _unavailable("cannot start Spark", exc)):
            if remote:
                label = "spark connect " + remote.strip().split(";")[0].rstrip("/")  # no token
                return cls(connect_session(remote.strip()), max_concurrency=limit, label=label)
            # a process runs one local session; one running before this is left running
            owns = SparkSession.getActiveSession() is None
            session = local_session(settings.lakehouse / MIRROR_FOLDER)
        lakehouse = settings.lakehouse
        return cls(session, lakehouse_dir=lakehouse, max_concurrency=limit, owns_session=owns)

    # statements -------------------------------------------------------------------
    def execute(self, sql: str, *, max_rows: int, timeout_seconds: float) -> QueryResult:
        started = time.perf_counter()
        columns, fetched = self._run(self._checked(sql), max_rows + 1, timeout_seconds, started)
        return capped_result(sql, columns, fetched, max_rows, started)

    def explain(self, sql: str, *, timeout_seconds: float) -> str:
        started = time.perf_counter()
        _, rows = self._run("EXPLAIN " + self._checked(sql), 10_000, timeout_seconds, started)
        return self._readable("\n".join(str(row[0]) for row in rows))

    def catalogs(self) -> list[str]:
        if self._mirror is not None:
            return self._mirror.catalogs()
        with _mapped(self._translate):
            return sorted(catalog.name for catalog in self._session.catalog.listCatalogs())

    def ping(self) -> str:
        self.execute("SELECT 1", max_rows=1, timeout_seconds=5)
        names = self.catalogs()
        with _mapped(self._translate):
            where = f"{self._label} {self._session.version}"
        return f"{where}; catalogs: {', '.join(names)}" if names else f"{where}; no catalogs"

    def close(self) -> None:
        self._closed = True
        self._stopping.set()  # each watchdog cancels its statement until it returns
        for tag in list(self._running):
            self._cancel(tag)
        if self._owns_session:
            _quietly("stopping the Spark session", self._session.stop)

    # internals ----------------------------------------------------------------------
    def _checked(self, sql: str) -> str:
        """The text Spark runs: one query, lakehouse names pointing at the mirror."""
        try:
            trees = [tree for tree in sqlglot.parse(sql, read="spark") if tree is not None]
        except sqlglot.errors.SqlglotError as exc:
            raise QueryFailed(f"the statement is not valid Spark SQL: {first_line(exc)}") from None
        if len(trees) != 1:
            raise QueryFailed(
                f"the warehouse runs exactly one statement at a time ({len(trees)} were sent)"
            )
        tree: exp.Expr = trees[0]
        if not isinstance(tree, exp.Query | exp.Values):
            kind = tree.name if isinstance(tree, exp.Command) else tree.key
            raise QueryFailed(
                f"the Spark warehouse is read-only: it runs queries, not {kind.upper()} statements"
            )
        for call in tree.find_all(exp.Anonymous):
            if call.name.lower() in JAVA_CALLS:
                raise QueryFailed(f"the Spark warehouse is read-only: {call.name}() calls Java")
        if self._mirror is None:
            return sql
        self._sync()
        return self._mirror.rewrite(sql, tree)

    def _sync(self) -> None:
        """Bring the local mirror up to date with the catalog files (cheap when unchanged)."""
        if self._mirror is not None:
            with _mapped(lambda exc: _unavailable("cannot register the lakehouse in Spark", exc)):
                self._mirror.sync(self._session)

    def _run(
        self, text: str, fetch: int, timeout_seconds: float, started: float
    ) -> tuple[tuple[Column, ...], list[Any]]:
        if self._closed:
            raise DependencyUnavailable("warehouse", "the Spark session was closed")
        if not self._slots.acquire(timeout=max(0.0, timeout_seconds - _since(started))):
            raise no_free_slot(timeout_seconds)
        tag = f"lakechat-{uuid.uuid4().hex}"
        done, fired = threading.Event(), threading.Event()
        remaining = timeout_seconds - _since(started)
        watchdog = threading.Thread(
            target=_watch,
            args=(lambda: self._cancel(tag), remaining, done, fired, self._stopping),
            daemon=True,
        )

        def failure(exc: Exception) -> Exception:  # the cancel's error, unless Spark is gone
            mapped = self._translate(exc)
            timed_out = fired.is_set() and isinstance(mapped, QueryFailed)
            return cancelled(timeout_seconds) if timed_out else mapped

        self._running.add(tag)
        try:
            with _mapped(failure):
                self._tag(tag)
                watchdog.start()
                frame = self._session.sql(text)
                columns = tuple(
                    Column(field.name, field.dataType.simpleString().upper())
                    for field in frame.schema.fields
                )
                fetched = [tuple(row) for row in frame.limit(fetch).collect()]
        finally:
            done.set()
            self._running.discard(tag)
            _quietly("untagging a Spark statement", lambda: self._tag(tag, remove=True))
            self._slots.release()
        return columns, fetched

    def _tag(self, tag: str, *, remove: bool = False) -> None:
        if self._connect:  # tags are thread-local in the client
            (self._session.removeTag if remove else self._session.addTag)(tag)
            return
        # job tags are thread-local in the JVM (pyspark pins each Python thread to one)
        context = self._session.sparkContext
        (context.removeJobTag if remove else context.addJobTag)(tag)
        context.setInterruptOnCancel(True)  # running tasks are interrupted, not left to finish

    def _cancel(self, tag: str) -> None:
        if self._connect:
            _quietly("cancelling a Spark statement", lambda: self._session.interruptTag(tag))
        else:  # session.interruptTag does not reach SQL jobs in local mode (pyspark 4.3)
            context = self._session.sparkContext
            _quietly("cancelling a Spark statement", lambda: context.cancelJobsWithTag(tag))

    def _translate(self, exc: Exception) -> LakechatError:
        """pyspark's, py4j's and grpc's exceptions in lakechat's tree, with the user's names."""
        java = getattr(exc, "java_exception", None)  # py4j's Py4JJavaError: Spark's own words
        message = first_line(exc)
        if java is not None:
            text = _quietly("reading a Java error", lambda: str(java.toString()).strip())
            message = text.splitlines()[0] if text else message
            if "stopped SparkContext" in message:
                return DependencyUnavailable("warehouse", message)
        elif type(exc).__module__.startswith("py4j") or isinstance(exc, OSError):
            return DependencyUnavailable("warehouse", f"the Spark driver is gone: {message}")
        status = getattr(exc, "getGrpcStatusCode", None)
        if type(exc).__name__ == "RetriesExceeded" or (
            status is not None and str(status()).rsplit(".", 1)[-1] in _UNREACHABLE
        ):
            details = getattr(exc.__cause__ or exc.__context__, "details", None)  # grpc's words
            reason = str(details()) if callable(details) else message
            return DependencyUnavailable("warehouse", f"{self._label} cannot be reached: {reason}")
        return QueryFailed(self._readable(message))

    def _readable(self, message: str) -> str:
        return self._mirror.user_names(message) if self._mirror is not None else message


class _LakehouseMirror:
    """The lakehouse's catalog files as parquet tables in Spark databases."""

    def __init__(self, lakehouse_dir: Path) -> None:
        self.lakehouse_dir = lakehouse_dir
        self.root = lakehouse_dir / MIRROR_FOLDER
        self._lock = threading.Lock()
        self._stamps: dict[str, str] = {}
        self._databases: dict[str, str] = {}  # Spark database -> its catalog

    def catalogs(self) -> list[str]:
        return sorted(self._files())

    def _files(self) -> dict[str, Path]:
        if not self.lakehouse_dir.is_dir():
            return {}
        files = self.lakehouse_dir.glob("*.duckdb")
        return {path.stem: path for path in files if not path.stem.startswith(".")}

    def sync(self, session: Any) -> None:
        """Export and register the catalogs whose file changed since the last call."""
        files = self._files()
        stamps = {name: f"{p.stat().st_mtime_ns}-{p.stat().st_size}" for name, p in files.items()}
        with self._lock:
            if stamps == self._stamps:
                return
            for catalog, stamp in sorted(stamps.items()):
                self._register(session, catalog, self._export(catalog, files[catalog], stamp))
            for database, catalog in list(self._databases.items()):
                if catalog not in stamps:
                    session.sql(
                        "DROP DATABASE IF EXISTS IDENTIFIER(:db) CASCADE", args={"db": database}
                    )
                    del self._databases[database]
            self._stamps = stamps

    def _export(self, catalog: str, path: Path, stamp: str) -> Path:
        """``<root>/<catalog>/<stamp>/<schema>/<table>/part-0.parquet``, once per stamp."""
        import duckdb

        versions, target = self.root / catalog, self.root / catalog / stamp
        partial = versions / f".partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            if not (target / "_COMPLETE").exists():
                partial.mkdir(parents=True)
                with duckdb.connect(str(path), read_only=True) as conn:
                    for (schema, table), select in _export_queries(conn).items():
                        shown = "information_schema" if schema == STORED_INFO_SCHEMA else schema
                        folder = partial / shown / table
                        folder.mkdir(parents=True)
                        conn.sql(select).write_parquet(str(folder / "part-0.parquet"))
                (partial / "_COMPLETE").touch()
                if not target.exists():  # else another process exported this version first
                    partial.rename(target)
            for old in versions.iterdir():
                if old.name != stamp and not old.name.startswith("."):
                    shutil.rmtree(old, ignore_errors=True)
        except (duckdb.Error, OSError) as exc:
            raise _unavailable(f"cannot export catalog {catalog} for Spark", exc) from None
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return target

    def _register(self, session: Any, catalog: str, folder: Path) -> None:
        """One database per schema, skipped when the session already holds this version."""
        for schema_dir in sorted(path for path in folder.iterdir() if path.is_dir()):
            database = f"{catalog}__{schema_dir.name}".lower()
            self._databases[database] = catalog
            marker = f"lakechat mirror of {schema_dir}"
            if session.catalog.databaseExists(database):
                if session.catalog.getDatabase(database).description == marker:
                    continue
                session.sql("DROP DATABASE IDENTIFIER(:db) CASCADE", args={"db": database})
            args = {"db": database, "marker": marker}
            session.sql("CREATE DATABASE IDENTIFIER(:db) COMMENT :marker", args=args)
            try:
                for table_dir in sorted(path for path in schema_dir.iterdir() if path.is_dir()):
                    name = f"{_quoted(database)}.{_quoted(table_dir.name)}"
                    session.catalog.createTable(name, path=str(table_dir), source="parquet")
            except BaseException:  # never leave a database claiming a version it lacks
                session.sql("DROP DATABASE IDENTIFIER(:db) CASCADE", args={"db": database})
                raise

    def rewrite(self, sql: str, tree: exp.Expr) -> str:
        """``sql`` with each lakehouse ``catalog.schema`` prefix replaced where it stands."""
        known = {name.lower() for name in self._stamps}
        spans: list[tuple[int, int, str]] = []
        for node in tree.find_all(exp.Table, exp.Column):
            catalog, schema = node.args.get("catalog"), node.args.get("db")
            if not (isinstance(catalog, exp.Identifier) and isinstance(schema, exp.Identifier)):
                continue
            start, end = catalog.meta.get("start"), schema.meta.get("end")
            if catalog.name.lower() in known and start is not None and end is not None:
                spans.append((start, end + 1, _quoted(f"{catalog.name}__{schema.name}".lower())))
        for start, end, database in sorted(spans, reverse=True):
            sql = sql[:start] + database + sql[end:]
        return sql

    def user_names(self, message: str) -> str:
        """Spark's message with each mirror database shown as the name the user wrote."""
        for catalog in sorted(self._stamps, key=len, reverse=True):
            name = catalog.lower()
            for prefix in ("`spark_catalog`.", "spark_catalog.", ""):
                message = message.replace(f"{prefix}`{name}__", f"`{catalog}`.`")
                message = message.replace(f"{prefix}{name}__", f"{catalog}.")
        return message


def local_session(mirror_root: Path) -> Any:
    """A local-mode session, or the one this process already runs (Spark allows one)."""
    from pyspark.sql import SparkSession

    try:
        mirror_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unavailable(f"cannot write {mirror_root}", exc) from exc
    session = (
        SparkSession.builder.master("local[2]")
        .appName("lakechat")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.host", "127.0.0.1")  # nothing listens beyond this machine
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.log.level", "ERROR")  # not each cancelled task, not the native libs
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", str(mirror_root / "warehouse"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")  # small local data; 200 is for clusters
        .config("spark.sql.runSQLOnFiles", "false")  # no SELECT * FROM csv.`/etc/passwd`
        .getOrCreate()
    )
    _quiet_query_loggers()
    return session


def connect_session(remote: str) -> Any:
    """A new Spark Connect session at ``remote`` (sc://host:15002)."""
    from pyspark.sql import SparkSession
    from pyspark.sql.connect.client.retries import DefaultPolicy

    session = SparkSession.builder.remote(remote).create()
    # the default retries an unreachable server for ten minutes; a health check cannot wait
    session.client.set_retry_policies([DefaultPolicy(max_retries=3, max_backoff=1000)])
    _quiet_query_loggers()
    return session


def _quiet_query_loggers() -> None:
    """pyspark logs each failed statement with its JVM stack to stderr; lakechat reports the
    mapped error itself, so these two loggers are left to CRITICAL."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _export_queries(conn: Any) -> dict[tuple[str, str], str]:
    """A SELECT per table of the catalog file; columns Spark cannot read become VARCHAR."""
    rows = conn.execute(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND NOT internal "
        "ORDER BY schema_name, table_name, column_index"
    ).fetchall()
    columns: dict[tuple[str, str], list[exp.Expr]] = {}
    for schema, table, name, data_type in rows:
        column: exp.Expr = exp.column(name, quoted=True)
        if data_type.upper() in _AS_TEXT or data_type.upper().startswith("UNION("):
            column = exp.alias_(exp.cast(column, "VARCHAR"), name, quoted=True)
        columns.setdefault((schema, table), []).append(column)
    return {
        (schema, table): exp.select(*projections)
        .from_(exp.table_(table, db=schema, quoted=True))
        .sql(dialect="duckdb")
        for (schema, table), projections in columns.items()
    }


def _watch(
    cancel: Callable[[], None],
    seconds: float,
    done: threading.Event,
    fired: threading.Event,
    stopping: threading.Event,
) -> None:
    """At the deadline (``fired``), or when the warehouse closes, cancel, and again every
    0.25 s until the statement returns: a cancel sent while Spark still plans the statement,
    or between two of its jobs, finds no job to stop."""
    deadline = time.monotonic() + max(0.001, seconds)
    while not done.wait(min(0.25, max(0.0, deadline - time.monotonic()))):
        if time.monotonic() >= deadline:
            fired.set()
            break
        if stopping.is_set():
            break
    while not done.is_set():
        cancel()
        done.wait(0.25)


@contextmanager
def _mapped(translate: Callable[[Exception], Exception]) -> Iterator[None]:
    """pyspark's, py4j's and grpc's exceptions as ``translate`` maps them; others unchanged."""
    try:
        yield
    except LakechatError:
        raise
    except Exception as exc:
        if not _is_vendor_error(exc):
            raise
        raise translate(exc) from None


def _quietly(what: str, call: Callable[[], Any]) -> Any:
    """Best effort (cleanup, cancel): a vendor error is logged, not raised."""
    try:
        return call()
    except Exception as exc:
        if not _is_vendor_error(exc):
            raise
        log.warning("%s failed: %s", what, first_line(exc))
        return None


def _unavailable(what: str, exc: BaseException) -> DependencyUnavailable:
    return DependencyUnavailable("warehouse", f"{what}: {first_line(exc)}")


def _is_vendor_error(exc: BaseException) -> bool:
    """Raised by pyspark, py4j or grpc: our own bugs and Python's are not mapped."""
    return type(exc).__module__.startswith(_VENDOR_MODULES) or isinstance(exc, OSError)


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _since(started: float) -> float:
    return time.perf_counter() - started
