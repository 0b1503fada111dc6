"""Catalog questions and commands through the assistant: how they are read, and the whole
conversation a new user has (/api/chat)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lakechat.assistant.catalog_reading import read_catalog
from lakechat.assistant.plans import CatalogChange, CatalogRead
from lakechat.settings import Settings
from tests.conftest import issue_key


@pytest.mark.parametrize(
    ("message", "action", "name"),
    [
        ("list catalogs", "list_catalogs", None),
        ("What catalogs do we have?", "list_catalogs", None),
        ("show me the schemas in main", "list_schemas", "main"),
        ("what tables are in main.sales?", "list_tables", "main.sales"),
        ("describe main.sales.orders", "describe", "main.sales.orders"),
        ("table details for main.hr.salaries", "describe", "main.hr.salaries"),
        ("who owns main.sales.orders?", "owner", "main.sales.orders"),
        ("show grants on main.sandbox", "grants", "main.sandbox"),
        ("show permissions for table main.sales.orders", "grants", "main.sales.orders"),
        ("who has access to main.hr.salaries?", "grants", "main.hr.salaries"),
        ("which tables have no owner?", "no_owner", None),
        ("tables without an owner in main.sales", "no_owner", "main.sales"),
        ("search for salary", "search", None),
        ("what can I do with the catalog?", "help", None),
    ],
)  # fmt: skip
def test_catalog_reads(message: str, action: str, name: str | None) -> None:
    plan = read_catalog(message)
    assert isinstance(plan, CatalogRead) and (plan.action, plan.name) == (action, name)


@pytest.mark.parametrize(
    ("message", "changes"),
    [
        ("create a schema called sandbox in main", [{"action": "create", "name": "main.sandbox"}]),
        ("create catalog finance_lab", [{"action": "create", "name": "finance_lab"}]),
        ("create table main.sandbox.events (id bigint, amount decimal(10,2))",
         [{"action": "create", "name": "main.sandbox.events", "securable": "table",
           "columns": [{"name": "id", "type": "bigint"}, {"name": "amount", "type": "decimal(10,2)"}]}]),
        ("grant USE_SCHEMA and SELECT on main.sandbox to analysts",
         [{"action": "grant", "name": "main.sandbox", "principal": "analysts", "privileges": ["USE_SCHEMA", "SELECT"]}]),
        ("grant SELECT on every table in main.sales to the analysts group",
         [{"action": "grant", "name": "main.sales.*", "principal": "analysts", "privileges": ["SELECT"]}]),
        ("give analysts read access on main.sales",
         [{"action": "grant", "name": "main.sales", "principal": "analysts", "privileges": ["SELECT"]}]),
        ("revoke select on table main.sales.orders from analysts",
         [{"action": "revoke", "name": "main.sales.orders", "principal": "analysts", "privileges": ["select"]}]),
        ("make data_stewards the owner of main.sales.tmp_export",
         [{"action": "set_owner", "name": "main.sales.tmp_export", "owner": "data_stewards"}]),
        ("comment on main.sales.orders: one row per order",
         [{"action": "set_comment", "name": "main.sales.orders", "comment": "one row per order"}]),
        ("tag main.hr.salaries with pii=true and gdpr",
         [{"action": "set_tags", "name": "main.hr.salaries", "tags": {"pii": "true", "gdpr": ""}}]),
        ("drop schema main.sandbox with everything in it", [{"action": "drop", "name": "main.sandbox", "cascade": True}]),
        ("create bronze, silver and gold schemas in main and grant USE_SCHEMA on each to engineers",
         [{"action": "create", "name": f"main.{s}"} for s in ("bronze", "silver", "gold")]
         + [{"action": "grant", "name": f"main.{s}", "principal": "engineers", "privileges": ["USE_SCHEMA"]}
            for s in ("bronze", "silver", "gold")]),
    ],
)  # fmt: skip
def test_catalog_changes(message: str, changes: list[dict[str, Any]]) -> None:
    plan = read_catalog(message)
    assert isinstance(plan, CatalogChange) and list(plan.changes) == changes


@pytest.mark.parametrize(
    "message",
    ["What was total revenue in 1995?", "Revenue by region", "Top 5 nations by revenue in 1996",
     "How many orders were placed in March 1997?", "and by month?", "delete all orders", "describe revenue trends"],
)  # fmt: skip
def test_data_questions_are_not_catalog_requests(message: str) -> None:
    assert read_catalog(message) is None


def test_an_unreadable_catalog_change_is_answered_with_how_to_say_it() -> None:
    plan = read_catalog("grant the schema to somebody somehow")
    assert isinstance(plan, CatalogRead) and plan.action == "help" and plan.text


@pytest.fixture
def api(make_client: Callable[..., TestClient], make_settings: Callable[..., Settings],
        lakehouse_copy: Path) -> TestClient:  # fmt: skip
    return make_client(make_settings())


def chat(api: TestClient, key: str, message: str, session: str | None = None) -> dict[str, Any]:
    body = {"message": message, **({"session_id": session} if session else {})}
    response = api.post("/api/chat", json=body, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_the_new_users_catalog_conversation(api: TestClient) -> None:
    key = issue_key(api, role="admin")
    asked = chat(api, key, "create a schema called sandbox in main")
    session = asked["session_id"]
    assert asked["domain"] == "catalog" and asked["sql"] == "CREATE SCHEMA main.sandbox;"
    assert asked["proposal"]["status"] == "pending" and asked["intent"] == "create_schema"
    done = chat(api, key, "confirm", session)
    assert done["status"] == "answered" and done["rows"] == [
        ["CREATE SCHEMA main.sandbox", "succeeded", None]
    ]
    chat(api, key, "grant USE_SCHEMA and SELECT on main.sandbox to analysts", session)
    assert chat(api, key, "yes", session)["proposal"]["status"] == "executed"
    grants = chat(api, key, "show grants on main.sandbox", session)
    assert grants["rows"] == [["analysts", "SELECT, USE_SCHEMA"]]
    assert (
        grants["sql"] == "SHOW GRANTS ON SCHEMA main.sandbox"
        and grants["intent"] == "show_permissions"
    )
    owner = chat(api, key, "who owns main.sales.orders?", session)
    assert owner["answer"].startswith("Table main.sales.orders is owned by ") and owner["sql"]
    unowned = chat(api, key, "which tables have no owner?", session)
    assert [r[0] for r in unowned["rows"]] == ["main.sales.tmp_export"]
    audit = api.get(
        "/api/audit", params={"action": "catalog.grant"}, headers={"X-API-Key": key}
    ).json()
    assert (
        audit["entries"][0]["statement"]
        == "GRANT USE SCHEMA, SELECT ON SCHEMA main.sandbox TO `analysts`"
    )
    # "confirm" with nothing pending is not a catalog turn
    assert chat(api, key, "confirm", session)["domain"] == "data"


def test_cancel_drops_the_pending_proposal(api: TestClient) -> None:
    key = issue_key(api, role="admin")
    session = chat(api, key, "drop table main.sales.tmp_export")["session_id"]
    assert chat(api, key, "cancel", session)["proposal"]["status"] == "cancelled"
    assert "tmp_export" in {
        r[0].split(".")[-1] for r in chat(api, key, "what tables are in main.sales?")["rows"]
    }


def test_a_key_without_catalog_write_is_told_why(api: TestClient) -> None:
    key = issue_key(api, role="analyst")
    refused = chat(api, key, "create a schema called sandbox in main")
    assert refused["status"] == "refused" and "catalog:write" in refused["answer"]
    assert chat(api, key, "list catalogs")["status"] == "answered"


def test_errors_and_ambiguity_in_chat(api: TestClient) -> None:
    key = issue_key(api, role="admin")
    missing = chat(api, key, "describe main.sales.ordrs")
    assert missing["status"] == "error" and "did you mean main.sales.orders?" in missing["answer"]
    unknown = chat(api, key, "grant READ_ALL on main.sales to analysts")
    assert unknown["status"] == "error" and "Unity Catalog privileges are" in unknown["answer"]
    ambiguous = chat(api, key, "describe table orders")
    assert (
        ambiguous["status"] == "clarify"
        and "describe main.sales.orders" in ambiguous["suggestions"]
    )
    assert "describe samples.tpch.orders" in ambiguous["suggestions"]
