"""Who may call a route: declared on the route, enforced before its handler runs.

Every route states its access in its decorator, and the route class enforces it::

    router = APIRouter(route_class=GuardedRoute)

    @router.get("/api/keys", **requires("admin", rate_class="admin"))
    async def list_keys(principal: Principal = Depends(current_principal)): ...

    @router.get("/health/live", **PUBLIC)
    async def live(): ...

``requires(scope)`` authenticates the caller (API key, or the local admin when
ENABLE_AUTH=false), checks the scope (``None``: any valid key), and counts the request
against its rate-limit class; ``PUBLIC`` is for probes and scrapes only. A route that
declares neither fails at startup, so no route is left open by accident. The declaration
is also published in the OpenAPI document as ``x-lakechat-access``.

This is FastAPI's documented custom-route-class extension point rather than a
dependency: it costs a request about a tenth of what dependency injection does.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from lakechat.errors import AuthenticationFailed, ConfigurationError, MissingScope
from lakechat.security.principals import ALL_SCOPES, LOCAL_ADMIN, Principal
from lakechat.settings import RATE_LIMIT_CLASSES

ACCESS_KEY = "x-lakechat-access"
API_KEY_SCHEME = "ApiKey"
BEARER_SCHEME = "Bearer"


def security_schemes(header_name: str) -> dict[str, Any]:
    """The OpenAPI security schemes, so /docs offers an Authorize button for keys."""
    return {
        API_KEY_SCHEME: {"type": "apiKey", "in": "header", "name": header_name},
        BEARER_SCHEME: {"type": "http", "scheme": "bearer", "description": "an API key, lc_..."},
    }


@dataclass(frozen=True)
class Access:
    """A route's access rule."""

    public: bool
    scope: str | None = None
    rate_class: str = "default"


def requires(scope: str | None, rate_class: str = "default") -> dict[str, Any]:
    """Route keyword arguments: callers need a valid key with ``scope`` (None: any scope)."""
    if scope is not None and scope not in ALL_SCOPES:
        raise ConfigurationError(f"unknown scope {scope!r} on a route")
    if rate_class != "default" and rate_class not in RATE_LIMIT_CLASSES:
        raise ConfigurationError(f"unknown rate-limit class {rate_class!r} on a route")
    return {
        "openapi_extra": {
            ACCESS_KEY: {"public": False, "scope": scope, "rate_limit_class": rate_class},
            "security": [{API_KEY_SCHEME: []}, {BEARER_SCHEME: []}],
        }
    }


#: Route keyword arguments for probes and scrapes: no key, no rate limit.
PUBLIC: dict[str, Any] = {"openapi_extra": {ACCESS_KEY: {"public": True}}}


def route_access(route: APIRoute) -> Access:
    declared = (route.openapi_extra or {}).get(ACCESS_KEY)
    if declared is None:
        raise ConfigurationError(
            f"route {sorted(route.methods or ())} {route.path} declares no access: use **requires(...) or **PUBLIC"
        )
    if declared["public"]:
        return Access(public=True)
    return Access(public=False, scope=declared["scope"], rate_class=declared["rate_limit_class"])


class GuardedRoute(APIRoute):
    """Enforces the route's declared access before FastAPI parses and runs the handler."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        access = route_access(self)
        if access.public:
            return handler

        async def guarded(request: Request) -> Response:
            services = request.app.state.services
            principal = await authenticate(request)
            request.state.principal = principal
            if access.scope is not None and not principal.has_scope(access.scope):
                raise MissingScope(
                    f"this route needs the {access.scope!r} scope, which your key does not have"
                )
            identity = (
                f"key:{principal.id}" if principal.kind == "api_key" else f"ip:{client_ip(request)}"
            )
            await services.limiter.enforce(access.rate_class, identity)
            return await handler(request)

        return guarded


def presented_key(request: Request, header_name: str) -> str | None:
    """The API key from the configured header or from ``Authorization: Bearer``."""
    key = request.headers.get(header_name)
    if key:
        return key.strip()
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def authenticate(request: Request) -> Principal:
    services = request.app.state.services
    if not services.settings.enable_auth:
        return LOCAL_ADMIN
    key = presented_key(request, services.settings.api_key_header)
    if not key:
        raise AuthenticationFailed(
            f"this route needs an API key: send it as {services.settings.api_key_header} "
            "or Authorization: Bearer (create one with `lakechat keys create`)"
        )
    # a recently verified key is answered on the event loop; only a miss goes to the store
    cached: Principal | None = services.keys.cached(key)
    if cached is not None:
        return cached
    # each miss costs a store lookup: a client sending bad keys gets a budget of them
    ip = client_ip(request)
    await services.limiter.check_auth_failures(ip)
    try:
        principal: Principal = await run_in_threadpool(services.keys.verify, key)
    except AuthenticationFailed:
        await services.limiter.record_auth_failure(ip)
        raise
    return principal


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_principal(request: Request) -> Principal:
    """Dependency for handlers that need the caller (set by GuardedRoute)."""
    principal: Principal = request.state.principal
    return principal
