"""Databricks names over DuckDB's reserved ones: ``system`` and ``main`` as catalogs.

DuckDB reserves the database names ``system``, ``main``, ``temp`` and ``memory``, and every
database has a built-in ``information_schema``, so no file can hold a schema of that name.
Databricks uses all of them: ``system.billing.usage``, ``main.sales.orders``,
``system.information_schema.tables``. Catalog files with a reserved name are attached under
a private alias, a catalog's ``information_schema`` is stored as ``uc_information_schema``,
and statements naming either are rewritten before DuckDB sees them. Error messages are
mapped back, so a user only ever sees the names they wrote.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

#: Database names DuckDB refuses for ATTACH.
RESERVED_CATALOGS = frozenset({"system", "main", "temp", "memory"})
#: Where a catalog file keeps the schema Databricks calls information_schema.
STORED_INFORMATION_SCHEMA = "uc_information_schema"
_ALIAS_PREFIX = "__lakechat_"

_MENTIONS = re.compile(
    r"\b(?:" + "|".join(sorted(RESERVED_CATALOGS)) + r"|information_schema)\b", re.IGNORECASE
)


def attach_alias(catalog: str) -> str:
    """The database name a catalog file is attached under."""
    return _ALIAS_PREFIX + catalog if catalog.lower() in RESERVED_CATALOGS else catalog


def to_duckdb(sql: str, catalogs: frozenset[str]) -> str:
    """``sql`` with three-part names of reserved catalogs (and their information_schema)
    pointing at where they are stored; unchanged when it names none (the common case)."""
    if not _MENTIONS.search(sql):
        return sql
    known = {name.lower() for name in catalogs}
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return sql  # DuckDB reports the syntax error in its own words
    changed = False
    for node in tree.find_all(exp.Table, exp.Column):
        catalog = node.args.get("catalog")
        if not isinstance(catalog, exp.Identifier) or catalog.name.lower() not in known:
            continue
        if attach_alias(catalog.name) != catalog.name:
            node.set("catalog", exp.to_identifier(attach_alias(catalog.name.lower()), quoted=True))
            changed = True
        schema = node.args.get("db")
        if isinstance(schema, exp.Identifier) and schema.name.lower() == "information_schema":
            node.set("db", exp.to_identifier(STORED_INFORMATION_SCHEMA))
            changed = True
    return tree.sql(dialect="duckdb") if changed else sql


def from_duckdb(message: str) -> str:
    """A DuckDB message with stored names turned back into the names the user wrote."""
    message = message.replace(STORED_INFORMATION_SCHEMA, "information_schema")
    return re.sub(re.escape(_ALIAS_PREFIX) + r"(\w+)", r"\1", message)


def stored_schema(schema: str) -> str:
    """The schema name a catalog file uses for ``schema`` (builders write through this)."""
    return STORED_INFORMATION_SCHEMA if schema.lower() == "information_schema" else schema
