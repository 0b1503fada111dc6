"""Every error becomes the one envelope, with its status, through ``error_response``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lakechat.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    DependencyUnavailable,
    LakechatError,
    MalformedJson,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RouteNotFound,
    ValidationFailed,
    error_body,
)
from lakechat.observability.context import current_request_id
from lakechat.observability.metrics import ERRORS

log = logging.getLogger(__name__)


def error_response(
    request: Request | None, error: LakechatError, *, status: int | None = None
) -> JSONResponse:
    """The JSON envelope for ``error``; also marks the request for the log and metrics."""
    request_id = current_request_id.get()
    if request is not None:
        request.state.error_code = error.code
    ERRORS.labels(code=error.code).inc()
    return JSONResponse(
        error_body(error.code, error.message, request_id, error.details),
        status_code=status or error.status,
        headers=error.headers,
    )


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def validation_error(exc: RequestValidationError) -> LakechatError:
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        err = next(e for e in errors if e.get("type") == "json_invalid")
        reason = (err.get("ctx") or {}).get("error", "")
        return MalformedJson(
            f"the request body is not valid JSON{': ' + str(reason) if reason else ''}"
        )
    details = [{"field": _field_name(err["loc"]), "message": err["msg"]} for err in errors]
    first = details[0] if details else {"field": "body", "message": "invalid"}
    message = f"{first['field']}: {first['message']}"
    if len(details) > 1:
        message += f" (and {len(details) - 1} more)"
    return ValidationFailed(message, details=details)


#: Framework HTTP errors by status, for those without a special case below.
_BY_STATUS: dict[int, type[LakechatError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationFailed,
}


def http_error(request: Request, exc: StarletteHTTPException) -> LakechatError:
    """Our error for an HTTPException raised by FastAPI, Starlette or a route."""
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        error: LakechatError = RouteNotFound(
            f"no route {request.method} {request.url.path}; the API is listed at /docs"
        )
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
    elif exc.status_code == 429:
        retry = (exc.headers or {}).get("Retry-After", "")
        error = RateLimited(detail, retry_after_seconds=int(retry) if retry.isdigit() else 1)
    elif exc.status_code == 503:
        error = DependencyUnavailable("service", detail)
    else:
        default = BadRequest if exc.status_code < 500 else LakechatError
        error = _BY_STATUS.get(exc.status_code, default)(detail)
    error.headers.update(exc.headers or {})  # Allow on a 405, Retry-After, ...
    return error


def install_error_handlers(app: FastAPI) -> None:
    async def on_lakechat_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LakechatError)
        return error_response(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(request, validation_error(exc))

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        # FastAPI wraps any error raised while reading the body (such as our size limit)
        # in a generic 400; report the error underneath instead
        if isinstance(exc.__cause__, LakechatError):
            return error_response(request, exc.__cause__)
        return error_response(request, http_error(request, exc), status=exc.status_code)

    app.add_exception_handler(LakechatError, on_lakechat_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
