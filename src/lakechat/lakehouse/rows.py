"""Load generated rows into an existing DuckDB table, with the table's own column types.

Rows are written as newline-delimited JSON and read back by DuckDB with the declared
types, which handles structs, maps, arrays, decimals and instants in one fast pass.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb


def load_rows(
    conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], scratch: Path
) -> None:
    """Append ``rows`` (dicts by column name; a missing key is NULL) to ``table``."""
    if not rows:
        return
    schema, name = table.split(".")
    columns = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    ).fetchall()
    file = scratch / f"{table}.json"
    with file.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, default=_json_value))
            out.write("\n")
    types = ", ".join(f"'{column}': '{kind}'" for column, kind in columns)
    # names and types come from the table's own catalog entry, never from user input
    statement = (
        f"INSERT INTO {schema}.{name} SELECT * FROM read_json(?, "  # noqa: S608
        f"format = 'newline_delimited', columns = {{{types}}})"
    )
    conn.execute(statement, [str(file)])


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to the system tables")
