"""The injected incidents, measured back from the written tables with plain SQL.

Every incident in ``incidents.json`` is the result of a query over the catalog just built,
not a restatement of the plan: if a generator stops producing an incident, the build
fails here instead of shipping a story the data does not tell.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from lakechat.lakehouse.system.plan import IncidentPlan
from lakechat.lakehouse.system.population import Population

#: Cost of each usage record at its list price (the documented join on SKU and time).
#: Two DECIMAL(38,18) multiply past DuckDB's 38 digits when summed, hence the DOUBLEs.
PRICED_USAGE = """
    SELECT u.*, u.usage_quantity::DOUBLE * p.pricing.effective_list."default"::DOUBLE AS cost
    FROM billing.usage u JOIN billing.list_prices p
      ON u.sku_name = p.sku_name AND u.usage_unit = p.usage_unit
     AND u.usage_end_time >= p.price_start_time
     AND (p.price_end_time IS NULL OR u.usage_end_time < p.price_end_time)
"""


@dataclass(frozen=True)
class Incident:
    domain: str  # cost, reliability, performance, security, data_quality
    kind: str
    entity: str
    time: str  # ISO 8601 instant (UTC) or date
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class IncidentMissing(RuntimeError):
    """A generator did not produce an incident the plan asked for (a bug in lakechat)."""


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise IncidentMissing(f"the demo data lost an incident: {what}")


def _one(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> tuple[Any, ...]:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return tuple(row)


def measure_system_incidents(
    conn: duckdb.DuckDBPyConnection, population: Population, plan: IncidentPlan
) -> list[Incident]:
    """Each planned incident as the system tables show it; raises IncidentMissing if not."""
    del population  # the plan names every entity
    return [
        incident
        for measure in (_cost, _reliability, _performance, _security, _data_quality)
        for incident in measure(conn, plan)
    ]


def _cost(conn: duckdb.DuckDBPyConnection, plan: IncidentPlan) -> list[Incident]:
    clock = plan.clock
    today, yesterday, _snapshot = clock.as_of, clock.yesterday, clock.snapshot
    out: list[Incident] = []
    ws = plan.cost_workspace
    spend, median = _one(
        conn,
        f"""WITH daily AS (SELECT usage_date, sum(cost) AS cost FROM ({PRICED_USAGE})
                           WHERE workspace_id = ? GROUP BY usage_date)
            SELECT (SELECT cost FROM daily WHERE usage_date = ?),
                   (SELECT median(cost) FROM daily
                    WHERE usage_date BETWEEN ? - INTERVAL 14 DAY AND ? - INTERVAL 1 DAY)""",
        [ws.workspace_id, yesterday, yesterday, yesterday],
    )
    driver, sku, driver_cost = _one(
        conn,
        f"""SELECT usage_metadata.job_name, sku_name, sum(cost) FROM ({PRICED_USAGE})
            WHERE workspace_id = ? AND usage_date = ? AND usage_metadata.job_id IS NOT NULL
            GROUP BY ALL ORDER BY 3 DESC LIMIT 1""",
        [ws.workspace_id, yesterday],
    )
    ratio = float(spend / median)
    _require(ratio >= 3 and driver == plan.cost_job.name and "ALL_PURPOSE" in sku, "cost spike")
    out.append(
        Incident(
            "cost",
            "spend_spike",
            ws.name,
            yesterday.isoformat(),
            {
                "workspace_id": ws.workspace_id,
                "spend_usd": round(float(spend), 2),
                "trailing_14_day_median_usd": round(float(median), 2),
                "ratio": round(ratio, 2),
                "driver_job": driver,
                "driver_sku": sku,
                "driver_spend_usd": round(float(driver_cost), 2),
            },
        )
    )
    untagged, total = _one(
        conn,
        f"""SELECT sum(cost) FILTER (WHERE custom_tags['team'] IS NULL), sum(cost)
            FROM ({PRICED_USAGE}) WHERE usage_date > ? - INTERVAL 30 DAY""",
        [today],
    )
    share = float(untagged / total)
    _require(share >= 0.25, "untagged spend")
    out.append(
        Incident(
            "cost",
            "untagged_spend",
            "tag:team",
            today.isoformat(),
            {
                "untagged_share": round(share, 3),
                "untagged_usd": round(float(untagged), 2),
                "total_usd": round(float(total), 2),
                "window_days": 30,
            },
        )
    )
    return out


def _reliability(conn: duckdb.DuckDBPyConnection, plan: IncidentPlan) -> list[Incident]:
    clock = plan.clock
    today, _yesterday, snapshot = clock.as_of, clock.yesterday, clock.snapshot
    out: list[Incident] = []
    for job in plan.failed_today:
        failed, code, at = _one(
            conn,
            """SELECT count(*), max(termination_code), max(period_end_time)
               FROM lakeflow.job_run_timeline
               WHERE job_id = ? AND result_state = 'FAILED' AND period_end_time::DATE = ?""",
            [job.job_id, today],
        )
        _require(failed >= 1, f"{job.name} failed today")
        out.append(
            Incident(
                "reliability",
                "job_failed",
                job.name,
                at.isoformat(),
                {
                    "job_id": job.job_id,
                    "failed_runs_today": failed,
                    "termination_code": code,
                },
            )
        )
    job = plan.flaky_job
    runs, failures = _one(
        conn,
        """SELECT count(*), count(*) FILTER (WHERE result_state = 'FAILED')
           FROM lakeflow.job_run_timeline
           WHERE job_id = ? AND result_state IS NOT NULL AND period_end_time >= ? - INTERVAL 14 DAY""",
        [job.job_id, snapshot],
    )
    _require(0.2 <= failures / runs <= 0.4, "flaky job")
    out.append(
        Incident(
            "reliability",
            "flaky_job",
            job.name,
            today.isoformat(),
            {
                "job_id": job.job_id,
                "runs_14_days": runs,
                "failed_runs_14_days": failures,
                "failure_rate": round(failures / runs, 3),
            },
        )
    )
    job = plan.slow_job
    recent, before = _one(
        conn,
        """SELECT median(run_duration_seconds) FILTER (WHERE period_end_time >= ? - INTERVAL 7 DAY),
                  median(run_duration_seconds) FILTER (WHERE period_end_time < ? - INTERVAL 7 DAY
                                                         AND period_end_time >= ? - INTERVAL 28 DAY)
           FROM lakeflow.job_run_timeline WHERE job_id = ? AND result_state = 'SUCCEEDED'""",
        [snapshot, snapshot, snapshot, job.job_id],
    )
    _require(recent >= 2.5 * before, "slow job")
    out.append(
        Incident(
            "reliability",
            "duration_regression",
            job.name,
            today.isoformat(),
            {
                "job_id": job.job_id,
                "median_seconds_last_7_days": float(recent),
                "median_seconds_21_days_before": float(before),
                "ratio": round(recent / before, 2),
            },
        )
    )
    return out


def _performance(conn: duckdb.DuckDBPyConnection, plan: IncidentPlan) -> list[Incident]:
    clock = plan.clock
    today, _yesterday, snapshot = clock.as_of, clock.yesterday, clock.snapshot
    out: list[Incident] = []
    wh = plan.spill_warehouse
    long_spills, longest = _one(
        conn,
        """SELECT count(*), max(total_duration_ms) FROM query.history
           WHERE compute.warehouse_id = ? AND start_time::DATE = ?
             AND total_duration_ms > 600000 AND spilled_local_bytes > 0""",
        [wh.warehouse_id, today],
    )
    _require(long_spills >= 5, "long spilling queries")
    out.append(
        Incident(
            "performance",
            "long_spilling_queries",
            wh.name,
            today.isoformat(),
            {
                "warehouse_id": wh.warehouse_id,
                "queries_over_10_minutes_spilling": long_spills,
                "longest_ms": longest,
            },
        )
    )
    wh = plan.queue_warehouse
    (p95,) = _one(
        conn,
        """SELECT quantile_cont(waiting_at_capacity_duration_ms, 0.95) FROM query.history
           WHERE compute.warehouse_id = ? AND start_time >= ? - INTERVAL 24 HOUR""",
        [wh.warehouse_id, snapshot],
    )
    _require(p95 > 60_000, "queueing warehouse")
    out.append(
        Incident(
            "performance",
            "queue_time",
            wh.name,
            snapshot.isoformat(),
            {
                "warehouse_id": wh.warehouse_id,
                "p95_queue_ms_24h": round(float(p95)),
            },
        )
    )
    return out


def _security(conn: duckdb.DuckDBPyConnection, plan: IncidentPlan) -> list[Incident]:
    clock = plan.clock
    today, yesterday, snapshot = clock.as_of, clock.yesterday, clock.snapshot
    out: list[Incident] = []
    reader, table = plan.first_reader.name, plan.sensitive_table
    first, reads_before = _one(
        conn,
        """SELECT min(event_time), count(*) FILTER (WHERE event_time < ? ) FROM access.audit
           WHERE action_name = 'getTable' AND user_identity.email = ?
             AND request_params['full_name_arg'] = ?""",
        [dt.datetime.combine(yesterday, dt.time(3), tzinfo=dt.UTC), reader, table],
    )
    _require(first is not None and first.date() == yesterday and reads_before == 0, "first read")
    out.append(
        Incident(
            "security",
            "first_sensitive_read",
            reader,
            first.isoformat(),
            {
                "table": table,
                "earlier_reads_by_user": 0,
            },
        )
    )
    ip = plan.login_attacker_ip
    failures_ip, accounts = _one(
        conn,
        """SELECT count(*), count(DISTINCT user_identity.email) FROM access.audit
           WHERE source_ip_address = ? AND action_name = 'login' AND response.status_code = 401
             AND event_time >= ? - INTERVAL 24 HOUR""",
        [ip, snapshot],
    )
    _require(failures_ip >= 20, "failed logins")
    out.append(
        Incident(
            "security",
            "failed_login_burst",
            ip,
            snapshot.isoformat(),
            {
                "failed_logins_24h": failures_ip,
                "accounts_targeted": accounts,
            },
        )
    )
    (granted_at,) = _one(
        conn,
        """SELECT max(event_time) FROM access.audit WHERE action_name = 'updatePermissions'
           AND request_params['securable_full_name'] = ? AND event_time::DATE = ?""",
        [plan.grant_schema, today],
    )
    _require(granted_at is not None, "broad grant")
    out.append(
        Incident(
            "security",
            "broad_grant",
            plan.grant_schema,
            granted_at.isoformat(),
            {
                "grantee": plan.grantee,
                "privilege": "ALL PRIVILEGES",
                "granted_by": plan.grantor.name,
            },
        )
    )
    sp = plan.token_principal
    (token_at,) = _one(
        conn,
        """SELECT max(event_time) FROM access.audit
           WHERE action_name = 'createOboToken' AND request_params['application_id'] = ?""",
        [sp.application_id],
    )
    _require(token_at is not None, "token for a service principal")
    out.append(
        Incident(
            "security",
            "service_principal_token",
            sp.name,
            token_at.isoformat(),
            {
                "application_id": sp.application_id,
                "created_by": plan.token_creator.name,
            },
        )
    )
    return out


def _data_quality(conn: duckdb.DuckDBPyConnection, plan: IncidentPlan) -> list[Incident]:
    clock = plan.clock
    today, _yesterday, snapshot = clock.as_of, clock.yesterday, clock.snapshot
    out: list[Incident] = []
    for full_name in plan.stale_tables:
        catalog, schema, name = full_name.split(".")
        status, last_commit = _one(
            conn,
            """SELECT status, freshness.commit_freshness.last_value
               FROM data_quality_monitoring.table_results
               WHERE catalog_name = ? AND schema_name = ? AND table_name = ?
               ORDER BY event_time DESC LIMIT 1""",
            [catalog, schema, name],
        )
        age = snapshot - last_commit
        _require(status == "Unhealthy" and age > dt.timedelta(days=3), f"stale {full_name}")
        out.append(
            Incident(
                "data_quality",
                "stale_table",
                full_name,
                last_commit.isoformat(),
                {
                    "hours_since_last_commit": round(age.total_seconds() / 3600, 1),
                    "expected": "daily",
                    "writer_job": plan.stale_writer(full_name),
                },
            )
        )
    catalog, schema, name = plan.ownerless_table.split(".")
    (owners,) = _one(
        conn,
        """SELECT count(table_owner) FROM uc_information_schema.tables
           WHERE table_catalog = ? AND table_schema = ? AND table_name = ?""",
        [catalog, schema, name],
    )
    _require(owners == 0, "table without an owner")
    out.append(Incident("data_quality", "no_owner", plan.ownerless_table, today.isoformat(), {}))
    return out
