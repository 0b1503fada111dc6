"""One conformance suite for every catalog provider: the same reads and changes, the same
answers and the same errors, on the embedded lakehouse and on Unity Catalog (the real
databricks-sdk against the local fake of its REST API)."""

from __future__ import annotations

import pytest

from lakechat.catalog.base import Catalog
from lakechat.catalog.changes import parse_change
from lakechat.catalog.names import ObjectName
from lakechat.errors import BadRequest, Conflict, NotFound

ACTOR = "admin@example.com"


def name(text: str) -> ObjectName:
    return ObjectName.parse(text)


def change(provider: Catalog, **body: object) -> None:
    provider.apply(parse_change(body), actor=ACTOR)


def test_lists_catalogs_schemas_and_tables(provider: Catalog) -> None:
    assert {"main", "samples", "system"} <= {c.name.full_name for c in provider.list_catalogs()}
    assert {"sales", "hr", "learning"} <= {s.name.leaf for s in provider.list_schemas("main")}
    tables = {t.name.full_name: t for t in provider.list_tables("main", "sales")}
    assert "main.sales.orders" in tables and tables["main.sales.orders"].table_type == "MANAGED"
    assert {t.name.leaf for t in provider.list_tables("samples", "tpch")} >= {"lineitem", "nation"}


def test_describes_a_table_with_its_columns(provider: Catalog) -> None:
    nation = provider.get(name("samples.tpch.nation"))
    assert [c.name for c in nation.columns] == ["n_nationkey", "n_name", "n_regionkey", "n_comment"]
    assert nation.columns[1].type == "STRING"


@pytest.mark.parametrize("missing", ["nocatalog", "main.nosuch", "main.sales.nosuch"])
def test_a_missing_object_is_not_found(provider: Catalog, missing: str) -> None:
    with pytest.raises(NotFound):
        provider.get(name(missing))
    with pytest.raises(NotFound):
        provider.grants(name(missing))
    assert provider.exists(name(missing)) is False


def test_listing_an_unknown_catalog_or_schema_is_not_found(provider: Catalog) -> None:
    with pytest.raises(NotFound):
        provider.list_schemas("nocatalog")
    with pytest.raises(NotFound):
        provider.list_tables("main", "nosuch")


def test_create_schema_and_table_then_describe(provider: Catalog) -> None:
    change(provider, action="create", name="main.sandbox", comment="play area")
    assert provider.exists(name("main.sandbox"))
    assert provider.get(name("main.sandbox")).comment == "play area"
    with pytest.raises(Conflict):
        change(provider, action="create", name="main.sandbox")
    change(provider, action="create", name="main.sandbox.events",
           columns=[{"name": "id", "type": "bigint"}, {"name": "kind", "type": "string", "comment": "what happened"}])  # fmt: skip
    events = provider.get(name("main.sandbox.events"))
    assert [(c.name, c.type) for c in events.columns] == [("id", "BIGINT"), ("kind", "STRING")]
    assert events.columns[1].comment == "what happened"
    assert "events" in {t.name.leaf for t in provider.list_tables("main", "sandbox")}


def test_create_in_a_missing_parent_is_not_found(provider: Catalog) -> None:
    with pytest.raises(NotFound):
        change(
            provider, action="create", name="main.nosuch.t", columns=[{"name": "a", "type": "int"}]
        )


def test_comments_tags_and_owners(provider: Catalog) -> None:
    orders = name("main.sales.orders")
    change(provider, action="set_comment", name="main.sales.orders", comment="one row per order")
    change(
        provider, action="set_tags", name="main.sales.orders", tags={"pii": "false", "tier": "gold"}
    )
    change(provider, action="set_owner", name="main.sales.orders", owner="data_stewards")
    got = provider.get(orders)
    assert (got.comment, got.tags, got.owner) == (
        "one row per order",
        {"pii": "false", "tier": "gold"},
        "data_stewards",
    )
    change(provider, action="unset_tags", name="main.sales.orders", keys=["pii"])
    change(provider, action="set_comment", name="main.sales", comment="sales data")
    assert provider.get(orders).tags == {"tier": "gold"}
    assert provider.get(name("main.sales")).comment == "sales data"


def test_grant_and_revoke(provider: Catalog) -> None:
    change(
        provider,
        action="grant",
        name="main.sales",
        principal="analysts",
        privileges=["USE_SCHEMA", "SELECT"],
    )
    change(
        provider,
        action="grant",
        name="main.sales.orders",
        principal="engineers",
        privileges=["MODIFY"],
    )
    held = {g.principal: set(g.privileges) for g in provider.grants(name("main.sales"))}
    assert held["analysts"] == {"USE_SCHEMA", "SELECT"}
    assert {g.principal: set(g.privileges) for g in provider.grants(name("main.sales.orders"))}[
        "engineers"
    ] == {"MODIFY"}
    change(
        provider, action="revoke", name="main.sales", principal="analysts", privileges=["SELECT"]
    )
    held = {g.principal: set(g.privileges) for g in provider.grants(name("main.sales"))}
    assert held["analysts"] == {"USE_SCHEMA"}


def test_an_unknown_principal_is_refused(provider: Catalog) -> None:
    with pytest.raises(BadRequest, match="nobody-at-all"):
        change(
            provider,
            action="grant",
            name="main.sales",
            principal="nobody-at-all",
            privileges=["SELECT"],
        )


def test_drop_never_cascades_unless_asked(provider: Catalog) -> None:
    change(provider, action="create", name="main.scratch")
    change(
        provider, action="create", name="main.scratch.t1", columns=[{"name": "a", "type": "int"}]
    )
    with pytest.raises(BadRequest):  # "not empty" here; Databricks counts what is inside
        change(provider, action="drop", name="main.scratch")
    assert provider.exists(name("main.scratch.t1"))
    change(provider, action="drop", name="main.scratch.t1")
    assert not provider.exists(name("main.scratch.t1"))
    change(
        provider, action="create", name="main.scratch.t2", columns=[{"name": "a", "type": "int"}]
    )
    change(provider, action="drop", name="main.scratch", cascade=True)
    assert not provider.exists(name("main.scratch"))
    with pytest.raises(NotFound):
        change(provider, action="drop", name="main.scratch")
