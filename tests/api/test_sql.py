"""POST /api/sql: guarded, scoped, flagged, capped, cancelled on timeout, and logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lakechat.settings import default_lakehouse_path
from lakechat.store.models import RequestLogRow
from tests.conftest import issue_key


@pytest.fixture
def sql_client(make_client, make_settings, tpch_home: Path):  # type: ignore[no-untyped-def]
    def build(**overrides):  # type: ignore[no-untyped-def]
        return make_client(
            make_settings(lakehouse_path=default_lakehouse_path(tpch_home), **overrides)
        )

    return build


def post(client: TestClient, key: str, sql: str):  # type: ignore[no-untyped-def]
    return client.post("/api/sql", json={"sql": sql}, headers={"X-API-Key": key})


def test_an_analyst_runs_a_query(sql_client) -> None:  # type: ignore[no-untyped-def]
    client = sql_client()
    analyst = issue_key(client, role="analyst")
    body = post(
        client, analyst, "SELECT n_name, n_nationkey FROM samples.tpch.nation ORDER BY 2 LIMIT 3"
    ).json()
    assert body["columns"] == [
        {"name": "n_name", "type": "VARCHAR"},
        {"name": "n_nationkey", "type": "INTEGER"},
    ]
    assert body["rows"] == [["ALGERIA", 0], ["ARGENTINA", 1], ["BRAZIL", 2]]
    assert body["row_count"] == 3 and body["truncated"] is False
    assert body["sql"].startswith("SELECT n_name") and body["elapsed_ms"] >= 0


def test_decimals_and_dates_are_json(sql_client) -> None:  # type: ignore[no-untyped-def]
    client = sql_client()
    key = issue_key(client, role="analyst")
    body = post(
        client,
        key,
        "SELECT o_orderdate, o_totalprice FROM samples.tpch.orders ORDER BY o_orderkey LIMIT 1",
    ).json()
    date, price = body["rows"][0]
    assert len(date) == 10 and date[4] == "-" and isinstance(price, float)


def test_a_viewer_may_not_run_sql(sql_client) -> None:  # type: ignore[no-untyped-def]
    client = sql_client()
    viewer = issue_key(client, role="viewer")
    response = post(client, viewer, "SELECT 1")
    assert response.status_code == 403 and response.json()["error"]["code"] == "missing_scope"


def test_refusals_come_back_in_the_envelope(sql_client) -> None:  # type: ignore[no-untyped-def]
    client = sql_client()
    key = issue_key(client, role="analyst")
    write = post(client, key, "DELETE FROM samples.tpch.nation")
    assert write.status_code == 400 and write.json()["error"]["code"] == "guard.write_not_allowed"
    table = post(client, key, "SELECT * FROM main.hr.salaries")
    assert table.status_code == 403 and table.json()["error"]["code"] == "guard.table_not_allowed"
    missing = post(client, key, "SELECT * FROM samples.tpch.nope")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "query_failed"
    assert "nope" in missing.json()["error"]["message"]


def test_the_feature_flag_turns_it_off(sql_client) -> None:  # type: ignore[no-untyped-def]
    client = sql_client(feature_sql_execution=False)
    key = issue_key(client, role="analyst")
    response = post(client, key, "SELECT 1")
    assert response.status_code == 403 and response.json()["error"]["code"] == "feature_disabled"
    assert "FEATURE_SQL_EXECUTION" in response.json()["error"]["message"]


def test_rows_are_capped(sql_client) -> None:  # type: ignore[no-untyped-def]
    client = sql_client(query_max_rows=10)
    key = issue_key(client, role="analyst")
    capped = post(client, key, "SELECT * FROM samples.tpch.nation").json()
    assert capped["row_count"] == 10 and capped["truncated"] is True
    clamped = post(client, key, "SELECT * FROM samples.tpch.nation LIMIT 1000").json()
    assert clamped["sql"].endswith("LIMIT 10") and clamped["truncated"] is True
    fits = post(client, key, "SELECT * FROM samples.tpch.region").json()
    assert fits["row_count"] == 5 and fits["truncated"] is False


def test_a_slow_query_is_cancelled(sql_client) -> None:  # type: ignore[no-untyped-def]
    client = sql_client(query_timeout_seconds=0.5)
    key = issue_key(client, role="analyst")
    response = post(client, key, "SELECT count(*) FROM range(100000000000)")
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "query_timeout" and "QUERY_TIMEOUT_SECONDS=0.5" in error["message"]


def test_the_request_log_keeps_the_sql_and_tables(sql_client) -> None:  # type: ignore[no-untyped-def]
    client = sql_client()
    key = issue_key(client, role="analyst")
    post(
        client,
        key,
        "SELECT count(*) FROM samples.tpch.orders JOIN samples.tpch.customer ON o_custkey = c_custkey",
    )
    services = client.app.state.services  # type: ignore[attr-defined]
    services.request_log.flush()
    with services.store.session() as session:
        row = session.scalars(select(RequestLogRow).where(RequestLogRow.route == "/api/sql")).one()
    assert row.plan_type == "SqlRun" and row.row_count == 1 and row.http_status == 200
    assert row.tables == ["samples.tpch.customer", "samples.tpch.orders"]
    assert row.sql.startswith("SELECT count(*)")


def test_each_role_and_group_reads_its_own_tables(sql_client) -> None:  # type: ignore[no-untyped-def]
    client = sql_client()
    analyst = issue_key(client, role="analyst")
    people = issue_key(client, role="analyst", groups=["hr"])
    admin = issue_key(client, role="admin")
    salaries = "SELECT count(*) FROM main.hr.salaries"
    refused = post(client, analyst, salaries)
    assert refused.status_code == 403 and "main.hr.salaries" in refused.json()["error"]["message"]
    assert post(client, people, salaries).json()["rows"] == [[240]]
    assert post(client, admin, salaries).json()["rows"] == [[240]]
    owners = "SELECT count(*) FROM system.information_schema.tables WHERE table_owner IS NULL"
    assert post(client, admin, owners).json()["rows"] == [[1]]
    assert post(client, analyst, owners).status_code == 403
    usage = post(client, analyst, "SELECT count(*) > 0 FROM system.billing.usage")
    assert usage.json()["rows"] == [[True]]


def test_table_access_is_configurable(sql_client) -> None:  # type: ignore[no-untyped-def]
    client = sql_client(table_access={"analyst": ["samples.tpch.nation"]})
    key = issue_key(client, role="analyst")
    assert post(client, key, "SELECT count(*) FROM samples.tpch.nation").json()["rows"] == [[25]]
    assert post(client, key, "SELECT count(*) FROM samples.tpch.region").status_code == 403


def test_the_health_check_sees_the_catalogs(sql_client) -> None:  # type: ignore[no-untyped-def]
    checks = {c["name"]: c for c in sql_client().get("/health").json()["checks"]}
    assert checks["warehouse"]["detail"] == "duckdb embedded; catalogs: main, samples, system"


@pytest.mark.postgres
def test_postgres_as_the_warehouse(make_client, make_settings, pg_samples_url: str) -> None:  # type: ignore[no-untyped-def]
    client = make_client(make_settings(warehouse_url=pg_samples_url))
    key = issue_key(client, role="analyst")
    body = post(client, key, "SELECT count(*) AS nations FROM samples.tpch.nation").json()
    assert body["rows"] == [[25]] and body["columns"] == [{"name": "nations", "type": "INT8"}]
    refused = post(client, key, "SELECT * FROM samples.tpch.nation; DROP TABLE samples.tpch.nation")
    assert refused.json()["error"]["code"] == "guard.multiple_statements"
    checks = {c["name"]: c for c in client.get("/health").json()["checks"]}
    assert (
        checks["warehouse"]["status"] == "healthy" and "postgresql" in checks["warehouse"]["detail"]
    )


def test_an_unknown_warehouse_url_is_a_clear_error(make_settings) -> None:  # type: ignore[no-untyped-def]
    from lakechat.errors import ConfigurationError
    from lakechat.warehouse.factory import build_warehouse

    with pytest.raises(ConfigurationError, match="names no warehouse"):
        build_warehouse(make_settings(warehouse_url="mongodb://user:secret123@x/y"))
