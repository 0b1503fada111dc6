"""Health routes: /health, /health/live, /health/ready and the guides' /api/health, /v1/health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from lakechat import __version__
from lakechat.api.access import PUBLIC, GuardedRoute
from lakechat.api.deps import services
from lakechat.errors import error_body
from lakechat.observability.context import current_request_id

router = APIRouter(tags=["health"], route_class=GuardedRoute)


def _unhealthy(body: dict[str, Any], message: str) -> JSONResponse:
    payload = error_body("dependency_unavailable", message, current_request_id.get())
    payload.update(body)
    return JSONResponse(payload, status_code=503, headers={"Retry-After": "5"})


def _down(report_checks: list[Any]) -> str:
    return ", ".join(
        f"{c.name} ({c.detail})" for c in report_checks if c.status != "healthy" and c.required
    )


@router.get("/health", summary="Overall status and one check per dependency", **PUBLIC)
async def health(request: Request) -> JSONResponse:
    svc = services(request)
    report = await svc.health.report()
    body: dict[str, Any] = {
        **report.as_json(),
        "service": "lakechat",
        "version": __version__,
        "environment": svc.settings.environment,
        "time": datetime.now(UTC).isoformat(),
    }
    if report.status == "unhealthy":
        return _unhealthy(body, "unhealthy: " + _down(list(report.checks)))
    return JSONResponse(body)


@router.get("/health/live", summary="Liveness: the process answers", **PUBLIC)
async def live() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/health/ready", summary="Readiness: every required dependency answers", **PUBLIC)
async def ready(request: Request) -> JSONResponse:
    report = await services(request).health.report(max_age=0.5)
    if not report.ready:
        return _unhealthy(
            {"status": "not_ready", **{"checks": report.as_json()["checks"]}},
            "not ready: " + _down(list(report.checks)),
        )
    return JSONResponse({"status": "ready"})


@router.get("/api/health", summary="Health in the catalog chatbot's shape", **PUBLIC)
async def api_health(request: Request) -> JSONResponse:
    report = await services(request).health.report()
    body = {"status": report.status, "service": "lakechat", "version": __version__}
    if report.status == "unhealthy":
        return _unhealthy(body, "unhealthy: " + _down(list(report.checks)))
    return JSONResponse(body)


@router.get("/v1/health", summary="Health in the BI gateway's shape", **PUBLIC)
async def v1_health(request: Request) -> JSONResponse:
    svc = services(request)
    report = await svc.health.report()
    cache = next((c for c in report.checks if c.name == "cache"), None)
    body = {
        "status": report.status,
        "time": datetime.now(UTC).isoformat(),
        "version": __version__,
        "cache": {
            **(svc.result_cache.stats() if svc.result_cache is not None else {}),
            "backend": svc.result_cache.backend if svc.result_cache is not None else None,
            "enabled": svc.settings.cache_enabled,
            "redis_available": bool(svc.settings.redis_url)
            and cache is not None
            and cache.status == "healthy",
        },
    }
    if report.status == "unhealthy":
        return _unhealthy(body, "unhealthy: " + _down(list(report.checks)))
    return JSONResponse(body)
