"""POST /v1/query and /v1/datasets: the seed gateway's body, typed columns, clear 4xx,
row-level security by the key's tenant, and models reloaded without a restart."""

from __future__ import annotations

import dataclasses
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lakechat.errors import ConfigurationError
from lakechat.semantic.loader import SHIPPED_MODELS
from lakechat.settings import default_lakehouse_path, load_settings
from tests.conftest import issue_key


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    shutil.copytree(SHIPPED_MODELS, folder)
    return folder


@pytest.fixture
def client(make_client, make_settings, tpch_home: Path, models_dir: Path) -> TestClient:  # type: ignore[no-untyped-def]
    return make_client(  # type: ignore[no-any-return]
        make_settings(lakehouse_path=default_lakehouse_path(tpch_home), models_path=str(models_dir))
    )


def ask(client: TestClient, key: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.post("/v1/query", json=body, headers={"X-API-Key": key})


def test_a_viewer_asks_revenue_by_region(client: TestClient) -> None:
    key = issue_key(client, role="viewer")
    response = ask(client, key, {
        "dataset": "tpch_sales",
        "dimensions": [{"name": "customer_region", "alias": "region"},
                       {"name": "order_date", "timeGrain": "year", "alias": "year"}],
        "metrics": [{"name": "revenue"}, {"name": "order_count", "alias": "orders"}],
        "filters": {"field": "order_date", "op": "between", "value": ["1995-01-01", "1995-12-31"]},
        "orderBy": [{"field": "revenue", "direction": "desc"}],
        "limit": 3,
    })  # fmt: skip
    assert response.status_code == 200, response.text
    data = response.json()
    assert [c["name"] for c in data["columns"]] == ["region", "year", "revenue", "orders"]
    assert [c["semanticType"] for c in data["columns"]] == ["dimension", "time", "metric", "metric"]
    assert data["columns"][2]["format"]["type"] == "currency"
    assert len(data["rows"]) == 3 and data["rows"][0]["year"] == "1995-01-01"
    revenues = [row["revenue"] for row in data["rows"]]
    assert all(isinstance(r, float) for r in revenues) and revenues == sorted(
        revenues, reverse=True
    )
    assert all(isinstance(row["orders"], int) for row in data["rows"])
    assert data["stats"]["row_count"] == 3 and data["stats"]["sql"].startswith("SELECT")
    assert data["stats"]["cached"] is False and data["warnings"] == []


def test_text_operators_pass_the_guard(client: TestClient) -> None:
    key = issue_key(client, role="viewer")
    for op, value in (("contains", "brass"), ("starts_with", "large"), ("ends_with", "BRASS")):
        response = ask(client, key, {
            "dataset": "tpch_sales", "metrics": [{"name": "line_item_count"}],
            "filters": {"field": "part_type", "op": op, "value": value, "caseInsensitive": True},
        })  # fmt: skip
        assert response.status_code == 200, response.text
        assert response.json()["rows"][0]["line_item_count"] > 0


def test_datasets_browse(client: TestClient) -> None:
    key = issue_key(client, role="viewer")
    headers = {"X-API-Key": key}
    listed = client.get("/v1/datasets", headers=headers).json()["datasets"]
    assert {d["id"] for d in listed} == {
        "tpch_sales", "tpch_orders", "learning", "learning_activity",
        "platform_cost", "job_runs", "query_performance", "security_events",
        "assistant_requests",
    }  # fmt: skip
    one = client.get("/v1/datasets/tpch_orders", headers=headers).json()
    assert {m["name"] for m in one["metrics"]} == {
        "order_count",
        "total_order_value",
        "avg_order_value",
        "customer_count",
    }
    schema = client.get("/v1/datasets/tpch_sales/schema", headers=headers).json()
    assert "customer_nation" in [j["name"] for j in schema["joins"]]
    dims = client.get("/v1/datasets/tpch_sales/dimensions", headers=headers).json()["dimensions"]
    flag = next(d for d in dims if d["name"] == "return_flag")
    assert flag["value_synonyms"]["R"] == ["returned"]
    assert client.get("/v1/datasets/nope/metrics", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"dataset": "nope", "metrics": [{"name": "revenue"}]}, 404, "no dataset 'nope'"),
        ({"dataset": "tpch_sales", "metrics": [{"name": "revnue"}]}, 400, "did you mean 'revenue'"),
        ({"dataset": "tpch_sales", "dimensions": [{"name": "ship_mode", "timeGrain": "month"}]}, 400,
         "not a time dimension"),
        ({"dataset": "tpch_sales", "metrics": [{"name": "revenue"}],
          "filters": {"field": "ship_mode", "op": "in", "value": "AIR"}}, 400, "non-empty list"),
        ({"dataset": "tpch_sales", "metrics": [{"name": "revenue"}],
          "filters": {"field": "ship_mode", "op": "eq", "value": {"x": 1}}}, 400, "one value"),
        ({"dataset": "tpch_sales", "dimensions": [{"name": d} for d in
          ("ship_mode", "clerk", "part_brand", "part_type", "part_size", "manufacturer",
           "customer_name", "supplier_name", "order_status", "order_priority", "line_status")]},
         400, "QUERY_MAX_DIMENSIONS=10"),
        ({"dataset": "tpch_sales"}, 400, "at least one dimension or metric"),
        ({"dataset": "tpch_sales", "metrics": [{"name": "revenue"}], "colour": "red"}, 400, "colour"),
    ],
)  # fmt: skip
def test_bad_queries_get_clear_errors(
    client: TestClient, body: dict[str, Any], status: int, fragment: str
) -> None:
    response = ask(client, issue_key(client, role="viewer"), body)
    assert response.status_code == status, response.text
    assert fragment in response.text and response.json()["error"]["request_id"]


