"""`--system-scale`: billing.usage grown to a chosen row count says exactly what it said."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lakechat.errors import BadRequest
from lakechat.lakehouse.build import INCIDENTS_FILE, build_lakehouse
from lakechat.lakehouse.system.incidents import PRICED_USAGE
from lakechat.lakehouse.system.scale import parse_row_count
from lakechat.settings import default_lakehouse_path

SCALE = 3


@pytest.fixture(scope="module")
def natural(tpch_home: Path) -> Path:
    """The session's unscaled lakehouse (read only here)."""
    return default_lakehouse_path(tpch_home)


def usage_rows(folder: Path) -> int:
    with duckdb.connect(str(folder / "system.duckdb"), read_only=True) as conn:
        row = conn.execute("SELECT count(*) FROM billing.usage").fetchone()
    assert row is not None
    return int(row[0])


def as_of(folder: Path) -> dt.date:
    return dt.date.fromisoformat(json.loads((folder / INCIDENTS_FILE).read_text())["as_of"])


@pytest.fixture(scope="module")
def scaled(natural: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scaled") / "lakehouse"
    rows = SCALE * usage_rows(natural) + 17  # a remainder: some records split once more
    build_lakehouse(folder, scale_factor=0.01, as_of=as_of(natural), system_scale=rows)
    return folder


@pytest.fixture(scope="module")
def both(natural: Path, scaled: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(f"ATTACH '{natural / 'system.duckdb'}' AS unscaled (READ_ONLY)")
    conn.execute(f"ATTACH '{scaled / 'system.duckdb'}' AS scaled (READ_ONLY)")
    yield conn
    conn.close()


def daily(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[tuple[Any, ...], float]:
    conn.execute(f"USE {catalog}")
    found = conn.execute(
        f"""SELECT workspace_id, usage_date, sku_name, sum(usage_quantity)::DOUBLE, sum(cost)
            FROM ({PRICED_USAGE}) GROUP BY ALL"""
    ).fetchall()
    return {
        (ws, day, sku, measure): value
        for ws, day, sku, quantity, cost in found
        for measure, value in (("dbu", quantity), ("usd", cost))
    }


def test_the_requested_row_count_with_unique_record_ids(natural: Path, scaled: Path) -> None:
    assert usage_rows(scaled) == SCALE * usage_rows(natural) + 17
    with duckdb.connect(str(scaled / "system.duckdb"), read_only=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        distinct, outside_day, backwards = conn.execute(
            """SELECT count(DISTINCT record_id),
                      count(*) FILTER (WHERE usage_start_time::DATE <> usage_date),
                      count(*) FILTER (WHERE usage_end_time <= usage_start_time)
               FROM billing.usage"""
        ).fetchone() or (0, 0, 0)
    assert distinct == usage_rows(scaled) and outside_day == 0 and backwards == 0


def test_totals_per_workspace_day_and_sku_are_unchanged(
    both: duckdb.DuckDBPyConnection,
) -> None:
    before, after = daily(both, "unscaled"), daily(both, "scaled")
    assert before.keys() == after.keys() and len(before) > 500
    for key, value in before.items():
        assert after[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


def test_incidents_are_the_same_as_unscaled(natural: Path, scaled: Path) -> None:
    def read(folder: Path) -> list[dict[str, Any]]:
        return list(json.loads((folder / INCIDENTS_FILE).read_text())["incidents"])

    assert read(scaled) == read(natural)


def test_the_scale_is_part_of_the_build_record(natural: Path, scaled: Path) -> None:
    record = json.loads((scaled / "system.build.json").read_text())
    assert record["parameters"]["system_scale"] == usage_rows(scaled)
    assert (
        "system_scale" not in json.loads((natural / "system.build.json").read_text())["parameters"]
    )
    again = build_lakehouse(
        scaled, scale_factor=0.01, as_of=as_of(natural), system_scale=usage_rows(scaled)
    )
    assert all(b.skipped for b in again)


def test_fewer_rows_than_generated_is_refused_and_keeps_the_catalog(
    natural: Path, scaled: Path
) -> None:
    rows = usage_rows(scaled)
    fewer = usage_rows(natural) - 1
    with pytest.raises(BadRequest, match=r"already has [\d,]+ rows; give at least that many"):
        build_lakehouse(scaled, scale_factor=0.01, as_of=as_of(natural), system_scale=fewer)
    assert usage_rows(scaled) == rows


@pytest.mark.parametrize(
    ("text", "rows"),
    [("10000000", 10_000_000), ("10M", 10_000_000), ("500k", 500_000), ("2.5m", 2_500_000),
     ("1_000_000", 1_000_000), (" 75K ", 75_000)],
)  # fmt: skip
def test_row_counts_in_words(text: str, rows: int) -> None:
    assert parse_row_count(text) == rows


@pytest.mark.parametrize(
    ("text", "message"),
    [("abc", "give a whole number of usage rows"), ("0", "between 1 and"),
     ("1.5", "give a whole number"), ("-5", "give a whole number"), ("2000M", "between 1 and")],
)  # fmt: skip
def test_bad_row_counts_are_clear(text: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_row_count(text)


def test_a_bad_scale_is_refused_before_building(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="--system-scale 0"):
        build_lakehouse(tmp_path / "lakehouse", scale_factor=0.01, system_scale=0)
    assert not (tmp_path / "lakehouse").exists()
