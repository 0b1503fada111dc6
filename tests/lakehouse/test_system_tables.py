"""system.duckdb and main.duckdb: the reference schema, the shape of the data, and every
incident found again by plain SQL that does not know the incident's names."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lakechat.lakehouse.build import INCIDENTS_FILE, build_lakehouse
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

AS_OF = dt.date(2026, 3, 18)  # a Wednesday
REFERENCE = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "databricks_system_tables.sql"
)
OTHER_SEED = 4242


@pytest.fixture(scope="module", params=["default", "other"])
def lakehouse(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp(f"lakehouse-{request.param}")
    seed = {"other": OTHER_SEED}.get(request.param)
    build_lakehouse(folder, scale_factor=0.01, as_of=AS_OF, **({"seed": seed} if seed else {}))
    return folder


@pytest.fixture(scope="module")
def warehouse(lakehouse: Path) -> Iterator[DuckDBWarehouse]:
    provider = DuckDBWarehouse(lakehouse)
    yield provider
    provider.close()


def incidents(lakehouse: Path) -> dict[str, list[dict[str, Any]]]:
    document = json.loads((lakehouse / INCIDENTS_FILE).read_text())
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for incident in document["incidents"]:
        by_kind.setdefault(incident["kind"], []).append(incident)
    return by_kind


def rows(warehouse: DuckDBWarehouse, sql: str) -> list[tuple[Any, ...]]:
    return list(warehouse.execute(sql, max_rows=100_000, timeout_seconds=60).rows)


def entities(lakehouse: Path, kind: str) -> set[str]:
    return {incident["entity"] for incident in incidents(lakehouse)[kind]}


# -- schema and shape ----------------------------------------------------------------
def test_every_reference_table_column_for_column(lakehouse: Path) -> None:
    if not REFERENCE.exists():
        pytest.skip("../shared/reference is not beside this checkout")
    reference = duckdb.connect()
    reference.execute(REFERENCE.read_text())
    built = duckdb.connect(str(lakehouse / "system.duckdb"), read_only=True)
    query = (
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema NOT IN ('main', 'uc_information_schema') "
        "AND table_name <> 'workspaces_latest' ORDER BY ALL"
    )
    expected = reference.execute(query).fetchall()
    assert len({(s, t) for s, t, *_ in expected}) == 11
    assert built.execute(query).fetchall() == expected
    for schema, table in {(s, t) for s, t, *_ in expected}:
        (count,) = built.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone() or (0,)
        assert count > 0, f"{schema}.{table} is empty"


def test_ninety_days_ending_at_the_as_of_day(warehouse: DuckDBWarehouse) -> None:
    first, last = rows(
        warehouse, "SELECT min(usage_date), max(usage_date) FROM system.billing.usage"
    )[0]
    assert last == AS_OF and first == AS_OF - dt.timedelta(days=89)


def test_population_size(warehouse: DuckDBWarehouse) -> None:
    (workspaces, jobs, warehouses, users, principals) = rows(
        warehouse,
        """SELECT (SELECT count(*) FROM system.access.workspaces_latest),
                  (SELECT count(DISTINCT job_id) FROM system.lakeflow.jobs),
                  (SELECT count(*) FROM system.compute.warehouses),
                  (SELECT count(DISTINCT user_identity.email) FROM system.access.audit
                   WHERE action_name = 'login' AND response.status_code = 200),
                  (SELECT count(DISTINCT run_as) FROM system.lakeflow.jobs
                   WHERE run_as NOT LIKE '%@%')""",
    )[0]
    assert workspaces == 3 and 35 <= jobs <= 45 and warehouses == 10
    assert users == 30 and principals == 5


def test_weekdays_are_busier_than_weekends_and_nightly_jobs_run_at_night(
    warehouse: DuckDBWarehouse,
) -> None:
    weekday, weekend = rows(
        warehouse,
        """SELECT count(*) FILTER (WHERE dayofweek(start_time) BETWEEN 1 AND 5) / 5.0,
                  count(*) FILTER (WHERE dayofweek(start_time) IN (0, 6)) / 2.0
           FROM system.query.history""",
    )[0]
    assert weekday > 3 * weekend
    (night_share,) = rows(
        warehouse,
        """SELECT avg((hour(period_start_time) < 6)::INT) FROM system.lakeflow.job_run_timeline r
           JOIN system.lakeflow.jobs j USING (job_id)
           WHERE j.description LIKE 'nightly%' AND r.result_state IS NOT NULL""",
    )[0]
    assert night_share > 0.9


def test_cost_must_join_prices_on_their_time_range(warehouse: DuckDBWarehouse) -> None:
    with_time, without_time = rows(
        warehouse,
        """SELECT
             (SELECT sum(u.usage_quantity::DOUBLE * p.pricing.effective_list."default"::DOUBLE)
              FROM system.billing.usage u JOIN system.billing.list_prices p
                ON u.sku_name = p.sku_name AND u.usage_end_time >= p.price_start_time
               AND (p.price_end_time IS NULL OR u.usage_end_time < p.price_end_time)),
             (SELECT sum(u.usage_quantity::DOUBLE * p.pricing.effective_list."default"::DOUBLE)
              FROM system.billing.usage u JOIN system.billing.list_prices p USING (sku_name))""",
    )[0]
    assert without_time > with_time > 0  # one SKU changed price: ignoring time double-counts


def test_the_same_seed_and_day_give_the_same_data(tmp_path: Path, lakehouse: Path) -> None:
    seed = json.loads((lakehouse / INCIDENTS_FILE).read_text())["seed"]
    build_lakehouse(tmp_path, scale_factor=0.01, as_of=AS_OF, seed=seed)
    fingerprint = "SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM {} t"
    for catalog, table in (("system", "billing.usage"), ("system", "access.audit"),
                           ("main", "learning.module_assignments")):  # fmt: skip
        prints = []
        for folder in (lakehouse, tmp_path):
            conn = duckdb.connect(str(folder / f"{catalog}.duckdb"), read_only=True)
            prints.append(conn.execute(fingerprint.format(table)).fetchone())
            conn.close()
        assert prints[0] == prints[1], table
    assert json.loads((tmp_path / INCIDENTS_FILE).read_text()) == json.loads(
        (lakehouse / INCIDENTS_FILE).read_text()
    )


def test_another_seed_names_other_entities(lakehouse: Path) -> None:
    document = json.loads((lakehouse / INCIDENTS_FILE).read_text())
    named = {incident["entity"] for incident in document["incidents"]} | {
        value
        for incident in document["incidents"]
        for value in incident["evidence"].values()
        if isinstance(value, str)
    }
    documented = {"prod-analytics", "nightly_feature_backfill", "orders_ingest", "crm_sync",
                  "bi-serverless", "adhoc-classic", "contractor.x@example.com", "203.0.113.50",
                  "main.finance", "main.sales.orders_daily", "main.sales.tmp_export"}  # fmt: skip
    if document["seed"] == OTHER_SEED:
        assert not named & documented
    else:
        assert documented <= named


def test_main_learning(warehouse: DuckDBWarehouse) -> None:
    students, statuses, levels = rows(
        warehouse,
        """SELECT (SELECT count(*) FROM main.learning.students),
                  (SELECT list(DISTINCT status ORDER BY status) FROM main.learning.module_assignments),
                  (SELECT list(DISTINCT risk_level ORDER BY risk_level)
                   FROM main.learning.student_dropout_risk)""",
    )[0]
    assert students == 2000
    assert statuses == ["completed", "in_progress", "not_started"]
    assert levels == ["HIGH", "LOW", "MEDIUM"]
    (features,) = rows(warehouse, "SELECT count(*) FROM main.learning.student_daily_features")[0]
    assert features > 50_000


# -- incidents, found by behaviour -------------------------------------------------
PRICED = """(SELECT u.*, u.usage_quantity::DOUBLE * p.pricing.effective_list."default"::DOUBLE AS cost
   FROM system.billing.usage u JOIN system.billing.list_prices p ON u.sku_name = p.sku_name
    AND u.usage_end_time >= p.price_start_time
    AND (p.price_end_time IS NULL OR u.usage_end_time < p.price_end_time))"""
Y = f"DATE '{AS_OF - dt.timedelta(days=1)}'"
T = f"DATE '{AS_OF}'"
NOW = f"TIMESTAMPTZ '{AS_OF} 12:00:00+00'"


def test_cost_spike(lakehouse: Path, warehouse: DuckDBWarehouse) -> None:
    found = rows(
        warehouse,
        f"""WITH daily AS (SELECT workspace_id, usage_date, sum(cost) AS cost FROM {PRICED} GROUP BY ALL),
            ratio AS (SELECT workspace_id,
                        max(cost) FILTER (WHERE usage_date = {Y}) /
                        median(cost) FILTER (WHERE usage_date BETWEEN {Y} - 14 AND {Y} - 1) AS r
                      FROM daily GROUP BY workspace_id)
            SELECT w.workspace_name, r.r FROM ratio r JOIN system.access.workspaces_latest w
            USING (workspace_id) WHERE r.r >= 3""",
    )
    assert {name for name, _ in found} == entities(lakehouse, "spend_spike")
    driver = rows(
        warehouse,
        f"""SELECT usage_metadata.job_name, billing_origin_product FROM {PRICED}
            WHERE usage_date = {Y} GROUP BY ALL ORDER BY sum(cost) DESC LIMIT 1""",
    )[0]
    spike = incidents(lakehouse)["spend_spike"][0]["evidence"]
    assert driver == (spike["driver_job"], "ALL_PURPOSE")


def test_untagged_spend(warehouse: DuckDBWarehouse) -> None:
    (share,) = rows(
        warehouse,
        f"""SELECT sum(cost) FILTER (WHERE custom_tags['team'] IS NULL) / sum(cost)
            FROM {PRICED} WHERE usage_date > {T} - 30""",
    )[0]
    assert share >= 0.25


def test_jobs_that_failed_today(lakehouse: Path, warehouse: DuckDBWarehouse) -> None:
    failed = rows(
        warehouse,
        f"""SELECT DISTINCT j.name, r.termination_code FROM system.lakeflow.job_run_timeline r
            JOIN (SELECT DISTINCT job_id, name FROM system.lakeflow.jobs) j USING (job_id)
            WHERE r.result_state = 'FAILED' AND r.period_end_time::DATE = {T}""",
    )
    assert {name for name, _ in failed} == entities(lakehouse, "job_failed")
    assert all(code not in (None, "SUCCESS") for _, code in failed)


def test_flaky_and_slower_jobs(lakehouse: Path, warehouse: DuckDBWarehouse) -> None:
    flaky = rows(
        warehouse,
        f"""SELECT j.name FROM system.lakeflow.job_run_timeline r
            JOIN (SELECT DISTINCT job_id, name FROM system.lakeflow.jobs) j USING (job_id)
            WHERE r.result_state IS NOT NULL AND r.period_end_time >= {NOW} - INTERVAL 14 DAY
            GROUP BY j.name HAVING avg((r.result_state = 'FAILED')::INT) BETWEEN 0.2 AND 0.4""",
    )
    assert {name for (name,) in flaky} == entities(lakehouse, "flaky_job")
    slower = rows(
        warehouse,
        f"""SELECT j.name FROM system.lakeflow.job_run_timeline r
            JOIN (SELECT DISTINCT job_id, name FROM system.lakeflow.jobs) j USING (job_id)
            WHERE r.result_state = 'SUCCEEDED' GROUP BY j.name
            HAVING median(run_duration_seconds) FILTER (WHERE period_end_time >= {NOW} - INTERVAL 7 DAY)
              >= 2.5 * median(run_duration_seconds) FILTER (
                   WHERE period_end_time BETWEEN {NOW} - INTERVAL 28 DAY AND {NOW} - INTERVAL 7 DAY)""",
    )
    assert {name for (name,) in slower} == entities(lakehouse, "duration_regression")


def test_warehouse_performance(lakehouse: Path, warehouse: DuckDBWarehouse) -> None:
    spilling = rows(
        warehouse,
        f"""SELECT w.warehouse_name FROM system.query.history q
            JOIN system.compute.warehouses w ON q.compute.warehouse_id = w.warehouse_id
            WHERE q.start_time::DATE = {T} AND q.total_duration_ms > 600000
              AND q.spilled_local_bytes > 0
            GROUP BY ALL HAVING count(*) >= 5""",
    )
    assert {name for (name,) in spilling} == entities(lakehouse, "long_spilling_queries")
    queued = rows(
        warehouse,
        f"""SELECT w.warehouse_name FROM system.query.history q
            JOIN system.compute.warehouses w ON q.compute.warehouse_id = w.warehouse_id
            WHERE q.start_time >= {NOW} - INTERVAL 24 HOUR GROUP BY ALL
            HAVING quantile_cont(q.waiting_at_capacity_duration_ms, 0.95) > 60000""",
    )
    assert {name for (name,) in queued} == entities(lakehouse, "queue_time")


def test_security_events(lakehouse: Path, warehouse: DuckDBWarehouse) -> None:
    sensitive = {i["evidence"]["table"] for i in incidents(lakehouse)["first_sensitive_read"]}
    (table,) = sensitive
    first_reads = rows(
        warehouse,
        f"""SELECT user_identity.email, min(event_time) FROM system.access.audit
            WHERE action_name = 'getTable' AND request_params['full_name_arg'] = '{table}'
            GROUP BY ALL HAVING min(event_time)::DATE = {Y}""",
    )
    assert {email for email, _ in first_reads} == entities(lakehouse, "first_sensitive_read")
    assert all(at.hour == 3 for _, at in first_reads)
    burst = rows(
        warehouse,
        f"""SELECT source_ip_address FROM system.access.audit
            WHERE action_name = 'login' AND response.status_code = 401
              AND event_time >= {NOW} - INTERVAL 24 HOUR GROUP BY ALL HAVING count(*) >= 20""",
    )
    assert {ip for (ip,) in burst} == entities(lakehouse, "failed_login_burst")
    grants = rows(
        warehouse,
        f"""SELECT regexp_extract(statement_text, 'ON SCHEMA (\\S+)', 1) FROM system.query.history
            WHERE statement_type = 'GRANT' AND statement_text ILIKE '%ALL PRIVILEGES%'
              AND start_time::DATE = {T}""",
    )
    assert {schema for (schema,) in grants} == entities(lakehouse, "broad_grant")
    (privileges,) = rows(
        warehouse,
        """SELECT count(*) FROM system.information_schema.schema_privileges
           WHERE privilege_type = 'ALL PRIVILEGES'""",
    )[0]
    assert privileges == 1
    tokens = rows(
        warehouse,
        """SELECT request_params['principal_name'] FROM system.access.audit
           WHERE action_name = 'createOboToken'""",
    )
    assert {name for (name,) in tokens} == entities(lakehouse, "service_principal_token")


def test_data_quality(lakehouse: Path, warehouse: DuckDBWarehouse) -> None:
    stale = rows(
        warehouse,
        f"""SELECT catalog_name || '.' || schema_name || '.' || table_name FROM (
              SELECT *, row_number() OVER (PARTITION BY table_id ORDER BY event_time DESC) AS n
              FROM system.data_quality_monitoring.table_results)
            WHERE n = 1 AND status = 'Unhealthy'
              AND freshness.commit_freshness.last_value < {NOW} - INTERVAL 3 DAY""",
    )
    assert {name for (name,) in stale} == entities(lakehouse, "stale_table")
    ownerless = rows(
        warehouse,
        """SELECT table_catalog || '.' || table_schema || '.' || table_name
           FROM system.information_schema.tables WHERE table_owner IS NULL""",
    )
    assert {name for (name,) in ownerless} == entities(lakehouse, "no_owner")
    (incident,) = incidents(lakehouse)["null_rate"]
    column = incident["evidence"]["column"]
    (rate,) = rows(warehouse, f"SELECT avg(({column} IS NULL)::INT) FROM {incident['entity']}")[0]
    assert rate > 0.2
