"""What the guard allows: read-only statement roots, and no dangerous nodes or functions anywhere."""

from __future__ import annotations

from sqlglot import exp


def _classes(*names: str) -> tuple[type[exp.Expression], ...]:
    """sqlglot expression classes by name (names missing from this sqlglot version are skipped)."""
    return tuple(getattr(exp, name) for name in names if hasattr(exp, name))


#: Statements that may be the root: queries and read-only introspection.
READ_ONLY_ROOTS = _classes(
    "Select", "Union", "Intersect", "Except", "Values", "Describe", "Show", "Summarize"
)

#: Nodes that write, change settings, move data in or out, or run other commands: refused
#: wherever they appear (a DELETE in a CTE, SELECT ... INTO, FOR UPDATE, ...).
FORBIDDEN_NODES = _classes(
    "Insert",
    "Update",
    "Delete",
    "Merge",
    "Create",
    "Drop",
    "Alter",
    "AlterColumn",
    "TruncateTable",
    "Copy",
    "Attach",
    "Detach",
    "Install",
    "Set",
    "SetItem",
    "Pragma",
    "Command",
    "Use",
    "Transaction",
    "Commit",
    "Rollback",
    "LoadData",
    "Into",
    "Lock",
    "Grant",
    "Revoke",
    "Cache",
    "Uncache",
    "Refresh",
    "Analyze",
    "Export",
    "Declare",
    "Kill",
    "Comment",
)

#: Functions that read files, URLs, other databases, secrets or settings, or stall the server.
FORBIDDEN_FUNCTIONS = frozenset(
    {
        # files and formats
        "read_csv",
        "read_csv_auto",
        "read_parquet",
        "parquet_scan",
        "read_json",
        "read_json_auto",
        "read_json_objects",
        "read_json_objects_auto",
        "read_ndjson",
        "read_ndjson_auto",
        "read_ndjson_objects",
        "read_text",
        "read_blob",
        "read_xlsx",
        "read_files",
        "glob",
        "sniff_csv",
        "parquet_metadata",
        "parquet_schema",
        "parquet_file_metadata",
        "parquet_kv_metadata",
        "iceberg_scan",
        "iceberg_metadata",
        "iceberg_snapshots",
        "delta_scan",
        "read_avro",
        "st_read",
        "csv_scan",
        "json_scan",
        "readcsv",
        "readjson",
        "readparquet",
        # other databases and arbitrary queries
        "sqlite_scan",
        "sqlite_attach",
        "postgres_scan",
        "postgres_scan_pushdown",
        "postgres_attach",
        "postgres_query",
        "postgres_execute",
        "mysql_scan",
        "mysql_query",
        "mysql_execute",
        "query",
        "query_table",
        "dblink",
        "dblink_exec",
        "dblink_connect",
        # environment, secrets and settings
        "getenv",
        "duckdb_secrets",
        "which_secret",
        "load_aws_credentials",
        "secret",
        "set_config",
        "current_setting",
        "duckdb_settings",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "lo_import",
        "lo_export",
        "lo_get",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_sleep",
        "pg_sleep_for",
        "pg_sleep_until",
        "http_request",
        "http_get",
        "http_post",
        "reflect",
        "java_method",
        "ai_query",
    }
)

#: Table functions a query may read from (generated rows only).
ALLOWED_TABLE_FUNCTIONS = _classes(
    "GenerateSeries", "Unnest", "Explode", "ExplodeOuter", "Posexplode"
)


def function_name(node: exp.Func) -> str:
    """A function's name, lower case, whether sqlglot knows it or not."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()
