"""Load samples.tpch from the DuckDB lakehouse into a PostgreSQL database, for conformance tests."""

from __future__ import annotations

from pathlib import Path

import duckdb

from lakechat.lakehouse.samples import TPCH_TABLES

#: TPC-H's primary keys, and the index its Q20/Q17 subqueries need to finish on PostgreSQL.
KEYS = {
    "region": "r_regionkey",
    "nation": "n_nationkey",
    "part": "p_partkey",
    "supplier": "s_suppkey",
    "customer": "c_custkey",
    "orders": "o_orderkey",
    "partsupp": "ps_partkey, ps_suppkey",
    "lineitem": "l_orderkey, l_linenumber",
}
INDEXES = [
    "CREATE INDEX ON tpch.lineitem (l_partkey, l_suppkey)",
    "CREATE INDEX ON tpch.lineitem (l_partkey)",
]

_PG_TYPES = {
    "VARCHAR": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DATE": "date",
    "DOUBLE": "double precision",
}


def pg_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "numeric")
    return _PG_TYPES[duckdb_type]


def load_tpch(duckdb_file: Path, pg_url: str) -> None:
    import psycopg

    source = duckdb.connect(str(duckdb_file), read_only=True)
    with psycopg.connect(pg_url, autocommit=True) as target:
        target.execute("CREATE SCHEMA IF NOT EXISTS tpch")
        for table in TPCH_TABLES:
            columns = source.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'tpch' AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
            ddl = ", ".join(f"{name} {pg_type(kind)}" for name, kind in columns)
            target.execute(f"CREATE TABLE tpch.{table} ({ddl})")
            rows = source.execute(f"SELECT * FROM tpch.{table}").fetchall()
            with target.cursor() as cursor, cursor.copy(f"COPY tpch.{table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            target.execute(f"ALTER TABLE tpch.{table} ADD PRIMARY KEY ({KEYS[table]})")
        for index in INDEXES:
            target.execute(index)
        target.execute("ANALYZE")
    source.close()
