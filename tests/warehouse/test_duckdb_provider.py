"""The embedded DuckDB warehouse: caps, cancelling timeouts, read-only catalogs, slots, errors."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import pytest

from lakechat.errors import QueryFailed, QueryTimeout
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

SLOW = "SELECT count(*) FROM range(100000000000) a"  # minutes of work unless cancelled


def test_three_level_names_and_typed_columns(duckdb_warehouse: DuckDBWarehouse) -> None:
    result = duckdb_warehouse.execute(
        "SELECT n_name, n_nationkey FROM samples.tpch.nation ORDER BY n_nationkey",
        max_rows=100,
        timeout_seconds=30,
    )
    assert [(c.name, c.type) for c in result.columns] == [
        ("n_name", "VARCHAR"),
        ("n_nationkey", "INTEGER"),
    ]
    assert result.row_count == 25 and result.rows[0] == ("ALGERIA", 0)
    assert not result.truncated and result.elapsed_ms > 0
    assert duckdb_warehouse.catalogs() == ["main", "samples", "system"]


def test_the_row_cap_sets_truncated(duckdb_warehouse: DuckDBWarehouse) -> None:
    result = duckdb_warehouse.execute(
        "SELECT * FROM samples.tpch.nation", max_rows=10, timeout_seconds=30
    )
    assert result.row_count == 10 and result.truncated
    exact = duckdb_warehouse.execute(
        "SELECT * FROM samples.tpch.nation", max_rows=25, timeout_seconds=30
    )
    assert exact.row_count == 25 and not exact.truncated


def test_a_timeout_cancels_the_work_and_says_so(duckdb_warehouse: DuckDBWarehouse) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"QUERY_TIMEOUT_SECONDS=0.5 and was cancelled"):
        duckdb_warehouse.execute(SLOW, max_rows=1, timeout_seconds=0.5)
    # cancelled, not abandoned: the call returned long before the query could finish,
    # and the warehouse answers the next statement at once
    assert time.monotonic() - started < 30
    assert duckdb_warehouse.execute("SELECT 42", max_rows=1, timeout_seconds=5).rows == ((42,),)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO samples.tpch.nation VALUES (99, 'X', 0, 'x')",
        "CREATE TABLE samples.tpch.evil (x int)",
        "DELETE FROM samples.tpch.region",
    ],
)
def test_catalogs_cannot_be_written(duckdb_warehouse: DuckDBWarehouse, statement: str) -> None:
    with pytest.raises(QueryFailed, match=r"read-only|read only"):
        duckdb_warehouse.execute(statement, max_rows=1, timeout_seconds=5)


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/hostname'",
        "COPY (SELECT 1) TO '/tmp/lakechat-escape.csv'",
        "ATTACH '/tmp/lakechat-escape.duckdb' AS escape",
        "SET enable_external_access = true",
        "INSTALL httpfs",
    ],
)
def test_nothing_outside_the_lakehouse_is_reachable(
    duckdb_warehouse: DuckDBWarehouse, statement: str
) -> None:
    # this is the warehouse's own defence, under the SQL guard, not instead of it
    with pytest.raises(QueryFailed):
        duckdb_warehouse.execute(statement, max_rows=1, timeout_seconds=5)
    assert not Path("/tmp/lakechat-escape.csv").exists()
    assert not Path("/tmp/lakechat-escape.duckdb").exists()


def test_statements_wait_for_a_free_slot_up_to_the_timeout(tpch_home: Path) -> None:
    from lakechat.settings import default_lakehouse_path

    warehouse = DuckDBWarehouse(default_lakehouse_path(tpch_home), max_concurrency=1)
    holder_done = threading.Event()

    def hold_the_only_slot() -> None:
        with contextlib.suppress(QueryTimeout):
            warehouse.execute(SLOW, max_rows=1, timeout_seconds=3)
        holder_done.set()

    thread = threading.Thread(target=hold_the_only_slot)
    thread.start()
    time.sleep(0.5)
    with pytest.raises(QueryTimeout, match="no free warehouse slot"):
        warehouse.execute("SELECT 1", max_rows=1, timeout_seconds=0.5)
    thread.join(30)
    assert holder_done.is_set()
    # once the slot is free again the next statement runs
    assert warehouse.execute("SELECT 1", max_rows=1, timeout_seconds=5).rows == ((1,),)
    warehouse.close()


def test_errors_carry_the_warehouse_message(duckdb_warehouse: DuckDBWarehouse) -> None:
    with pytest.raises(QueryFailed, match="nonexistent"):
        duckdb_warehouse.execute(
            "SELECT * FROM samples.tpch.nonexistent", max_rows=1, timeout_seconds=5
        )
    with pytest.raises(QueryFailed, match="syntax error"):
        duckdb_warehouse.execute("SELEC 1", max_rows=1, timeout_seconds=5)


def test_explain_and_ping(duckdb_warehouse: DuckDBWarehouse) -> None:
    plan = duckdb_warehouse.explain(
        "SELECT o_orderstatus, count(*) FROM samples.tpch.orders GROUP BY 1", timeout_seconds=10
    )
    assert "orders" in plan.lower()
    assert duckdb_warehouse.ping() == "duckdb embedded; catalogs: main, samples, system"


def test_an_empty_lakehouse_still_answers(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "nothing-here")
    assert warehouse.catalogs() == []
    assert warehouse.ping() == "duckdb embedded; no catalogs built yet"
    warehouse.close()


def test_a_catalog_built_later_is_picked_up(tmp_path: Path) -> None:
    from lakechat.lakehouse.build import build_lakehouse
    from lakechat.settings import default_lakehouse_path

    warehouse = DuckDBWarehouse(default_lakehouse_path(tmp_path))
    assert warehouse.catalogs() == []
    warehouse.ping()
    build_lakehouse(default_lakehouse_path(tmp_path), scale_factor=0.01)
    assert warehouse.execute(
        "SELECT count(*) FROM samples.tpch.region", max_rows=1, timeout_seconds=10
    ).rows == ((5,),)
    warehouse.close()


def test_the_warehouse_runs_exactly_one_statement(duckdb_warehouse: DuckDBWarehouse) -> None:
    with pytest.raises(QueryFailed, match="exactly one statement"):
        duckdb_warehouse.execute("SELECT 1; SELECT 2", max_rows=1, timeout_seconds=5)


def test_a_secret_catalog_stays_secret_end_to_end(tmp_path: Path, tpch_home: Path) -> None:
    """Every reviewed bypass, run through the real path, against a real second catalog."""
    import shutil

    import duckdb

    from lakechat.errors import LakechatError
    from lakechat.settings import default_lakehouse_path
    from lakechat.warehouse.guarded import run_sql
    from tests.sqlguard.corpus import REVIEWED_BYPASSES

    folder = tmp_path / "lakehouse"
    folder.mkdir()
    shutil.copy(default_lakehouse_path(tpch_home) / "samples.duckdb", folder / "samples.duckdb")
    secret = duckdb.connect(str(folder / "secret.duckdb"))
    secret.execute(
        "CREATE SCHEMA hr; CREATE TABLE hr.salaries AS SELECT 'alice' AS name, 999999 AS salary"
    )
    secret.close()
    warehouse = DuckDBWarehouse(folder)
    assert warehouse.catalogs() == ["samples", "secret"]
    allowed = ("samples.tpch.*",)
    for sql in [
        *REVIEWED_BYPASSES,
        "SELECT * FROM secret.hr.salaries",
        'SELECT * FROM "SECRET".hr.salaries',
    ]:
        try:
            outcome = run_sql(
                warehouse, sql, allowed_tables=allowed, max_rows=100, timeout_seconds=10
            )
        except LakechatError:
            continue
        assert "999999" not in repr(outcome.result.rows) and "alice" not in repr(
            outcome.result.rows
        ), sql
        pytest.fail(f"let through: {sql}")
    # and the process is still healthy: no setting was changed along the way
    assert warehouse.execute("SELECT 1", max_rows=1, timeout_seconds=5).rows == ((1,),)
    warehouse.close()
