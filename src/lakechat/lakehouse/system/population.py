"""Who and what the demo account holds: workspaces, people, warehouses, clusters, jobs, tables.

The default seed's population carries the names the docs tell (workspace ``prod-analytics``,
job ``nightly_feature_backfill``, warehouse ``bi-serverless``, ...). Any other seed draws
its names from word pools, so nothing downstream can recognise an incident by its name.
Everything comes from ``random.Random`` seeded with text, which is stable across runs and
Python versions.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

DEFAULT_SEED = 7

TEAMS = ("analytics", "data-eng", "ml", "finance", "sales-ops", "hr-people", "learning")


@dataclass(frozen=True)
class Workspace:
    workspace_id: str
    name: str


@dataclass(frozen=True)
class Person:
    """A user (an email) or a service principal (an application id and a display name)."""

    user_id: str
    name: str  # email for users, display name for service principals
    team: str
    application_id: str | None = None

    @property
    def is_service_principal(self) -> bool:
        return self.application_id is not None

    @property
    def identity(self) -> str:
        """How Databricks names them in executed_by / run_as: email or application id."""
        return self.application_id or self.name


@dataclass(frozen=True)
class SqlWarehouse:
    warehouse_id: str
    workspace_id: str
    name: str
    warehouse_type: str  # CLASSIC or PRO
    serverless: bool
    size: str
    max_clusters: int
    auto_stop_minutes: int
    team: str
    queries_per_busy_hour: int


@dataclass(frozen=True)
class Cluster:
    cluster_id: str
    workspace_id: str
    name: str
    owner: str
    source: str  # UI, API or JOB
    node_type: str
    workers: int
    team: str


@dataclass(frozen=True)
class Job:
    job_id: str
    workspace_id: str
    name: str
    team: str
    owner: str
    run_as: str
    #: "hourly", "every_4h", "nightly" (00-05 UTC), "daily" (06-09 UTC) or "weekly"
    schedule: str
    hour: int
    minute: int
    weekdays_only: bool
    median_minutes: float
    tasks: tuple[str, ...]
    cluster_id: str
    compute: str  # JOBS or ALL_PURPOSE
    workers: int
    writes: str | None  # the table the job refreshes, if any


@dataclass(frozen=True)
class Table:
    full_name: str
    owner: str | None
    writer_job: str | None  # job name that refreshes it daily
    monitored: bool


@dataclass(frozen=True)
class Population:
    seed: int
    account_id: str
    metastore_id: str
    workspaces: tuple[Workspace, ...]
    users: tuple[Person, ...]
    service_principals: tuple[Person, ...]
    warehouses: tuple[SqlWarehouse, ...]
    clusters: tuple[Cluster, ...]
    jobs: tuple[Job, ...]
    tables: tuple[Table, ...]

    @property
    def people(self) -> tuple[Person, ...]:
        return self.users + self.service_principals

    def job(self, name: str) -> Job:
        return next(job for job in self.jobs if job.name == name)

    def warehouse(self, name: str) -> SqlWarehouse:
        return next(w for w in self.warehouses if w.name == name)

    def workspace(self, name: str) -> Workspace:
        return next(w for w in self.workspaces if w.name == name)

    def person(self, name: str) -> Person:
        return next(p for p in self.people if name in (p.name, p.application_id))


def rng_for(seed: int, topic: str) -> random.Random:
    """A generator of its own for each topic, so adding rows to one table moves no other."""
    return random.Random(f"lakechat-demo:{seed}:{topic}")


def stable_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# -- names -------------------------------------------------------------------------------
_DEFAULT_WORKSPACES = ("prod-analytics", "ml-platform", "dev-sandbox")
_REGIONS = ("emea", "apac", "amer", "nordics", "latam", "dach")
_AREAS = ("insights", "platform", "lab", "core", "reporting", "science", "ops")

_FIRST = tuple(
    "alice bruno chen dana emeka fatima gita hugo ines jonas kemal lena marta nadia "
    "omar priya quinn rosa sven tariq uma victor wen yara zoe aiko ben carla diego "
    "elif farah goran hana ivan jade kofi lior mei nils olga".split()
)
_LAST = tuple(
    "adams becker costa dubois eriksen fischer garcia haddad ito jensen kowalski "
    "lopez moreau nakamura okafor petrov quispe rossi schmidt tanaka ueda varga "
    "weber xu yilmaz zhang".split()
)

#: The default seed's jobs: (name, team, schedule, hour, weekdays_only, minutes, writes)
_DEFAULT_JOBS: tuple[tuple[str, str, str, int, bool, float, str | None], ...] = (
    ("orders_ingest", "data-eng", "daily", 6, False, 18, "main.sales.orders"),
    ("ml_scoring_hourly", "ml", "hourly", 0, False, 6, None),
    ("finance_daily_close", "finance", "daily", 7, False, 35, "main.finance.gl_entries"),
    ("crm_sync", "sales-ops", "every_4h", 1, False, 9, "main.sales.customers"),
    ("sessionize_events", "analytics", "nightly", 2, False, 24, None),
    ("nightly_feature_backfill", "ml", "nightly", 1, False, 40, None),
    ("orders_daily_rollup", "data-eng", "nightly", 3, False, 12, "main.sales.orders_daily"),
    (
        "learning_features_daily",
        "learning",
        "nightly",
        4,
        False,
        15,
        "main.learning.student_daily_features",
    ),
    (
        "dropout_risk_scoring",
        "learning",
        "daily",
        8,
        False,
        10,
        "main.learning.student_dropout_risk",
    ),
    (
        "module_assignments_sync",
        "learning",
        "every_4h",
        0,
        False,
        5,
        "main.learning.module_assignments",
    ),
    ("hr_employees_sync", "hr-people", "daily", 6, True, 7, "main.hr.employees"),
    ("payroll_export", "hr-people", "weekly", 5, True, 22, None),
    ("invoice_matching", "finance", "daily", 9, True, 14, "main.finance.invoices"),
    ("budget_snapshot", "finance", "weekly", 4, True, 8, None),
    ("clickstream_compaction", "data-eng", "nightly", 0, False, 30, None),
    ("web_events_ingest", "data-eng", "hourly", 0, False, 4, None),
    ("inventory_snapshot", "data-eng", "daily", 6, False, 11, None),
    ("churn_model_training", "ml", "weekly", 2, False, 95, None),
    ("recommendations_refresh", "ml", "nightly", 3, False, 28, None),
    ("feature_store_sync", "ml", "every_4h", 2, False, 12, None),
    ("dashboard_extracts", "analytics", "daily", 7, True, 9, None),
    ("kpi_rollup", "analytics", "nightly", 5, False, 13, None),
    ("marketing_attribution", "analytics", "daily", 8, True, 26, None),
    ("support_tickets_ingest", "sales-ops", "hourly", 0, False, 3, None),
    ("lead_scoring", "sales-ops", "daily", 7, True, 8, None),
    ("vacuum_maintenance", "data-eng", "weekly", 1, False, 45, None),
    ("cost_report_export", "finance", "daily", 9, True, 6, None),
    ("audit_log_archive", "data-eng", "nightly", 0, False, 10, None),
    ("pii_scanner", "data-eng", "weekly", 3, False, 33, None),
    ("survey_results_load", "learning", "daily", 9, True, 5, "main.learning.career_surveys"),
    ("curriculum_metrics", "learning", "nightly", 5, False, 9, None),
    ("exchange_rates_load", "finance", "daily", 6, True, 2, None),
    ("returns_processing", "data-eng", "daily", 8, False, 12, None),
    ("geo_enrichment", "analytics", "nightly", 4, False, 17, None),
    ("ab_test_readout", "analytics", "daily", 9, True, 11, None),
    ("model_monitoring", "ml", "every_4h", 3, False, 7, None),
    ("shipment_tracking", "data-eng", "hourly", 0, False, 2, None),
    ("headcount_report", "hr-people", "weekly", 6, True, 4, None),
    ("price_index_refresh", "sales-ops", "nightly", 2, False, 8, None),
    ("data_contracts_check", "data-eng", "daily", 6, False, 3, None),
)

_SUBJECTS = tuple(
    "payments claims shipments tickets leads invoices sensors ledger campaigns "
    "returns pricing fraud churn forecast vendors sessions inventory contracts "
    "telemetry reviews subscriptions refunds devices".split()
)
_ACTIONS = tuple(
    "ingest sync rollup backfill scoring export close dedupe snapshot enrich "
    "compaction load refresh audit".split()
)

_DEFAULT_WAREHOUSES = (
    # name, type, serverless, size, max clusters, queries/busy hour, team
    ("bi-serverless", "PRO", True, "Medium", 4, 9, "analytics"),
    ("adhoc-classic", "CLASSIC", False, "Small", 1, 4, "analytics"),
    ("finance-reporting", "PRO", False, "Small", 2, 3, "finance"),
    ("ml-feature-sql", "PRO", True, "Large", 2, 2, "ml"),
    ("sales-dashboards", "PRO", True, "Small", 3, 5, "sales-ops"),
    ("hr-analytics", "PRO", False, "X-Small", 1, 1, "hr-people"),
    ("learning-insights", "PRO", True, "Small", 2, 3, "learning"),
    ("etl-sql", "PRO", False, "Medium", 2, 2, "data-eng"),
    ("genie-spaces", "PRO", True, "Small", 2, 2, "analytics"),
    ("dev-scratch", "CLASSIC", False, "2X-Small", 1, 1, "data-eng"),
)
_WAREHOUSE_WORDS = ("bi", "adhoc", "reporting", "dash", "explore", "serving", "sql", "genie")
_SIZES = ("2X-Small", "X-Small", "Small", "Medium", "Large")

#: main catalog tables: (full name, owner team, monitored)
MAIN_TABLES: tuple[tuple[str, str | None, bool], ...] = (
    ("main.sales.customers", "sales-ops", True),
    ("main.sales.orders", "data-eng", True),
    ("main.sales.orders_daily", "data-eng", True),
    ("main.sales.products", "sales-ops", False),
    ("main.sales.tmp_export", "data-eng", False),
    ("main.hr.employees", "hr-people", True),
    ("main.hr.salaries", "hr-people", False),
    ("main.hr.performance_reviews", "hr-people", False),
    ("main.finance.gl_entries", "finance", True),
    ("main.finance.invoices", "finance", True),
    ("main.finance.budgets", "finance", False),
    ("main.learning.students", "learning", False),
    ("main.learning.learning_modules", "learning", False),
    ("main.learning.module_assignments", "learning", True),
    ("main.learning.student_daily_features", "learning", True),
    ("main.learning.student_dropout_risk", "learning", True),
    ("main.learning.career_surveys", "learning", False),
)


def build_population(seed: int) -> Population:
    """The account for ``seed``: the documented names for the default seed, drawn ones else."""
    rng = rng_for(seed, "population")
    default = seed == DEFAULT_SEED
    workspace_names = (
        _DEFAULT_WORKSPACES
        if default
        else tuple(
            f"{region}-{area}"
            for region, area in zip(rng.sample(_REGIONS, 3), rng.sample(_AREAS, 3), strict=True)
        )
    )
    workspaces = tuple(
        Workspace(str(rng.randrange(10**15, 10**16)), name) for name in workspace_names
    )
    users = _users(rng, default)
    sps = tuple(
        Person(str(rng.randrange(10**14, 10**15)), f"sp-{team}-{suffix}", team, stable_uuid(rng))
        for team, suffix in zip(
            ("data-eng", "ml", "finance", "analytics", "learning"),
            ("etl", "scoring", "close", "reports", "features"),
            strict=True,
        )
    )
    warehouses = _warehouses(rng, default, workspaces)
    clusters, jobs = _jobs_and_clusters(rng, default, workspaces, users, sps)
    writers = {job.writes: job.name for job in jobs if job.writes}
    owners = {team: next(u.name for u in users if u.team == team) for team in TEAMS}
    tables = tuple(
        Table(name, owners[team] if team else None, writers.get(name), monitored)
        for name, team, monitored in MAIN_TABLES
    )
    return Population(
        seed=seed,
        account_id=stable_uuid(rng),
        metastore_id=stable_uuid(rng),
        workspaces=workspaces,
        users=users,
        service_principals=sps,
        warehouses=warehouses,
        clusters=clusters,
        jobs=jobs,
        tables=tables,
    )


def _users(rng: random.Random, default: bool) -> tuple[Person, ...]:
    firsts = rng.sample(_FIRST, 27)
    lasts = [rng.choice(_LAST) for _ in firsts]
    people = [
        Person(str(rng.randrange(10**14, 10**15)), f"{f}.{la}@example.com", TEAMS[i % len(TEAMS)])
        for i, (f, la) in enumerate(zip(firsts, lasts, strict=True))
    ]
    letters = ["x", "y", "z"] if default else rng.sample("abcdefghjkmnpqrstuvw", 3)
    people += [
        Person(
            str(rng.randrange(10**14, 10**15)), f"contractor.{letter}@example.com", "contractors"
        )
        for letter in letters
    ]
    return tuple(people)


def _warehouses(
    rng: random.Random, default: bool, workspaces: tuple[Workspace, ...]
) -> tuple[SqlWarehouse, ...]:
    if default:
        specs = list(_DEFAULT_WAREHOUSES)
    else:
        names: list[str] = []
        while len(names) < len(_DEFAULT_WAREHOUSES):
            name = f"{rng.choice(_WAREHOUSE_WORDS)}-{rng.choice(_SUBJECTS)}"
            if name not in names:
                names.append(name)
        specs = [
            (name, *spec[1:3], rng.choice(_SIZES), *spec[4:])
            for name, spec in zip(names, _DEFAULT_WAREHOUSES, strict=True)
        ]
    return tuple(
        SqlWarehouse(
            warehouse_id=f"{rng.getrandbits(64):016x}",
            # the first two (the performance incidents' warehouses) live in the first workspace
            workspace_id=workspaces[0 if i < 2 else i % len(workspaces)].workspace_id,
            name=name,
            warehouse_type=kind,
            serverless=serverless,
            size=size,
            max_clusters=max_clusters,
            auto_stop_minutes=5 if serverless else 20,
            team=team,
            queries_per_busy_hour=rate,
        )
        for i, (name, kind, serverless, size, max_clusters, rate, team) in enumerate(specs)
    )


def _jobs_and_clusters(
    rng: random.Random,
    default: bool,
    workspaces: tuple[Workspace, ...],
    users: tuple[Person, ...],
    sps: tuple[Person, ...],
) -> tuple[tuple[Cluster, ...], tuple[Job, ...]]:
    specs = list(_DEFAULT_JOBS)
    if not default:
        names: list[str] = []
        while len(names) < len(specs):
            name = f"{rng.choice(_SUBJECTS)}_{rng.choice(_ACTIONS)}"
            if name not in names:
                names.append(name)
        # same shapes (the incidents need a daily, an hourly, a 4-hourly and nightly jobs),
        # other names, and the shapes dealt to other positions
        shapes = [spec[1:] for spec in specs]
        head, tail = shapes[:10], shapes[10:]
        rng.shuffle(tail)
        specs = [(name, *shape) for name, shape in zip(names, head + tail, strict=True)]
    clusters: list[Cluster] = []
    for i in range(10):
        team = TEAMS[i % len(TEAMS)]
        owner = next(u for u in users if u.team == team)
        clusters.append(
            Cluster(
                cluster_id=_cluster_id(rng),
                workspace_id=workspaces[i % len(workspaces)].workspace_id,
                name=f"{team}-{('shared', 'interactive', 'gpu', 'etl')[i % 4]}-{i + 1}",
                owner=owner.name,
                source="UI" if i % 3 else "API",
                node_type=rng.choice(("i3.xlarge", "m5d.2xlarge", "r5d.2xlarge", "c5d.4xlarge")),
                workers=rng.choice((2, 4, 8)),
                team=team,
            )
        )
    jobs: list[Job] = []
    for index, (name, team, schedule, hour, weekdays, minutes, writes) in enumerate(specs):
        # job 5 (nightly_feature_backfill and its stand-ins) runs on an all-purpose cluster
        workspace = workspaces[0] if index < 10 else workspaces[index % len(workspaces)]
        all_purpose = index == 5
        owner = rng.choice([u for u in users if u.team == team] or list(users))
        run_as = next((sp for sp in sps if sp.team == team), owner)
        cluster = (
            next(c for c in clusters if c.workspace_id == workspace.workspace_id)
            if all_purpose
            else None
        )
        workers = rng.choice((2, 4, 6, 8))
        job_cluster = Cluster(
            cluster_id=_cluster_id(rng),
            workspace_id=workspace.workspace_id,
            name=f"job-{name}",
            owner=owner.name,
            source="JOB",
            node_type=rng.choice(("i3.xlarge", "m5d.2xlarge", "r5d.2xlarge")),
            workers=workers,
            team=team,
        )
        if cluster is None:
            clusters.append(job_cluster)
            cluster = job_cluster
        tasks = ("ingest", "transform", "publish")[: 1 + index % 3]
        jobs.append(
            Job(
                job_id=str(rng.randrange(10**14, 10**15)),
                workspace_id=workspace.workspace_id,
                name=name,
                team=team,
                owner=owner.name,
                run_as=run_as.identity,
                schedule=schedule,
                hour=hour,
                minute=rng.randrange(0, 50),
                weekdays_only=weekdays,
                median_minutes=minutes,
                tasks=tasks,
                cluster_id=cluster.cluster_id,
                compute="ALL_PURPOSE" if all_purpose else "JOBS",
                workers=cluster.workers,
                writes=writes,
            )
        )
    return tuple(clusters), tuple(jobs)


def _cluster_id(rng: random.Random) -> str:
    return (
        f"{rng.randrange(1000, 9999):04d}-{rng.randrange(100000, 999999)}-{rng.getrandbits(32):08x}"
    )
