"""The same analyses on Databricks: the report through the real connector against the local
fake SQL warehouse (Databricks SQL run on the demo lakehouse) finds what the embedded
lakehouse finds, and sends each analyzer's SQL exactly as written."""

from __future__ import annotations

import json
from pathlib import Path

from lakechat.monitor.service import PlatformHealth
from lakechat.settings import Settings, default_lakehouse_path
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse


def test_the_report_on_databricks_matches_the_embedded_one(tpch_home: Path, tmp_path: Path) -> None:
    from tests.warehouse.fake_databricks import FakeDatabricks

    folder = default_lakehouse_path(tpch_home)
    as_of = json.loads((folder / "incidents.json").read_text())["as_of"]
    settings = Settings(lakechat_home=tmp_path, embeddings_provider="none")
    fake = FakeDatabricks(folder, tmp_path)
    stop = fake.start().stop
    databricks, embedded = fake.warehouse(), DuckDBWarehouse(folder)
    try:
        remote = PlatformHealth.build(settings, databricks).report(as_of=as_of)
        local = PlatformHealth.build(settings, embedded).report(as_of=as_of)
    finally:
        databricks.close()
        embedded.close()
        stop()
    assert not remote.failures and not local.failures

    def seen(report: object) -> set[tuple[str, str, str]]:
        return {(f.domain, f.kind, f.entity) for f in report.findings}  # type: ignore[attr-defined]

    assert seen(remote) == seen(local) and len(seen(local)) >= 18
    sent = fake.log.statements
    for analysis in remote.analyses:
        for statement in analysis.sql:
            assert statement in sent, f"{analysis.analyzer} was rewritten before it was sent"