def test_query_needs_data_read(client: TestClient) -> None:
    body = {"dataset": "tpch_sales", "metrics": [{"name": "revenue"}]}
    assert client.post("/v1/query", json=body).status_code == 401
    key = issue_key(client, role="viewer", scopes=["health:read"])
    assert ask(client, key, body).status_code == 403


TENANT_MODEL = """\
version: 1.1
source: SELECT * FROM (VALUES ('acme', 10), ('acme', 20), ('globex', 1000)) AS t(tenant_id, amount)
dimensions:
  - {name: tenant, expr: tenant_id}
measures:
  - {name: amount, expr: SUM(amount)}
x-lakechat:
  row_level_security: {tenant_column: tenant_id, admin_bypass: true}
"""


def test_the_keys_tenant_is_applied_and_admins_may_bypass(
    client: TestClient, models_dir: Path
) -> None:
    (models_dir / "shared.yaml").write_text(TENANT_MODEL)
    # a new file is read within a second; the app may have looked just now (its warm-up)
    client.app.state.services.models.refresh(force=True)  # type: ignore[attr-defined]
    body = {
        "dataset": "shared",
        "dimensions": [{"name": "tenant"}],
        "metrics": [{"name": "amount"}],
    }
    acme = ask(client, issue_key(client, role="analyst", tenant="acme"), body).json()
    assert acme["rows"] == [{"tenant": "acme", "amount": 30}]
    sneaky = {**body, "filters": {"or": [{"field": "tenant", "op": "eq", "value": "globex"},
                                         {"field": "tenant", "op": "is_not_null"}]}}  # fmt: skip
    assert ask(client, issue_key(client, role="viewer", tenant="acme"), sneaky).json()["rows"] == [
        {"tenant": "acme", "amount": 30}
    ]
    admin = ask(client, issue_key(client, role="admin", tenant="acme"), body).json()
    assert {row["tenant"] for row in admin["rows"]} == {"acme", "globex"}


def test_models_reload_without_a_restart(client: TestClient, models_dir: Path) -> None:
    key = issue_key(client, role="viewer")
    body = {"dataset": "tpch_orders", "metrics": [{"name": "orders_1995"}]}
    assert ask(client, key, body).status_code == 400
    path = models_dir / "tpch_orders.yaml"
    text = path.read_text().replace(
        "  - name: total_order_value\n",
        "  - name: orders_1995\n    expr: COUNT(*) FILTER (WHERE YEAR(o_orderdate) = 1995)\n"
        "  - name: total_order_value\n",
    )
    path.write_text(text)
    services = client.app.state.services  # type: ignore[attr-defined]
    services.models.refresh(force=True)
    response = ask(client, key, body)
    assert response.status_code == 200, response.text
    assert response.json()["rows"][0]["orders_1995"] > 0
    path.write_text(text.replace("version: 1.1", "version: 9"))  # a broken edit
    time.sleep(0.01)
    services.models.refresh(force=True)
    assert ask(client, key, body).status_code == 200  # the last good model keeps serving
    assert any("version" in p.message for p in services.models.problems)


