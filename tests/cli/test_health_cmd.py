"""`lakechat health`: the report as text and JSON, the analyzers, one analysis, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from lakechat.settings import default_lakehouse_path
from tests.cli.test_cli import lakechat, ok


def lakehouse_env(tpch_home: Path) -> dict[str, str]:
    return {"LAKEHOUSE_PATH": str(default_lakehouse_path(tpch_home))}


def test_report_as_text_and_json(tpch_home: Path) -> None:
    env = lakehouse_env(tpch_home)
    incidents = json.loads((default_lakehouse_path(tpch_home) / "incidents.json").read_text())
    report = json.loads(ok("health", "report", "--json", "--as-of", incidents["as_of"], env=env))
    found = {(f["domain"], f["entity"]) for f in report["findings"]}
    assert {(i["domain"], i["entity"]) for i in incidents["incidents"]} <= found
    text = ok("health", "report", "--as-of", incidents["as_of"], env=env)
    assert "Security: attention" in text and "Data Quality" in text
    spike = next(i for i in incidents["incidents"] if i["kind"] == "spend_spike")
    assert spike["entity"] in text and spike["evidence"]["driver_job"] in text


def test_analyzers_and_one_run(tpch_home: Path) -> None:
    env = lakehouse_env(tpch_home)
    listed = json.loads(ok("health", "analyzers", "--json", env=env))
    assert len(listed) >= 20 and {a["domain"] for a in listed} == {
        "cost", "reliability", "performance", "security", "data_quality"
    }  # fmt: skip
    out = json.loads(ok("health", "run", "cost.top_contributors", "-p", "by=sku", "-p", "days=7",
                        "--json", env=env))  # fmt: skip
    assert out["params"] == {"by": "sku", "days": 7, "limit": 10} and out["columns"][0] == "sku"


def test_bad_input_is_a_clear_message(tpch_home: Path) -> None:
    env = lakehouse_env(tpch_home)
    for args, words in [
        (("run", "cost.nothing"), "no analyzer 'cost.nothing'"),
        (("run", "cost.spend_spike", "-p", "threshold"), "NAME=VALUE"),
        (("run", "cost.spend_spike", "-p", "lookback_days=0"), "at least 1"),
        (("report", "--domain", "weather"), "no health domain 'weather'"),
        (("report", "--as-of", "2001-02-03"), "no data for 2001-02-03"),
        (("report", "--workspace", "nowhere"), "no workspace 'nowhere'"),
    ]:
        result = lakechat("health", *args, env=env)
        assert result.returncode != 0, args
        assert words in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_lakehouse_without_system_tables(tmp_path: Path) -> None:
    empty = tmp_path / "empty-lakehouse"
    empty.mkdir()
    result = lakechat("health", "report", env={"LAKEHOUSE_PATH": str(empty)})
    assert result.returncode == 1 and "no 'system' catalog" in result.stderr
