"""API keys over HTTP (admin), and /api/whoami for any key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, current_principal, requires
from lakechat.api.deps import services
from lakechat.security.principals import Principal

router = APIRouter(tags=["keys"], route_class=GuardedRoute)


class CreateKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    tenant: str = Field("default", min_length=1, max_length=200)
    role: str = "viewer"
    scopes: list[str] | None = None
    groups: list[str] | None = None
    expires_at: datetime | None = None


@router.get(
    "/api/ping",
    summary="Check that your key works (authenticated, rate-limited, does nothing)",
    **requires(None),
)
async def ping() -> dict[str, bool]:
    return {"ok": True}


@router.get("/api/whoami", summary="The principal your key stands for", **requires(None))
async def whoami(principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    return {
        "id": principal.id,
        "name": principal.name,
        "kind": principal.kind,
        "tenant": principal.tenant,
        "role": principal.role.value,
        "scopes": sorted(principal.scopes),
        "groups": sorted(principal.groups),
    }


@router.post(
    "/api/keys",
    status_code=201,
    summary="Create an API key (shown once)",
    **requires("admin", "admin"),
)
async def create_key(
    body: CreateKeyRequest,
    request: Request,
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    issued = await run_in_threadpool(
        lambda: services(request).keys.create(
            name=body.name,
            tenant=body.tenant,
            role=body.role,
            scopes=body.scopes,
            groups=body.groups,
            expires_at=body.expires_at,
            created_by=principal.name,
        )
    )
    return {
        "key": issued.secret,
        **issued.info.as_json(),
        "note": "store this key now; it is not shown again",
    }


@router.get(
    "/api/keys", summary="List API keys (never the keys themselves)", **requires("admin", "admin")
)
async def list_keys(
    request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    keys = await run_in_threadpool(services(request).keys.list)
    return {"keys": [k.as_json() for k in keys]}


@router.delete(
    "/api/keys/{key_id}", summary="Revoke an API key by id or prefix", **requires("admin", "admin")
)
async def revoke_key(
    key_id: str, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    info = await run_in_threadpool(
        lambda: services(request).keys.revoke(key_id, revoked_by=principal.name)
    )
    return info.as_json()
