"""`lakechat eval`: benchmark cases through the assistant, scored against their gold."""

from __future__ import annotations

import json
from pathlib import Path

from lakechat.settings import default_lakehouse_path
from tests.cli.test_cli import lakechat

CASES = """\
cases:
  - id: revenue-1995
    question: What was total revenue in 1995?
    tags: [tpch, time]
    gold_sql: |
      SELECT SUM(l_extendedprice * (1 - l_discount)) FROM samples.tpch.lineitem
      JOIN samples.tpch.orders ON l_orderkey = o_orderkey
      WHERE o_orderdate BETWEEN DATE '1995-01-01' AND DATE '1995-12-31'
  - id: by-month
    conversation: ["What was total revenue in 1995?", "and by month?"]
    tags: [tpch, followup]
    gold_sql: |
      SELECT DATE_TRUNC('month', o_orderdate), SUM(l_extendedprice * (1 - l_discount))
      FROM samples.tpch.lineitem JOIN samples.tpch.orders ON l_orderkey = o_orderkey
      WHERE o_orderdate BETWEEN DATE '1995-01-01' AND DATE '1995-12-31' GROUP BY 1
  - id: delete
    question: delete all orders from 1995
    tags: [refuse]
    expect: refused
"""
#: gross revenue is not what the question asks: a confident wrong number
WRONG = """\
- id: wrong-gold
  question: What was total revenue in 1995?
  tags: [tpch]
  gold_sql: SELECT SUM(l_extendedprice) FROM samples.tpch.lineitem
"""


def env(tpch_home: Path) -> dict[str, str]:
    return {"LAKEHOUSE_PATH": str(default_lakehouse_path(tpch_home))}


def test_cases_pass_and_the_report_says_so(tpch_home: Path, tmp_path: Path) -> None:
    (tmp_path / "cases.yaml").write_text(CASES)
    result = lakechat("eval", str(tmp_path / "cases.yaml"), "--json", env=env(tpch_home))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["total"], report["passed"]) == (3, 3)
    table = lakechat("eval", str(tmp_path), env=env(tpch_home))
    assert table.returncode == 0 and "3 of 3 passed (100.0%)" in table.stdout


def test_a_confident_wrong_number_fails_the_run(tpch_home: Path, tmp_path: Path) -> None:
    (tmp_path / "wrong.yaml").write_text(WRONG)
    result = lakechat("eval", str(tmp_path / "wrong.yaml"), env=env(tpch_home))
    assert result.returncode == 1
    out = " ".join(result.stdout.split())
    assert "wrong-gold" in out and "wrong rows" in out and "1 confident wrong" in out


def test_bad_input_is_clear(tpch_home: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("- id: x\n  question: hi\n")
    (tmp_path / "good.yaml").write_text(CASES)
    for args, message in (
        (["nope.yaml"], "no such file or folder: nope.yaml"),
        ([str(tmp_path / "bad.yaml")], "bad.yaml"),
        ([str(tmp_path / "good.yaml"), "--today", "yesterday"], "--today 'yesterday'"),
    ):
        result = lakechat("eval", *args, env=env(tpch_home))
        assert result.returncode != 0, args
        assert message in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
