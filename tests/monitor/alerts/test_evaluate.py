"""Rule queries come to the same number the analyzers and /v1/query give, on the embedded
lakehouse (samples.tpch and the system tables with their known incidents)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lakechat.monitor.alerts.evaluate import SYSTEM
from lakechat.monitor.alerts.service import AlertService
from lakechat.monitor.base import SEVERITY_RANK
from lakechat.monitor.factory import build_runner
from lakechat.monitor.registry import resolve_window, run_analyzer
from lakechat.semantic.query import parse_query
from lakechat.semantic.service import answer
from lakechat.settings import Settings, default_lakehouse_path
from lakechat.store.types import utcnow
from tests.monitor.alerts.conftest import write_rules

RULES = """
alerts:
  - name: orders_1995
    query:
      type: semantic
      dataset: tpch_orders
      metrics: [{name: order_count}]
      timeRange: [1995-01-01, 1995-12-31]
    condition: {operator: ">", threshold: 1}
    schedule: every 1h
  - name: worst_spike_ratio
    query: {type: analyzer, analyzer: cost.spend_spike, value: ratio, aggregate: max}
    condition: {operator: ">=", threshold: 2}
    schedule: every 1h
  - name: spike_rows
    query: {type: analyzer, analyzer: cost.spend_spike, value: ratio, aggregate: count}
    condition: {operator: ">=", threshold: 1000000}
    schedule: every 1h
  - name: no_such_column
    query: {type: analyzer, analyzer: cost.spend_spike, value: happiness}
    condition: {operator: ">", threshold: 0}
    schedule: every 1h
"""


@pytest.fixture
def lakehouse_settings(make_settings: Callable[..., Settings], tpch_home: Path) -> Settings:
    return make_settings(lakehouse_path=default_lakehouse_path(tpch_home))


def test_queries_read_the_lakehouse(
    lakehouse_settings: Settings, make_alerts: Callable[[Settings], AlertService]
) -> None:
    write_rules(lakehouse_settings, RULES)
    alerts = make_alerts(lakehouse_settings)
    now = utcnow()
    outcome = alerts.run(
        ["orders_1995", "cost_spike", "worst_spike_ratio", "spike_rows", "no_such_column"],
        now=now,
    )
    runs = {r["rule"]: r for r in outcome["rules"]}

    # the semantic query's value is what /v1/query answers, as the system principal
    warehouse = alerts.sources.warehouse()
    expected = answer(alerts.sources.models(), warehouse, parse_query({
        "dataset": "tpch_orders", "metrics": [{"name": "order_count"}],
        "timeRange": ["1995-01-01", "1995-12-31"],
    }), SYSTEM, lakehouse_settings, now=lambda: now)["rows"][0]["order_count"]  # fmt: skip
    assert runs["orders_1995"]["value"] == expected > 1
    assert runs["orders_1995"]["state"] == "triggered"
    assert "tpch_orders, 1995-01-01 to 1995-12-31" in runs["orders_1995"]["summary"]

    # the built-in cost_spike counts the analyzer's findings of medium severity or worse
    runner = build_runner(lakehouse_settings, warehouse)
    analysis = run_analyzer(runner, "cost.spend_spike", window=resolve_window(runner, None, now))
    serious = [f for f in analysis.findings if SEVERITY_RANK[f.severity] >= SEVERITY_RANK["medium"]]
    assert runs["cost_spike"]["value"] == len(serious)
    assert runs["cost_spike"]["state"] == ("triggered" if serious else "ok")
    ratios = [row[analysis.columns.index("ratio")] for row in analysis.rows]
    assert runs["spike_rows"]["value"] == len(ratios)
    if ratios:
        assert runs["worst_spike_ratio"]["value"] == pytest.approx(float(max(ratios)))

    assert runs["no_such_column"]["error"].startswith(
        "analyzer 'cost.spend_spike' has no column 'happiness'; its columns: workspace,"
    )
    assert outcome["failed"] == 1
