"""Filling the fake metastore: from a lakehouse folder of DuckDB files, or from a dict.

A lakehouse is ``<dir>/<catalog>.duckdb`` per catalog. DuckDB names a database after its
file unless the name is reserved (``main.duckdb`` opens as ``main_db``), so the catalog's
name is the file's stem and the database's own name is asked for. Each file's ``main``
schema is DuckDB's default and is left out when empty; ``uc_information_schema`` is where a
file keeps what Databricks calls ``information_schema``. When the ``system`` catalog records
owners and schema grants (``uc_information_schema.tables`` and ``.schema_privileges``),
they are seeded too, and their principals become known ones.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
from sqlglot.errors import ParseError

from tests.catalog.fake_unity.column_types import (
    ColumnType,
    UnsupportedType,
    from_databricks,
    from_duckdb,
)
from tests.catalog.fake_unity.state import Column, Kind, UnityState

_DUCKDB_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
_STORED_INFORMATION_SCHEMA = "uc_information_schema"
_STRING = from_databricks("string")


def seed_from_lakehouse(state: UnityState, lakehouse: Path, *, governance: bool = True) -> None:
    for path in sorted(lakehouse.glob("*.duckdb")):
        if not path.stem.startswith("."):
            _seed_catalog(state, path)
    if governance and (lakehouse / "system.duckdb").exists():
        _seed_governance(state, lakehouse / "system.duckdb")


def seed_from_dict(state: UnityState, catalogs: Mapping[str, Any]) -> None:
    """``{catalog: {schema: {table: {column: type | {"type", "comment", "nullable"}}}}}``;
    types are Databricks SQL (``"bigint"``, ``"decimal(12,2)"``)."""
    for catalog, schemas in catalogs.items():
        if state.find(catalog) is None:
            state.add(Kind.CATALOG, catalog)
        for schema, tables in (schemas or {}).items():
            if state.find(f"{catalog}.{schema}") is None:
                state.add(Kind.SCHEMA, f"{catalog}.{schema}")
            for table, columns in (tables or {}).items():
                specs = []
                for name, spec in (columns or {}).items():
                    details = spec if isinstance(spec, Mapping) else {"type": spec}
                    specs.append(
                        Column(
                            name,
                            from_databricks(str(details["type"])),
                            bool(details.get("nullable", True)),
                            details.get("comment"),
                        )
                    )
                state.add(Kind.TABLE, f"{catalog}.{schema}.{table}", columns=tuple(specs))


def _seed_catalog(state: UnityState, path: Path) -> None:
    catalog = path.stem.lower()
    kind = "SYSTEM_CATALOG" if catalog == "system" else "MANAGED_CATALOG"
    state.add(Kind.CATALOG, catalog, catalog_type=kind)
    with duckdb.connect(str(path), read_only=True) as conn:
        database = conn.execute("SELECT current_database()").fetchall()[0][0]
        schemas = [
            row[0]
            for row in conn.execute(
                "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = ? "
                "ORDER BY schema_name",
                [database],
            ).fetchall()
            if row[0] not in _DUCKDB_SCHEMAS
        ]
        tables = conn.execute(
            "SELECT table_schema, table_name, table_type, table_comment "
            "FROM information_schema.tables WHERE table_catalog = ? ORDER BY 1, 2",
            [database],
        ).fetchall()
        columns: dict[tuple[str, str], list[Column]] = {}
        for schema, table, name, data_type, nullable, comment in conn.execute(
            "SELECT table_schema, table_name, column_name, data_type, is_nullable, "
            "column_comment FROM information_schema.columns WHERE table_catalog = ? "
            "ORDER BY table_schema, table_name, ordinal_position",
            [database],
        ).fetchall():
            columns.setdefault((schema, table), []).append(
                Column(name, _column_type(data_type), nullable == "YES", comment or None)
            )
    holding = {schema for schema, *_ in tables}
    for schema in schemas:
        if schema == "main" and schema not in holding:
            continue  # DuckDB's default schema, not one the lakehouse made
        state.add(Kind.SCHEMA, f"{catalog}.{_public(schema)}")
    for schema, table, table_type, comment in tables:
        view = table_type == "VIEW"
        state.add(
            Kind.TABLE,
            f"{catalog}.{_public(schema)}.{table}",
            comment=comment,
            table_type="VIEW" if view else "MANAGED",
            data_source_format=None if view else "DELTA",
            columns=tuple(columns.get((schema, table), ())),
        )


def _seed_governance(state: UnityState, system: Path) -> None:
    try:
        with duckdb.connect(str(system), read_only=True) as conn:
            owners = conn.execute(
                f"SELECT table_catalog || '.' || table_schema || '.' || table_name, "
                f"table_owner, created_by, created FROM {_STORED_INFORMATION_SCHEMA}.tables"
            ).fetchall()
            grants = conn.execute(
                f"SELECT catalog_name || '.' || schema_name, grantee, privilege_type "
                f"FROM {_STORED_INFORMATION_SCHEMA}.schema_privileges"
            ).fetchall()
    except duckdb.Error:
        return  # a lakehouse without these tables records no governance
    for full_name, owner, created_by, created in owners:
        table = state.find(full_name)
        if table is None:
            continue
        for who in (owner, created_by):
            if who:
                state.principals.add(who)
        table.owner = owner or table.owner
        table.created_by = created_by or table.created_by
        if isinstance(created, datetime.datetime):
            table.created_at = int(created.timestamp() * 1000)
    for full_name, grantee, privilege in grants:
        schema = state.find(full_name)
        if schema is not None:
            state.principals.add(grantee)
            schema.grants.setdefault(grantee, set()).add(privilege.replace(" ", "_"))


def _column_type(duckdb_type: str) -> ColumnType:
    try:
        return from_duckdb(duckdb_type)
    except (UnsupportedType, ParseError):
        return _STRING  # no Databricks type for it (TIME, BIT, ENUM ...): shown as a string


def _public(schema: str) -> str:
    return "information_schema" if schema == _STORED_INFORMATION_SCHEMA else schema
