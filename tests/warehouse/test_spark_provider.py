"""The Spark warehouse: local mode over a lakehouse folder, its parquet mirror, errors,
cancelling timeouts, slots, and Spark Connect against a real server from pyspark's own jars.

The shared behaviour (TPC-H rows, row cap, read-only, ...) is in test_conformance.py.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lakechat.errors import DependencyUnavailable, LakechatError, QueryFailed, QueryTimeout
from lakechat.settings import Settings, default_lakehouse_path
from lakechat.warehouse.factory import build_warehouse
from lakechat.warehouse.spark_provider import MIRROR_FOLDER, SparkWarehouse
from tests.conftest import free_port, port_open, service_missing

pytestmark = pytest.mark.spark

SLOW = (  # minutes of work unless cancelled
    "SELECT count(*) FROM samples.tpch.lineitem a, samples.tpch.lineitem b "
    "WHERE a.l_comment < b.l_comment"
)
#: pyspark's Spark Connect client warns on import that it does not yet fully support
#: pandas 3 (installed here by the databricks extra); we never hand it a pandas frame.
PANDAS_3 = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning"
)


def make_shop(folder: Path, orders: int) -> Path:
    """A one-table catalog file ``shop.duckdb`` (shop.sales.orders) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "shop.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE SCHEMA IF NOT EXISTS sales")
    conn.execute(
        "CREATE OR REPLACE TABLE sales.orders AS SELECT range AS id, "
        "CAST(range * 1.25 AS DECIMAL(15,2)) AS amount, uuid() AS ref FROM range(?)",
        [orders],
    )
    conn.close()
    return path


def parquet_files(lakehouse: Path, catalog: str) -> list[Path]:
    return sorted((lakehouse / MIRROR_FOLDER / catalog).glob("*/*/*/*.parquet"))


def needs_connect_client() -> None:
    try:
        import grpc  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as exc:
        service_missing("Spark Connect client", f"{exc} (install pyspark[connect])")


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll a condition the test needs before its next step (never a timing assertion)."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_local_mode_from_settings_through_the_factory(spark_session: Any, tmp_path: Path) -> None:
    lakehouse = tmp_path / "lakehouse"
    make_shop(lakehouse, orders=10)
    settings = Settings(lakechat_home=tmp_path, lakehouse_path=lakehouse, warehouse_url="spark")
    warehouse = build_warehouse(settings)
    assert isinstance(warehouse, SparkWarehouse) and warehouse.dialect == "spark"
    result = warehouse.execute(
        "SELECT id, amount, ref FROM shop.sales.orders ORDER BY id", max_rows=3, timeout_seconds=60
    )
    assert [(c.name, c.type) for c in result.columns] == [
        ("id", "BIGINT"),
        ("amount", "DECIMAL(15,2)"),
        ("ref", "STRING"),  # a DuckDB UUID, which Spark's parquet reader cannot read, as text
    ]
    assert result.rows[1][:2] == (1, Decimal("1.25")) and result.truncated
    assert warehouse.catalogs() == ["shop"]
    assert warehouse.ping().startswith("spark local 4.") and "catalogs: shop" in warehouse.ping()
    warehouse.close()
    # the session was running before (the run's shared one), so close() left it running
    assert spark_session.sql("SELECT 1").collect()[0][0] == 1


def test_the_parquet_mirror_is_reused_and_refreshed(spark_session: Any, tmp_path: Path) -> None:
    lakehouse = tmp_path / "lakehouse"
    catalog_file = make_shop(lakehouse, orders=10)
    first = SparkWarehouse(spark_session, lakehouse_dir=lakehouse, owns_session=False)
    exported = parquet_files(lakehouse, "shop")
    assert len(exported) == 1
    written = exported[0].stat().st_mtime_ns

    # an unchanged catalog file is not exported again, however many providers start
    second = SparkWarehouse(spark_session, lakehouse_dir=lakehouse, owns_session=False)
    assert parquet_files(lakehouse, "shop") == exported
    assert exported[0].stat().st_mtime_ns == written
    count = "SELECT count(*) FROM shop.sales.orders"
    assert second.execute(count, max_rows=1, timeout_seconds=60).rows == ((10,),)

    # a rebuilt catalog file is exported again on the next statement; the old copy goes
    make_shop(lakehouse, orders=12)
    assert catalog_file.exists()
    assert first.execute(count, max_rows=1, timeout_seconds=60).rows == ((12,),)
    refreshed = parquet_files(lakehouse, "shop")
    assert len(refreshed) == 1 and refreshed != exported and not exported[0].exists()
    first.close()
    second.close()


