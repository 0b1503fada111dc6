"""Write ``system.duckdb``: 90 days of Databricks system tables ending at the as-of day.

The tables are created from the reference DDL column for column, then loaded from
newline-delimited JSON that DuckDB reads with the declared types (structs, maps, arrays,
decimals and instants included). Generation is deterministic for a seed and as-of day.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from lakechat.lakehouse.rows import load_rows
from lakechat.lakehouse.system import audit, billing, compute, job_runs, quality, queries
from lakechat.lakehouse.system.columns import information_schema_columns
from lakechat.lakehouse.system.incidents import Incident, measure_system_incidents
from lakechat.lakehouse.system.plan import IncidentPlan, plan_incidents
from lakechat.lakehouse.system.population import Population, build_population, rng_for
from lakechat.lakehouse.system.scale import scale_steps, scale_usage

Progress = Callable[[int, int], None]

#: The tables in load order (the steps of the progress bar).
TABLES = (
    "billing.list_prices",
    "billing.usage",
    "lakeflow.jobs",
    "lakeflow.job_run_timeline",
    "lakeflow.job_task_run_timeline",
    "query.history",
    "access.audit",
    "compute.clusters",
    "compute.warehouses",
    "compute.warehouse_events",
    "data_quality_monitoring.table_results",
    "uc_information_schema.tables",
    "uc_information_schema.schema_privileges",
    "uc_information_schema.columns",
    "access.workspaces_latest",
)


def generate_rows(population: Population, plan: IncidentPlan) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows for the population and plan."""
    prices = billing.PriceList(plan.clock)
    runs = job_runs.generate_runs(population, plan)
    statements = queries.generate_statements(population, plan)
    usage = job_runs.run_usage(population, runs)
    warehouse_usage, warehouse_events = queries.warehouse_usage(population, statements)
    usage += warehouse_usage + compute.interactive_usage(population, plan)
    compute.scale_cost_spike(usage, plan, prices)
    tags = compute.cost_tags(population, plan, usage, prices)
    usage.sort(key=lambda record: (record.start, record.entity))
    return {
        "billing.list_prices": prices.rows(population.account_id),
        "billing.usage": billing.usage_rows(
            population, usage, tags, rng_for(population.seed, "usage")
        ),
        "lakeflow.jobs": job_runs.job_rows(population, plan, tags),
        "lakeflow.job_run_timeline": job_runs.timeline_rows(population, runs),
        "lakeflow.job_task_run_timeline": job_runs.task_rows(population, runs),
        "query.history": queries.history_rows(population, statements),
        "access.audit": audit.audit_rows(population, plan, statements),
        "compute.clusters": compute.cluster_rows(population, plan, tags),
        "compute.warehouses": compute.warehouse_rows(population, plan, tags),
        "compute.warehouse_events": warehouse_events,
        "data_quality_monitoring.table_results": quality.table_result_rows(population, plan, runs),
        "uc_information_schema.tables": quality.information_schema_tables(population, plan, runs),
        "uc_information_schema.schema_privileges": quality.schema_privilege_rows(population, plan),
        "uc_information_schema.columns": information_schema_columns(population),
        "access.workspaces_latest": [
            {
                "account_id": population.account_id,
                "workspace_id": w.workspace_id,
                "workspace_name": w.name,
                "workspace_url": f"https://{w.name}.cloud.databricks.com",
                "create_time": plan.clock.at(dt.date(2024, 3, 1), 9),
                "status": "RUNNING",
            }
            for w in population.workspaces
        ],
    }


def build_system(
    path: Path,
    *,
    as_of: dt.date,
    seed: int,
    usage_rows: int | None = None,
    progress: Progress | None = None,
) -> tuple[Population, IncidentPlan, list[Incident]]:
    """Write the system catalog to ``path``; returns what it holds and its incidents.

    ``usage_rows`` grows billing.usage to that many rows (see ``scale.py``) before the
    incidents are measured, so the build proves they still hold at that size.
    """
    population = build_population(seed)
    plan = plan_incidents(population, as_of)
    rows = generate_rows(population, plan)
    scaling = scale_steps(usage_rows) if usage_rows is not None else 0
    steps = len(TABLES) + scaling + 1
    conn = duckdb.connect(str(path))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        for name in ("schema.sql", "extra_tables.sql"):
            conn.execute(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory(prefix="lakechat-system-") as scratch:
            for step, table in enumerate(TABLES, start=1):
                load_rows(conn, table, rows[table], Path(scratch))
                if progress:
                    progress(step, steps)
        if usage_rows is not None:
            report = (lambda done, _: progress(len(TABLES) + done, steps)) if progress else None
            scale_usage(conn, usage_rows, report)
        incidents = measure_system_incidents(conn, population, plan)
        conn.execute("CHECKPOINT")
        if progress:
            progress(steps, steps)
    finally:
        conn.close()
    return population, plan, incidents
