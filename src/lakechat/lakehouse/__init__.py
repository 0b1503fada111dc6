"""The embedded demo lakehouse: one DuckDB file per catalog, queried with three-level names."""
