"""The catalog API with CATALOG_PROVIDER=unity: lakechat's routes on the real databricks-sdk
against the local fake of Unity Catalog, and Databricks' refusals passed on as 403s."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lakechat.settings import Settings
from tests.catalog.fake_unity.server import FakeUnityCatalog
from tests.conftest import issue_key


@pytest.fixture
def api(make_client: Callable[..., TestClient], make_settings: Callable[..., Settings],
        fake_unity: FakeUnityCatalog, lakehouse_copy: Path) -> TestClient:  # fmt: skip
    fake_unity.seed_from_lakehouse(lakehouse_copy)
    settings = make_settings(catalog_provider="unity", databricks_host=fake_unity.host,
                             databricks_token=fake_unity.token, databricks_warehouse_id=fake_unity.warehouse_id)  # fmt: skip
    return make_client(settings)


def test_browse_and_change_unity_catalog(api: TestClient, fake_unity: FakeUnityCatalog) -> None:
    admin = {"X-API-Key": issue_key(api, role="admin")}
    tables = api.get("/api/tables/main/sales", headers=admin).json()
    assert (
        "orders" in {t["name"] for t in tables["tables"]}
        and tables["sql"] == "SHOW TABLES IN main.sales"
    )
    proposal = api.post("/api/proposals", headers=admin, json={"changes": [
        {"action": "grant", "name": "main.sales.orders", "principal": "analysts", "privileges": ["SELECT"]}]}).json()  # fmt: skip
    assert api.post(proposal["confirm"], headers=admin).json()["status"] == "executed"
    assert (
        "PATCH /api/2.1/unity-catalog/permissions/table/main.sales.orders"
        in fake_unity.log.calls("PATCH")
    )
    grants = api.get("/api/grants/table/main.sales.orders", headers=admin).json()["grants"]
    assert {"principal": "analysts", "privileges": ["SELECT"], "inherited_from": None} in grants


def test_databricks_refusals_are_403_with_its_message(
    api: TestClient, fake_unity: FakeUnityCatalog
) -> None:
    admin = {"X-API-Key": issue_key(api, role="admin")}
    fake_unity.deny(
        "GET",
        "/api/2.1/unity-catalog/tables/main.hr.salaries",
        "User does not have SELECT on Table 'main.hr.salaries'.",
    )
    refused = api.get("/api/tables/main.hr.salaries", headers=admin)
    assert refused.status_code == 403
    message = refused.json()["error"]["message"]
    assert (
        message.startswith("Databricks refused: User does not have SELECT")
        and "Config:" not in message
    )
    fake_unity.protect("main.sales.orders")
    proposal = api.post("/api/proposals", headers=admin, json={"changes": [
        {"action": "set_owner", "name": "main.sales.orders", "owner": "data_stewards"}]}).json()  # fmt: skip
    outcome = api.post(proposal["confirm"], headers=admin).json()
    assert outcome["status"] == "failed"
    [statement] = outcome["result"]["statements"]
    assert statement["status"] == "failed" and statement["error"].startswith("Databricks refused:")
    audit = api.get("/api/audit", headers=admin, params={"action": "catalog.set_owner"}).json()[
        "entries"
    ]
    assert audit[0]["outcome"] == "failure" and audit[0]["error"].startswith("Databricks refused:")


def test_unknown_principals_are_refused_by_databricks(api: TestClient) -> None:
    admin = {"X-API-Key": issue_key(api, role="admin")}
    proposal = api.post("/api/proposals", headers=admin, json={"changes": [
        {"action": "grant", "name": "main.sales", "principal": "nobody-here", "privileges": ["SELECT"]}]}).json()  # fmt: skip
    outcome = api.post(proposal["confirm"], headers=admin).json()
    assert (
        outcome["status"] == "failed"
        and "nobody-here" in outcome["result"]["statements"][0]["error"]
    )
