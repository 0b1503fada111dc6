"""The assistant_requests semantic model: the request log queried like any dataset, on a
SQLite and a PostgreSQL state store, with the same numbers as window_stats; its scope, its
tenants, the chat reaching it, and the state-store warehouse refusing anything else."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lakechat.errors import DependencyUnavailable, QueryFailed
from lakechat.monitor.assistant_stats import hourly_stats, window_stats
from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.warehouse.state_provider import StateStoreWarehouse, masked
from tests.conftest import issue_key
from tests.monitor.test_assistant_route import at_until
from tests.monitor.test_assistant_stats import ROWS, UNTIL, entry, write

METRICS = [
    "requests", "errors", "rejected", "error_rate", "success_rate", "avg_latency_ms",
    "p95_latency_ms", "avg_confidence",
]  # fmt: skip
DAY = {"range": ["2026-03-02", "2026-03-02"]}
DAY_START = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def client(
    request: pytest.FixtureRequest,
    make_client: Callable[..., TestClient],
    make_settings: Callable[..., Settings],
) -> TestClient:
    overrides: dict[str, Any] = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    client = make_client(make_settings(**overrides), at_until)
    store = state(client)
    write(store, [entry(*row) for row in ROWS])
    write(store, [
        entry(15, 55.0, domain="cost", tenant="globex"),
        entry(3, 5000.0, route="/api/catalogs", plan_type=None),  # not an assistant request
        entry(60 * 24, 80.0),  # the day before
    ])  # fmt: skip
    return client


def state(client: TestClient) -> StateStore:
    store: StateStore = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def query(client: TestClient, key: str, **body: Any) -> Any:
    asked = {"dataset": "assistant_requests", "metrics": [{"name": m} for m in METRICS], **body}
    return client.post("/v1/query", json=asked, headers={"X-API-Key": key})


def test_the_model_gives_the_numbers_window_stats_gives(client: TestClient) -> None:
    response = query(client, issue_key(client, role="admin"), timeRange=DAY)
    assert response.status_code == 200, response.text
    (row,) = response.json()["rows"]
    expected = window_stats(state(client), since=DAY_START, until=DAY_START + timedelta(days=1))
    assert expected["requests"] == 10
    for metric in METRICS:
        assert row[metric] == pytest.approx(expected[metric]), metric
    assert "lakechat.state.request_log" in response.json()["stats"]["sql"]


def test_the_request_log_is_never_served_from_the_cache(client: TestClient) -> None:
    key = issue_key(client, role="admin")
    before = query(client, key, timeRange=DAY).json()["rows"][0]["requests"]
    write(state(client), [entry(1, 5.0)])
    again = query(client, key, timeRange=DAY).json()
    assert again["rows"][0]["requests"] == before + 1 and again["stats"]["cached"] is False


def test_hour_by_hour_as_hourly_stats(client: TestClient) -> None:
    response = query(
        client,
        issue_key(client, role="admin"),
        dimensions=[{"name": "time", "timeGrain": "hour"}],
        timeRange=DAY,
    )
    rows = response.json()["rows"]
    hourly = [h for h in hourly_stats(state(client), hours=13, until=UNTIL) if h["requests"]]
    assert [r["time"][:13] for r in rows] == [h["hour"].isoformat()[:13] for h in hourly]
    for got, expected in zip(rows, hourly, strict=True):
        assert got["requests"] == expected["requests"]
        assert got["p95_latency_ms"] == pytest.approx(expected["p95_latency_ms"])


def test_a_tenant_reads_its_own_requests(client: TestClient) -> None:
    viewer = issue_key(client, role="viewer", tenant="globex")
    response = query(client, viewer, dimensions=[{"name": "domain"}], timeRange=DAY)
    assert response.status_code == 200
    assert [(r["domain"], r["requests"]) for r in response.json()["rows"]] == [("cost", 1)]


def test_the_model_needs_health_read(client: TestClient) -> None:
    key = issue_key(client, role="viewer", scopes=["data:read"])
    response = query(client, key)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert "health:read" in response.json()["error"]["message"]
    listed = client.get("/v1/datasets", headers={"X-API-Key": key}).json()["datasets"]
    assert "assistant_requests" not in {d["id"] for d in listed}
    allowed = issue_key(client, role="viewer")
    listed = client.get("/v1/datasets", headers={"X-API-Key": allowed}).json()["datasets"]
    assert "assistant_requests" in {d["id"] for d in listed}


def test_the_models_own_routes_need_health_read_too(client: TestClient) -> None:
    """A key that cannot query the model cannot read its fields either, as /v1/query
    refuses it: 403 missing_scope naming health:read."""
    key = {"X-API-Key": issue_key(client, role="viewer", scopes=["data:read"])}
    allowed = {"X-API-Key": issue_key(client, role="viewer")}
    for route in ("", "/schema", "/dimensions", "/metrics"):
        path = f"/v1/datasets/assistant_requests{route}"
        refused = client.get(path, headers=key)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "missing_scope"
        assert "health:read" in refused.json()["error"]["message"]
        assert not {"p95_latency_ms", "principal", "lakechat.state.request_log"} & set(
            refused.text.split('"')
        )
        shown = client.get(path, headers=allowed)
        assert shown.status_code == 200, path
        assert {"p95_latency_ms", "principal"} & set(shown.text.split('"')), path
    # other models are unchanged for the narrower key
    assert client.get("/v1/datasets/tpch_sales/schema", headers=key).status_code == 200


def test_the_chat_answers_from_the_request_log(client: TestClient) -> None:
    response = client.post(
        "/api/chat",
        json={"message": "how many requests did the assistant answer per hour today?"},
        headers={"X-API-Key": issue_key(client, role="admin")},
    )
    answer = response.json()
    assert answer["status"] == "answered", answer["answer"]
    assert answer["plan"]["model"] == "assistant_requests"
    assert answer["plan"]["query"]["dimensions"] == [{"name": "time", "timeGrain": "hour"}]
    assert [row[1] for row in answer["rows"]] == [2, 4, 4]  # 10:00, 11:00, 12:00 (globex too)


@pytest.fixture
def warehouse(migrated: StateStore) -> Iterator[StateStoreWarehouse]:
    write(migrated, [entry(5, 10.0)])
    found = StateStoreWarehouse(migrated.url)
    yield found
    found.close()


def test_the_warehouse_reads_the_view(warehouse: StateStoreWarehouse) -> None:
    result = warehouse.execute(
        "SELECT COUNT(*), MAX(time) FROM lakechat.state.request_log WHERE assistant",
        max_rows=10,
        timeout_seconds=10,
    )
    assert result.rows == ((1, datetime(2026, 3, 2, 12, 25)),)
    assert "state store" in warehouse.ping()
    plan = warehouse.explain("SELECT COUNT(*) FROM lakechat.state.request_log", timeout_seconds=10)
    assert "request_log" in plan.lower() or "sqlite" in plan.lower()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT question FROM lakechat.state.request_log",  # private columns are not shown
        "SELECT * FROM __lakechat_state_store.main.api_keys",
        'SELECT * FROM "__LAKECHAT_STATE_STORE".api_keys',
        "SELECT * FROM lakechat.main.anything",
        "SELECT * FROM sqlite_scan('lakechat.db', 'api_keys')",
        "SELECT 1; SELECT 2",
        "DELETE FROM lakechat.state.request_log",
        "ATTACH 'x.db' AS other",
        # the in-memory catalog holding the view is writable to DuckDB: refused before it
        "CREATE TABLE lakechat.state.copy AS SELECT 1 AS one",
        "DROP VIEW lakechat.state.request_log",
        "EXPLAIN SELECT * FROM __lakechat_state_store.main.api_keys",
        # DuckDB's catalog views show each attachment's URL, password and all
        "SELECT database_name, path FROM duckdb_databases",
        "SELECT (SELECT path FROM duckdb_databases LIMIT 1)",
        "SELECT * FROM lakechat.state.request_log, duckdb_settings",
        "SELECT * FROM request_log",
        # a CTE's name counts only inside its scope: the second one is the catalog view
        "SELECT * FROM (WITH duckdb_databases AS (SELECT 1) SELECT * FROM duckdb_databases) AS t, "
        "duckdb_databases",
        "WITH x AS (SELECT 1) SELECT * FROM duckdb_databases AS x",
    ],
)
def test_the_warehouse_refuses_anything_else(warehouse: StateStoreWarehouse, sql: str) -> None:
    with pytest.raises(QueryFailed):
        warehouse.execute(sql, max_rows=10, timeout_seconds=10)


def test_the_warehouse_reads_its_view_through_ctes(warehouse: StateStoreWarehouse) -> None:
    result = warehouse.execute(
        "WITH recent AS (SELECT * FROM lakechat.state.request_log WHERE assistant), "
        "counted AS (SELECT COUNT(*) AS n FROM recent) SELECT n FROM counted",
        max_rows=10,
        timeout_seconds=10,
    )
    assert result.rows == ((1,),)


def test_a_lost_state_store_never_shows_its_password(postgres_url: str) -> None:
    """DuckDB quotes the connection string it cannot reach: API errors, logs and the alerts'
    last_error show it with the password masked."""
    import psycopg
    from sqlalchemy.engine import make_url

    from lakechat.store.migrate import upgrade

    store = StateStore(postgres_url)
    upgrade(store)
    store.dispose()
    password = "Lost-Secret-7"
    url = make_url(postgres_url).set(password=password).render_as_string(hide_password=False)
    found = StateStoreWarehouse(url)
    sql = "SELECT COUNT(*) FROM lakechat.state.request_log"
    try:
        assert found.execute(sql, max_rows=1, timeout_seconds=10).rows == ((0,),)
        name = make_url(postgres_url).database
        with psycopg.connect(postgres_url, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        for _ in range(2):  # the dropped connection, then the failed reconnection
            with pytest.raises(DependencyUnavailable) as caught:
                found.execute(sql, max_rows=1, timeout_seconds=10)
            assert "postgres:***@" in caught.value.message
            assert password not in str(caught.value)
    finally:
        found.close()


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            'Unable to connect to Postgres at "postgresql://postgres:Lost-Secret-7@h:5432/db"',
            'Unable to connect to Postgres at "postgresql://postgres:***@h:5432/db"',
        ),
        ("postgresql://other:hunter22@h/db?password=hunter33&x=1",
         "postgresql://other:***@h/db?password=***&x=1"),
        ("host=h user=postgres password=hunter44 dbname=db",
         "host=h user=postgres password=*** dbname=db"),
        ("the password Lost-Secret-7 on its own", "the password *** on its own"),
        ("postgresql://postgres@h/db: no password here", "postgresql://postgres@h/db: no password here"),
    ],
)  # fmt: skip
def test_messages_leave_the_warehouse_with_credentials_masked(message: str, shown: str) -> None:
    assert masked(message, "postgresql+psycopg://postgres:Lost-Secret-7@h:5432/db") == shown
