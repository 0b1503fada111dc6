"""Which entities the injected incidents happen to, and when: the plan every generator reads.

The default seed's plan uses the documented names; another seed picks entities of the same
kind from its own population. The generators make the incidents happen; ``incidents.py``
then measures them from the generated rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lakechat.lakehouse.system.population import (
    DEFAULT_SEED,
    Job,
    Person,
    Population,
    SqlWarehouse,
    Workspace,
    rng_for,
)

#: (table, column) pairs whose null rate the data-quality incident can break.
NULL_RATE_CANDIDATES = (
    ("main.sales.customers", "email"),
    ("main.learning.students", "email"),
    ("main.hr.employees", "manager_id"),
    ("main.finance.invoices", "customer_id"),
)
SENSITIVE_CANDIDATES = ("main.hr.salaries", "main.hr.performance_reviews", "main.finance.budgets")
GRANT_CANDIDATES = (
    ("main.finance", "external_partners"),
    ("main.hr", "vendor_contractors"),
    ("main.sales", "offshore_support"),
    ("main.finance", "agency_partners"),
)
NO_OWNER_CANDIDATES = ("main.sales.tmp_export", "main.finance.budgets", "main.sales.products")

#: Termination codes of the three jobs that fail today, in order.
TODAY_FAILURE_CODES = ("RUN_EXECUTION_ERROR", "CLUSTER_ERROR", "DRIVER_ERROR")


@dataclass(frozen=True)
class Clock:
    """The generated window: 90 days ending at noon UTC of the as-of day."""

    as_of: dt.date

    @property
    def snapshot(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of, dt.time(12), tzinfo=dt.UTC)

    @property
    def first_day(self) -> dt.date:
        return self.as_of - dt.timedelta(days=89)

    def days(self) -> list[dt.date]:
        return [self.first_day + dt.timedelta(days=i) for i in range(90)]

    def at(self, day: dt.date, hour: float) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC) + dt.timedelta(hours=hour)

    @property
    def yesterday(self) -> dt.date:
        return self.as_of - dt.timedelta(days=1)


@dataclass(frozen=True)
class IncidentPlan:
    clock: Clock
    cost_workspace: Workspace
    cost_job: Job
    failed_today: tuple[Job, ...]
    flaky_job: Job
    slow_job: Job
    spill_warehouse: SqlWarehouse
    queue_warehouse: SqlWarehouse
    first_reader: Person
    sensitive_table: str
    login_attacker_ip: str
    grant_schema: str
    grantee: str
    grantor: Person
    token_principal: Person
    token_creator: Person
    stale_tables: tuple[str, ...]
    null_table: str
    null_column: str
    ownerless_table: str
    #: (table, the job that refreshes it)
    writers: tuple[tuple[str, str], ...]

    @property
    def paused_jobs(self) -> tuple[str, ...]:
        """The jobs whose tables went stale: paused four days ago."""
        return tuple(self.stale_writer(table) for table in self.stale_tables)

    def stale_writer(self, table: str) -> str:
        return dict(self.writers)[table]


def plan_incidents(population: Population, as_of: dt.date) -> IncidentPlan:
    rng = rng_for(population.seed, "incidents")
    default = population.seed == DEFAULT_SEED
    jobs = population.jobs
    incident_jobs = {job.name for job in jobs[:6]}
    writers = [
        t
        for t in population.tables
        if t.monitored and t.writer_job and t.writer_job not in incident_jobs
    ]
    stale = (
        ("main.sales.orders_daily", "main.learning.student_daily_features")
        if default
        else tuple(t.full_name for t in rng.sample(writers, 2))
    )
    pick = 0 if default else 1 + rng.randrange(len(NULL_RATE_CANDIDATES) - 1)
    grant_schema, grantee = GRANT_CANDIDATES[
        0 if default else 1 + rng.randrange(len(GRANT_CANDIDATES) - 1)
    ]
    admins = [u for u in population.users if u.team == "data-eng"]
    contractors = [u for u in population.users if u.team == "contractors"]
    return IncidentPlan(
        clock=Clock(as_of),
        cost_workspace=population.workspaces[0],
        cost_job=jobs[5],
        failed_today=jobs[:3],
        flaky_job=jobs[3],
        slow_job=jobs[4],
        spill_warehouse=population.warehouses[0],
        queue_warehouse=population.warehouses[1],
        first_reader=contractors[0],
        sensitive_table=SENSITIVE_CANDIDATES[
            0 if default else 1 + rng.randrange(len(SENSITIVE_CANDIDATES) - 1)
        ],
        login_attacker_ip="203.0.113.50" if default else f"198.51.100.{rng.randrange(2, 250)}",
        grant_schema=grant_schema,
        grantee=grantee,
        grantor=admins[0],
        token_principal=population.service_principals[0 if default else rng.randrange(5)],
        token_creator=admins[-1],
        stale_tables=stale,
        null_table=NULL_RATE_CANDIDATES[pick][0],
        null_column=NULL_RATE_CANDIDATES[pick][1],
        ownerless_table=NO_OWNER_CANDIDATES[
            0 if default else 1 + rng.randrange(len(NO_OWNER_CANDIDATES) - 1)
        ],
        writers=tuple((t.full_name, t.writer_job) for t in population.tables if t.writer_job),
    )
