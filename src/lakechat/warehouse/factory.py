"""Which warehouse the settings select: WAREHOUSE_URL, or the embedded lakehouse."""

from __future__ import annotations

from lakechat.errors import ConfigurationError
from lakechat.settings import Settings, mask_url, normalize_database_url
from lakechat.warehouse.base import Warehouse


def build_warehouse(settings: Settings) -> Warehouse:
    """The embedded DuckDB lakehouse, or the provider WAREHOUSE_URL names."""
    url = (settings.warehouse_url or "").strip()
    if not url:
        from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

        return DuckDBWarehouse(
            settings.lakehouse, max_concurrency=settings.warehouse_max_concurrency
        )
    if url.lower() == "databricks":
        from lakechat.warehouse.databricks_provider import DatabricksWarehouse

        return DatabricksWarehouse.from_settings(settings)
    if url.lower() == "spark":
        from lakechat.warehouse.spark_provider import SparkWarehouse

        return SparkWarehouse.from_settings(settings)
    if normalize_database_url(url).startswith("postgresql+psycopg://"):
        from lakechat.warehouse.postgres_provider import PostgresWarehouse

        libpq = "postgresql://" + normalize_database_url(url).split("://", 1)[1]
        return PostgresWarehouse(
            libpq,
            max_concurrency=settings.warehouse_max_concurrency,
            connect_timeout=settings.health_check_timeout_seconds,
        )
    raise ConfigurationError(
        f"WAREHOUSE_URL {mask_url(url)!r} names no warehouse lakechat knows: use "
        "postgresql://..., databricks or spark, or leave it unset for the embedded lakehouse"
    )
