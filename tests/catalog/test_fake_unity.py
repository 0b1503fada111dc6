"""The fake Unity Catalog, driven through the real databricks-sdk ``WorkspaceClient``:
the paths and JSON the SDK sends, the objects it builds from the answers, and the exception
classes and messages it raises for the fake's refusals."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from databricks.sdk import errors
from databricks.sdk.service.catalog import (
    EntityTagAssignment,
    PermissionsChange,
    Privilege,
    TableType,
)
from databricks.sdk.service.sql import StatementState

from tests.catalog.fake_unity import FakeUnityCatalog, workspace_client

UC = "/api/2.1/unity-catalog"
SALES = {"main": {"sales": {"orders": {"order_id": "bigint", "amount": "decimal(12,2)"}}}}


@pytest.fixture
def w(fake_unity: FakeUnityCatalog) -> Any:
    fake_unity.seed_from_dict(SALES)
    return fake_unity.workspace_client()


# catalogs, schemas, tables ------------------------------------------------------------
def test_listing_follows_every_page(fake_unity: FakeUnityCatalog, w: Any) -> None:
    fake_unity.seed_from_dict({name: {} for name in ("c1", "c2", "c3", "c4")})
    fake_unity.page_size = 2
    fake_unity.log.clear()
    assert [c.name for c in w.catalogs.list()] == ["c1", "c2", "c3", "c4", "main"]
    pages = fake_unity.log.find("GET", f"{UC}/catalogs")
    assert len(pages) == 3  # 2 + 2 + 1
    assert all(p.query["max_results"] == "0" for p in pages)  # the SDK asks for server pages
    assert "page_token" not in pages[0].query and pages[1].query["page_token"]


def test_an_explicit_max_results_is_capped_by_the_server_page(
    fake_unity: FakeUnityCatalog, w: Any
) -> None:
    fake_unity.seed_from_dict({"main": {f"s{i}": {} for i in range(5)}})
    fake_unity.page_size = 3
    assert len(list(w.schemas.list("main", max_results=10))) == 6
    assert len(fake_unity.log.find("GET", f"{UC}/schemas")) == 2
    with pytest.raises(errors.InvalidParameterValue, match="max_results"):
        list(w.schemas.list("main", max_results=-1))


def test_a_missing_table_is_not_found_with_the_first_missing_part_named(w: Any) -> None:
    with pytest.raises(errors.NotFound, match=r"^Table 'main\.sales\.nosuch' does not exist\.$"):
        w.tables.get("main.sales.nosuch")
    with pytest.raises(errors.NotFound, match=re.escape("Schema 'main.nosuch' does not exist")):
        w.tables.get("main.nosuch.orders")
    with pytest.raises(errors.NotFound, match="Catalog 'nocat' does not exist"):
        list(w.schemas.list("nocat"))


def test_a_table_reads_as_tableinfo(w: Any) -> None:
    orders = w.tables.get("main.sales.orders")
    assert (orders.full_name, orders.catalog_name, orders.schema_name) == (
        "main.sales.orders", "main", "sales")  # fmt: skip
    assert orders.table_type is TableType.MANAGED
    assert orders.owner == orders.created_by == "admin@example.com"
    assert orders.created_at > 1_600_000_000_000  # milliseconds
    assert [(c.name, c.type_text, c.type_name.value, c.position) for c in orders.columns] == [
        ("order_id", "bigint", "LONG", 0),
        ("amount", "decimal(12,2)", "DECIMAL", 1),
    ]
    assert orders.columns[1].type_precision == 12
    assert '"type":"decimal(12,2)"' in orders.columns[1].type_json


def test_create_schema_then_again_is_already_exists(w: Any) -> None:
    created = w.schemas.create(name="Sandbox", catalog_name="main", comment="play area")
    assert (created.full_name, created.comment) == ("main.sandbox", "play area")
    assert w.schemas.get("main.sandbox").owner == "admin@example.com"
    with pytest.raises(
        errors.ResourceAlreadyExists, match=re.escape("Schema 'main.sandbox' already exists")
    ):
        w.schemas.create(name="sandbox", catalog_name="main")
    with pytest.raises(errors.NotFound):
        w.schemas.create(name="x", catalog_name="nocat")


def test_update_owner_and_comment(w: Any) -> None:
    assert w.schemas.update("main.sales", owner="data_stewards", comment="sales").owner == (
        "data_stewards"
    )
    w.tables.update("main.sales.orders", owner="engineers")
    assert w.tables.get("main.sales.orders").owner == "engineers"
    assert w.catalogs.update("main", comment="the main one").comment == "the main one"
    with pytest.raises(errors.InvalidParameterValue, match="Could not find principal with name x"):
        w.tables.update("main.sales.orders", owner="x")


def test_deleting_what_is_not_empty_needs_force(w: Any) -> None:
    with pytest.raises(errors.BadRequest, match=re.escape("Schema 'main.sales' is not empty")):
        w.schemas.delete("main.sales")
    with pytest.raises(errors.BadRequest, match="Catalog 'main' is not empty"):
        w.catalogs.delete("main")
    w.schemas.delete("main.sales", force=True)
    with pytest.raises(errors.NotFound):
        w.tables.get("main.sales.orders")
    w.catalogs.delete("main")
    assert list(w.catalogs.list()) == []


# grants ---------------------------------------------------------------------------------
def test_grants_round_trip(fake_unity: FakeUnityCatalog, w: Any) -> None:
    add = PermissionsChange(principal="analysts", add=[Privilege.USE_SCHEMA, Privilege.SELECT])
    updated = w.grants.update("schema", "main.sales", changes=[add])
    assert [(a.principal, a.privileges) for a in updated.privilege_assignments] == [
        ("analysts", [Privilege.SELECT, Privilege.USE_SCHEMA])
    ]
    patch = fake_unity.log.find("PATCH", f"{UC}/permissions/schema/main.sales")[0]
    assert patch.body == {"changes": [{"principal": "analysts", "add": ["USE_SCHEMA", "SELECT"]}]}
    w.grants.update("schema", "main.sales", changes=[
        PermissionsChange(principal="analysts", remove=[Privilege.SELECT]),
        PermissionsChange(principal="engineers", add=[Privilege.MODIFY]),
    ])  # fmt: skip
    got = w.grants.get("schema", "main.sales")
    assert {a.principal: a.privileges for a in got.privilege_assignments} == {
        "analysts": [Privilege.USE_SCHEMA],
        "engineers": [Privilege.MODIFY],
    }
    only = w.grants.get("schema", "main.sales", principal="engineers")
    assert [a.principal for a in only.privilege_assignments] == ["engineers"]
    assert not w.grants.get("table", "main.sales.orders").privilege_assignments


def test_grants_paginate_only_in_pages_of_at_least_150(w: Any) -> None:
    with pytest.raises(errors.InvalidParameterValue, match="at least 150"):
        w.grants.get("catalog", "main", max_results=10)
    assert w.grants.get("catalog", "main", max_results=0).next_page_token is None


def test_a_privilege_that_does_not_apply_is_refused(w: Any) -> None:
    change = PermissionsChange(principal="analysts", add=[Privilege.USE_CATALOG])
    with pytest.raises(
        errors.InvalidParameterValue,
        match=re.escape(
            "Privilege USE_CATALOG is not applicable to this entity [main.sales.orders:TABLE]"
        ),
    ):
        w.grants.update("table", "main.sales.orders", changes=[change])
    assert not w.grants.get("table", "main.sales.orders").privilege_assignments


def test_an_unknown_principal_is_refused(w: Any) -> None:
    change = PermissionsChange(principal="nobody-at-all", add=[Privilege.SELECT])
    with pytest.raises(
        errors.InvalidParameterValue, match=r"^Could not find principal with name nobody-at-all\.$"
    ):
        w.grants.update("schema", "main.sales", changes=[change])


def test_grants_on_a_missing_securable_are_not_found(w: Any) -> None:
    with pytest.raises(
        errors.NotFound, match=re.escape("Table 'main.sales.nosuch' does not exist")
    ):
        w.grants.get("table", "main.sales.nosuch")


# refusals ------------------------------------------------------------------------------
def test_a_denied_request_is_permission_denied(fake_unity: FakeUnityCatalog, w: Any) -> None:
    path = f"{UC}/permissions/table/main.sales.orders"
    fake_unity.deny("PATCH", path, "User does not have MANAGE on Table 'main.sales.orders'.")
    change = PermissionsChange(principal="analysts", add=[Privilege.SELECT])
    with pytest.raises(errors.PermissionDenied, match="does not have MANAGE on Table"):
        w.grants.update("table", "main.sales.orders", changes=[change])
    assert fake_unity.log.find("PATCH", path)[0].status == 403
    w.grants.get("table", "main.sales.orders")  # reading is still allowed


def test_a_protected_securable_refuses_every_change(fake_unity: FakeUnityCatalog, w: Any) -> None:
    fake_unity.protect("main.sales.orders", "main.sales")
    with pytest.raises(
        errors.PermissionDenied, match=re.escape("not an owner of Table 'main.sales.orders'")
    ):
        w.tables.update("main.sales.orders", owner="engineers")
    with pytest.raises(errors.PermissionDenied, match="APPLY TAG on Table"):
        w.entity_tag_assignments.create(
            EntityTagAssignment("main.sales.orders", "pii", "tables", tag_value="true")
        )
    with pytest.raises(errors.PermissionDenied):
        w.tables.delete("main.sales.orders")
    answer = w.statement_execution.execute_statement(
        statement="CREATE TABLE main.sales.t (a INT)",
        warehouse_id=fake_unity.warehouse_id,
        wait_timeout="30s",
    )
    assert answer.status.state is StatementState.FAILED
    assert answer.status.sql_state == "42501"
    assert "CREATE TABLE on Schema 'main.sales'" in answer.status.error.message
    fake_unity.allow_all()
    w.tables.delete("main.sales.orders")


def test_a_wrong_token_is_refused_as_a_workspace_refuses_it(fake_unity: FakeUnityCatalog) -> None:
    bad = workspace_client(fake_unity.host, "dapi-wrong")
    with pytest.raises(errors.PermissionDenied) as refused:
        list(bad.catalogs.list())
    # on a 401 or 403 the SDK appends its configuration (token masked) to the message
    assert str(refused.value).startswith(f"Invalid access token. Config: host={fake_unity.host}")
    assert "dapi-wrong" not in str(refused.value)
    fake_unity.wrong_token = "unauthenticated"
    with pytest.raises(errors.Unauthenticated):
        list(bad.catalogs.list())
    assert [e.status for e in fake_unity.log.find("GET", f"{UC}/catalogs")] == [403, 401]


def test_the_sdk_retries_a_503_by_itself(fake_unity: FakeUnityCatalog, w: Any) -> None:
    fake_unity.fail_next(503, count=1, retry_after=0)
    assert [c.name for c in w.catalogs.list()] == ["main"]
    assert [e.status for e in fake_unity.log.find("GET", f"{UC}/catalogs")] == [503, 200]
    fake_unity.fail_next(500, "INTERNAL_ERROR", "boom")
    with pytest.raises(errors.InternalError, match="boom"):
        list(w.catalogs.list())


def test_an_unknown_endpoint_is_endpoint_not_found(w: Any) -> None:
    with pytest.raises(
        errors.NotFound, match=re.escape("No API found for 'GET /api/2.1/unity-catalog/volumes'")
    ):
        w.api_client.do("GET", "/api/2.1/unity-catalog/volumes")


# tags ------------------------------------------------------------------------------------
def test_tags_create_list_delete(fake_unity: FakeUnityCatalog, w: Any) -> None:
    tags = w.entity_tag_assignments
    made = tags.create(EntityTagAssignment("main.sales.orders", "tier", "tables", tag_value="gold"))
    assert (made.tag_key, made.tag_value, made.updated_by) == ("tier", "gold", "admin@example.com")
    assert made.update_time is not None
    tags.create(EntityTagAssignment("main.sales.orders", "pii", "tables"))
    tags.create(EntityTagAssignment("main.sales.orders.amount", "money", "columns", tag_value="y"))
    listed = {t.tag_key: t.tag_value for t in tags.list("tables", "main.sales.orders")}
    assert listed == {"pii": None, "tier": "gold"}
    with pytest.raises(errors.ResourceAlreadyExists, match="'tier' already exists"):
        tags.create(EntityTagAssignment("main.sales.orders", "tier", "tables", tag_value="x"))
    tags.delete("tables", "main.sales.orders", "pii")
    assert [t.tag_key for t in tags.list("tables", "main.sales.orders")] == ["tier"]
    assert [t.tag_key for t in tags.list("columns", "main.sales.orders.amount")] == ["money"]
    with pytest.raises(errors.NotFound, match="'pii' does not exist"):
        tags.delete("tables", "main.sales.orders", "pii")
    with pytest.raises(errors.NotFound, match=re.escape("Schema 'main.nosuch' does not exist")):
        list(tags.list("schemas", "main.nosuch"))
    assert fake_unity.log.calls("DELETE")[0] == (
        f"DELETE {UC}/entity-tag-assignments/tables/main.sales.orders/tags/pii"
    )


def test_tags_list_pages_by_default(fake_unity: FakeUnityCatalog, w: Any) -> None:
    for key in ("a", "b", "c"):
        w.entity_tag_assignments.create(EntityTagAssignment("main", key, "catalogs"))
    fake_unity.page_size = 2
    assert [t.tag_key for t in w.entity_tag_assignments.list("catalogs", "main")] == ["a", "b", "c"]
    assert len(fake_unity.log.find("GET", f"{UC}/entity-tag-assignments/catalogs/main/tags")) == 2


# SQL statements -----------------------------------------------------------------------------
def run(fake: FakeUnityCatalog, w: Any, sql: str) -> Any:
    return w.statement_execution.execute_statement(
        statement=sql, warehouse_id=fake.warehouse_id, wait_timeout="30s"
    )


def test_create_table_then_it_has_its_columns(fake_unity: FakeUnityCatalog, w: Any) -> None:
    answer = run(fake_unity, w,
        "CREATE TABLE main.sales.events (id BIGINT NOT NULL, kind STRING COMMENT 'what happened',"
        " tags ARRAY<STRING>, attrs MAP<STRING, INT>) COMMENT 'raw events'")  # fmt: skip
    assert answer.status.state is StatementState.SUCCEEDED and answer.statement_id
    assert answer.manifest.schema.column_count == 0
    events = w.tables.get("main.sales.events")
    assert events.comment == "raw events"
    assert [(c.name, c.type_text, c.nullable, c.comment) for c in events.columns] == [
        ("id", "bigint", False, None),
        ("kind", "string", True, "what happened"),
        ("tags", "array<string>", True, None),
        ("attrs", "map<string,int>", True, None),
    ]
    again = run(fake_unity, w, "CREATE TABLE IF NOT EXISTS main.sales.events (x INT)")
    assert again.status.state is StatementState.SUCCEEDED
    assert len(w.tables.get("main.sales.events").columns) == 4
    body = fake_unity.log.find("POST", "/api/2.0/sql/statements")[0].body
    assert body is not None and body["warehouse_id"] == fake_unity.warehouse_id


def test_comment_on_sets_and_removes_comments(fake_unity: FakeUnityCatalog, w: Any) -> None:
    run(fake_unity, w, "COMMENT ON TABLE `main`.`sales`.`orders` IS 'one row per order'")
    run(fake_unity, w, "COMMENT ON SCHEMA main.sales IS 'sales data'")
    run(fake_unity, w, "COMMENT ON CATALOG main IS 'it\\'s main'")
    assert w.tables.get("main.sales.orders").comment == "one row per order"
    assert w.schemas.get("main.sales").comment == "sales data"
    assert w.catalogs.get("main").comment == "it's main"
    assert run(fake_unity, w, "COMMENT ON TABLE main.sales.orders IS NULL").status.error is None
    assert w.tables.get("main.sales.orders").comment is None


@pytest.mark.parametrize(
    ("sql", "error_class", "sql_state"),
    [
        ("CREATE TABLE main.sales.orders (a INT)", "TABLE_OR_VIEW_ALREADY_EXISTS", "42P07"),
        ("CREATE TABLE main.nosuch.t (a INT)", "SCHEMA_NOT_FOUND", "42704"),
        ("COMMENT ON TABLE main.sales.nosuch IS 'x'", "TABLE_OR_VIEW_NOT_FOUND", "42P01"),
        ("CREATE TABLE main.sales.t (a INT, A BIGINT)", "COLUMN_ALREADY_EXISTS", "42711"),
        ("CREATE TABLE main.sales.t (a INT", "PARSE_SYNTAX_ERROR", "42601"),
        ("SELECT 1", "FAKE_UNSUPPORTED_STATEMENT", "0A000"),
    ],
)
def test_a_failed_statement_answers_failed_in_a_200(
    fake_unity: FakeUnityCatalog, w: Any, sql: str, error_class: str, sql_state: str
) -> None:
    answer = run(fake_unity, w, sql)
    assert answer.status.state is StatementState.FAILED
    assert answer.status.error.message.startswith(f"[{error_class}]")
    assert answer.status.sql_state == sql_state
    assert w.statement_execution.get_statement(answer.statement_id).status.sql_state == sql_state


def test_statements_need_a_known_warehouse_and_a_valid_wait(
    fake_unity: FakeUnityCatalog, w: Any
) -> None:
    with pytest.raises(errors.NotFound, match="Warehouse 'nope' does not exist"):
        w.statement_execution.execute_statement(statement="SELECT 1", warehouse_id="nope")
    with pytest.raises(errors.InvalidParameterValue, match="wait_timeout"):
        w.statement_execution.execute_statement(
            statement="SELECT 1", warehouse_id=fake_unity.warehouse_id, wait_timeout="60s"
        )


# seeding, client isolation, concurrency ---------------------------------------------------
def test_seeded_from_the_demo_lakehouse(fake_unity_lakehouse: FakeUnityCatalog) -> None:
    w = fake_unity_lakehouse.workspace_client()
    assert {c.name for c in w.catalogs.list()} == {"main", "samples", "system"}
    assert {"sales", "hr", "learning"} <= {s.name for s in w.schemas.list("main")}
    assert "information_schema" in {s.name for s in w.schemas.list("system")}
    nation = w.tables.get("samples.tpch.nation")
    assert [(c.name, c.type_text) for c in nation.columns] == [
        ("n_nationkey", "int"),
        ("n_name", "string"),
        ("n_regionkey", "int"),
        ("n_comment", "string"),
    ]
    orders = w.tables.get("main.sales.orders")
    assert orders.owner != "admin@example.com"  # the lakehouse records its owner
    held = w.grants.get("schema", "main.sales").privilege_assignments
    assert held and all(a.principal for a in held)


def test_the_client_ignores_databricks_settings_on_the_machine(
    fake_unity: FakeUnityCatalog, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    (tmp_path / "databrickscfg").write_text("[elsewhere]\nhost = https://example.invalid\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "databrickscfg"))
    monkeypatch.setenv("DATABRICKS_CONFIG_PROFILE", "elsewhere")
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "someone-else")
    w = fake_unity.workspace_client()
    assert (w.config.host, w.config.auth_type, w.config.profile) == (fake_unity.host, "pat", None)
    assert list(w.catalogs.list()) == []
    assert os.environ["DATABRICKS_CONFIG_PROFILE"] == "elsewhere"  # put back afterwards


def test_concurrent_changes_all_land(fake_unity: FakeUnityCatalog, w: Any) -> None:
    def create(i: int) -> str:
        return str(w.schemas.create(name=f"s{i}", catalog_name="main").full_name)

    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(create, range(24)))
    assert len(set(made)) == 24
    assert len(list(w.schemas.list("main"))) == 25
