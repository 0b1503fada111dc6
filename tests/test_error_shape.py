"""Every error source answers with the one envelope, its status, and the request id.

Like datasette's test_error_shape.py: one file that hits each way a request can fail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lakechat.errors import LakechatError, all_error_classes, error_body
from lakechat.security.api_keys import ApiKeyService
from lakechat.settings import Settings
from lakechat.store.types import utcnow
from tests.conftest import free_port, issue_key


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"code", "message", "request_id"} <= set(error)
    assert error["code"] == code
    assert error["message"] and "Traceback" not in error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    return error


def test_error_body_is_the_one_envelope() -> None:
    assert error_body("x", "y", "rid") == {
        "error": {"code": "x", "message": "y", "request_id": "rid"}
    }
    assert error_body("x", "y", "rid", [{"field": "f", "message": "m"}])["error"]["details"] == [
        {"field": "f", "message": "m"}
    ]


def test_error_codes_are_unique_and_statuses_are_http_errors() -> None:
    classes = all_error_classes()
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), codes
    assert all(400 <= cls.status <= 599 for cls in classes)


def test_malformed_json(client: TestClient, admin_key: str) -> None:
    response = client.post(
        "/api/keys",
        content=b"{not json",
        headers={"X-API-Key": admin_key, "content-type": "application/json"},
    )
    assert_envelope(response, 400, "malformed_json")


def test_wrong_type_names_the_field(client: TestClient, admin_key: str) -> None:
    response = client.post("/api/keys", json={"name": 42}, headers={"X-API-Key": admin_key})
    error = assert_envelope(response, 422, "validation_error")
    assert "body.name" in error["message"]
    assert error["details"][0]["field"] == "body.name"


def test_unknown_field_is_refused(client: TestClient, admin_key: str) -> None:
    response = client.post(
        "/api/keys", json={"name": "x", "rol": "admin"}, headers={"X-API-Key": admin_key}
    )
    error = assert_envelope(response, 422, "validation_error")
    assert "rol" in error["message"]


def test_bad_value_gets_a_clear_message(client: TestClient, admin_key: str) -> None:
    response = client.post(
        "/api/keys", json={"name": "x", "role": "superuser"}, headers={"X-API-Key": admin_key}
    )
    error = assert_envelope(response, 400, "bad_request")
    assert "viewer, analyst, admin" in error["message"]


def test_unknown_route(client: TestClient) -> None:
    assert_envelope(client.get("/no/such/route"), 404, "route_not_found")


def test_wrong_method(client: TestClient) -> None:
    assert_envelope(client.put("/health"), 405, "method_not_allowed")


def test_missing_key(client: TestClient) -> None:
    error = assert_envelope(client.get("/api/whoami"), 401, "auth_required")
    assert "X-API-Key" in error["message"]


def test_invalid_key(client: TestClient) -> None:
    assert_envelope(
        client.get("/api/whoami", headers={"X-API-Key": "lc_nope1234_abcdefghijklmnop"}),
        401,
        "invalid_api_key",
    )
    assert_envelope(
        client.get("/api/whoami", headers={"Authorization": "Bearer garbage"}),
        401,
        "invalid_api_key",
    )


def test_revoked_key(client: TestClient) -> None:
    service = ApiKeyService(client.app.state.services.store)  # type: ignore[attr-defined]
    issued = service.create(name="soon-revoked")
    assert client.get("/api/whoami", headers={"X-API-Key": issued.secret}).status_code == 200
    admin = issue_key(client, role="admin")
    assert (
        client.delete(f"/api/keys/{issued.info.id}", headers={"X-API-Key": admin}).status_code
        == 200
    )
    assert_envelope(
        client.get("/api/whoami", headers={"X-API-Key": issued.secret}), 401, "api_key_revoked"
    )


def test_expired_key(client: TestClient) -> None:
    store = client.app.state.services.store  # type: ignore[attr-defined]
    issued = ApiKeyService(store).create(name="short", expires_at=utcnow() + timedelta(hours=1))
    from sqlalchemy import update

    from lakechat.store.models import ApiKeyRow

    with store.session() as session:
        session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == issued.info.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert_envelope(
        client.get("/api/whoami", headers={"X-API-Key": issued.secret}), 401, "api_key_expired"
    )


def test_missing_scope(client: TestClient) -> None:
    viewer = issue_key(client, role="viewer")
    error = assert_envelope(
        client.get("/internal/status", headers={"X-API-Key": viewer}), 403, "missing_scope"
    )
    assert "admin" in error["message"]


def test_over_the_rate_limit(
    make_client: Callable[[Settings], TestClient], make_settings: Callable[..., Settings]
) -> None:
    client = make_client(make_settings(rate_limit_per_minute=2))
    key = issue_key(client)
    for _ in range(2):
        assert client.get("/api/whoami", headers={"X-API-Key": key}).status_code == 200
    response = client.get("/api/whoami", headers={"X-API-Key": key})
    assert_envelope(response, 429, "rate_limited")
    assert 1 <= int(response.headers["retry-after"]) <= 60


def test_dependency_down(
    make_client: Callable[[Settings], TestClient],
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    client = make_client(make_settings())
    key = issue_key(client)
    # point the running app's store at a PostgreSQL port where nothing listens
    from lakechat.store.database import StateStore

    services = client.app.state.services  # type: ignore[attr-defined]
    dead = StateStore(
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none", connect_timeout=1
    )
    object.__setattr__(services.keys, "_store", dead)
    services.keys._cache.clear()
    error = assert_envelope(
        client.get("/api/whoami", headers={"X-API-Key": key}), 503, "dependency_unavailable"
    )
    assert "state store" in error["message"]


def test_unexpected_exception_has_no_stack_trace(
    make_client: Callable[..., TestClient], settings: Settings
) -> None:
    def add_broken_route(app: FastAPI) -> None:
        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("secret internals /etc/passwd")

    client = make_client(settings, add_broken_route)
    response = client.get("/boom")
    error = assert_envelope(response, 500, "internal_error")
    assert error["message"].startswith("lakechat hit an unexpected error")
    assert "internals" not in response.text and "RuntimeError" not in response.text


def test_lakechat_error_raised_in_a_route(
    make_client: Callable[..., TestClient], settings: Settings
) -> None:
    def add_route(app: FastAPI) -> None:
        @app.get("/conflict")
        async def conflict() -> None:
            from lakechat.errors import Conflict

            raise Conflict("already there")

    error = assert_envelope(make_client(settings, add_route).get("/conflict"), 409, "conflict")
    assert error["message"] == "already there"


def test_payload_too_large(
    make_client: Callable[[Settings], TestClient], make_settings: Callable[..., Settings]
) -> None:
    client = make_client(make_settings(max_request_mb=0.001))
    key = issue_key(client, role="admin")
    response = client.post("/api/keys", json={"name": "x" * 5000}, headers={"X-API-Key": key})
    assert_envelope(response, 413, "payload_too_large")


def test_payload_too_large_without_content_length(
    make_client: Callable[[Settings], TestClient], make_settings: Callable[..., Settings]
) -> None:
    client = make_client(make_settings(max_request_mb=0.001))
    key = issue_key(client, role="admin")
    chunks = iter([b'{"name": "', b"x" * 800, b"x" * 800, b'"}'])
    response = client.post(
        "/api/keys",
        content=chunks,
        headers={"X-API-Key": key, "content-type": "application/json"},
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_envelope(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("status", "headers", "code"),
    [
        (409, None, "conflict"),
        (429, {"Retry-After": "7"}, "rate_limited"),
        (503, None, "dependency_unavailable"),
        (418, None, "bad_request"),
        (502, None, "internal_error"),
    ],
)
def test_framework_http_errors_keep_status_and_headers(
    make_client: Callable[..., TestClient],
    settings: Settings,
    status: int,
    headers: dict[str, str] | None,
    code: str,
) -> None:
    from fastapi import HTTPException

    def add_route(app: FastAPI) -> None:
        @app.get("/http-error")
        async def http_error() -> None:
            raise HTTPException(status, detail="framework says no", headers=headers)

    response = make_client(settings, add_route).get("/http-error")
    error = assert_envelope(response, status, code)
    assert "framework says no" in error["message"]
    for name, value in (headers or {}).items():
        assert response.headers[name] == value


def test_405_says_which_methods_are_allowed(client: TestClient) -> None:
    response = client.delete("/health/live")
    assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


def test_401_names_the_scheme(client: TestClient) -> None:
    assert client.get("/api/whoami").headers["www-authenticate"].startswith("Bearer")


def test_errors_carry_cors_headers(
    make_client: Callable[..., TestClient], make_settings: Callable[..., Settings]
) -> None:
    def add_broken_route(app: FastAPI) -> None:
        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("boom")

    settings = make_settings(allowed_origins=["http://bi.example"], max_request_mb=0.001)
    client = make_client(settings, add_broken_route)
    origin = {"Origin": "http://bi.example"}
    crashed = client.get("/boom", headers=origin)
    assert_envelope(crashed, 500, "internal_error")
    assert crashed.headers["access-control-allow-origin"] == "http://bi.example"
    too_big = client.post("/api/keys", content=b"x" * 5000, headers=origin)
    assert_envelope(too_big, 413, "payload_too_large")
    assert too_big.headers["access-control-allow-origin"] == "http://bi.example"


def test_incoming_request_id_is_kept_and_unsafe_ones_replaced(client: TestClient) -> None:
    response = client.get("/no/such", headers={"X-Request-ID": "trace-abc-123"})
    assert response.headers["x-request-id"] == "trace-abc-123"
    assert response.json()["error"]["request_id"] == "trace-abc-123"
    unsafe = client.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
    assert len(unsafe.headers["x-request-id"]) == 32


def test_every_success_carries_a_request_id(client: TestClient) -> None:
    for path in ("/health", "/health/live", "/api/health", "/v1/health", "/metrics"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["x-request-id"]


def test_every_error_class_maps_to_its_status(
    make_client: Callable[..., TestClient], settings: Settings
) -> None:
    classes = [cls for cls in all_error_classes() if cls.__init__ is LakechatError.__init__]

    def add_route(app: FastAPI) -> None:
        @app.get("/raise/{name}")
        async def raise_it(name: str) -> None:
            raise next(cls for cls in classes if cls.__name__ == name)()

    client = make_client(settings, add_route)
    for cls in classes:
        assert_envelope(client.get(f"/raise/{cls.__name__}"), cls.status, cls.code)


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
def test_both_key_headers_work(client: TestClient, header: str) -> None:
    key = issue_key(client)
    value = key if header == "X-API-Key" else f"Bearer {key}"
    assert client.get("/api/whoami", headers={header: value}).status_code == 200
