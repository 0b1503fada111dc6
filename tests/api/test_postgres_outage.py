"""PostgreSQL goes away while the service runs on it, then comes back: no restart needed."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from lakechat.settings import Settings
from tests.conftest import issue_key
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres


def wait_for(predicate: Callable[[], bool], seconds: float) -> float:
    """Poll until the predicate holds; returns how long it took, or fails after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.2)
    pytest.fail(f"condition not reached within {seconds} s")


def test_outage_and_recovery(postgres_url: str, make_client, make_settings) -> None:  # type: ignore[no-untyped-def]
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    url = postgres_url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
    settings: Settings = make_settings(database_url=url, auth_cache_seconds=0)
    client: TestClient = make_client(settings)
    admin = issue_key(client, role="admin")
    headers = {"X-API-Key": admin}
    assert client.get("/health/ready").status_code == 200
    assert client.get("/api/keys", headers=headers).status_code == 200

    proxy.cut()
    # the deadline is the acceptance criterion (readiness turns within 5 s), not a speed test
    wait_for(lambda: client.get("/health/ready").status_code == 503, 5.0)
    response = client.get("/api/keys", headers=headers)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "dependency_unavailable"
    assert response.headers["retry-after"] == "5"
    assert client.get("/health").json()["status"] == "unhealthy"
    assert client.get("/health/live").status_code == 200

    proxy.restore()
    wait_for(lambda: client.get("/health/ready").status_code == 200, 15.0)
    assert client.get("/api/keys", headers=headers).status_code == 200
    assert client.get("/api/whoami", headers=headers).status_code == 200

    # requests logged during the outage were kept and written once the store came back
    services = client.app.state.services  # type: ignore[attr-defined]
    services.request_log.flush()
    assert services.request_log.pending == 0
    from sqlalchemy import func, select

    from lakechat.store.models import RequestLogRow

    with services.store.session() as session:
        codes = list(
            session.scalars(
                select(RequestLogRow.error_code).where(RequestLogRow.route == "/api/keys")
            )
        )
    assert "dependency_unavailable" in codes
    with services.store.session() as session:
        assert (session.scalar(select(func.count()).select_from(RequestLogRow)) or 0) >= 4
    proxy.cut()
