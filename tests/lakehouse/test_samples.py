"""samples.tpch: DuckDB's dbgen data, answering the 22 TPC-H queries with the official answers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lakechat.errors import BadRequest
from lakechat.lakehouse.build import build_lakehouse
from lakechat.lakehouse.samples import TPCH_TABLES, tpch_kit
from lakechat.settings import default_lakehouse_path
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse


def same_cell(got: Any, expected: str) -> bool:
    if got is None:
        return expected in ("", "NULL")
    if isinstance(got, int | float | Decimal):
        return abs(float(got) - float(expected)) <= max(0.01, abs(float(expected)) * 1e-9)
    return str(got).strip() == expected.strip()


@pytest.mark.parametrize("query_nr", range(1, 23))
def test_the_22_tpch_queries_return_the_official_answers(
    duckdb_warehouse: DuckDBWarehouse, query_nr: int
) -> None:
    kit = next(item for item in tpch_kit(0.01) if item.number == query_nr)
    query, answer = kit.sql, kit.answer or ""
    result = duckdb_warehouse.execute(query, max_rows=100_000, timeout_seconds=120)
    # one line per row after the header; a NULL is an empty cell (Q17 at SF 0.01 is one NULL)
    header, *lines = answer.removesuffix("\n").split("\n")
    names = header.split("|")
    assert len(result.columns) == len(names)
    # the answers name an unaliased aggregate by its function alone (Q18: "sum")
    assert all(
        c.name == n or c.name.startswith(n + "(")
        for c, n in zip(result.columns, names, strict=True)
    )
    assert not result.truncated
    assert result.row_count == len(lines)
    for got_row, line in zip(result.rows, lines, strict=True):
        expected = line.split("|")
        assert all(same_cell(g, e) for g, e in zip(got_row, expected, strict=True)), (
            query_nr,
            got_row,
            expected,
        )


def test_tables_have_the_kit_row_counts(duckdb_warehouse: DuckDBWarehouse) -> None:
    counts = {
        table: duckdb_warehouse.execute(
            f"SELECT count(*) FROM samples.tpch.{table}", max_rows=1, timeout_seconds=30
        ).rows[0][0]
        for table in TPCH_TABLES
    }
    assert counts["nation"] == 25 and counts["region"] == 5
    assert counts["orders"] == 15_000 and counts["customer"] == 1_500
    assert 59_000 < counts["lineitem"] < 61_000


def test_a_build_with_the_same_parameters_is_skipped(tpch_home: Path) -> None:
    target = default_lakehouse_path(tpch_home) / "samples.duckdb"
    before = target.stat().st_mtime_ns
    # the day it was built for, not today: a run that crosses midnight asks the same build
    built = json.loads((default_lakehouse_path(tpch_home) / "system.build.json").read_text())
    as_of = dt.date.fromisoformat(built["parameters"]["as_of"])
    results = build_lakehouse(default_lakehouse_path(tpch_home), scale_factor=0.01, as_of=as_of)
    assert [r.catalog for r in results] == ["samples", "system", "main"]
    assert all(r.skipped for r in results) and target.stat().st_mtime_ns == before
    record = json.loads((default_lakehouse_path(tpch_home) / "samples.build.json").read_text())
    assert record["parameters"] == {"scale_factor": 0.01} and record["catalog"] == "samples"


def test_another_scale_factor_rebuilds_and_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    first, *_ = build_lakehouse(
        default_lakehouse_path(tmp_path),
        scale_factor=0.01,
        progress=lambda c, d, t: seen.append((c, d, t)),
    )
    assert not first.skipped and ("samples", 1, 1) in seen
    assert {catalog for catalog, done, total in seen if done == total} == {
        "samples",
        "system",
        "main",
    }
    second, system, main = build_lakehouse(default_lakehouse_path(tmp_path), scale_factor=0.02)
    assert not second.skipped and system.skipped and main.skipped
    warehouse = DuckDBWarehouse(default_lakehouse_path(tmp_path))
    assert (
        warehouse.execute(
            "SELECT count(*) FROM samples.tpch.orders", max_rows=1, timeout_seconds=30
        ).rows[0][0]
        == 30_000
    )
    warehouse.close()
    assert not list(
        default_lakehouse_path(tmp_path).glob(".*building*")
    )  # no partial files left behind


def test_an_impossible_scale_factor_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match=r"between 0\.001 and 100"):
        build_lakehouse(default_lakehouse_path(tmp_path), scale_factor=0)
