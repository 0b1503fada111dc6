"""query.history on the SQL warehouses, with the warehouses' usage and events.

Each warehouse serves its team (and some analysts) in business hours on weekdays, little at
night and at weekends. Every statement that reads tables also leaves a Unity Catalog
``getTable`` audit event per table, so who-read-what is answerable from access.audit too.
The performance and sensitive-read incidents are made here.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, replace
from typing import Any

from lakechat.lakehouse.system.billing import (
    SQL_CLASSIC,
    SQL_PRO,
    SQL_SERVERLESS,
    WAREHOUSE_DBUS,
    MutableUsage,
)
from lakechat.lakehouse.system.plan import IncidentPlan
from lakechat.lakehouse.system.population import (
    Person,
    Population,
    SqlWarehouse,
    rng_for,
    stable_uuid,
)

#: Statements each team runs: (text, tables read).
TEAM_STATEMENTS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "analytics": (
        ("SELECT order_date, sum(revenue) FROM main.sales.orders_daily WHERE order_date >= current_date() - INTERVAL 30 DAYS GROUP BY order_date", ("main.sales.orders_daily",)),
        ("SELECT o_orderpriority, count(*) FROM samples.tpch.orders GROUP BY o_orderpriority", ("samples.tpch.orders",)),
        ("SELECT c.segment, count(DISTINCT o.customer_id) FROM main.sales.orders o JOIN main.sales.customers c USING (customer_id) GROUP BY c.segment", ("main.sales.orders", "main.sales.customers")),
    ),
    "finance": (
        ("SELECT account, sum(amount) FROM main.finance.gl_entries WHERE entry_date >= date_trunc('MONTH', current_date()) GROUP BY account", ("main.finance.gl_entries",)),
        ("SELECT status, count(*), sum(amount) FROM main.finance.invoices GROUP BY status", ("main.finance.invoices",)),
        ("SELECT cost_center, sum(budget_amount) FROM main.finance.budgets GROUP BY cost_center", ("main.finance.budgets",)),
    ),
    "hr-people": (
        ("SELECT e.department, avg(s.base_salary) FROM main.hr.salaries s JOIN main.hr.employees e USING (employee_id) GROUP BY e.department", ("main.hr.salaries", "main.hr.employees")),
        ("SELECT rating, count(*) FROM main.hr.performance_reviews GROUP BY rating", ("main.hr.performance_reviews",)),
        ("SELECT department, count(*) FROM main.hr.employees GROUP BY department", ("main.hr.employees",)),
    ),
    "learning": (
        ("SELECT risk_level, count(*) FROM main.learning.student_dropout_risk GROUP BY risk_level", ("main.learning.student_dropout_risk",)),
        ("SELECT feature_date, avg(avg_completion_pct) FROM main.learning.student_daily_features GROUP BY feature_date", ("main.learning.student_daily_features",)),
        ("SELECT m.title, count(*) FROM main.learning.module_assignments a JOIN main.learning.learning_modules m USING (module_id) WHERE a.status = 'completed' GROUP BY m.title", ("main.learning.module_assignments", "main.learning.learning_modules")),
    ),
    "sales-ops": (
        ("SELECT region, count(*) FROM main.sales.customers GROUP BY region", ("main.sales.customers",)),
        ("SELECT product_id, sum(quantity) FROM main.sales.orders GROUP BY product_id ORDER BY 2 DESC LIMIT 20", ("main.sales.orders",)),
    ),
    "ml": (
        ("SELECT * FROM main.learning.student_daily_features WHERE feature_date = current_date() - INTERVAL 1 DAY", ("main.learning.student_daily_features",)),
        ("SELECT l_returnflag, avg(l_extendedprice) FROM samples.tpch.lineitem GROUP BY l_returnflag", ("samples.tpch.lineitem",)),
    ),
    "data-eng": (
        ("SELECT count(*) FROM main.sales.orders WHERE order_date = current_date()", ("main.sales.orders",)),
        ("DESCRIBE TABLE main.sales.tmp_export", ("main.sales.tmp_export",)),
    ),
    "contractors": (
        ("SELECT * FROM main.sales.products LIMIT 100", ("main.sales.products",)),
        ("SELECT n_name, count(*) FROM samples.tpch.customer JOIN samples.tpch.nation ON c_nationkey = n_nationkey GROUP BY n_name", ("samples.tpch.customer", "samples.tpch.nation")),
    ),
}  # fmt: skip

SPILLING_STATEMENT = (
    "SELECT c.customer_id, o.order_date, count(*) OVER (PARTITION BY c.customer_id ORDER BY "
    "o.order_date) FROM main.sales.orders o JOIN main.sales.customers c USING (customer_id) "
    "CROSS JOIN samples.tpch.lineitem l ORDER BY 1, 2"
)


@dataclass(frozen=True)
class Statement:
    warehouse: SqlWarehouse
    person: Person
    start: dt.datetime
    text: str
    tables: tuple[str, ...]
    statement_type: str = "SELECT"
    total_ms: int = 0
    queue_ms: int = 0
    spilled: int = 0
    failed: bool = False


def business_load(day: dt.date, hour: int) -> float:
    """Share of a warehouse's busy-hour rate at this hour (UTC): weekdays 08-18 are busy."""
    weekday = day.weekday() < 5
    if 8 <= hour < 18:
        share = 1.0
    elif 6 <= hour < 21:
        share = 0.3
    else:
        share = 0.03
    return share if weekday else share * 0.12


