"""The FastAPI app factory: ``create_app(settings)`` builds one app from one settings object."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from lakechat import __version__
from lakechat.api.access import security_schemes
from lakechat.api.error_handlers import install_error_handlers
from lakechat.api.middleware import ErrorEnvelopeMiddleware, RequestContextMiddleware
from lakechat.api.routes import (
    alerts,
    catalog,
    chat,
    documents,
    health,
    keys,
    monitor,
    monitor_assistant,
    ops,
    proposals,
    semantic,
    sql,
)
from lakechat.api.services import AppServices
from lakechat.monitor.alerts.scheduler import AlertScheduler, job_submitter
from lakechat.observability.logs import configure_logging
from lakechat.settings import Settings, check_startup, load_settings

log = logging.getLogger(__name__)


def _warm_up(svc: AppServices) -> None:
    try:
        svc.assistant.interpreter()
    except Exception:  # the first question builds it again and reports the problem
        log.warning("the assistant's value index could not be built at startup", exc_info=True)
    try:
        svc.knowledge.warm_up()  # loads the embedding model (seconds) before the first question
    except Exception:
        log.warning("the document embedder could not be loaded at startup", exc_info=True)


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> FastAPI:
    """Build the API. Refuses unsafe production settings before anything is served."""
    settings = settings or load_settings()
    check_startup(settings)
    if configure_logs:
        configure_logging(settings)
    svc = AppServices.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc.request_log.start()
        # the assistant's value index reads every model's values (seconds at SF 1): build it
        # now, beside serving, rather than in the first question
        warm_up = threading.Thread(
            target=_warm_up, args=(svc,), name="assistant-warm-up", daemon=True
        )
        warm_up.start()
        scheduler = AlertScheduler(
            svc.alerts, job_submitter(svc.governance.runner), settings.alerts_tick_seconds
        )
        if settings.alerts_scheduler_enabled:
            scheduler.start()
        log.info(
            "lakechat %s serving (%s, state store %s)",
            __version__,
            settings.environment,
            svc.store.backend,
        )
        try:
            yield
        finally:
            await svc.limiter.close()
            scheduler.stop()  # before the runner it submits to
            svc.governance.runner.close()
            svc.warehouse.close()  # stops a warm-up still reading values, and refuses more
            svc.models.close()  # the models' own warehouses (the state store's request log)
            warm_up.join(timeout=10)  # a thread inside DuckDB at exit would abort the process
            svc.knowledge.close()
            svc.request_log.close()
            svc.store.dispose()
            log.info("lakechat stopped")

    app = FastAPI(
        title="lakechat",
        version=__version__,
        description="Talk to your lakehouse: governed answers, catalog, documents, platform health.",
        lifespan=lifespan,
    )
    app.state.services = svc
    _publish_security_schemes(app, settings.api_key_header)
    install_error_handlers(app)
    for router in (
        keys.router,
        sql.router,
        semantic.router,
        chat.router,
        catalog.router,
        proposals.router,
        documents.router,
        monitor.router,
        monitor_assistant.router,
        health.router,
        alerts.router,
        ops.router,
    ):
        # flat, not include_router: FastAPI matches nested routers about 40% slower per request
        app.router.routes.extend(router.routes)
    # add_middleware wraps: the last one added is the outermost
    upload_bytes = int(settings.max_upload_mb * 1024 * 1024) * documents.MAX_FILES
    app.add_middleware(
        ErrorEnvelopeMiddleware,
        max_body_bytes=int(settings.max_request_mb * 1024 * 1024),
        # uploads are checked file by file (MAX_UPLOAD_MB) by their route
        larger_bodies={"/files": (max(upload_bytes, 1), "MAX_UPLOAD_MB per file")},
    )
    if settings.enable_cors and settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        request_log=svc.request_log,
        log_requests=settings.log_requests,
    )
    return app


def _publish_security_schemes(app: FastAPI, header_name: str) -> None:
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            schema.setdefault("components", {})["securitySchemes"] = security_schemes(header_name)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_environment() -> FastAPI:
    """Entry point for uvicorn workers (``lakechat.api.app:app_from_environment``)."""
    return create_app(load_settings())
