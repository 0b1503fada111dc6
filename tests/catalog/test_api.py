"""The catalog over HTTP: browsing, proposals, confirmation, jobs, audit, and grants that
decide what a key's SQL may read."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from lakechat.settings import Settings
from lakechat.store.models import ProposalRow
from lakechat.store.types import utcnow
from tests.conftest import issue_key


@pytest.fixture
def api(make_client: Callable[..., TestClient], make_settings: Callable[..., Settings],
        lakehouse_copy: Path) -> TestClient:  # fmt: skip
    return make_client(make_settings())


@pytest.fixture
def admin(api: TestClient) -> dict[str, str]:
    return {"X-API-Key": issue_key(api, role="admin")}


def propose(api: TestClient, headers: dict[str, str], *changes: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/proposals", json={"changes": list(changes)}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def confirm(api: TestClient, headers: dict[str, str], proposal: dict[str, Any]) -> dict[str, Any]:
    response = api.post(proposal["confirm"], headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for_job(api: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = api.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_browse_in_the_first_guides_shapes(api: TestClient) -> None:
    viewer = {"X-API-Key": issue_key(api, role="viewer")}
    catalogs = api.get("/api/catalogs", headers=viewer).json()
    assert catalogs["success"] is True and catalogs["sql"] == "SHOW CATALOGS"
    assert {"main", "samples", "system"} <= {c["name"] for c in catalogs["catalogs"]}
    schemas = api.get("/api/schemas/main", headers=viewer).json()
    assert schemas["sql"] == "SHOW SCHEMAS IN main" and "sales" in {
        s["name"] for s in schemas["schemas"]
    }
    tables = api.get("/api/tables/main/sales", headers=viewer).json()
    assert tables["sql"] == "SHOW TABLES IN main.sales" and "orders" in {
        t["name"] for t in tables["tables"]
    }
    orders = api.get("/api/tables/main.sales.orders", headers=viewer).json()
    assert orders["table"]["owner"] and [c["name"] for c in orders["table"]["columns"]][:2] == [
        "order_id",
        "customer_id",
    ]
    grants = api.get("/api/grants/schema/main.sales", headers=viewer).json()
    assert grants["sql"] == "SHOW GRANTS ON SCHEMA main.sales"
    assert {
        "principal": "sales-ops",
        "privileges": ["SELECT", "USE_SCHEMA"],
        "inherited_from": None,
    } in grants["grants"]
    unowned = api.get("/api/catalog/search", params={"no_owner": "true"}, headers=viewer).json()
    assert "main.sales.tmp_export" in {r["full_name"] for r in unowned["results"]}
    found = api.get("/api/catalog/search", params={"q": "salar"}, headers=viewer).json()
    assert found["results"][0]["full_name"] == "main.hr.salaries"


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/api/schemas/nocatalog", 404, "catalog nocatalog does not exist"),
        ("/api/tables/main/sale", 404, "did you mean main.sales?"),
        ("/api/tables/main.sales.order", 404, "did you mean main.sales.orders?"),
        ("/api/tables/main.sales", 400, "a table is named catalog.schema.table"),
        ("/api/grants/volume/main.sales", 400, "unknown securable type 'volume'"),
        ("/api/schemas/bad%20name", 400, "is not a valid name"),
        ("/api/catalog/search", 400, "say what to search for"),
    ],
)  # fmt: skip
def test_bad_reads_are_clear_errors(
    api: TestClient, admin: dict[str, str], path: str, status: int, text: str
) -> None:
    response = api.get(path, headers=admin)
    assert response.status_code == status
    assert text in response.json()["error"]["message"]


def test_the_acceptance_walk_creates_grants_and_audits(
    api: TestClient, admin: dict[str, str]
) -> None:
    created = propose(api, admin, {"action": "create", "name": "main.sandbox"})
    assert created["status"] == "pending" and created["statements"] == [
        "CREATE SCHEMA main.sandbox"
    ]
    assert (
        created["changes"][0]["sdk_call"] == "w.schemas.create(name='sandbox', catalog_name='main')"
    )
    assert (
        api.get("/api/schemas/main", headers=admin).json()["schemas"][-1]["name"] != "sandbox"
    )  # not yet
    assert confirm(api, admin, created)["status"] == "executed"
    granted = propose(api, admin, {"action": "grant", "name": "main.sandbox", "principal": "analysts",
                                   "privileges": ["USE_SCHEMA", "SELECT"]})  # fmt: skip
    assert granted["statements"] == [
        "GRANT USE SCHEMA, SELECT ON SCHEMA main.sandbox TO `analysts`"
    ]
    result = confirm(api, admin, granted)
    assert result["result"]["statements"][0]["status"] == "succeeded"
    grants = api.get("/api/grants/schema/main.sandbox", headers=admin).json()["grants"]
    assert grants == [
        {"principal": "analysts", "privileges": ["SELECT", "USE_SCHEMA"], "inherited_from": None}
    ]
    audit = api.get("/api/audit", headers=admin).json()["entries"]
    assert [
        (e["action"], e["statement"], e["outcome"])
        for e in audit
        if e["action"].startswith("catalog.")
    ] == [
        (
            "catalog.grant",
            "GRANT USE SCHEMA, SELECT ON SCHEMA main.sandbox TO `analysts`",
            "success",
        ),
        ("catalog.create", "CREATE SCHEMA main.sandbox", "success"),
    ]
    assert (
        api.get("/api/audit", headers=admin, params={"action": "catalog.create"}).json()["count"]
        == 1
    )


def test_confirming_twice_executes_once(api: TestClient, admin: dict[str, str]) -> None:
    proposal = propose(api, admin, {"action": "create", "name": "main.once"})
    first, second = confirm(api, admin, proposal), confirm(api, admin, proposal)
    assert first["status"] == second["status"] == "executed" and first["result"] == second["result"]
    assert api.get("/api/audit", headers=admin, params={"object": "main.once"}).json()["count"] == 1


def test_cancelled_and_expired_proposals_never_run(api: TestClient, admin: dict[str, str]) -> None:
    cancelled = propose(api, admin, {"action": "create", "name": "main.never"})
    assert api.post(cancelled["cancel"], headers=admin).json()["status"] == "cancelled"
    refused = api.post(cancelled["confirm"], headers=admin)
    assert refused.status_code == 409 and "already cancelled" in refused.json()["error"]["message"]
    late = propose(api, admin, {"action": "create", "name": "main.late"})
    with api.app.state.services.store.session() as session:  # type: ignore[attr-defined]
        session.execute(update(ProposalRow).where(ProposalRow.id == late["id"])
                        .values(expires_at=utcnow() - timedelta(minutes=1)))  # fmt: skip
    expired = api.post(late["confirm"], headers=admin)
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "proposal_expired"
    assert api.get("/api/proposals/" + late["id"], headers=admin).json()["status"] == "expired"
    assert "never" not in {
        s["name"] for s in api.get("/api/schemas/main", headers=admin).json()["schemas"]
    }
    assert api.post("/api/proposals/nosuch/confirm", headers=admin).status_code == 404


def test_changing_needs_catalog_write(api: TestClient, admin: dict[str, str]) -> None:
    analyst = {"X-API-Key": issue_key(api, role="analyst")}
    refused = api.post(
        "/api/proposals",
        json={"changes": [{"action": "create", "name": "main.x"}]},
        headers=analyst,
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "missing_scope"
    proposal = propose(api, admin, {"action": "create", "name": "main.x"})
    assert api.post(proposal["confirm"], headers=analyst).status_code == 403
    assert api.get("/api/audit", headers=analyst).status_code == 403


@pytest.mark.parametrize(
    ("change", "status", "text"),
    [
        ({"action": "grant", "name": "main.sales", "principal": "analystss", "privileges": ["SELECT"]}, 400,
         "unknown principal 'analystss'"),
        ({"action": "grant", "name": "main.sales", "principal": "analysts", "privileges": ["SELEC"]}, 400,
         "Unity Catalog privileges are"),
        ({"action": "create", "name": "main.sales"}, 409, "schema main.sales already exists"),
        ({"action": "drop", "name": "main.sale"}, 404, "did you mean main.sales?"),
        ({"action": "create", "name": "main.sales.t-1", "columns": [{"name": "a", "type": "int"}]}, 400,
         "is not a valid name"),
        ({"action": "drop", "name": "main.sales.*"}, 400, "a `.*` name is for grants"),
    ],
)  # fmt: skip
def test_bad_changes_fail_before_anyone_confirms(
    api: TestClient, admin: dict[str, str], change: dict[str, Any], status: int, text: str
) -> None:
    response = api.post("/api/proposals", json={"changes": [change]}, headers=admin)
    assert response.status_code == status, response.text
    assert text in response.json()["error"]["message"]


def test_a_multi_step_proposal_may_grant_on_what_it_creates(
    api: TestClient, admin: dict[str, str]
) -> None:
    steps = [
        {"action": "create", "name": f"main.{layer}"} for layer in ("bronze", "silver", "gold")
    ]
    steps += [{"action": "grant", "name": f"main.{layer}", "principal": "engineers", "privileges": ["USE_SCHEMA"]}
              for layer in ("bronze", "silver", "gold")]  # fmt: skip
    proposal = propose(api, admin, *steps)
    assert proposal["runs_as_job"] is True and len(proposal["statements"]) == 6
    job = wait_for_job(api, admin, confirm(api, admin, proposal)["job_id"])
    assert (job["status"], job["done"], job["failed"], job["remaining"]) == ("succeeded", 6, 0, 0)
    assert (
        api.get("/api/grants/schema/main.gold", headers=admin).json()["grants"][0]["principal"]
        == "engineers"
    )


def test_a_batch_reports_exactly_which_statements_failed(
    api: TestClient, admin: dict[str, str]
) -> None:
    batch = propose(api, admin, {"action": "grant", "name": "main.learning.*", "principal": "analysts",
                                 "privileges": ["SELECT"]})  # fmt: skip
    assert len(batch["statements"]) == 6
    # a table goes away between proposing and confirming: its grant fails, the others run
    confirm(
        api, admin, propose(api, admin, {"action": "drop", "name": "main.learning.career_surveys"})
    )
    job = wait_for_job(api, admin, confirm(api, admin, batch)["job_id"])
    assert (job["status"], job["done"], job["failed"]) == ("partially_failed", 5, 1)
    [failure] = job["result"]["failures"]
    assert (
        failure["statement"] == "GRANT SELECT ON TABLE main.learning.career_surveys TO `analysts`"
    )
    assert "does not exist" in failure["error"]
    proposal = api.get(f"/api/proposals/{batch['id']}", headers=admin).json()
    assert proposal["status"] == "partially_failed" and proposal["result"]["failed"] == 1
    outcomes = [
        e["outcome"]
        for e in api.get("/api/audit", headers=admin, params={"action": "catalog.grant"}).json()[
            "entries"
        ]
    ]
    assert sorted(outcomes) == ["failure"] + ["success"] * 5
    other = {"X-API-Key": issue_key(api, role="viewer")}
    assert api.get(f"/api/jobs/{job['id']}", headers=other).status_code == 404  # not theirs


def test_batches_can_be_turned_off(make_client: Callable[..., TestClient], make_settings: Callable[..., Settings],
                                   lakehouse_copy: Path) -> None:  # fmt: skip
    api = make_client(make_settings(feature_batch_operations=False))
    admin = {"X-API-Key": issue_key(api, role="admin")}
    body = {
        "changes": [
            {
                "action": "grant",
                "name": "main.learning.*",
                "principal": "analysts",
                "privileges": ["SELECT"],
            }
        ]
    }
    refused = api.post("/api/proposals", json=body, headers=admin)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "feature_disabled"


def test_grants_decide_what_a_keys_sql_may_read(make_client: Callable[..., TestClient],
                                                make_settings: Callable[..., Settings], lakehouse_copy: Path) -> None:  # fmt: skip
    api = make_client(make_settings(table_access={"admin": ["*.*.*"], "analyst": ["samples.*.*"]}))
    admin = {"X-API-Key": issue_key(api, role="admin")}
    analyst = {"X-API-Key": issue_key(api, role="analyst", groups=["analysts"])}
    outsider = {"X-API-Key": issue_key(api, role="analyst")}
    query = {"sql": "SELECT count(*) FROM main.sales.orders"}
    assert (
        api.post("/api/sql", json=query, headers=analyst).json()["error"]["code"]
        == "guard.table_not_allowed"
    )
    confirm(api, admin, propose(
        api, admin,
        {"action": "grant", "name": "main", "principal": "analysts", "privileges": ["USE_CATALOG"]},
        {"action": "grant", "name": "main.sales", "principal": "analysts", "privileges": ["USE_SCHEMA"]},
        {"action": "grant", "name": "main.sales.orders", "principal": "analysts", "privileges": ["SELECT"]},
    ))  # fmt: skip
    allowed = api.post("/api/sql", json=query, headers=analyst)
    assert allowed.status_code == 200 and allowed.json()["rows"][0][0] > 0
    assert (
        api.post(
            "/api/sql", json={"sql": "SELECT 1 FROM main.sales.customers"}, headers=analyst
        ).status_code
        == 403
    )
    assert api.post("/api/sql", json=query, headers=outsider).status_code == 403
    confirm(api, admin, propose(api, admin, {"action": "revoke", "name": "main.sales.orders", "principal": "analysts",
                                             "privileges": ["SELECT"]}))  # fmt: skip
    assert api.post("/api/sql", json=query, headers=analyst).status_code == 403
