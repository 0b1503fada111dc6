"""The embedded lakehouse's objects as DuckDB stores them, and DDL on its catalog files.

Reading: every ``<lakehouse>/<catalog>.duckdb`` file is attached read-only and DuckDB's own
``duckdb_schemas()``, ``duckdb_tables()``, ``duckdb_views()`` and ``duckdb_columns()`` list
what it holds; the listing is kept until the folder changes.

Writing: a change to a catalog file is made on a copy that then replaces the file
(``os.replace``), under a lock file so two processes never write at once. The warehouse
serving queries holds the old file open until its statements finish, and opens the new one
for the next statement (the folder's modification time moved), so a query never sees a
half-made change.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from lakechat.catalog.base import ColumnInfo
from lakechat.errors import DependencyUnavailable, QueryFailed, first_line
from lakechat.warehouse.duckdb_names import (
    STORED_INFORMATION_SCHEMA,
    attach_alias,
    from_duckdb,
)

#: DuckDB's own schemas, which are not Unity Catalog schemas
_INTERNAL_SCHEMAS = frozenset({"information_schema", "pg_catalog"})


@dataclass(frozen=True)
class StoredTable:
    catalog: str
    schema: str
    name: str
    table_type: str
    columns: tuple[ColumnInfo, ...]


@dataclass(frozen=True)
class Snapshot:
    """What the lakehouse holds: catalogs, their schemas and their tables."""

    catalogs: tuple[str, ...]
    schemas: dict[str, tuple[str, ...]]
    tables: dict[tuple[str, str], tuple[StoredTable, ...]]


class LakehouseFiles:
    def __init__(self, lakehouse_dir: Path) -> None:
        self.dir = lakehouse_dir
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._stamp: int | None = None

    # reading ----------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        stamp = self._folder_stamp()
        with self._lock:
            if self._snapshot is not None and stamp == self._stamp:
                return self._snapshot
            self._snapshot, self._stamp = self._read(), stamp
            return self._snapshot

    def _folder_stamp(self) -> int | None:
        try:
            return self.dir.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def files(self) -> dict[str, Path]:
        if not self.dir.is_dir():
            return {}
        return {p.stem: p for p in self.dir.glob("*.duckdb") if not p.stem.startswith(".")}

    def _read(self) -> Snapshot:
        files = self.files()
        schemas: dict[str, list[str]] = {name: [] for name in files}
        tables: dict[tuple[str, str], list[StoredTable]] = {}
        if not files:
            return Snapshot((), {}, {})
        aliases = {attach_alias(name): name for name in files}
        try:
            with duckdb.connect(":memory:") as conn:
                for name, path in sorted(files.items()):
                    location = str(path).replace("'", "''")
                    conn.execute(f"ATTACH '{location}' AS \"{attach_alias(name)}\" (READ_ONLY)")
                ours = [list(aliases)]
                for database, schema in conn.execute(
                    "SELECT database_name, schema_name FROM duckdb_schemas() "
                    "WHERE list_contains(?, database_name) ORDER BY 1, 2",
                    ours,
                ).fetchall():
                    if schema not in _INTERNAL_SCHEMAS:
                        schemas[aliases[database]].append(_public(schema))
                columns: dict[tuple[str, str, str], list[ColumnInfo]] = {}
                for database, schema, table, column, type_, nullable, comment in conn.execute(
                    "SELECT database_name, schema_name, table_name, column_name, data_type, "
                    "is_nullable, comment FROM duckdb_columns() "
                    "WHERE list_contains(?, database_name) ORDER BY database_name, schema_name, "
                    "table_name, column_index",
                    ours,
                ).fetchall():
                    key = (aliases[database], _public(schema), table)
                    columns.setdefault(key, []).append(
                        ColumnInfo(column, _databricks_type(type_), comment or None, nullable)
                    )
                for database, schema, table, kind in conn.execute(
                    "SELECT database_name, schema_name, table_name, 'MANAGED' FROM duckdb_tables() "
                    "WHERE list_contains(?, database_name) UNION ALL "
                    "SELECT database_name, schema_name, view_name, 'VIEW' FROM duckdb_views() "
                    "WHERE list_contains(?, database_name) AND NOT internal ORDER BY 1, 2, 3",
                    ours * 2,
                ).fetchall():
                    catalog, public = aliases[database], _public(schema)
                    stored = StoredTable(
                        catalog,
                        public,
                        table,
                        kind,
                        tuple(columns.get((catalog, public, table), ())),
                    )
                    tables.setdefault((catalog, public), []).append(stored)
        except duckdb.Error as exc:
            raise DependencyUnavailable(
                "catalog", f"cannot read the lakehouse: {from_duckdb(first_line(exc))}"
            ) from exc
        for catalog, names in schemas.items():
            # DuckDB's default schema "main" is shown only when something is in it
            if "main" in names and not tables.get((catalog, "main")):
                names.remove("main")
        return Snapshot(
            tuple(sorted(files)),
            {c: tuple(n) for c, n in schemas.items()},
            {k: tuple(v) for k, v in tables.items()},
        )

    # writing ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".catalog.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def create_catalog(self, name: str) -> None:
        with self._writing():
            target = self.dir / f"{name}.duckdb"
            if target.exists():
                return
            staged = self.dir / f".{name}.{uuid.uuid4().hex}.duckdb"
            duckdb.connect(str(staged)).close()
            os.replace(staged, target)

    def drop_catalog(self, name: str) -> None:
        with self._writing():
            (self.dir / f"{name}.duckdb").unlink(missing_ok=True)

    def run(self, catalog: str, statements: Sequence[str]) -> None:
        """DuckDB statements on a copy of ``catalog``'s file, which then replaces it."""
        with self._writing():
            target = self.dir / f"{catalog}.duckdb"
            staged = self.dir / f".{catalog}.{uuid.uuid4().hex}.duckdb"
            shutil.copyfile(target, staged)
            try:
                with duckdb.connect(str(staged)) as conn:
                    for statement in statements:
                        conn.execute(statement)
                    conn.execute("CHECKPOINT")
                os.replace(staged, target)
            except duckdb.Error as exc:
                raise QueryFailed(f"the lakehouse refused the change: {first_line(exc)}") from exc
            finally:
                staged.unlink(missing_ok=True)
                Path(f"{staged}.wal").unlink(missing_ok=True)


