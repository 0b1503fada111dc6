"""Request dependencies: services, the authenticated principal, scopes and rate limits.

Routes declare what they need with ``Depends(access(scope, route_class))``: the caller is
authenticated, checked for the scope, and counted against the route class's limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from lakechat.api.services import AppServices
from lakechat.errors import AuthenticationFailed, MissingScope
from lakechat.security.principals import LOCAL_ADMIN, Principal


def services(request: Request) -> AppServices:
    result: AppServices = request.app.state.services
    return result


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
    svc = services(request)
    if not svc.settings.enable_auth:
        return LOCAL_ADMIN
    key = presented_key(request, svc.settings.api_key_header)
    if not key:
        raise AuthenticationFailed(
            f"this route needs an API key: send it as {svc.settings.api_key_header} "
            "or Authorization: Bearer (create one with `lakechat keys create`)"
        )
    # a recently verified key is answered on the event loop; only a miss goes to the store
    cached = svc.keys.cached(key)
    if cached is not None:
        return cached
    return await run_in_threadpool(svc.keys.verify, key)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def access(
    scope: str | None, route_class: str = "default"
) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that authenticates, authorizes ``scope`` and applies the rate limit."""

    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        request.state.principal = principal
        if scope is not None and not principal.has_scope(scope):
            raise MissingScope(
                f"this route needs the {scope!r} scope, which your key does not have"
            )
        identity = (
            f"key:{principal.id}" if principal.kind == "api_key" else f"ip:{client_ip(request)}"
        )
        await services(request).limiter.enforce(route_class, identity)
        return principal

    return dependency
