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


def test_time_ranges_and_calculations_from_flags(tpch_home: Path) -> None:
    out = json.loads(ok(
        "query", "tpch_sales", "-m", "revenue", "-m", "revenue:share_of_total",
        "-d", "customer_region", "-t", "1995-01-01,1995-12-31", "--json", env=env(tpch_home),
    ))  # fmt: skip
    assert out["time_range"] == {
        "dimension": "order_date", "range": "1995-01-01 to 1995-12-31",
        "first_day": "1995-01-01", "last_day": "1995-12-31", "timezone": "UTC",
    }  # fmt: skip
    assert len(out["rows"]) == 5
    assert abs(sum(row["revenue_share_of_total"] for row in out["rows"]) - 1) < 1e-9
    year = json.loads(ok("query", "tpch_sales", "-m", "revenue", "-t", "1995-01-01,1995-12-31",
                         "--json", env=env(tpch_home)))  # fmt: skip
    assert abs(sum(row["revenue"] for row in out["rows"]) - year["rows"][0]["revenue"]) < 1e-3
    shipped = json.loads(ok(
        "query", "tpch_sales", "-m", "revenue", "-t", "1995-01-01,1995-12-31",
        "--time-dimension", "ship_date", "--timezone", "Europe/Berlin", "--json",
        env=env(tpch_home),
    ))  # fmt: skip
    assert shipped["time_range"]["dimension"] == "ship_date"
    assert shipped["time_range"]["timezone"] == "Europe/Berlin"
    assert shipped["rows"][0]["revenue"] != year["rows"][0]["revenue"]


def test_the_table_shows_fractions_as_percentages_and_the_range(tpch_home: Path) -> None:
    table = ok(
        "query", "tpch_sales", "-m", "revenue", "-m", "revenue:growth", "-d", "order_date:year",
        "-t", "1994-01-01,1995-12-31", env=env(tpch_home),
    )  # fmt: skip
    assert "order_date: 1994-01-01 to 1995-12-31 (UTC)" in " ".join(table.split())
    growth = json.loads(ok(
        "query", "tpch_sales", "-m", "revenue:growth", "-d", "order_date:year",
        "-t", "1994-01-01,1995-12-31", "--json", env=env(tpch_home),
    ))  # fmt: skip
    for row in growth["rows"]:
        assert f"{row['revenue_growth'] * 100:.1f}%" in table


def test_time_flag_mistakes_are_clear(tpch_home: Path) -> None:
    for args, message in (
        (["-t", "fortnight"], "unknown range 'fortnight'"),
        (["-t", "a,b,c"], "give a range name or FIRST,LAST"),
        (["-t", "1996-01-01,1995-01-01"], "1995-01-01 is before 1996-01-01"),
        (["--time-dimension", "ship_date"], "--time-dimension needs --time-range"),
        (["-t", "ytd", "--time-dimension", "ship_mode"], "'ship_mode' is not a time dimension"),
        (["-t", "ytd", "--timezone", "Mars/Base"], "'Mars/Base' is not an IANA time zone"),
        (["-m", "revenue:double"], "metrics.1.calculation"),
    ):
        result = lakechat("query", "tpch_sales", "-m", "revenue", *args, env=env(tpch_home))
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert message in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
    # a message with [brackets] is printed as written, not read as terminal markup
    unknown = lakechat("query", "tpch_sales", "-m", "revenue", "-t", "nope", env=env(tpch_home))
    assert "[first_day, last_day]" in " ".join(unknown.stderr.split())
