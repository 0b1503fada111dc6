"""Alerts: the rules with their state (``GET /api/alerts``), their history of episodes and
notifications (``GET /api/alerts/history``), and running them now (``POST /api/alerts/run``).

Reading needs ``health:read``; running needs ``admin`` (it notifies people). While
alerts.yaml is broken, the listing shows the rules still in force with the file's problem
in ``error`` (the alerts keep running them), and running on demand is refused with 503
``alert_rules_invalid`` until the file is fixed.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, current_principal, requires
from lakechat.api.deps import services
from lakechat.errors import NotFound
from lakechat.monitor.alerts.scheduler import JOB_KIND

router = APIRouter(tags=["alerts"], route_class=GuardedRoute)


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Rule names (default: every enabled rule).",
    )


@router.get(
    "/api/alerts",
    summary="Alert rules with their state, last value and next run",
    **requires("health:read", "health"),
)
async def list_alerts(request: Request) -> dict[str, Any]:
    svc = services(request)
    ruleset, problem = await run_in_threadpool(svc.alerts.rules_in_force)
    listed = await run_in_threadpool(functools.partial(svc.alerts.listing, ruleset=ruleset))
    return {
        "alerts": listed,
        "source": str(ruleset.source) if ruleset.source else None,
        # a broken alerts.yaml: what is wrong with it (the alerts above still run)
        "error": None if problem is None else {"code": problem.code, "message": problem.message},
        "scheduler": {
            "enabled": svc.settings.alerts_scheduler_enabled,
            "tick_seconds": svc.settings.alerts_tick_seconds,
        },
    }


@router.get(
    "/api/alerts/history",
    summary="Alert episodes (triggered, resolved), errors and their notifications, newest first",
    **requires("health:read", "health"),
)
async def alert_history(
    request: Request,
    rule: str | None = Query(None, max_length=200, description="Only this rule."),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    alerts = services(request).alerts
    events = await run_in_threadpool(alerts.history.events, rule, limit)
    if rule is not None and not events:  # neither a rule nor in the history: 404
        (await run_in_threadpool(alerts.rules_in_force))[0].get(rule)
    return {"events": events, "count": len(events)}


@router.post(
    "/api/alerts/run",
    summary="Run alert rules now, as a background job",
    status_code=202,
    **requires("admin", "admin"),
)
async def run_alerts(request: Request, body: RunRequest | None = None) -> dict[str, Any]:
    svc = services(request)
    names = list(dict.fromkeys(body.rules)) if body else []
    ruleset = await run_in_threadpool(svc.alerts.rules)
    chosen = [ruleset.get(n).name for n in names] or [r.name for r in ruleset.rules if r.enabled]
    if not chosen:
        raise NotFound("no alert rule is enabled: name one to run it anyway")
    job_id = await run_in_threadpool(
        svc.governance.runner.submit,
        JOB_KIND,
        {"rules": chosen},
        current_principal(request),
        total=len(chosen),
    )
    return {"job_id": job_id, "status": "queued", "rules": chosen,
            "status_url": f"/api/jobs/{job_id}"}  # fmt: skip
