"""Operations: /metrics and the admin-only /internal/status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from lakechat import __version__
from lakechat.api.access import PUBLIC, GuardedRoute, current_principal, requires
from lakechat.api.deps import services
from lakechat.errors import LakechatError, NotFound
from lakechat.observability.metrics import render_metrics
from lakechat.security.principals import Principal
from lakechat.settings import RATE_LIMIT_CLASSES
from lakechat.store.migrate import current_revision, head_revisions

router = APIRouter(tags=["operations"], route_class=GuardedRoute)


@router.get("/metrics", summary="Prometheus metrics (text exposition format)", **PUBLIC)
async def metrics(request: Request) -> Response:
    if not services(request).settings.metrics_enabled:
        raise NotFound("metrics are turned off (METRICS_ENABLED=false)")
    body, content_type = await run_in_threadpool(render_metrics)
    return Response(body, media_type=content_type)


@router.get(
    "/internal/status",
    summary="Configuration and dependency status (admin)",
    **requires("admin", "admin"),
)
async def internal_status(
    request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    svc = services(request)
    settings = svc.settings
    report = await svc.health.report()
    redis_ok = await _redis_answers(request)
    try:
        revision = await run_in_threadpool(current_revision, svc.store)
        database: dict[str, Any] = {"reachable": True, "revision": revision}
    except Exception as exc:
        message = exc.message if isinstance(exc, LakechatError) else type(exc).__name__
        database = {"reachable": False, "error": message}
    heads = head_revisions(svc.store)
    database.update(
        backend=svc.store.backend,
        url=svc.store.display_url,
        head=heads[0] if heads else None,
        up_to_date=database.get("revision") in heads,
    )
    return {
        "service": "lakechat",
        "version": __version__,
        "environment": settings.environment,
        "encryption_configured": settings.encryption_key is not None,
        "auth_enabled": settings.enable_auth,
        "redis": {"configured": bool(settings.redis_url), "available": redis_ok},
        "cache": {
            "enabled": settings.cache_enabled,
            "backend": "redis" if settings.redis_url else "memory",
            "ttl_seconds": settings.cache_ttl_seconds,
            "max_rows": settings.cache_max_rows,
        },
        "rate_limits": {
            "enabled": settings.rate_limit_enabled,
            "strategy": settings.rate_limit_strategy,
            "storage": svc.limiter.backend,
            "per_minute": settings.rate_limit_per_minute,
            "classes": {name: settings.rate_limit_for(name) for name in RATE_LIMIT_CLASSES},
        },
        "guards": {
            "sql_execution": settings.feature_sql_execution,
            "batch_operations": settings.feature_batch_operations,
            "audit_logging": settings.feature_audit_logging,
            "query_max_rows": settings.query_max_rows,
            "query_timeout_seconds": settings.query_timeout_seconds,
            "max_request_mb": settings.max_request_mb,
        },
        "database": database,
        "request_log": {
            "pending": svc.request_log.pending,
            "written": svc.request_log.written,
            "dropped": svc.request_log.dropped,
        },
        "health": report.as_json(),
    }


async def _redis_answers(request: Request) -> bool:
    try:
        return await services(request).limiter.check_shared()
    except Exception:
        return False
