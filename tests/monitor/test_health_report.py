"""The health report over the demo lakehouse finds every injected incident, ranked near the
top of its domain, for the default seed and for seeds whose incidents name other entities."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakechat.errors import BadRequest, NotFound
from lakechat.lakehouse.build import build_lakehouse
from lakechat.monitor.service import PlatformHealth
from lakechat.settings import Settings, default_lakehouse_path
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse


def _health(folder: Path) -> Iterator[tuple[PlatformHealth, dict[str, Any]]]:
    warehouse = DuckDBWarehouse(folder, max_concurrency=4)
    settings = Settings(lakechat_home=folder.parent, embeddings_provider="none")
    try:
        yield (
            PlatformHealth.build(settings, warehouse),
            json.loads((folder / "incidents.json").read_text()),
        )
    finally:
        warehouse.close()


@pytest.fixture(scope="module", params=[7, 11, 23])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[PlatformHealth, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp(f"seed-{request.param}") / "lakehouse"
    build_lakehouse(folder, scale_factor=0.001, seed=request.param, as_of=dt.date(2026, 3, 16))
    yield from _health(folder)


def test_every_incident_is_found_near_the_top_of_its_domain(
    seeded: tuple[PlatformHealth, dict[str, Any]],
) -> None:
    health, incidents = seeded
    report = health.report(as_of=incidents["as_of"])
    assert not report.failures
    for domain in {i["domain"] for i in incidents["incidents"]}:
        entities = {i["entity"] for i in incidents["incidents"] if i["domain"] == domain}
        ranked = [f.entity for f in report.in_domain(domain)]
        missing = entities - set(ranked)
        assert not missing, f"{domain}: not found {missing}"
        last = max(ranked.index(e) for e in entities)
        others = [e for e in ranked[:last] if e not in entities]
        assert len(others) <= 1, f"{domain}: ranked above the incidents: {others}"


def test_findings_carry_their_evidence_and_sql(
    seeded: tuple[PlatformHealth, dict[str, Any]],
) -> None:
    health, incidents = seeded
    spike = next(i for i in incidents["incidents"] if i["kind"] == "spend_spike")
    found = health.analyze("cost.spend_spike", as_of=incidents["as_of"])
    finding = next(f for f in found.findings if f.entity == spike["entity"])
    assert finding.evidence["driver"] == spike["evidence"]["driver_job"]
    assert finding.evidence["ratio"] == pytest.approx(spike["evidence"]["ratio"], abs=0.01)
    assert "system.billing.usage" in finding.sql


def test_one_workspace_only(seeded: tuple[PlatformHealth, dict[str, Any]]) -> None:
    health, incidents = seeded
    spike = next(i for i in incidents["incidents"] if i["kind"] == "spend_spike")
    others = health.analyze("cost.top_contributors", as_of=incidents["as_of"])
    assert len(others.rows) > 1
    mine = health.analyze(
        "cost.top_contributors", as_of=incidents["as_of"], workspace=spike["entity"]
    )
    assert [r[0] for r in mine.rows] == [spike["entity"]]


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda h, d: h.analyze("cost.nope", as_of=d), NotFound, "cost.spend_spike"),
        (lambda h, d: h.report(as_of=d, domains=["money"]), BadRequest, "data_quality"),
        (
            lambda h, d: h.analyze("cost.spend_spike", as_of=d, params={"lookback": 3}),
            BadRequest,
            "lookback_days",
        ),
        (
            lambda h, d: h.analyze("cost.spend_spike", as_of=d, params={"threshold": "big"}),
            BadRequest,
            "a number",
        ),
        (
            lambda h, d: h.analyze("cost.top_contributors", as_of=d, params={"by": "color"}),
            BadRequest,
            "billing_product",
        ),
        (lambda h, d: h.report(as_of="yesterday"), BadRequest, "YYYY-MM-DD"),
        (lambda h, d: h.report(as_of="2020-01-01"), BadRequest, "hold"),
        (lambda h, d: h.report(as_of=d, workspace="nowhere"), NotFound, "the workspaces are"),
    ],
)
def test_bad_input_gets_a_clear_error(
    seeded: tuple[PlatformHealth, dict[str, Any]], call: Any, error: type[Exception], words: str
) -> None:
    health, incidents = seeded
    with pytest.raises(error, match=words):
        call(health, incidents["as_of"])


def test_a_warehouse_without_system_tables_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    warehouse = DuckDBWarehouse(folder, max_concurrency=1)
    try:
        health = PlatformHealth.build(Settings(lakechat_home=tmp_path), warehouse)
        with pytest.raises(BadRequest, match="no 'system' catalog"):
            health.report()
    finally:
        warehouse.close()


def test_the_tpch_home_default_lakehouse_reports(tpch_home: Path) -> None:
    for health, incidents in _health(default_lakehouse_path(tpch_home)):
        found = health.report(as_of=incidents["as_of"]).as_json()
        assert found["attention"] and found["headline"].split()[0].isdigit()
        assert set(found["domains"]) == {
            "cost",
            "reliability",
            "performance",
            "security",
            "data_quality",
        }


def test_shares_are_of_all_spend(seeded: tuple[PlatformHealth, dict[str, Any]]) -> None:
    health, incidents = seeded
    jobs = health.analyze("cost.top_contributors", as_of=incidents["as_of"], params={"by": "job"})
    workspaces = health.analyze("cost.top_contributors", as_of=incidents["as_of"])
    share = dict(zip(jobs.columns, jobs.rows[0], strict=True))["share"]
    total = sum(float(r[1]) for r in workspaces.rows)
    assert share == pytest.approx(float(jobs.rows[0][1]) / total, abs=1e-3) and share < 0.5


def test_exact_percentiles_on_databricks(seeded: tuple[PlatformHealth, dict[str, Any]]) -> None:
    health, incidents = seeded
    found = health.analyze("performance.queue_time", as_of=incidents["as_of"])
    assert "PERCENTILE(" in found.sql[0] and "APPROX" not in found.sql[0]
