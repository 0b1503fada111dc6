"""The analysis runner the settings describe."""

from __future__ import annotations

from lakechat.monitor.runner import AnalysisRunner
from lakechat.settings import Settings
from lakechat.warehouse.base import Warehouse


def build_runner(settings: Settings, warehouse: Warehouse) -> AnalysisRunner:
    return AnalysisRunner(
        warehouse,
        watched_catalogs=settings.health_watched_catalogs,
        max_rows=settings.health_query_max_rows,
        timeout_seconds=settings.query_timeout_seconds,
    )
