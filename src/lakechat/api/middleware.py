"""Two pure-ASGI middlewares around every request.

``RequestContextMiddleware`` is outermost: request id, X-Request-ID, metrics, the access
line and the request log. ``ErrorEnvelopeMiddleware`` sits inside CORS (so its responses
carry CORS headers too) and outside FastAPI's exception handling: it enforces the body
limit and turns anything unexpected into the 500 envelope instead of a stack trace.

    RequestContextMiddleware -> CORSMiddleware -> ErrorEnvelopeMiddleware -> FastAPI
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lakechat.errors import LakechatError, PayloadTooLarge, error_body
from lakechat.observability.context import accept_request_id, current_request_id
from lakechat.observability.metrics import ERRORS, HTTP_DURATION, HTTP_REQUESTS
from lakechat.store.request_log import RequestLogEntry, RequestLogWriter

log = logging.getLogger("lakechat.access")

#: Probes and scrapes are not written to the request log.
UNLOGGED_PREFIXES = (
    "/health",
    "/api/health",
    "/v1/health",
    "/metrics",
    "/docs",
    "/openapi.json",
    "/redoc",
)

#: Fields a route may set on ``request.state.log`` for the request log.
LOG_FIELDS = frozenset(
    {
        "question",
        "plan_type",
        "domain",
        "sql",
        "tables",
        "status",
        "row_count",
        "tokens_in",
        "tokens_out",
        "confidence",
    }
)


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        request_log: RequestLogWriter,
        log_requests: bool = True,
    ) -> None:
        self.app = app
        self.log_requests = log_requests
        self.request_log = request_log
        # prometheus-client's labels() takes a lock and builds a key on every call; the
        # children for each (method, route, status) are looked up once and kept here
        self._metric_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = _header(scope, b"x-request-id")
        request_id = accept_request_id(incoming)
        token = current_request_id.set(request_id)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status_holder = {"status": 500, "started": False}
        raw_id = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", raw_id))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # only if a middleware between us and the envelope failed
            if status_holder["started"]:
                raise
            await _send_error(send_with_id, _as_error(exc, scope, state), request_id)
        finally:
            elapsed = time.perf_counter() - started
            self._observe(scope, state, int(status_holder["status"]), elapsed)
            current_request_id.reset(token)

    def _observe(self, scope: Scope, state: dict[str, Any], status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        children = self._metric_children.get((method, template, status))
        if children is None:
            children = (
                HTTP_REQUESTS.labels(method=method, route=template, status=str(status)),
                HTTP_DURATION.labels(method=method, route=template),
            )
            self._metric_children[(method, template, status)] = children
        children[0].inc()
        children[1].observe(elapsed)
        path = scope["path"]
        if self.log_requests and log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %d %.1fms",
                method,
                path,
                status,
                elapsed * 1000,
                extra={
                    "http_status": status,
                    "route": template,
                    "latency_ms": round(elapsed * 1000, 2),
                },
            )
        if path.startswith(UNLOGGED_PREFIXES):
            return
        principal = state.get("principal")
        fields = {k: v for k, v in (state.get("log") or {}).items() if k in LOG_FIELDS}
        if "tables" in fields and fields["tables"] is not None:
            fields["tables"] = tuple(fields["tables"])
        fields.setdefault("status", "ok" if status < 400 else "error")
        self.request_log.submit(
            RequestLogEntry(
                request_id=state["request_id"],
                time=datetime.now(UTC),
                method=method,
                route=template,
                http_status=status,
                latency_ms=round(elapsed * 1000, 3),
                principal=getattr(principal, "name", None),
                tenant=getattr(principal, "tenant", None),
                error_code=state.get("error_code"),
                **fields,
            )
        )


class ErrorEnvelopeMiddleware:
    """Body-size limit, and the envelope for any error FastAPI's handlers did not take."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        larger_bodies: dict[str, tuple[int, str]] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        #: paths that take larger bodies (uploads): path -> (limit, the setting behind it)
        self.larger_bodies = larger_bodies or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        limit, setting = self.larger_bodies.get(
            scope["path"], (self.max_body_bytes, "MAX_REQUEST_MB")
        )
        try:
            length = _header(scope, b"content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                raise PayloadTooLarge(
                    f"the request body is {int(length)} bytes; the limit is {limit} ({setting})"
                )
            await self.app(scope, _limited(receive, limit, setting), tracking_send)
        except Exception as exc:
            if started:
                raise
            state: dict[str, Any] = scope.setdefault("state", {})
            await _send_error(send, _as_error(exc, scope, state), current_request_id.get())


def _as_error(exc: Exception, scope: Scope, state: dict[str, Any]) -> LakechatError:
    error = exc if isinstance(exc, LakechatError) else None
    if error is None:
        log.exception("unhandled error serving %s %s", scope["method"], scope["path"])
        error = LakechatError()
    state["error_code"] = error.code
    ERRORS.labels(code=error.code).inc()
    return error


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _limited(receive: Receive, limit: int, setting: str) -> Receive:
    """Stop reading a body that grows past the limit even without a Content-Length."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise PayloadTooLarge(
                    f"the request body is over the limit of {limit} bytes ({setting})"
                )
        return message

    return wrapped


async def _send_error(send: Send, error: LakechatError, request_id: str) -> None:
    import json

    body = json.dumps(error_body(error.code, error.message, request_id, error.details)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
