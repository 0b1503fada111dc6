"""``GET /api/monitor/assistant``: the assistant's own numbers, hour by hour, from the
request log (its inference table): requests, errors, success rate, latency, confidence
and domains. Scope ``health:read``; an admin sees every tenant, anyone else their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, current_principal, requires
from lakechat.api.deps import services
from lakechat.monitor.assistant_stats import (
    MAX_HOURS,
    domain_counts,
    hourly_stats,
    hourly_window_start,
    window_stats,
)
from lakechat.security.principals import Role
from lakechat.store.database import StateStore

router = APIRouter(tags=["health"], route_class=GuardedRoute)


@router.get(
    "/api/monitor/assistant",
    summary="The assistant's requests, errors, latency and confidence per hour",
    **requires("health:read"),
)
async def assistant_metrics(
    request: Request,
    hours: int = Query(
        24, ge=1, le=MAX_HOURS, description=f"Clock hours to show, 1 to {MAX_HOURS} (90 days)."
    ),
) -> dict[str, Any]:
    svc = services(request)
    principal = current_principal(request)
    tenant = None if principal.role == Role.ADMIN else principal.tenant
    # the log is written in the background: write what is buffered so the numbers are current
    await run_in_threadpool(svc.request_log.flush)
    return await run_in_threadpool(_report, svc.store, hours, svc.clock(), tenant)


def _report(store: StateStore, hours: int, until: datetime, tenant: str | None) -> dict[str, Any]:
    since = hourly_window_start(hours=hours, until=until)
    hourly = hourly_stats(store, hours=hours, until=until, tenant=tenant)
    return {
        "hours": hours,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "tenant": tenant,
        "totals": window_stats(store, since=since, until=until, tenant=tenant),
        "hourly": [{**row, "hour": row["hour"].isoformat()} for row in hourly],
        "domains": domain_counts(hourly),
    }
