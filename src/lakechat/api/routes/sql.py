"""POST /api/sql: read-only SQL through the guard (scope data:sql, feature flag sql_execution)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, current_principal, requires
from lakechat.api.deps import services
from lakechat.errors import FeatureDisabled
from lakechat.warehouse.guarded import principal_allow_list, run_sql

router = APIRouter(tags=["sql"], route_class=GuardedRoute)


class SqlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: str = Field(min_length=1, max_length=100_000, description="One read-only statement.")


@router.post(
    "/api/sql", summary="Run one read-only SQL statement (guarded)", **requires("data:sql", "sql")
)
async def run(body: SqlRequest, request: Request) -> dict[str, Any]:
    svc = services(request)
    settings = svc.settings
    if not settings.feature_sql_execution:
        raise FeatureDisabled("raw SQL is turned off here (FEATURE_SQL_EXECUTION=false)")
    outcome = await run_in_threadpool(
        run_sql,
        svc.warehouse,
        body.sql,
        allowed_tables=principal_allow_list(current_principal(request), settings.table_access),
        max_rows=settings.query_max_rows,
        timeout_seconds=settings.query_timeout_seconds,
    )
    request.state.log = {
        "plan_type": "SqlRun",
        "sql": outcome.verdict.sql,
        "tables": outcome.verdict.tables,
        "row_count": outcome.result.row_count,
    }
    encoded: dict[str, Any] = jsonable_encoder(outcome.as_json())
    return encoded
