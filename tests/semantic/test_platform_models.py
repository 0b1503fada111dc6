"""The shipped learning and platform models answer over the demo lakehouse, and the
planted incidents show through them (found by behaviour, named by incidents.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakechat.lakehouse.build import INCIDENTS_FILE
from lakechat.semantic.compiler import Access, compile_query
from lakechat.semantic.loader import SHIPPED_MODELS, load_models
from lakechat.semantic.query import parse_query
from lakechat.settings import default_lakehouse_path
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse


@pytest.fixture(scope="module")
def warehouse(tpch_home: Path) -> Iterator[DuckDBWarehouse]:
    provider = DuckDBWarehouse(default_lakehouse_path(tpch_home))
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def incidents(tpch_home: Path) -> dict[str, list[dict[str, Any]]]:
    document = json.loads((default_lakehouse_path(tpch_home) / INCIDENTS_FILE).read_text())
    found: dict[str, list[dict[str, Any]]] = {}
    for incident in document["incidents"]:
        found.setdefault(incident["kind"], []).append(incident)
    return found


def ask(warehouse: DuckDBWarehouse, body: dict[str, Any]) -> list[tuple[Any, ...]]:
    models = load_models([SHIPPED_MODELS]).models
    query = parse_query(body)
    compiled = compile_query(models[query.dataset].view, query, dialect="duckdb",
                             access=Access("default", is_admin=True))  # fmt: skip
    return list(warehouse.execute(compiled.sql, max_rows=10_000, timeout_seconds=60).rows)


def test_spend_by_workspace_matches_the_spike(
    warehouse: DuckDBWarehouse, incidents: dict[str, Any]
) -> None:
    spike = incidents["spend_spike"][0]
    rows = ask(warehouse, {
        "dataset": "platform_cost", "dimensions": [{"name": "workspace"}], "metrics": [{"name": "cost_usd"}],
        "filters": {"field": "usage_date", "op": "eq", "value": spike["time"]},
        "orderBy": [{"field": "cost_usd", "direction": "desc"}],
    })  # fmt: skip
    assert rows[0][0] == spike["entity"]
    assert rows[0][1] == pytest.approx(spike["evidence"]["spend_usd"], rel=1e-6)
    (share,) = ask(warehouse, {"dataset": "platform_cost", "metrics": [{"name": "untagged_share"}]})
    assert 0 < share[0] < 1


def test_failed_jobs_and_login_bursts(
    warehouse: DuckDBWarehouse, incidents: dict[str, Any], tpch_home: Path
) -> None:
    as_of = json.loads((default_lakehouse_path(tpch_home) / INCIDENTS_FILE).read_text())["as_of"]
    failed = ask(warehouse, {
        "dataset": "job_runs", "dimensions": [{"name": "job"}], "metrics": [{"name": "failed_runs"}],
        "filters": {"and": [{"field": "run_date", "op": "eq", "value": as_of},
                            {"field": "failed_runs", "op": "gt", "value": 0}]},
    })  # fmt: skip
    assert {job for job, _ in failed} == {i["entity"] for i in incidents["job_failed"]}
    burst = ask(warehouse, {
        "dataset": "security_events", "dimensions": [{"name": "source_ip"}],
        "metrics": [{"name": "failed_events"}],
        "filters": {"and": [{"field": "action", "op": "eq", "value": "login"},
                            {"field": "failed_events", "op": "gte", "value": 20}]},
    })  # fmt: skip
    assert {ip for ip, _ in burst} == {i["entity"] for i in incidents["failed_login_burst"]}


def test_query_performance_and_learning(
    warehouse: DuckDBWarehouse, incidents: dict[str, Any]
) -> None:
    queued = ask(warehouse, {
        "dataset": "query_performance", "dimensions": [{"name": "warehouse"}],
        "metrics": [{"name": "spilled_bytes"}], "orderBy": [{"field": "spilled_bytes", "direction": "desc"}],
        "limit": 1,
    })  # fmt: skip
    assert queued[0][0] == incidents["long_spilling_queries"][0]["entity"]
    regions = ask(warehouse, {
        "dataset": "learning", "dimensions": [{"name": "region"}],
        "metrics": [{"name": "students"}, {"name": "completion_rate"}],
    })  # fmt: skip
    assert sum(students for _, students, _ in regions) == 2000
    assert all(0 < rate < 1 for *_, rate in regions)
    minutes = ask(
        warehouse, {"dataset": "learning_activity", "metrics": [{"name": "active_minutes"}]}
    )
    assert minutes[0][0] > 0