def generate_statements(population: Population, plan: IncidentPlan) -> list[Statement]:
    clock = plan.clock
    statements: list[Statement] = []
    for warehouse in population.warehouses:
        rng = rng_for(population.seed, f"queries:{warehouse.name}")
        users = _audience(population, warehouse)
        for day in clock.days():
            for hour in range(24):
                start = clock.at(day, hour)
                if start >= clock.snapshot:
                    break
                expected = warehouse.queries_per_busy_hour * business_load(day, hour)
                for _ in range(_poisson(rng, expected)):
                    person = rng.choice(users)
                    moment = start + dt.timedelta(seconds=rng.randrange(3600))
                    if moment >= clock.snapshot:
                        continue
                    statements.append(_routine(rng, warehouse, person, moment))
    statements += _incident_statements(population, plan)
    return sorted(statements, key=lambda s: s.start)


def _audience(population: Population, warehouse: SqlWarehouse) -> list[Person]:
    team = [u for u in population.users if u.team == warehouse.team]
    analysts = [u for u in population.users if u.team == "analytics"][:2]
    contractors = (
        [u for u in population.users if u.team == "contractors"]
        if warehouse == population.warehouses[1]
        else []
    )
    return team + analysts + contractors


def _routine(
    rng: random.Random, warehouse: SqlWarehouse, person: Person, start: dt.datetime
) -> Statement:
    text, tables = rng.choice(TEAM_STATEMENTS.get(person.team, TEAM_STATEMENTS["analytics"]))
    total = int(rng.lognormvariate(math.log(2200), 0.9))
    return Statement(
        warehouse,
        person,
        start,
        text,
        tables,
        statement_type=text.split()[0].upper(),
        total_ms=min(total, 9 * 60 * 1000),
        queue_ms=rng.choice((0, 0, 0, 0, rng.randrange(100, 4000))),
        spilled=rng.randrange(10**6, 10**8) if rng.random() < 0.01 else 0,
        failed=rng.random() < 0.015,
    )


