"""Health routes in lakechat's and the guides' shapes, /internal/status and /metrics."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from lakechat.settings import Settings
from tests.conftest import free_port, issue_key


def test_health_lists_every_dependency(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "healthy"
    checks = {c["name"]: c for c in body["checks"]}
    assert set(checks) == {"state_store", "warehouse", "cache", "file_store", "documents"}
    assert checks["documents"]["detail"].startswith("lexical search only: no embedder")
    assert all(c["status"] == "healthy" and c["latency_ms"] >= 0 for c in checks.values())
    assert checks["state_store"]["required"] and not checks["cache"]["required"]
    assert body["service"] == "lakechat" and body["version"]


def test_public_health_shows_no_paths_or_urls(make_client, make_settings, home) -> None:  # type: ignore[no-untyped-def]
    client = make_client(make_settings())
    text = client.get("/health").text
    assert str(home) not in text and "sqlite:" not in text


def test_live_and_ready(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "alive"}
    assert client.get("/health/ready").json() == {"status": "ready"}


def test_guide_shapes(client: TestClient) -> None:
    api = client.get("/api/health").json()
    assert api["status"] == "healthy" and api["service"] == "lakechat"
    v1 = client.get("/v1/health").json()
    assert set(v1) == {"status", "time", "version", "cache"}
    assert v1["cache"] == {
        "enabled": True,
        "redis_available": False,
        "backend": "memory",
        "hits": 0,
        "misses": 0,
        "evictions": 0,
        "entries": 0,
    }


@pytest.mark.redis
def test_v1_health_reports_redis(
    make_client, make_settings, redis_url: str, redis_prefix: str
) -> None:  # type: ignore[no-untyped-def]
    client = make_client(make_settings(redis_url=redis_url, redis_key_prefix=redis_prefix))
    cache = client.get("/v1/health").json()["cache"]
    assert cache["enabled"] and cache["redis_available"] and cache["backend"] == "redis"


def test_redis_down_is_degraded_not_unhealthy(make_client, make_settings) -> None:  # type: ignore[no-untyped-def]
    client = make_client(make_settings(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    body = client.get("/health").json()
    assert body["status"] == "degraded"
    assert client.get("/health/ready").status_code == 200
    assert client.get("/v1/health").json()["cache"]["redis_available"] is False


def test_store_down_is_unhealthy_and_not_ready(make_client, make_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings()
    client: TestClient = make_client(settings)
    from lakechat.observability.health import state_store_check
    from lakechat.store.database import StateStore

    dead = StateStore(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x", connect_timeout=1)
    health = client.app.state.services.health  # type: ignore[attr-defined]
    health.checks[0] = state_store_check(dead)
    health._last = None
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "dependency_unavailable"
    assert "state_store" in ready.json()["error"]["message"]
    full = client.get("/health")
    assert full.status_code == 503 and full.json()["status"] == "unhealthy"
    assert client.get("/api/health").status_code == 503
    assert client.get("/health/live").status_code == 200


def test_internal_status_is_admin_only(client: TestClient) -> None:
    assert client.get("/internal/status").status_code == 401
    viewer = issue_key(client, role="viewer")
    assert client.get("/internal/status", headers={"X-API-Key": viewer}).status_code == 403
    admin = issue_key(client, role="admin")
    body = client.get("/internal/status", headers={"X-API-Key": admin}).json()
    assert body["encryption_configured"] is False
    assert body["redis"] == {"configured": False, "available": False}
    assert body["cache"]["backend"] == "memory"
    assert (
        body["rate_limits"]["storage"] == "memory"
        and body["rate_limits"]["classes"]["query"] == 120
    )
    assert body["guards"]["sql_execution"] is True
    assert body["database"]["backend"] == "sqlite" and body["database"]["up_to_date"] is True


def test_internal_status_reports_encryption(make_client, make_settings) -> None:  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    client = make_client(make_settings(encryption_key=Fernet.generate_key().decode()))
    admin = issue_key(client, role="admin")
    assert (
        client.get("/internal/status", headers={"X-API-Key": admin}).json()["encryption_configured"]
        is True
    )


def metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_errors_and_durations(client: TestClient) -> None:
    before = client.get("/metrics").text
    client.get("/health/live")
    client.get("/health/live")
    client.get("/api/whoami")  # 401
    client.get("/nowhere")  # 404
    after = client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    delta = lambda name, **kw: metric(text, name, **kw) - metric(before, name, **kw)  # noqa: E731
    assert delta("http_requests_total", method="GET", route="/health/live", status="200") == 2
    assert delta("http_requests_total", method="GET", route="/api/whoami", status="401") == 1
    assert delta("http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert delta("lakechat_errors_total", code="auth_required") == 1
    assert delta("lakechat_errors_total", code="route_not_found") == 1
    assert delta("http_request_duration_seconds_count", method="GET", route="/health/live") == 2


def test_cors_for_allowed_origins_only(make_client, make_settings) -> None:  # type: ignore[no-untyped-def]
    client = make_client(make_settings(allowed_origins=["http://bi.example"]))
    ok = client.options(
        "/api/whoami",
        headers={"Origin": "http://bi.example", "Access-Control-Request-Method": "GET"},
    )
    assert ok.headers.get("access-control-allow-origin") == "http://bi.example"
    other = client.get("/health/live", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers
