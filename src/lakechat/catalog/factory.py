"""Which catalog the settings select: the embedded lakehouse, or Unity Catalog."""

from __future__ import annotations

from lakechat.catalog.base import Catalog
from lakechat.errors import ConfigurationError
from lakechat.settings import Settings
from lakechat.store.database import StateStore


def build_catalog(settings: Settings, store: StateStore) -> Catalog:
    if settings.catalog_provider == "unity":
        if not settings.databricks_host or settings.databricks_token is None:
            raise ConfigurationError(
                "CATALOG_PROVIDER=unity needs DATABRICKS_HOST and DATABRICKS_TOKEN"
            )
        from lakechat.catalog.unity import UnityCatalog

        return UnityCatalog.from_settings(settings)
    from lakechat.catalog.embedded import EmbeddedCatalog

    return EmbeddedCatalog(settings.lakehouse, store)
