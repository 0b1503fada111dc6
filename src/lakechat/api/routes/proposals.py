"""Catalog changes as proposals (scope catalog:write), jobs, and the audit log (admin).

``POST /api/proposals`` takes changes in the API's JSON shape and answers with the exact
statements and the SDK calls they map to; nothing runs until ``.../confirm``. A name ending
in ``.*`` stands for every table of a schema (or every schema of a catalog), so
"grant SELECT on every table in main.sales" is one request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, current_principal, requires
from lakechat.api.deps import services
from lakechat.catalog.expand import expand
from lakechat.errors import NotFound
from lakechat.store.audit import read_audit

router = APIRouter(tags=["catalog changes"], route_class=GuardedRoute)


class ProposalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: list[dict[str, Any]] = Field(
        min_length=1, max_length=10_000, description="Changes, in order"
    )
    summary: str | None = Field(None, max_length=2000)


@router.post(
    "/api/proposals",
    summary="Propose catalog changes",
    status_code=201,
    **requires("catalog:write"),
)
async def propose(body: ProposalRequest, request: Request) -> dict[str, Any]:
    gov = services(request).governance
    changes = await run_in_threadpool(expand, gov.catalog, body.changes)
    proposal = await run_in_threadpool(
        gov.proposals.propose, changes, current_principal(request), summary=body.summary or ""
    )
    request.state.log = {
        "plan_type": "CatalogChange",
        "sql": "\n".join(proposal["statements"])[:10_000],
    }
    return proposal


@router.get(
    "/api/proposals/{proposal_id}", summary="A proposal and its outcome", **requires("catalog:read")
)
async def get_proposal(proposal_id: str, request: Request) -> dict[str, Any]:
    return await run_in_threadpool(services(request).governance.proposals.get, proposal_id)


@router.post(
    "/api/proposals/{proposal_id}/confirm",
    summary="Execute a proposal",
    **requires("catalog:write"),
)
async def confirm(proposal_id: str, request: Request) -> dict[str, Any]:
    gov = services(request).governance
    return await run_in_threadpool(gov.confirm, proposal_id, current_principal(request))


@router.post(
    "/api/proposals/{proposal_id}/cancel", summary="Drop a proposal", **requires("catalog:write")
)
async def cancel(proposal_id: str, request: Request) -> dict[str, Any]:
    gov = services(request).governance
    return await run_in_threadpool(gov.proposals.cancel, proposal_id, current_principal(request))


@router.get("/api/jobs/{job_id}", summary="A background job's progress", **requires(None))
async def job(job_id: str, request: Request) -> dict[str, Any]:
    principal = current_principal(request)
    found = await run_in_threadpool(services(request).governance.runner.jobs.get, job_id)
    if found["principal"] != principal.name and not principal.has_scope("admin"):
        raise NotFound(
            f"no job {job_id!r}"
        )  # someone else's job is not shown, nor confirmed to exist
    return found


@router.get("/api/audit", summary="The audit log, newest first", **requires("admin"))
async def audit(
    request: Request,
    principal: str | None = Query(None, max_length=200),
    action: str | None = Query(None, max_length=100, description="e.g. catalog.grant"),
    object: str | None = Query(None, max_length=500, description="text in the object's name"),
    since: datetime | None = Query(None, description="ISO time"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    store = services(request).store

    def read() -> dict[str, Any]:
        return read_audit(
            store,
            principal=principal,
            action=action,
            obj=object,
            since=since,
            limit=limit,
            offset=offset,
        )

    return await run_in_threadpool(read)
