"""`lakechat query`: the same answers as /v1/query, from flags or a JSON body."""

from __future__ import annotations

import json
from pathlib import Path

from lakechat.settings import default_lakehouse_path
from tests.cli.test_cli import lakechat, ok


def env(tpch_home: Path) -> dict[str, str]:
    return {"LAKEHOUSE_PATH": str(default_lakehouse_path(tpch_home))}


def test_flags_make_a_query(tpch_home: Path) -> None:
    out = json.loads(ok(
        "query", "tpch_sales", "-m", "revenue", "-m", "order_count", "-d", "order_date:year",
        "-w", "customer_region = ASIA", "-w", "order_date between 1995-01-01,1996-12-31",
        "--order", "order_date:desc", "--json", env=env(tpch_home),
    ))  # fmt: skip
    assert [row["order_date"] for row in out["rows"]] == ["1996-01-01", "1995-01-01"]
    assert all(row["revenue"] > 0 and row["order_count"] > 0 for row in out["rows"])
    assert "customer_region.r_name = 'ASIA'" in out["stats"]["sql"]


def test_a_json_body_from_stdin(tpch_home: Path) -> None:
    body = {"dataset": "tpch_orders", "metrics": [{"name": "order_count"}]}
    out = json.loads(ok("query", "tpch_orders", "--body", "-", "--json", env=env(tpch_home),
                        input=json.dumps(body)))  # fmt: skip
    assert out["rows"] == [{"order_count": 15000}]
    table = ok("query", "tpch_orders", "-m", "order_count", env=env(tpch_home))
    assert "15000" in table


def test_mistakes_are_clear(tpch_home: Path) -> None:
    for args, message in (
        (["-m", "revnue"], "did you mean 'revenue'"),
        (["-m", "revenue", "-w", "ship_mode ~ AIR"], "write it as 'field op value'"),
        (["-m", "revenue", "--body", "-"], "--body is not JSON"),
        (["-d", "ship_mode:fortnight"], "dimensions.0.timeGrain"),
    ):
        result = lakechat("query", "tpch_sales", *args, env=env(tpch_home), input="nope")
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert message in result.stderr.replace("\n", " ") and "Traceback" not in result.stderr
    missing = lakechat("query", "nope", "-m", "x", env=env(tpch_home))
    assert missing.returncode == 1 and "no dataset 'nope'" in missing.stderr
