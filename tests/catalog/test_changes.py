"""Catalog changes: the statement each one is, and clear errors for bad names and privileges."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot

from lakechat.catalog.changes import parse_change
from lakechat.catalog.names import ObjectName, Securable
from lakechat.errors import BadRequest


@pytest.mark.parametrize(
    ("body", "sql"),
    [
        ({"action": "create", "name": "sandbox", "comment": "play area"},
         "CREATE CATALOG sandbox COMMENT 'play area'"),
        ({"action": "create", "name": "Main.Sandbox"}, "CREATE SCHEMA main.sandbox"),
        ({"action": "create", "name": "main.sandbox.events",
          "columns": [{"name": "id", "type": "bigint"}, {"name": "at", "type": "timestamp", "comment": "when"}]},
         "CREATE TABLE main.sandbox.events (id BIGINT, at TIMESTAMP COMMENT 'when')"),
        ({"action": "drop", "name": "main.sandbox"}, "DROP SCHEMA main.sandbox"),
        ({"action": "drop", "name": "main.sandbox", "cascade": True}, "DROP SCHEMA main.sandbox CASCADE"),
        ({"action": "drop", "name": "main.sales.orders", "cascade": True}, "DROP TABLE main.sales.orders"),
        ({"action": "set_comment", "name": "main.sales.orders", "comment": "it's the orders"},
         "COMMENT ON TABLE main.sales.orders IS 'it\\'s the orders'"),
        ({"action": "set_comment", "name": "main.sales", "comment": None}, "COMMENT ON SCHEMA main.sales IS NULL"),
        ({"action": "set_tags", "name": "main.hr.salaries", "tags": {"pii": "true", "owner team": "hr"}},
         "ALTER TABLE main.hr.salaries SET TAGS ('pii' = 'true', 'owner team' = 'hr')"),
        ({"action": "unset_tags", "name": "main.hr.salaries", "keys": ["pii"]},
         "ALTER TABLE main.hr.salaries UNSET TAGS ('pii')"),
        ({"action": "set_owner", "name": "main.sales.orders", "owner": "data_stewards"},
         "ALTER TABLE main.sales.orders OWNER TO `data_stewards`"),
        ({"action": "grant", "name": "main.sandbox", "principal": "analysts", "privileges": ["USE_SCHEMA", "select"]},
         "GRANT USE SCHEMA, SELECT ON SCHEMA main.sandbox TO `analysts`"),
        ({"action": "revoke", "name": "main", "principal": "alice@example.com", "privileges": ["use catalog"]},
         "REVOKE USE CATALOG ON CATALOG main FROM `alice@example.com`"),
        ({"action": "create", "name": "main.select"}, "CREATE SCHEMA main.`select`"),
    ],
)  # fmt: skip
def test_each_change_is_one_databricks_statement(body: dict[str, Any], sql: str) -> None:
    change = parse_change(body)
    assert change.sql() == sql
    if not sql.endswith("IS NULL"):  # Databricks takes IS NULL; sqlglot's parser does not
        sqlglot.parse_one(sql, read="databricks")
    described = change.as_json()
    assert described["sql"] == sql and described["sdk_call"].startswith("w.")


def test_grants_map_to_the_sdk_permissions_call() -> None:
    change = parse_change({"action": "grant", "name": "main.sales", "principal": "analysts",
                           "privileges": ["SELECT"]})  # fmt: skip
    assert change.sdk_call() == (
        "w.grants.update('schema', 'main.sales', changes=[PermissionsChange(principal='analysts', "
        "add=[Privilege.SELECT])])"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "create", "name": "main.sales data"}, "is not a valid name"),
        ({"action": "create", "name": "a.b.c.d"}, "is not a valid name"),
        ({"action": "create", "name": ""}, "is not a valid name"),
        ({"action": "grant", "name": "main.sales", "principal": "analysts", "privileges": ["READ"]},
         "unknown privilege 'READ'; Unity Catalog privileges are ALL_PRIVILEGES"),
        ({"action": "grant", "name": "main.sales.orders", "principal": "analysts", "privileges": ["USE_SCHEMA"]},
         "USE_SCHEMA cannot be granted on a table; on a table use ALL_PRIVILEGES, APPLY_TAG"),
        ({"action": "grant", "name": "main.sales", "principal": "", "privileges": ["SELECT"]},
         "is not a valid principal"),
        ({"action": "grant", "name": "main.sales", "principal": "analysts"}, "needs `privileges`"),
        ({"action": "create", "name": "main.s.t"}, "a table needs at least one column"),
        ({"action": "create", "name": "main.s.t", "columns": [{"name": "a", "type": "notatype"}]},
         "is not a Databricks column type"),
        ({"action": "create", "name": "main.s.t", "columns": [{"name": "a", "type": "int"}, {"name": "A", "type": "int"}]},
         "names a column twice"),
        ({"action": "rename", "name": "main.s"}, "unknown action 'rename'"),
        ({"action": "grant", "securable": "table", "name": "main.sales", "principal": "a", "privileges": ["SELECT"]},
         "a table is named catalog.schema.table"),
        ({"action": "set_tags", "name": "main.sales", "tags": {}}, "needs `tags`"),
    ],
)  # fmt: skip
def test_bad_changes_are_refused_with_what_to_do(body: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequest, match=None) as caught:
        parse_change(body)
    assert message in caught.value.message


def test_names_are_lower_case_and_know_their_securable() -> None:
    name = ObjectName.parse("Main.Sales.Orders")
    assert name.full_name == "main.sales.orders" and name.securable is Securable.TABLE
    assert name.parent == ObjectName.parse("main.sales") and str(name.parent.parent) == "main"
