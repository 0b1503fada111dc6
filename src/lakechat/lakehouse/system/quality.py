"""data_quality_monitoring.table_results and system.information_schema (tables, grants).

Each monitored table of ``main`` is checked every morning at 06:00 UTC: freshness from its
last commit (its writer job's last successful run) and completeness from its daily row
count. Tables whose writer job was paused four days ago turn stale. information_schema
carries owners (one table has none) and schema grants (one to an outside group, today).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lakechat.lakehouse.system.job_runs import Run
from lakechat.lakehouse.system.plan import IncidentPlan
from lakechat.lakehouse.system.population import Population, rng_for, stable_uuid

#: A table expected daily is unhealthy when its last commit is older than this.
FRESHNESS_LIMIT = dt.timedelta(hours=36)


def last_commits(plan: IncidentPlan, runs: list[Run]) -> dict[str, list[dt.datetime]]:
    """Commit times of each table with a writer job: the ends of the job's successful runs."""
    writers = dict(plan.writers)
    by_job: dict[str, list[dt.datetime]] = {}
    for run in runs:
        if run.result_state == "SUCCEEDED":
            by_job.setdefault(run.job.name, []).append(run.end)
    return {table: sorted(by_job.get(job, [])) for table, job in writers.items()}


def table_result_rows(
    population: Population, plan: IncidentPlan, runs: list[Run]
) -> list[dict[str, Any]]:
    rng = rng_for(population.seed, "quality")
    clock = plan.clock
    commits = last_commits(plan, runs)
    ids = {t.full_name: stable_uuid(rng) for t in population.tables}
    writers = dict(plan.writers)
    jobs = {job.name: job for job in population.jobs}
    rows = []
    for table in population.tables:
        if not table.monitored or table.full_name not in commits:
            continue
        catalog, schema, name = table.full_name.split(".")
        base_rows = rng.randrange(20_000, 2_000_000)
        for day in clock.days():
            checked = clock.at(day, 6)
            if checked >= clock.snapshot:
                continue
            before = [t for t in commits[table.full_name] if t <= checked]
            last = before[-1] if before else None
            fresh = last is not None and checked - last <= FRESHNESS_LIMIT
            daily = rng.randrange(int(base_rows * 0.008), int(base_rows * 0.012)) if fresh else 0
            job = jobs[writers[table.full_name]]
            rows.append(
                {
                    "event_time": checked,
                    "catalog_name": catalog,
                    "schema_name": schema,
                    "table_name": name,
                    "catalog_id": population.metastore_id,
                    "schema_id": ids[table.full_name][:18] + schema,
                    "table_id": ids[table.full_name],
                    "status": "Healthy" if fresh else "Unhealthy",
                    "freshness": {
                        "status": "Healthy" if fresh else "Unhealthy",
                        "commit_freshness": {
                            "status": "Healthy" if fresh else "Unhealthy",
                            "error_code": None if fresh else "STALE_TABLE",
                            "last_value": last,
                            "predicted_value": (last + dt.timedelta(days=1)) if last else None,
                        },
                    },
                    "completeness": {
                        "status": "Healthy" if fresh else "Unhealthy",
                        "total_row_count": None,
                        "daily_row_count": {
                            "status": "Healthy" if fresh else "Unhealthy",
                            "error_code": None,
                            "last_value": daily,
                            "min_predicted_value": int(base_rows * 0.007),
                            "max_predicted_value": int(base_rows * 0.013),
                        },
                    },
                    "downstream_impact": {
                        "impact_level": 0 if fresh else 2,
                        "num_downstream_tables": rng.randrange(0, 6),
                        "num_queries_on_affected_tables": rng.randrange(0, 80),
                    },
                    "root_cause_analysis": {
                        "upstream_jobs": [
                            {
                                "job_id": job.job_id,
                                "workspace_id": job.workspace_id,
                                "job_name": job.name,
                                "last_run_status": "SUCCEEDED" if fresh else "PAUSED",
                                "run_page_url": None,
                            }
                        ]
                    },
                }
            )
    return rows


def information_schema_tables(
    population: Population, plan: IncidentPlan, runs: list[Run]
) -> list[dict[str, Any]]:
    """system.information_schema.tables for the ``main`` catalog."""
    clock = plan.clock
    commits = last_commits(plan, runs)
    created = clock.at(clock.first_day - dt.timedelta(days=120), 10)
    rows = []
    for table in population.tables:
        catalog, schema, name = table.full_name.split(".")
        owner = None if table.full_name == plan.ownerless_table else table.owner
        touched = commits.get(table.full_name) or [created]
        rows.append(
            {
                "table_catalog": catalog,
                "table_schema": schema,
                "table_name": name,
                "table_type": "MANAGED",
                "is_insertable_into": "YES",
                "commit_action": "PRESERVE",
                "table_owner": owner,
                "comment": None,
                "created": created,
                "created_by": table.owner or population.users[0].name,
                "last_altered": touched[-1],
                "last_altered_by": table.owner or population.users[0].name,
                "data_source_format": "DELTA",
                "storage_sub_directory": None,
                "storage_path": None,
            }
        )
    return rows


def schema_privilege_rows(population: Population, plan: IncidentPlan) -> list[dict[str, Any]]:
    """Each schema's team holds USE SCHEMA and SELECT; plus today's grant to an outside group."""
    rows = []
    for schema, team in (("sales", "sales-ops"), ("hr", "hr-people"), ("finance", "finance"),
                         ("learning", "learning")):  # fmt: skip
        for privilege in ("USE SCHEMA", "SELECT"):
            rows.append(_grant(population, "main", schema, team, privilege))
    catalog, schema = plan.grant_schema.split(".")
    rows.append(
        _grant(population, catalog, schema, plan.grantee, "ALL PRIVILEGES", plan.grantor.name)
    )
    return rows


def _grant(
    population: Population, catalog: str, schema: str, grantee: str, privilege: str,
    grantor: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "grantor": grantor or population.users[0].name,
        "grantee": grantee,
        "catalog_name": catalog,
        "schema_name": schema,
        "privilege_type": privilege,
        "is_grantable": "NO",
        "inherited_from": "NONE",
    }
