"""The long-lived parts one app instance uses, built from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from lakechat.assistant.service import Assistant
from lakechat.assistant.sessions import SessionStore
from lakechat.catalog.service import Governance
from lakechat.knowledge.factory import build_knowledge
from lakechat.knowledge.service import KnowledgeBase
from lakechat.monitor.alerts.service import AlertService
from lakechat.monitor.service import PlatformHealth
from lakechat.observability.health import (
    DependencyCheck,
    HealthMonitor,
    cache_check,
    file_store_check,
    state_store_check,
    warehouse_check,
)
from lakechat.security.api_keys import ApiKeyService
from lakechat.security.rate_limits import RequestRateLimiter
from lakechat.semantic.cache import ResultCache, build_result_cache
from lakechat.semantic.loader import model_folders
from lakechat.semantic.registry import ModelRegistry
from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.store.request_log import RequestLogWriter
from lakechat.store.types import utcnow
from lakechat.warehouse.base import Warehouse
from lakechat.warehouse.factory import build_warehouse
from lakechat.warehouse.state_provider import StateStoreWarehouse


@dataclass(frozen=True)
class AppServices:
    settings: Settings
    store: StateStore
    warehouse: Warehouse
    keys: ApiKeyService
    limiter: RequestRateLimiter
    request_log: RequestLogWriter
    health: HealthMonitor
    models: ModelRegistry
    result_cache: ResultCache | None
    sessions: SessionStore
    governance: Governance
    knowledge: KnowledgeBase
    alerts: AlertService
    #: what "today" is for relative time ranges; tests replace it
    clock: Callable[[], datetime] = utcnow
    #: built from the fields above, so a copy made with another clock
    #: (``dataclasses.replace(services, clock=...)``) gets an assistant on that clock
    assistant: Assistant = field(init=False, repr=False)
    #: platform health over the warehouse's system tables
    platform: PlatformHealth = field(init=False, repr=False)

    def __post_init__(self) -> None:
        platform = PlatformHealth.build(self.settings, self.warehouse, self.clock, self.store)
        object.__setattr__(self, "platform", platform)
        assistant = Assistant(
            self.models,
            self.warehouse,
            self.settings,
            self.result_cache,
            clock=self.clock,
            governance=self.governance,
            knowledge=self.knowledge,
            health=platform,
        )
        object.__setattr__(self, "assistant", assistant)

    @classmethod
    def build(cls, settings: Settings) -> AppServices:
        store = StateStore(
            settings.state_url, connect_timeout=settings.health_check_timeout_seconds
        )
        warehouse = build_warehouse(settings)
        knowledge = build_knowledge(settings, store)
        models = ModelRegistry(
            model_folders(settings.models_path, settings.home),
            # models with x-lakechat.warehouse: state (the request log) run here
            {"state": StateStoreWarehouse(settings.state_url)},
        )
        alerts = AlertService.build(settings, store, warehouse=warehouse, models=models)
        return cls(
            settings=settings,
            store=store,
            warehouse=warehouse,
            keys=ApiKeyService(store, settings.auth_cache_seconds),
            limiter=RequestRateLimiter(settings),
            request_log=RequestLogWriter(
                store, settings.request_log_flush_seconds, settings.request_log_buffer_max
            ),
            health=HealthMonitor(
                [
                    state_store_check(store),
                    warehouse_check(warehouse),
                    cache_check(settings),
                    file_store_check(settings),
                    DependencyCheck("documents", False, knowledge.health_detail),
                ],
                settings.health_check_timeout_seconds,
            ),
            models=models,
            result_cache=build_result_cache(settings),
            sessions=SessionStore(store, settings.session_timeout_hours),
            governance=Governance.build(settings, store, knowledge, alerts),
            knowledge=knowledge,
            alerts=alerts,
        )
