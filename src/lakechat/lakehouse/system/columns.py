"""``system.information_schema.columns`` for the ``main`` catalog, read from its own DDL.

Databricks lists every column of every catalog there; the data-quality analyzers profile
the watched catalogs' columns from it instead of knowing any table by name.
"""

from __future__ import annotations

from typing import Any

import duckdb

from lakechat.lakehouse.main_catalog import DDL
from lakechat.lakehouse.system.population import Population

#: DuckDB type names as Databricks spells them
_DATABRICKS_TYPES = {
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "VARCHAR": "STRING",
    "DOUBLE": "DOUBLE",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "BOOLEAN": "BOOLEAN",
    "VARCHAR[]": "ARRAY<STRING>",
}


def information_schema_columns(population: Population) -> list[dict[str, Any]]:
    """One row per column of each table of the population's ``main`` catalog."""
    wanted = {t.full_name for t in population.tables}
    conn = duckdb.connect()
    try:
        conn.execute(DDL)
        found = conn.execute(
            """SELECT table_schema, table_name, column_name, ordinal_position, data_type
               FROM information_schema.columns
               WHERE table_catalog = current_database()
               ORDER BY table_schema, table_name, ordinal_position"""
        ).fetchall()
    finally:
        conn.close()
    rows = []
    for schema, table, column, position, data_type in found:
        if f"main.{schema}.{table}" not in wanted:
            continue
        full = _DATABRICKS_TYPES.get(data_type, data_type.replace("DECIMAL", "DECIMAL"))
        rows.append(
            {
                "table_catalog": "main",
                "table_schema": schema,
                "table_name": table,
                "column_name": column,
                "ordinal_position": position,
                "is_nullable": "YES",
                "full_data_type": full.lower() if full.startswith("DECIMAL") else full,
                "data_type": full.split("(")[0].split("<")[0],
                "comment": None,
            }
        )
    return rows