REVENUE = {
    "dataset": "tpch_sales",
    "dimensions": [{"name": "ship_mode"}],
    "metrics": [{"name": "revenue"}],
}


def test_results_are_cached_per_tenant_and_role(client: TestClient) -> None:
    acme = issue_key(client, role="viewer", tenant="acme")
    first = ask(client, acme, REVENUE).json()
    second = ask(client, acme, REVENUE).json()
    assert first["stats"]["cached"] is False and second["stats"]["cached"] is True
    assert second["rows"] == first["rows"] and second["columns"] == first["columns"]
    other = ask(client, issue_key(client, role="viewer", tenant="globex"), REVENUE).json()
    assert other["stats"]["cached"] is False
    analyst = ask(client, issue_key(client, role="analyst", tenant="acme"), REVENUE).json()
    assert analyst["stats"]["cached"] is False
    health = client.get("/v1/health").json()["cache"]
    assert health["enabled"] and health["backend"] == "memory"
    assert health["hits"] >= 1 and health["misses"] >= 3
    metrics = client.get("/metrics").text
    assert 'lakechat_query_cache_total{outcome="hit"}' in metrics


def test_an_edited_model_is_not_served_from_the_cache(client: TestClient, models_dir: Path) -> None:
    key = issue_key(client, role="viewer")
    assert ask(client, key, REVENUE).json()["stats"]["cached"] is False
    path = models_dir / "tpch_sales.yaml"
    path.write_text(
        path.read_text().replace(
            "SUM(l_extendedprice * (1 - l_discount))", "SUM(l_extendedprice)", 1
        )
    )
    client.app.state.services.models.refresh(force=True)  # type: ignore[attr-defined]
    again = ask(client, key, REVENUE).json()
    assert (
        again["stats"]["cached"] is False
        and "SUM(source.l_extendedprice) AS" in again["stats"]["sql"]
    )


