"""Databricks' REST error envelope, as the SDK's error parser reads it.

Every refusal is ``{"error_code": ..., "message": ..., "details": [...]}`` with an HTTP
status. The SDK picks its exception class from ``error_code`` first
(``RESOURCE_DOES_NOT_EXIST`` -> ``ResourceDoesNotExist``, ``RESOURCE_ALREADY_EXISTS`` ->
``ResourceAlreadyExists``, ``INVALID_PARAMETER_VALUE`` -> ``InvalidParameterValue``) and from
the status when the code is not one it maps (``PERMISSION_DENIED`` -> 403 ->
``PermissionDenied``), and ``str(error)`` is ``message``. The details carry the reason and a
request id, as Unity Catalog's answers do.
"""

from __future__ import annotations

import uuid
from typing import Any

#: how the securable kinds are named in Unity Catalog's messages
KIND_NAMES = {"catalog": "Catalog", "schema": "Schema", "table": "Table", "column": "Column"}


class UnityError(Exception):
    """A refusal: the HTTP status and the body's ``error_code`` and ``message``."""

    def __init__(
        self,
        status: int,
        error_code: str | int,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers or {}


def error_body(error: UnityError) -> dict[str, Any]:
    """The JSON body Databricks sends with ``error``."""
    body: dict[str, Any] = {"error_code": error.error_code, "message": error.message}
    if isinstance(error.error_code, str):
        body["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": error.error_code,
                "domain": "unity-catalog.databricks.com",
                "metadata": {},
            },
            {
                "@type": "type.googleapis.com/google.rpc.RequestInfo",
                "request_id": str(uuid.uuid4()),
                "serving_data": "",
            },
        ]
    return body


def not_found(kind: str, full_name: str) -> UnityError:
    return UnityError(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        f"{KIND_NAMES.get(kind, kind)} '{full_name}' does not exist.",
    )


def already_exists(kind: str, full_name: str) -> UnityError:
    return UnityError(
        409, "RESOURCE_ALREADY_EXISTS", f"{KIND_NAMES.get(kind, kind)} '{full_name}' already exists"
    )


def invalid(message: str) -> UnityError:
    return UnityError(400, "INVALID_PARAMETER_VALUE", message)


def permission_denied(message: str) -> UnityError:
    return UnityError(403, "PERMISSION_DENIED", message)


def endpoint_not_found(method: str, path: str) -> UnityError:
    return UnityError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")


def invalid_token() -> UnityError:
    """A revoked, expired or mistyped personal access token, as the workspace answers it:
    HTTP 403 with a *numeric* ``error_code`` and the reason in a header."""
    return UnityError(
        403, 403, "Invalid access token.", {"X-Databricks-Reason-Phrase": "Invalid access token."}
    )


def unauthenticated() -> UnityError:
    return UnityError(
        401,
        "UNAUTHENTICATED",
        "Credential was not sent or was of an unsupported type for this API.",
    )
