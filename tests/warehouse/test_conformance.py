"""One conformance suite for every Warehouse provider: same statements, same behaviour, same rows.

DuckDB (embedded) and PostgreSQL (a database named ``samples`` loaded with the same SF 0.01
TPC-H data) must agree. A provider's known gaps are strict expected failures with a reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lakechat.errors import QueryFailed, QueryTimeout
from lakechat.lakehouse.samples import tpch_kit
from lakechat.settings import default_lakehouse_path
from lakechat.warehouse.base import Warehouse
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

PROVIDERS = [
    "duckdb",
    pytest.param("postgres", marks=pytest.mark.postgres),
    "databricks",
    pytest.param("spark", marks=pytest.mark.spark),
]


@pytest.fixture(params=PROVIDERS)
def warehouse(request: pytest.FixtureRequest, tpch_home: Path) -> Iterator[Warehouse]:
    provider: Warehouse
    if request.param == "duckdb":
        provider = DuckDBWarehouse(default_lakehouse_path(tpch_home))
    elif request.param == "databricks":
        # the real connector against the local fake warehouse (tests/warehouse/fake_databricks)
        from tests.warehouse.fake_databricks import FakeDatabricks

        fake = FakeDatabricks(
            default_lakehouse_path(tpch_home), request.getfixturevalue("tmp_path")
        )
        request.addfinalizer(fake.start().stop)
        provider = fake.warehouse()
    elif request.param == "spark":
        # local mode on the run's one Spark session (tests/warehouse/conftest.py)
        provider = request.getfixturevalue("spark_warehouse")
    else:
        from lakechat.warehouse.postgres_provider import PostgresWarehouse

        provider = PostgresWarehouse(request.getfixturevalue("pg_samples_url"))
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def reference(tpch_home: Path) -> Iterator[DuckDBWarehouse]:
    provider = DuckDBWarehouse(default_lakehouse_path(tpch_home))
    yield provider
    provider.close()


def normal(value: Any) -> Any:
    """A value both engines agree on: numbers to 2 decimals, dates as ISO text, text trimmed."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return round(float(value), 2)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def normal_rows(rows: tuple[tuple[Any, ...], ...]) -> list[tuple[Any, ...]]:
    return sorted((tuple(normal(v) for v in row) for row in rows), key=repr)


@pytest.mark.parametrize("query_nr", range(1, 23))
def test_tpch_rows_agree(warehouse: Warehouse, reference: DuckDBWarehouse, query_nr: int) -> None:
    query = next(kit.sql for kit in tpch_kit() if kit.number == query_nr)
    got = warehouse.execute(query, max_rows=100_000, timeout_seconds=120)
    expected = reference.execute(query, max_rows=100_000, timeout_seconds=120)
    # an unaliased aggregate is named by each engine its own way: "sum" or "sum(l_quantity)"
    for ours, theirs in zip(got.columns, expected.columns, strict=True):
        a, b = ours.name.lower(), theirs.name.lower()
        assert a == b or b.startswith(a + "(") or a.startswith(b + "("), (a, b)
    assert normal_rows(got.rows) == normal_rows(expected.rows)


def test_three_level_names(warehouse: Warehouse) -> None:
    result = warehouse.execute(
        "SELECT count(*) FROM samples.tpch.nation", max_rows=1, timeout_seconds=30
    )
    assert result.rows[0][0] == 25 and "samples" in warehouse.catalogs()


def test_row_cap(warehouse: Warehouse) -> None:
    capped = warehouse.execute("SELECT * FROM samples.tpch.nation", max_rows=7, timeout_seconds=30)
    assert capped.row_count == 7 and capped.truncated
    whole = warehouse.execute("SELECT * FROM samples.tpch.region", max_rows=5, timeout_seconds=30)
    assert whole.row_count == 5 and not whole.truncated


def test_a_timeout_cancels(warehouse: Warehouse) -> None:
    slow = (
        "SELECT count(*) FROM samples.tpch.lineitem a, samples.tpch.lineitem b "
        "WHERE a.l_comment < b.l_comment"
    )
    with pytest.raises(QueryTimeout, match=r"QUERY_TIMEOUT_SECONDS=0\.5"):
        warehouse.execute(slow, max_rows=1, timeout_seconds=0.5)
    assert warehouse.execute("SELECT 1", max_rows=1, timeout_seconds=5).rows == ((1,),)


def test_writes_are_refused_by_the_warehouse_itself(warehouse: Warehouse) -> None:
    with pytest.raises(QueryFailed, match=r"(?i)read.only"):
        warehouse.execute("DELETE FROM samples.tpch.region", max_rows=1, timeout_seconds=10)
    assert warehouse.execute(
        "SELECT count(*) FROM samples.tpch.region", max_rows=1, timeout_seconds=10
    ).rows == ((5,),)


def test_errors_carry_the_engine_message(warehouse: Warehouse) -> None:
    with pytest.raises(QueryFailed, match="nonexistent"):
        warehouse.execute("SELECT * FROM samples.tpch.nonexistent", max_rows=1, timeout_seconds=10)


def test_ping(warehouse: Warehouse) -> None:
    assert "samples" in warehouse.ping()


def test_more_than_one_statement_is_refused_by_the_warehouse(warehouse: Warehouse) -> None:
    # the warehouse's own defence, below the guard: "COMMIT; ..." must not escape read-only
    with pytest.raises(QueryFailed):
        warehouse.execute(
            "COMMIT; CREATE TABLE samples.tpch.evil (x int)", max_rows=1, timeout_seconds=10
        )
    with pytest.raises(QueryFailed):
        warehouse.execute("SELECT * FROM samples.tpch.evil", max_rows=1, timeout_seconds=10)
