"""Which warehouse the settings select: WAREHOUSE_URL's scheme, or the embedded lakehouse."""

from __future__ import annotations

from lakechat.errors import ConfigurationError
from lakechat.settings import Settings, mask_url, normalize_database_url
from lakechat.warehouse.base import Warehouse


def build_warehouse(settings: Settings) -> Warehouse:
    """The embedded DuckDB lakehouse, or PostgreSQL when WAREHOUSE_URL is postgresql://."""
    url = settings.warehouse_url
    if not url:
        from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

        return DuckDBWarehouse(
            settings.lakehouse, max_concurrency=settings.warehouse_max_concurrency
        )
    if normalize_database_url(url).startswith("postgresql+psycopg://"):
        from lakechat.warehouse.postgres_provider import PostgresWarehouse

        libpq = "postgresql://" + normalize_database_url(url).split("://", 1)[1]
        return PostgresWarehouse(
            libpq,
            max_concurrency=settings.warehouse_max_concurrency,
            connect_timeout=settings.health_check_timeout_seconds,
        )
    raise ConfigurationError(
        f"WAREHOUSE_URL {mask_url(url)!r} names no warehouse lakechat knows: use postgresql://, "
        "or leave it unset for the embedded lakehouse"
    )