def test_caching_can_be_switched_off(
    make_client, make_settings, tpch_home: Path, models_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    client = make_client(make_settings(lakehouse_path=default_lakehouse_path(tpch_home),
                                       models_path=str(models_dir), cache_enabled=False))  # fmt: skip
    key = issue_key(client, role="viewer")
    ask(client, key, REVENUE)
    assert ask(client, key, REVENUE).json()["stats"]["cached"] is False


@pytest.mark.redis
def test_workers_share_results_through_redis(  # type: ignore[no-untyped-def]
    make_client, make_settings, tpch_home: Path, models_dir: Path, redis_url: str, redis_prefix: str
) -> None:
    def worker() -> TestClient:
        return make_client(make_settings(  # type: ignore[no-any-return]
            lakehouse_path=default_lakehouse_path(tpch_home), models_path=str(models_dir),
            redis_url=redis_url, redis_key_prefix=redis_prefix,
        ))  # fmt: skip

    one, two = worker(), worker()
    key = issue_key(one, role="viewer")
    assert ask(one, key, REVENUE).json()["stats"]["cached"] is False
    shared = ask(two, key, REVENUE).json()
    assert shared["stats"]["cached"] is True
    assert client_health(two)["backend"] == "redis"


def client_health(client: TestClient) -> dict[str, Any]:
    return client.get("/v1/health").json()["cache"]  # type: ignore[no-any-return]


# time ranges, time zones and calculations -------------------------------------------------------
def set_clock(client: TestClient, moment: datetime) -> None:
    """Make "now" ``moment`` for the app's relative time ranges."""
    state = client.app.state  # type: ignore[attr-defined]
    state.services = dataclasses.replace(state.services, clock=lambda: moment)


def test_a_time_range_answers_with_the_days_it_meant(client: TestClient) -> None:
    key = issue_key(client, role="viewer")
    set_clock(client, datetime(1998, 8, 1, 3, 0, tzinfo=UTC))
    body = {"dataset": "tpch_sales", "timeRange": "last_month",
            "dimensions": [{"name": "order_date", "timeGrain": "month", "alias": "month"}],
            "metrics": [{"name": "revenue"}, {"name": "revenue", "calculation": "growth"}]}  # fmt: skip
    data = ask(client, key, body).json()
    assert data["time_range"] == {"dimension": "order_date", "range": "last_month",
                                  "first_day": "1998-07-01", "last_day": "1998-07-31",
                                  "timezone": "UTC"}  # fmt: skip
    assert [row["month"] for row in data["rows"]] == ["1998-07-01"]
    growth = data["columns"][2]
    assert growth["calculation"] == "growth" and growth["format"]["type"] == "percentage"
    assert "calculation" not in data["columns"][1]
    # at 03:00 UTC on 1 August it is still 31 July in Los Angeles: last month is June there
    west = ask(client, key, {**body, "timezone": "America/Los_Angeles"}).json()
    assert (west["time_range"]["first_day"], west["time_range"]["last_day"]) == (
        "1998-06-01",
        "1998-06-30",
    )
    assert west["time_range"]["timezone"] == "America/Los_Angeles"
    assert [row["month"] for row in west["rows"]] == ["1998-06-01"]
    assert ask(client, key, REVENUE).json()["time_range"] is None


def test_a_relative_range_cached_one_day_is_not_served_the_next(client: TestClient) -> None:
    key = issue_key(client, role="viewer")
    body = {
        "dataset": "tpch_sales",
        "metrics": [{"name": "order_count"}],
        "timeRange": "last_7_days",
    }
    set_clock(client, datetime(1998, 7, 20, 12, 0, tzinfo=UTC))
    monday = ask(client, key, body).json()
    assert monday["stats"]["cached"] is False
    assert ask(client, key, body).json()["stats"]["cached"] is True
    assert ask(client, key, REVENUE).json()["stats"]["cached"] is False
    set_clock(client, datetime(1998, 7, 21, 12, 0, tzinfo=UTC))
    tuesday = ask(client, key, body).json()
    assert tuesday["stats"]["cached"] is False
    assert tuesday["time_range"]["first_day"] == "1998-07-14" != monday["time_range"]["first_day"]
    assert ask(client, key, REVENUE).json()["stats"]["cached"] is True  # no range: same answer


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"timeRange": "last_fortnight"}, "timeRange: unknown range 'last_fortnight'; use one of"),
        ({"timeRange": "last_0_days"}, "timeRange: 'last_0_days' must count 1 to 3650 days"),
        ({"timeRange": ["1998-02-30", "1998-03-01"]}, "must be two ISO days [YYYY-MM-DD, YYYY-MM-DD]"),
        ({"timeRange": ["1998-03-31", "1998-03-01"]}, "timeRange: 1998-03-01 is before 1998-03-31"),
        ({"timeRange": ["1998-03-01"]}, "timeRange.range"),
        ({"timeRange": {"dimension": "ship_mode", "range": "ytd"}},
         "timeRange.dimension: 'ship_mode' is not a time dimension"),
        ({"timezone": "Mars/Olympus"}, "timezone: 'Mars/Olympus' is not an IANA time zone"),
        ({"timezone": ""}, "timezone: String should have at least 1 character"),
        ({"metrics": [{"name": "revenue", "calculation": "ratio"}]}, "metrics.0.calculation: Input should be"),
        ({"metrics": [{"name": "revenue", "calculation": "growth"}]},
         "previous_period and growth compare periods: add a dimension with a timeGrain"),
        ({"dimensions": [{"name": "order_date", "timeGrain": "hour"}]}, "timeGrain 'hour' on 'order_date'"),
    ],
)  # fmt: skip
def test_bad_time_ranges_time_zones_and_calculations_are_400(
    client: TestClient, change: dict[str, Any], fragment: str
) -> None:
    body = {**REVENUE, **change}
    response = ask(client, issue_key(client, role="viewer"), body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_request" and fragment in error["message"], error
    assert error["request_id"]


def test_an_unknown_query_timezone_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(
        ConfigurationError, match=r"QUERY_TIMEZONE: .*'Mars/Olympus' is not an IANA"
    ):
        load_settings(query_timezone="Mars/Olympus")
    monkeypatch.setenv("QUERY_TIMEZONE", "Europe/Atlantis")
    with pytest.raises(ConfigurationError, match=r"QUERY_TIMEZONE: .*'Europe/Atlantis'"):
        load_settings()
    monkeypatch.setenv("QUERY_TIMEZONE", "Europe/Berlin")
    assert load_settings().query_timezone == "Europe/Berlin"