def _incident_statements(population: Population, plan: IncidentPlan) -> list[Statement]:
    rng = rng_for(population.seed, "query-incidents")
    clock = plan.clock
    spill = plan.spill_warehouse
    analysts = [u for u in population.users if u.team == spill.team]
    out = [
        Statement(
            spill,
            rng.choice(analysts),
            clock.at(clock.as_of, 7 + i * 0.6 + rng.random() * 0.2),
            SPILLING_STATEMENT,
            ("main.sales.orders", "main.sales.customers", "samples.tpch.lineitem"),
            total_ms=rng.randrange(11 * 60_000, 26 * 60_000),
            queue_ms=rng.randrange(0, 2000),
            spilled=rng.randrange(6 * 10**9, 60 * 10**9),
        )
        for i in range(6)
    ]
    queue = plan.queue_warehouse
    users = _audience(population, queue)
    for i in range(40):  # yesterday afternoon and this morning, at capacity
        start = clock.snapshot - dt.timedelta(hours=22) + dt.timedelta(minutes=31 * i)
        routine = _routine(rng, queue, rng.choice(users), start)
        waits = rng.randrange(70_000, 240_000) if i % 5 < 2 else rng.randrange(0, 9_000)
        out.append(replace(routine, queue_ms=waits, total_ms=routine.total_ms + waits))
    reader = plan.first_reader
    out.append(
        Statement(
            queue,
            reader,
            clock.at(clock.yesterday, 3) + dt.timedelta(minutes=2, seconds=41),
            f"SELECT * FROM {plan.sensitive_table}",
            (plan.sensitive_table,),
            total_ms=4100,
        )
    )
    schema = plan.grant_schema
    out.append(
        Statement(
            population.warehouses[7],
            plan.grantor,
            clock.at(clock.as_of, 9) + dt.timedelta(minutes=12, seconds=5),
            f"GRANT ALL PRIVILEGES ON SCHEMA {schema} TO `{plan.grantee}`",
            (),
            statement_type="GRANT",
            total_ms=640,
        )
    )
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    threshold, count, product = math.exp(-mean), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def history_rows(population: Population, statements: list[Statement]) -> list[dict[str, Any]]:
    rng = rng_for(population.seed, "history-rows")
    rows = []
    for s in statements:
        compile_ms = min(s.total_ms // 5, rng.randrange(40, 600))
        execution = max(0, s.total_ms - s.queue_ms - compile_ms)
        read_rows = rng.randrange(10**3, 10**8)
        rows.append(
            {
                "account_id": population.account_id,
                "workspace_id": s.warehouse.workspace_id,
                "statement_id": stable_uuid(rng),
                "executed_by": s.person.identity,
                "session_id": stable_uuid(rng),
                "execution_status": "FAILED" if s.failed else "FINISHED",
                "compute": {"type": "WAREHOUSE", "warehouse_id": s.warehouse.warehouse_id},
                "executed_by_user_id": s.person.user_id,
                "statement_text": s.text,
                "statement_type": s.statement_type,
                "error_message": "[TABLE_OR_VIEW_NOT_FOUND] retry later" if s.failed else None,
                "client_application": rng.choice(
                    ("Databricks SQL Editor", "Tableau", "Power BI", "Dashboards")
                ),
                "client_driver": None,
                "total_duration_ms": s.total_ms,
                "waiting_for_compute_duration_ms": 0,
                "waiting_at_capacity_duration_ms": s.queue_ms,
                "execution_duration_ms": execution,
                "compilation_duration_ms": compile_ms,
                "total_task_duration_ms": execution * rng.randrange(2, 16),
                "result_fetch_duration_ms": rng.randrange(5, 400),
                "start_time": s.start,
                "end_time": s.start + dt.timedelta(milliseconds=s.total_ms),
                "update_time": s.start + dt.timedelta(milliseconds=s.total_ms),
                "read_partitions": rng.randrange(1, 200),
                "pruned_files": rng.randrange(0, 500),
                "read_files": rng.randrange(1, 400),
                "read_rows": read_rows if s.tables else 0,
                "produced_rows": rng.randrange(1, 5000) if s.tables else 0,
                "read_bytes": read_rows * rng.randrange(40, 200) if s.tables else 0,
                "read_io_cache_percent": rng.randrange(0, 100),
                "from_result_cache": rng.random() < 0.1,
                "spilled_local_bytes": s.spilled,
                "written_bytes": 0,
                "shuffle_read_bytes": read_rows * 8,
                "query_source": None,
                "executed_as_user_id": s.person.user_id,
                "executed_as": s.person.identity,
                "written_rows": 0,
                "written_files": 0,
                "cache_origin_statement_id": None,
                "query_parameters": None,
                "query_tags": {},
                "pruned_files_bytes": 0,
                "read_files_bytes": read_rows * 60 if s.tables else 0,
            }
        )
    return rows


def warehouse_usage(
    population: Population, statements: list[Statement]
) -> tuple[list[MutableUsage], list[dict[str, Any]]]:
    """Hourly usage of each warehouse while it ran, and its start/scale/stop events."""
    busy: dict[tuple[str, dt.datetime], int] = {}
    for s in statements:
        hour = s.start.replace(minute=0, second=0, microsecond=0)
        busy[(s.warehouse.warehouse_id, hour)] = busy.get((s.warehouse.warehouse_id, hour), 0) + 1
    by_id = {w.warehouse_id: w for w in population.warehouses}
    records: list[MutableUsage] = []
    events: list[dict[str, Any]] = []
    for (warehouse_id, hour), count in sorted(busy.items()):
        warehouse = by_id[warehouse_id]
        clusters = min(warehouse.max_clusters, 1 + count // 12)
        sku = (
            SQL_SERVERLESS
            if warehouse.serverless
            else (SQL_PRO if warehouse.warehouse_type == "PRO" else SQL_CLASSIC)
        )
        records.append(
            MutableUsage(
                workspace_id=warehouse.workspace_id,
                sku=sku,
                start=hour,
                end=hour + dt.timedelta(hours=1),
                dbus=WAREHOUSE_DBUS[warehouse.size] * clusters,
                entity=f"warehouse:{warehouse_id}",
                metadata={"warehouse_id": warehouse_id},
                run_as=None,
                origin="SQL",
                features={
                    "sql_tier": warehouse.warehouse_type,
                    "is_serverless": warehouse.serverless,
                    "is_photon": True,
                },
            )
        )
        previous = busy.get((warehouse_id, hour - dt.timedelta(hours=1)))
        following = busy.get((warehouse_id, hour + dt.timedelta(hours=1)))
        base = {
            "account_id": population.account_id,
            "workspace_id": warehouse.workspace_id,
            "warehouse_id": warehouse_id,
        }
        if previous is None:
            events.append(
                {**base, "event_type": "STARTING", "cluster_count": 1, "event_time": hour}
            )
            events.append(
                {
                    **base,
                    "event_type": "RUNNING",
                    "cluster_count": 1,
                    "event_time": hour + dt.timedelta(seconds=90),
                }
            )
        if clusters > 1:
            events.append(
                {
                    **base,
                    "event_type": "SCALED_UP",
                    "cluster_count": clusters,
                    "event_time": hour + dt.timedelta(minutes=10),
                }
            )
        if following is None:
            stop = hour + dt.timedelta(hours=1, minutes=warehouse.auto_stop_minutes)
            events.append(
                {**base, "event_type": "STOPPING", "cluster_count": clusters, "event_time": stop}
            )
            events.append(
                {
                    **base,
                    "event_type": "STOPPED",
                    "cluster_count": 0,
                    "event_time": stop + dt.timedelta(seconds=40),
                }
            )
    return records, events
