"""GET /api/monitor/assistant as an operator uses it: hourly numbers including requests
still buffered in the writer, a tenant's own view, the scope, and bad ``hours`` answered
with the error envelope."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lakechat.api.services import AppServices
from lakechat.settings import Settings
from tests.conftest import issue_key
from tests.monitor.test_assistant_stats import ROWS, UNTIL, entry


def at_until(app: FastAPI) -> None:
    app.state.services = dataclasses.replace(app.state.services, clock=lambda: UNTIL)


@pytest.fixture
def monitored(make_client: Callable[..., TestClient], settings: Settings) -> TestClient:
    client = make_client(settings, at_until)
    svc: AppServices = client.app.state.services  # type: ignore[attr-defined]
    # left in the writer's buffer: the route writes it before reading
    for row in ROWS:
        svc.request_log.submit(entry(*row))
    svc.request_log.submit(entry(15, 55.0, domain="cost", tenant="globex"))
    return client


def get(client: TestClient, key: str, query: str = "") -> Any:
    return client.get(f"/api/monitor/assistant{query}", headers={"X-API-Key": key})


def test_hourly_numbers_per_hour_with_totals_and_domains(monitored: TestClient) -> None:
    response = get(monitored, issue_key(monitored, role="admin"), "?hours=4")
    assert response.status_code == 200
    body = response.json()
    assert body["hours"] == 4 and body["tenant"] is None
    assert body["since"] == "2026-03-02T09:00:00+00:00"
    assert [row["hour"][11:16] for row in body["hourly"]] == ["09:00", "10:00", "11:00", "12:00"]
    assert [row["requests"] for row in body["hourly"]] == [0, 2, 4, 4]
    assert body["totals"]["requests"] == 10
    assert body["totals"]["errors"] == 2 and body["totals"]["rejected"] == 1
    assert body["totals"]["error_rate"] == pytest.approx(0.2)
    assert body["domains"] == {"cost": 4, "data": 3, "reliability": 1}
    assert body["hourly"][0]["success_rate"] is None


def test_the_default_is_the_last_24_hours(monitored: TestClient) -> None:
    body = get(monitored, issue_key(monitored, role="admin")).json()
    assert body["hours"] == 24 and len(body["hourly"]) == 24


def test_a_tenant_sees_its_own_requests_and_an_admin_everyone(monitored: TestClient) -> None:
    viewer = issue_key(monitored, role="viewer", tenant="globex")
    body = get(monitored, viewer, "?hours=2").json()
    assert body["tenant"] == "globex" and body["totals"]["requests"] == 1
    assert body["domains"] == {"cost": 1}


def test_it_needs_the_health_read_scope(monitored: TestClient) -> None:
    key = issue_key(monitored, role="viewer", scopes=["data:read"])
    response = get(monitored, key)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"


@pytest.mark.parametrize("hours", ["0", "-1", "2161", "1.5", "abc", "", "99999999999999999999"])
def test_bad_hours_get_the_error_envelope(monitored: TestClient, hours: str) -> None:
    response = get(monitored, issue_key(monitored, role="admin"), f"?hours={hours}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "hours" in error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
