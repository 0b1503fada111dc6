"""The Databricks SQL provider through the real databricks-sql-connector and a local warehouse.

The fake warehouse (tests/warehouse/fake_databricks) speaks the connector's default
protocol, Thrift over HTTPS, and answers with DuckDB over the test lakehouse. The shared
behaviour (TPC-H rows, caps, cancelling timeouts, errors) is also in test_conformance.py.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from databricks.sql import exc as dbx

from lakechat.errors import (
    ConfigurationError,
    DependencyUnavailable,
    LakechatError,
    QueryFailed,
    QueryTimeout,
)
from lakechat.settings import Settings, default_lakehouse_path
from lakechat.warehouse.databricks_provider import DatabricksWarehouse
from lakechat.warehouse.factory import build_warehouse
from tests.conftest import free_port
from tests.warehouse.fake_databricks import FakeDatabricks

SLOW = "SELECT count(*) FROM range(100000000000) a"  # minutes of work unless cancelled


def eventually(predicate: Callable[[], bool], seconds: float = 30) -> bool:
    """Whether the predicate came true within ``seconds`` (a liveness bound, not a speed test)."""
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def fake(tpch_home: Path, tmp_path: Path) -> Iterator[FakeDatabricks]:
    with FakeDatabricks(default_lakehouse_path(tpch_home), tmp_path) as server:
        yield server


MakeProvider = Callable[..., DatabricksWarehouse]


@pytest.fixture
def make_provider(fake: FakeDatabricks) -> Iterator[MakeProvider]:
    """Providers pointed at the fake, with one setting changed; all closed afterwards."""
    made: list[DatabricksWarehouse] = []

    def build(**changes: Any) -> DatabricksWarehouse:
        settings: dict[str, Any] = {
            "host": fake.host,
            "token": fake.token,
            "warehouse_id": fake.warehouse_id,
            "ca_file": str(fake.ca_file),
            "retry_seconds": 1,
        }
        settings.update(changes)
        made.append(DatabricksWarehouse(**settings))
        return made[-1]

    yield build
    for provider in made:
        provider.close()


@pytest.fixture
def warehouse(fake: FakeDatabricks) -> Iterator[DatabricksWarehouse]:
    provider = fake.warehouse()
    yield provider
    provider.close()


def test_three_level_names_and_typed_columns(
    fake: FakeDatabricks, warehouse: DatabricksWarehouse
) -> None:
    count = warehouse.execute(
        "SELECT count(*) FROM samples.tpch.nation", max_rows=10, timeout_seconds=30
    )
    assert count.rows == ((25,),) and not count.truncated
    nations = warehouse.execute(
        "SELECT n_name, n_nationkey FROM samples.tpch.nation ORDER BY n_nationkey",
        max_rows=100,
        timeout_seconds=30,
    )
    assert [(c.name, c.type) for c in nations.columns] == [
        ("n_name", "STRING"),
        ("n_nationkey", "INT"),
    ]
    assert nations.rows[0] == ("ALGERIA", 0) and nations.row_count == 25
    order = warehouse.execute(
        "SELECT o_totalprice, o_orderdate, o_comment IS NULL AS missing "
        "FROM samples.tpch.orders ORDER BY o_orderkey LIMIT 1",
        max_rows=1,
        timeout_seconds=30,
    )
    assert [c.type for c in order.columns] == ["DECIMAL(15,2)", "DATE", "BOOLEAN"]
    price, day, missing = order.rows[0]
    assert isinstance(price, Decimal) and isinstance(day, datetime.date) and missing is False
    odd = warehouse.execute(
        "SELECT CAST(NULL AS INT) AS nothing, TIMESTAMP '2024-01-02 03:04:05' AS at, 0.5D AS half",
        max_rows=1,
        timeout_seconds=30,
    )
    assert odd.rows == ((None, datetime.datetime(2024, 1, 2, 3, 4, 5), 0.5),)
    assert [c.type for c in odd.columns] == ["INT", "TIMESTAMP", "DOUBLE"]
    # one session served all three, and the connector sent nothing but Thrift (no telemetry)
    assert fake.log.opened_sessions == 1 and fake.log.other_requests == []


def test_the_row_cap_sets_truncated(fake: FakeDatabricks, warehouse: DatabricksWarehouse) -> None:
    capped = warehouse.execute("SELECT * FROM samples.tpch.nation", max_rows=7, timeout_seconds=30)
    assert capped.row_count == 7 and capped.truncated
    exact = warehouse.execute("SELECT * FROM samples.tpch.nation", max_rows=25, timeout_seconds=30)
    assert exact.row_count == 25 and not exact.truncated
    # the warehouse itself stops one row past the cap: that row only says "truncated"
    assert fake.log.row_limits == [8, 26]


def test_results_polled_and_fetched_in_pages(tpch_home: Path, tmp_path: Path) -> None:
    # no direct results and four rows a page: GetOperationStatus, metadata, seven fetches
    lakehouse = default_lakehouse_path(tpch_home)
    with FakeDatabricks(lakehouse, tmp_path, direct_results_wait=0, page_rows=4) as fake:
        provider = fake.warehouse()
        result = provider.execute(
            "SELECT n_nationkey, n_name FROM samples.tpch.nation ORDER BY 1",
            max_rows=100,
            timeout_seconds=30,
        )
        provider.close()
    assert [row[0] for row in result.rows] == list(range(25)) and not result.truncated
    # the client closed the operation it read, and the session when it was done
    assert fake.log.closed_operations == [result.sql] and fake.log.closed_sessions == 1


def test_a_timeout_cancels_the_statement_on_the_warehouse(
    fake: FakeDatabricks, warehouse: DatabricksWarehouse
) -> None:
    with pytest.raises(QueryTimeout, match=r"QUERY_TIMEOUT_SECONDS=0.5 and was cancelled"):
        warehouse.execute(SLOW, max_rows=1, timeout_seconds=0.5)
    assert fake.log.cancelled == [SLOW]
    # the warehouse stopped the work, it did not just stop being waited for
    assert eventually(lambda: fake.log.interrupted == [SLOW])
    assert warehouse.execute("SELECT 42", max_rows=1, timeout_seconds=30).rows == ((42,),)


def test_bad_sql_fails_with_the_engine_message(
    fake: FakeDatabricks, warehouse: DatabricksWarehouse
) -> None:
    with pytest.raises(QueryFailed, match="nonexistent"):
        warehouse.execute("SELECT * FROM samples.tpch.nonexistent", max_rows=1, timeout_seconds=30)
    with pytest.raises(QueryFailed, match="PARSE_SYNTAX_ERROR"):
        warehouse.execute("SELEC 1", max_rows=1, timeout_seconds=30)
    # a refused statement leaves the session usable: it is reused, not reopened
    assert warehouse.execute("SELECT 1", max_rows=1, timeout_seconds=30).rows == ((1,),)
    assert fake.log.opened_sessions == 1


def test_a_wrong_token_is_a_warehouse_outage_that_names_the_setting(
    fake: FakeDatabricks, make_provider: MakeProvider
) -> None:
    # 503 dependency_unavailable, not 401: the caller's own credential was fine; lakechat's
    # credential for the warehouse is wrong, and an operator has to fix DATABRICKS_TOKEN
    provider = make_provider(token="dapi-not-the-token")
    with pytest.raises(DependencyUnavailable, match="DATABRICKS_TOKEN") as refused:
        provider.execute("SELECT 1", max_rows=1, timeout_seconds=30)
    assert refused.value.status == 503 and "Invalid access token" in refused.value.message
    assert fake.log.refused == [403] and fake.log.statements == []


def test_an_unknown_warehouse_id_names_the_setting(make_provider: MakeProvider) -> None:
    with pytest.raises(DependencyUnavailable, match="DATABRICKS_WAREHOUSE_ID"):
        make_provider(warehouse_id="0000beef").execute("SELECT 1", max_rows=1, timeout_seconds=30)


def test_a_warehouse_that_is_down(make_provider: MakeProvider) -> None:
    provider = make_provider(host=f"https://127.0.0.1:{free_port()}")
    with pytest.raises(DependencyUnavailable, match=r"cannot reach 127\.0\.0\.1.*refused"):
        provider.execute("SELECT 1", max_rows=1, timeout_seconds=30)
    with pytest.raises(DependencyUnavailable, match="refused"):
        provider.ping()


def test_a_certificate_nobody_vouches_for_is_refused(make_provider: MakeProvider) -> None:
    # without ca_file the system's CAs decide, and none of them signed the fake's certificate
    with pytest.raises(DependencyUnavailable, match="certificate verify failed"):
        make_provider(ca_file=None).ping()


def test_a_starting_warehouse_is_retried_within_the_retry_budget(
    fake: FakeDatabricks, make_provider: MakeProvider
) -> None:
    fake.busy_answers = 1  # one 503, as while a warehouse starts
    provider = make_provider(retry_seconds=30)
    assert provider.execute("SELECT 1", max_rows=1, timeout_seconds=60).rows == ((1,),)
    fake.busy_answers = 1_000
    with pytest.raises(DependencyUnavailable, match="still starting or busy after 1 s"):
        make_provider(retry_seconds=1).ping()
    assert fake.log.refused[0] == 503 and fake.log.statements == ["SELECT 1"]
    fake.busy_answers = 0  # the warehouse is up again, for closing the sessions


def test_a_restarted_warehouse_gets_new_sessions_transparently(
    fake: FakeDatabricks, warehouse: DatabricksWarehouse
) -> None:
    assert warehouse.execute("SELECT 1", max_rows=1, timeout_seconds=30).rows == ((1,),)
    fake.service.forget_sessions()  # the pooled session is now unknown to the warehouse
    assert warehouse.execute("SELECT 2", max_rows=1, timeout_seconds=30).rows == ((2,),)
    assert fake.log.opened_sessions == 2 and fake.log.statements == ["SELECT 1", "SELECT 2"]


def test_only_max_concurrency_statements_run_and_the_rest_wait_up_to_the_timeout(
    tpch_home: Path, tmp_path: Path
) -> None:
    # ExecuteStatement answers after 2 s here, so close() below usually comes before the
    # statement id exists, and the cancel has to wait for it
    lakehouse = default_lakehouse_path(tpch_home)
    with FakeDatabricks(lakehouse, tmp_path, direct_results_wait=2) as fake:
        provider = fake.warehouse(max_concurrency=1)
        outcome: list[BaseException] = []

        def hold_the_only_slot() -> None:
            try:
                provider.execute(SLOW, max_rows=1, timeout_seconds=300)
            except LakechatError as exc:
                outcome.append(exc)

        holder = threading.Thread(target=hold_the_only_slot)
        holder.start()
        assert eventually(lambda: SLOW in fake.log.statements)
        with pytest.raises(QueryTimeout, match="no free warehouse slot"):
            provider.execute("SELECT 1", max_rows=1, timeout_seconds=0.5)
        assert fake.log.statements == [SLOW]  # the waiting statement never reached it
        # closing the provider cancels the statement still running, on the warehouse
        provider.close()
        holder.join(60)
        assert fake.log.cancelled == [SLOW] and isinstance(outcome[0], DependencyUnavailable)
        assert eventually(lambda: fake.log.interrupted == [SLOW])


def test_concurrent_statements_each_get_their_own_connection(fake: FakeDatabricks) -> None:
    provider = fake.warehouse(max_concurrency=3)
    results: dict[int, Any] = {}

    def count(region: int) -> None:
        results[region] = provider.execute(
            f"SELECT count(*) FROM samples.tpch.nation WHERE n_regionkey = {region}",
            max_rows=1,
            timeout_seconds=60,
        ).rows

    threads = [threading.Thread(target=count, args=(region % 5,)) for region in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    provider.close()
    assert results == dict.fromkeys(range(5), ((5,),))
    assert 1 <= fake.log.opened_sessions <= 3
    assert fake.log.closed_sessions == fake.log.opened_sessions


def test_explain_catalogs_and_ping(fake: FakeDatabricks, warehouse: DatabricksWarehouse) -> None:
    plan = warehouse.explain("SELECT * FROM samples.tpch.nation", timeout_seconds=30)
    assert "nation" in plan.lower()
    catalogs = warehouse.catalogs()
    assert "samples" in catalogs and catalogs == fake.engine.catalogs() == warehouse.catalogs()
    assert fake.log.statements.count("SHOW CATALOGS") == 1  # the list is cached a while
    status = warehouse.ping()
    assert fake.warehouse_id in status and "samples" in status
    assert fake.log.statements.count("SHOW CATALOGS") == 2  # a health check always asks


def closed_then_used(make: MakeProvider) -> object:
    provider = make()
    provider.close()
    return provider.execute("SELECT 1", max_rows=1, timeout_seconds=30)


FAILURES: dict[str, Callable[[MakeProvider], object]] = {
    "wrong token": lambda make: make(token="dapi-wrong").execute(
        "SELECT 1", max_rows=1, timeout_seconds=30
    ),
    "wrong token, catalogs": lambda make: make(token="dapi-wrong").catalogs(),
    "no such warehouse": lambda make: make(warehouse_id="abc").ping(),
    "server down": lambda make: make(host=f"https://127.0.0.1:{free_port()}").ping(),
    "untrusted certificate": lambda make: make(ca_file=None).ping(),
    "bad sql": lambda make: make().execute(
        "SELECT nope FROM nowhere", max_rows=1, timeout_seconds=30
    ),
    "bad explain": lambda make: make().explain("SELEC 1", timeout_seconds=30),
    "timeout": lambda make: make().execute(SLOW, max_rows=1, timeout_seconds=0.3),
    "closed": closed_then_used,
}


@pytest.mark.parametrize("failure", list(FAILURES.values()), ids=list(FAILURES))
def test_no_connector_exception_escapes(
    make_provider: MakeProvider, failure: Callable[[MakeProvider], object]
) -> None:
    with pytest.raises(LakechatError) as caught:
        failure(make_provider)
    assert not isinstance(caught.value, dbx.Error)
    assert caught.value.__suppress_context__ or caught.value.__cause__ is None


def test_from_settings_names_every_missing_setting(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigurationError) as nothing:
        DatabricksWarehouse.from_settings(make_settings(warehouse_url="databricks"))
    for name in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_WAREHOUSE_ID"):
        assert name in nothing.value.message
    host_only = make_settings(
        warehouse_url="databricks", databricks_host="https://adb-1.azuredatabricks.net"
    )
    with pytest.raises(ConfigurationError) as some:
        build_warehouse(host_only)
    assert "DATABRICKS_HOST" not in some.value.message
    assert (
        "DATABRICKS_TOKEN" in some.value.message and "DATABRICKS_WAREHOUSE_ID" in some.value.message
    )


def test_build_warehouse_selects_databricks(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(
        warehouse_url="databricks",
        databricks_host="https://adb-1234567890.12.azuredatabricks.net/",
        databricks_token="dapi0123456789abcdef",
        databricks_warehouse_id="1234567890abcdef",
        warehouse_max_concurrency=2,
    )
    provider = build_warehouse(settings)  # connects lazily, on the first statement
    assert isinstance(provider, DatabricksWarehouse) and provider.dialect == "databricks"
    assert provider.server_hostname == "adb-1234567890.12.azuredatabricks.net"
    assert provider.port == 443 and provider.http_path == "/sql/1.0/warehouses/1234567890abcdef"
    provider.close()


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("dbc-1234.cloud.databricks.com", ("dbc-1234.cloud.databricks.com", 443)),
        ("https://dbc-1234.cloud.databricks.com/", ("dbc-1234.cloud.databricks.com", 443)),
        ("https://127.0.0.1:8443", ("127.0.0.1", 8443)),
    ],
)
def test_host_forms(host: str, expected: tuple[str, int]) -> None:
    provider = DatabricksWarehouse(host, "t", "abc123")
    assert (provider.server_hostname, provider.port) == expected


@pytest.mark.parametrize(
    ("host", "warehouse_id"),
    [
        ("http://dbc-1234.cloud.databricks.com", "abc123"),
        ("https://dbc-1234.cloud.databricks.com/sql", "abc123"),
        ("https://dbc-1234.cloud.databricks.com:port", "abc123"),
        ("dbc-1234.cloud.databricks.com", "../../api/2.0"),
    ],
)
def test_bad_host_or_warehouse_id_is_a_configuration_error(host: str, warehouse_id: str) -> None:
    with pytest.raises(ConfigurationError, match=r"DATABRICKS_HOST|DATABRICKS_WAREHOUSE_ID"):
        DatabricksWarehouse(host, "t", warehouse_id)
