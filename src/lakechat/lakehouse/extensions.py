"""DuckDB extensions loaded offline from their PyPI wheels (never downloaded at run time)."""

from __future__ import annotations

import duckdb

from lakechat.errors import DependencyUnavailable


def load_extension(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """Install and load ``name`` from the ``duckdb-extension-<name>`` wheel."""
    try:
        from duckdb_extensions import import_extension
    except ImportError as exc:  # pragma: no cover - part of the base install
        raise DependencyUnavailable("duckdb extension loader", "install duckdb-extensions") from exc
    try:
        import_extension(name, con=conn)
        conn.execute(f"LOAD {name}")
    except (ModuleNotFoundError, duckdb.Error) as exc:
        raise DependencyUnavailable(
            f"duckdb {name} extension",
            f"install the duckdb-extension-{name} wheel matching duckdb ({exc})",
        ) from exc
