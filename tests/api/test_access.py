"""Every route declares who may call it; an undeclared route cannot exist."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from lakechat.api.access import GuardedRoute, requires, route_access
from lakechat.errors import ConfigurationError

PUBLIC_PATHS = {"/health", "/health/live", "/health/ready", "/api/health", "/v1/health", "/metrics"}


def test_every_api_route_is_guarded_and_declares_access(client: TestClient) -> None:
    routes = [r for r in client.app.routes if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    assert len(routes) >= 12
    for route in routes:
        assert isinstance(route, GuardedRoute), route.path
        access = route_access(route)
        assert access.public == (route.path in PUBLIC_PATHS), route.path


def test_changing_routes_need_a_key(client: TestClient) -> None:
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            assert not route_access(route).public, route.path


def test_a_route_without_a_declaration_cannot_be_defined() -> None:
    router = APIRouter(route_class=GuardedRoute)
    with pytest.raises(ConfigurationError, match="declares no access"):

        @router.get("/api/forgotten")
        async def forgotten() -> None:
            return None


def test_declarations_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="unknown scope"):
        requires("data:everything")
    with pytest.raises(ConfigurationError, match="rate-limit class"):
        requires("data:read", rate_class="nonsense")


def test_openapi_publishes_each_routes_access(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    keys = spec["paths"]["/api/keys"]["get"]["x-lakechat-access"]
    assert keys == {"public": False, "scope": "admin", "rate_limit_class": "admin"}
    assert spec["paths"]["/health/live"]["get"]["x-lakechat-access"] == {"public": True}


def test_openapi_offers_key_authorization(make_client, make_settings) -> None:  # type: ignore[no-untyped-def]
    client = make_client(make_settings(api_key_header="X-Custom-Key"))
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {"type": "apiKey", "in": "header", "name": "X-Custom-Key"}
    assert schemes["Bearer"]["scheme"] == "bearer"
    assert spec["paths"]["/api/whoami"]["get"]["security"] == [{"ApiKey": []}, {"Bearer": []}]
    assert "security" not in spec["paths"]["/health"]["get"]