def _public(schema: str) -> str:
    return "information_schema" if schema == STORED_INFORMATION_SCHEMA else schema


def _databricks_type(duckdb_type: str) -> str:
    """DuckDB's type names as Databricks spells them."""
    upper = duckdb_type.upper()
    simple = {"VARCHAR": "STRING", "INTEGER": "INT", "HUGEINT": "DECIMAL(38,0)", "REAL": "FLOAT",
              "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", "TIMESTAMP": "TIMESTAMP_NTZ", "BLOB": "BINARY"}  # fmt: skip
    if upper in simple:
        return simple[upper]
    if upper.endswith("[]"):
        return f"ARRAY<{_databricks_type(duckdb_type[:-2])}>"
    return upper


@dataclass(frozen=True)
class GovernanceSeed:
    """Owners and schema grants the lakehouse's ``system.information_schema`` records."""

    owners: dict[
        str, tuple[str | None, str | None, datetime | None]
    ]  # table -> (owner, created_by, created)
    grants: list[tuple[str, str, str]]  # (schema full name, grantee, privilege)
    #: who granted most: the workspace admin, who owns the catalogs and schemas
    admin: str | None


def read_governance_seed(files: LakehouseFiles) -> GovernanceSeed | None:
    system = files.files().get("system")
    if system is None:
        return None
    try:
        with duckdb.connect(str(system), read_only=True) as conn:
            # where duckdb_names.STORED_INFORMATION_SCHEMA keeps Databricks' information_schema
            tables = conn.execute(
                "SELECT table_catalog || '.' || table_schema || '.' || table_name, table_owner, "
                "created_by, created FROM uc_information_schema.tables"
            ).fetchall()
            grants = conn.execute(
                "SELECT catalog_name || '.' || schema_name, grantee, privilege_type "
                "FROM uc_information_schema.schema_privileges"
            ).fetchall()
            admin = conn.execute(
                "SELECT mode(grantor) FROM uc_information_schema.schema_privileges"
            ).fetchone()
    except duckdb.Error:
        return None  # a lakehouse without these tables has nothing to seed
    return GovernanceSeed(
        {name: (owner, created_by, created) for name, owner, created_by, created in tables},
        [(schema, grantee, privilege.replace(" ", "_")) for schema, grantee, privilege in grants],
        admin[0] if admin else None,
    )