def test_a_removed_catalog_is_gone(spark_session: Any, tmp_path: Path) -> None:
    lakehouse = tmp_path / "lakehouse"
    catalog_file = make_shop(lakehouse, orders=3)
    warehouse = SparkWarehouse(spark_session, lakehouse_dir=lakehouse, owns_session=False)
    count = "SELECT count(*) FROM shop.sales.orders"
    assert warehouse.execute(count, max_rows=1, timeout_seconds=60).rows == ((3,),)
    catalog_file.unlink()
    with pytest.raises(QueryFailed, match=r"`shop`\.`sales`\.`orders`"):
        warehouse.execute(count, max_rows=1, timeout_seconds=30)
    assert warehouse.catalogs() == []
    warehouse.close()


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        # Spark's parser and analyzer, in Spark's words
        ("SELECT ARRAY[1, 2]", r"PARSE_SYNTAX_ERROR"),
        ("SELECT n_nam FROM samples.tpch.nation", r"UNRESOLVED_COLUMN.*`n_nam`"),
        ("SELECT 1 / 0", r"DIVIDE_BY_ZERO"),
        ("SELECT CAST('x' AS INT)", r"CAST_INVALID_INPUT"),
        # a name is shown as the user wrote it, never as the mirror's database
        ("SELECT * FROM samples.tpch.nonexistent", r"`samples`\.`tpch`\.`nonexistent`"),
        ("SELECT * FROM samples.nope.nation", r"`samples`\.`nope`\.`nation`"),
        # no SQL on files (spark.sql.runSQLOnFiles is off)
        ("SELECT * FROM csv.`/etc/passwd`", r"TABLE_OR_VIEW_NOT_FOUND"),
        # what lakechat refuses before Spark sees it
        ("SELEC 1", r"not valid Spark SQL"),
        ("", r"exactly one statement at a time \(0 were sent\)"),
        ("SELECT 1; SELECT 2", r"exactly one statement at a time \(2 were sent\)"),
        ("INSERT INTO samples.tpch.region VALUES (9, 'X', 'x')", r"read-only.*INSERT"),
        ("CREATE TABLE samples.tpch.evil (x int)", r"read-only.*CREATE"),
        ("SET spark.sql.runSQLOnFiles = true", r"read-only.*SET"),
        ("CACHE TABLE samples.tpch.nation", r"read-only.*CACHE"),
        ("SHOW TABLES", r"read-only.*SHOW"),
        ("SELECT reflect('java.lang.System', 'exit', 0)", r"read-only.*reflect"),
    ],
)
def test_errors_are_ours_with_the_engines_message(
    spark_warehouse: SparkWarehouse, statement: str, message: str
) -> None:
    with pytest.raises(QueryFailed, match=message) as raised:
        spark_warehouse.execute(statement, max_rows=1, timeout_seconds=30)
    assert "samples__" not in raised.value.message


def test_a_timeout_cancels_the_work_and_the_session_answers(
    spark_warehouse: SparkWarehouse, spark_session: Any
) -> None:
    with pytest.raises(QueryTimeout, match=r"QUERY_TIMEOUT_SECONDS=1 and was cancelled"):
        spark_warehouse.execute(SLOW, max_rows=1, timeout_seconds=1)
    # cancelled, not abandoned: Spark drops the job, and the next statement answers
    tracker = spark_session.sparkContext.statusTracker()
    wait_for(lambda: not tracker.getActiveJobsIds(), "the cancelled job to leave Spark")
    assert spark_warehouse.execute("SELECT 42", max_rows=1, timeout_seconds=30).rows == ((42,),)


def test_a_timeout_cancels_only_its_own_statement(
    spark_warehouse: SparkWarehouse, spark_session: Any
) -> None:
    medium = (
        "SELECT count(*) FROM samples.tpch.orders o, samples.tpch.customer c "
        "WHERE o.o_comment < c.c_comment"
    )
    results: list[Any] = []
    neighbour = threading.Thread(
        target=lambda: results.append(
            spark_warehouse.execute(medium, max_rows=1, timeout_seconds=300).rows
        )
    )
    neighbour.start()
    tracker = spark_session.sparkContext.statusTracker()
    wait_for(lambda: bool(tracker.getActiveJobsIds()) or not neighbour.is_alive(), "a job")
    with pytest.raises(QueryTimeout):
        spark_warehouse.execute(SLOW, max_rows=1, timeout_seconds=0.5)
    neighbour.join(300)
    assert results and results[0][0][0] > 0  # each statement has its own tag


