"""One exception tree for lakechat, one stable code per error, one JSON envelope.

Every error a client can see is a ``LakechatError``. Each class carries a stable
``code`` (what clients branch on) and the HTTP ``status`` it maps to. The API turns
any of them into ``{"error": {"code", "message", "request_id"}}`` through
``error_body()``; the CLI prints the message and exits non-zero.

    LakechatError                      500 internal_error
    ├── ConfigurationError             500 config_error
    ├── BadRequest                     400 bad_request
    │   ├── MalformedJson              400 malformed_json
    │   ├── ValidationFailed           422 validation_error
    │   └── PayloadTooLarge            413 payload_too_large
    ├── AuthenticationFailed           401 auth_required
    │   ├── InvalidApiKey              401 invalid_api_key
    │   ├── RevokedApiKey              401 api_key_revoked
    │   └── ExpiredApiKey              401 api_key_expired
    ├── PermissionDenied               403 forbidden
    │   ├── MissingScope               403 missing_scope
    │   └── FeatureDisabled            403 feature_disabled
    ├── NotFound                       404 not_found
    │   └── RouteNotFound              404 route_not_found
    ├── MethodNotAllowed               405 method_not_allowed
    ├── Conflict                       409 conflict
    ├── RateLimited                    429 rate_limited
    ├── DependencyUnavailable          503 dependency_unavailable
    └── QueryTimeout                   504 query_timeout

    BadRequest also has QueryFailed (400 query_failed): the warehouse refused a statement.

Later capabilities add their own branches under these (for example the SQL guard's
``guard.*`` codes under ``BadRequest``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class LakechatError(Exception):
    """Base of every error lakechat reports to a user."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = (
        "lakechat hit an unexpected error; the request id is in the logs"
    )
    #: Headers every response for this error carries.
    default_headers: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = list(details) if details else []
        self.headers = {**self.default_headers, **(headers or {})}
        super().__init__(self.message)


class ConfigurationError(LakechatError):
    """The settings cannot work together; raised at startup, before serving anything."""

    code = "config_error"
    default_message = "lakechat's configuration is invalid"


class BadRequest(LakechatError):
    """The request cannot be carried out as sent."""

    code = "bad_request"
    status = 400
    default_message = "the request is not valid"


class MalformedJson(BadRequest):
    """The body is not parseable JSON."""

    code = "malformed_json"
    default_message = "the request body is not valid JSON"


class ValidationFailed(BadRequest):
    """The body or parameters have the wrong shape; ``details`` names each field."""

    code = "validation_error"
    status = 422
    default_message = "the request has invalid fields"


class PayloadTooLarge(BadRequest):
    """The body is larger than the server accepts."""

    code = "payload_too_large"
    status = 413
    default_message = "the request body is too large"


class AuthenticationFailed(LakechatError):
    """No usable credential came with the request."""

    code = "auth_required"
    status = 401
    default_message = "this route needs an API key: send it as X-API-Key or Authorization: Bearer"
    default_headers = {"WWW-Authenticate": 'Bearer realm="lakechat"'}


class InvalidApiKey(AuthenticationFailed):
    """The key does not match any key lakechat issued."""

    code = "invalid_api_key"
    default_message = "the API key is not valid"


class RevokedApiKey(AuthenticationFailed):
    """The key was revoked."""

    code = "api_key_revoked"
    default_message = "the API key has been revoked; ask an admin for a new one"


class ExpiredApiKey(AuthenticationFailed):
    """The key is past its expiry time."""

    code = "api_key_expired"
    default_message = "the API key has expired; ask an admin for a new one"


class PermissionDenied(LakechatError):
    """The caller is known but may not do this."""

    code = "forbidden"
    status = 403
    default_message = "you are not allowed to do this"


class MissingScope(PermissionDenied):
    """The caller's key lacks the scope the route needs."""

    code = "missing_scope"


class FeatureDisabled(PermissionDenied):
    """A feature flag turns this capability off."""

    code = "feature_disabled"


class NotFound(LakechatError):
    """The named object does not exist."""

    code = "not_found"
    status = 404
    default_message = "not found"


class RouteNotFound(NotFound):
    """No route matches the path."""

    code = "route_not_found"


class MethodNotAllowed(LakechatError):
    """The route exists but not for this HTTP method."""

    code = "method_not_allowed"
    status = 405


class Conflict(LakechatError):
    """The request conflicts with what is stored."""

    code = "conflict"
    status = 409


class RateLimited(LakechatError):
    """The caller used up its request budget; ``Retry-After`` says when to come back."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        self.retry_after_seconds = max(1, retry_after_seconds)
        super().__init__(message, headers={"Retry-After": str(self.retry_after_seconds)})


class DependencyUnavailable(LakechatError):
    """A service lakechat needs (state store, warehouse, cache) cannot be reached."""

    code = "dependency_unavailable"
    status = 503

    def __init__(self, dependency: str, reason: str = "") -> None:
        self.dependency = dependency
        text = f"the {dependency} is unavailable"
        if reason:
            text += f": {reason}"
        super().__init__(text + "; try again shortly", headers={"Retry-After": "5"})


class QueryFailed(BadRequest):
    """The warehouse refused or could not run a statement; the message is the warehouse's."""

    code = "query_failed"
    default_message = "the warehouse could not run the statement"


class QueryTimeout(LakechatError):
    """A statement ran (or waited for a free slot) longer than QUERY_TIMEOUT_SECONDS."""

    code = "query_timeout"
    status = 504
    default_message = "the query ran longer than QUERY_TIMEOUT_SECONDS"


def all_error_classes() -> list[type[LakechatError]]:
    """Every class in the tree, the root first (for docs and the envelope tests)."""
    found: list[type[LakechatError]] = []
    pending: list[type[LakechatError]] = [LakechatError]
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def first_line(exc: BaseException) -> str:
    """The first line of a driver's message (or its class name): what a user is shown."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def error_body(
    code: str, message: str, request_id: str, details: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """The one JSON envelope every error response carries."""
    body: dict[str, Any] = {"code": code, "message": message, "request_id": request_id}
    if details:
        body["details"] = [dict(d) for d in details]
    return {"error": body}
