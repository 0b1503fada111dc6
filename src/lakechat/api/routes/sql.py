"""POST /api/sql: read-only SQL through the guard (scope data:sql, feature flag sql_execution)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, current_principal, requires
from lakechat.api.deps import services
from lakechat.warehouse.guarded import run_for

router = APIRouter(tags=["sql"], route_class=GuardedRoute)


class SqlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: str = Field(min_length=1, max_length=100_000, description="One read-only statement.")


@router.post(
    "/api/sql", summary="Run one read-only SQL statement (guarded)", **requires("data:sql", "sql")
)
async def run(body: SqlRequest, request: Request) -> dict[str, Any]:
    svc = services(request)
    principal = current_principal(request)
    outcome = await run_in_threadpool(
        lambda: run_for(
            principal, svc.warehouse, body.sql, svc.settings, svc.governance.readable(principal)
        )
    )
    request.state.log = {
        "plan_type": "SqlRun",
        "sql": outcome.verdict.sql,
        "tables": outcome.verdict.tables,
        "row_count": outcome.result.row_count,
    }
    encoded: dict[str, Any] = jsonable_encoder(outcome.as_json())
    return encoded