def test_statements_wait_for_a_free_slot_up_to_the_timeout(
    spark_session: Any, tpch_home: Path
) -> None:
    lakehouse = default_lakehouse_path(tpch_home)
    warehouse = SparkWarehouse(
        spark_session, lakehouse_dir=lakehouse, max_concurrency=1, owns_session=False
    )
    outcome: list[LakechatError] = []

    def hold_the_only_slot() -> None:
        try:
            warehouse.execute(SLOW, max_rows=1, timeout_seconds=120)
        except LakechatError as exc:
            outcome.append(exc)

    tracker = spark_session.sparkContext.statusTracker()
    # a job an earlier test cancelled can take a moment to stop: seeing it running would
    # let this test go on before its own statement started (and was there to cancel)
    wait_for(lambda: not tracker.getActiveJobsIds(), "earlier statements to stop")
    holder = threading.Thread(target=hold_the_only_slot)
    holder.start()
    wait_for(lambda: bool(tracker.getActiveJobsIds()), "the slow statement to run")
    with pytest.raises(QueryTimeout, match="no free warehouse slot"):
        warehouse.execute("SELECT 1", max_rows=1, timeout_seconds=0.5)
    warehouse.close()  # cancels the statement holding the slot
    holder.join(60)
    assert outcome and isinstance(outcome[0], QueryFailed)
    # the slot is free again, on a provider that is not closed
    again = SparkWarehouse(
        spark_session, lakehouse_dir=lakehouse, max_concurrency=1, owns_session=False
    )
    assert again.execute("SELECT 1", max_rows=1, timeout_seconds=30).rows == ((1,),)
    again.close()
    with pytest.raises(DependencyUnavailable, match="closed"):
        warehouse.execute("SELECT 1", max_rows=1, timeout_seconds=5)


def test_explain_names_the_users_tables(spark_warehouse: SparkWarehouse) -> None:
    plan = spark_warehouse.explain(
        "SELECT o_orderstatus, count(*) FROM samples.tpch.orders GROUP BY 1", timeout_seconds=60
    )
    assert "samples.tpch.orders" in plan and "samples__" not in plan
    with pytest.raises(QueryFailed, match="read-only"):
        spark_warehouse.explain("DELETE FROM samples.tpch.orders", timeout_seconds=10)


# Spark Connect -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark Connect server started from pyspark's own distribution (its jars include it)."""
    import pyspark

    needs_connect_client()
    folder = tmp_path_factory.mktemp("spark-connect")
    port = free_port()
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    conf = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": "512m",
        "spark.ui.enabled": "false",
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.sql.shuffle.partitions": "2",
    }
    command = [str(submit), "--master", "local[1]", "--name", "lakechat-test-connect"]
    command += ["--class", "org.apache.spark.sql.connect.service.SparkConnectServer"]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not port_open("127.0.0.1", port):
            if server.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "server.log").read_text(errors="replace")[-2000:]
                service_missing("Spark Connect server", f"did not start:\n{tail}")
            time.sleep(0.25)
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(30)
        log.close()


@pytest.mark.slow
@PANDAS_3
def test_spark_connect_through_spark_remote(connect_url: str, tmp_path: Path) -> None:
    from pyspark.sql import SparkSession

    setup = SparkSession.builder.remote(connect_url).create()
    setup.sql(
        "CREATE TABLE default.regions USING parquet AS SELECT id, 'r' || id AS name FROM range(5)"
    )
    setup.stop()

    settings = Settings(lakechat_home=tmp_path, warehouse_url="spark", spark_remote=connect_url)
    warehouse = build_warehouse(settings)
    assert isinstance(warehouse, SparkWarehouse)
    # a three-level name, resolved by the server's own catalog
    result = warehouse.execute(
        "SELECT id, name FROM spark_catalog.default.regions ORDER BY id",
        max_rows=3,
        timeout_seconds=60,
    )
    assert [(c.name, c.type) for c in result.columns] == [("id", "BIGINT"), ("name", "STRING")]
    assert result.rows == ((0, "r0"), (1, "r1"), (2, "r2")) and result.truncated
    assert warehouse.catalogs() == ["spark_catalog"]
    assert warehouse.ping().startswith(f"spark connect {connect_url} 4.")
    with pytest.raises(QueryFailed, match="read-only"):
        warehouse.execute(
            "DROP TABLE spark_catalog.default.regions", max_rows=1, timeout_seconds=10
        )
    with pytest.raises(QueryFailed, match="TABLE_OR_VIEW_NOT_FOUND"):
        warehouse.execute("SELECT * FROM default.nonexistent", max_rows=1, timeout_seconds=30)
    slow = "SELECT count(*) FROM range(300000) a, range(300000) b WHERE a.id % 7 < b.id % 11"
    with pytest.raises(QueryTimeout, match="was cancelled"):
        warehouse.execute(slow, max_rows=1, timeout_seconds=1)
    assert warehouse.execute("SELECT 7", max_rows=1, timeout_seconds=30).rows == ((7,),)
    warehouse.close()


@pytest.mark.slow
@PANDAS_3
#: the client warns once it has used up its retries, then raises; the error is what counts
@pytest.mark.filterwarnings(r"ignore:\[RETRIES_EXCEEDED\]:UserWarning")
def test_an_unreachable_spark_connect_server_is_unavailable(tmp_path: Path) -> None:
    needs_connect_client()
    nobody = f"sc://127.0.0.1:{free_port()}"
    settings = Settings(lakechat_home=tmp_path, warehouse_url="spark", spark_remote=nobody)
    warehouse = build_warehouse(settings)
    with pytest.raises(DependencyUnavailable, match=f"{nobody} cannot be reached"):
        warehouse.ping()
    warehouse.close()
