"""lakeflow.jobs, job_run_timeline and job_task_run_timeline, and the usage the runs bill.

Runs follow each job's schedule (hourly, every 4 hours, nightly, daily, weekly; some only
on weekdays). As on Databricks, a run is cut into one timeline row per clock hour it spans,
and only its last row carries ``result_state``, ``termination_code`` and the durations.
The reliability incidents and the cost spike are made here, from the plan.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, replace
from typing import Any

from lakechat.lakehouse.system.billing import (
    ALL_PURPOSE,
    JOBS,
    JOBS_PHOTON,
    NODE_DBUS,
    MutableUsage,
    hourly_slices,
)
from lakechat.lakehouse.system.plan import TODAY_FAILURE_CODES, IncidentPlan
from lakechat.lakehouse.system.population import Job, Population, rng_for

ROUTINE_FAILURES = (
    ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
    ("DRIVER_ERROR", "INTERNAL_ERROR"),
    ("CLUSTER_ERROR", "CLOUD_FAILURE"),
    ("STORAGE_ACCESS_ERROR", "CLIENT_ERROR"),
)
TERMINATION_TYPES = {
    "RUN_EXECUTION_ERROR": "CLIENT_ERROR",
    "CLUSTER_ERROR": "CLOUD_FAILURE",
    "DRIVER_ERROR": "INTERNAL_ERROR",
}


@dataclass(frozen=True)
class Run:
    job: Job
    run_id: str
    start: dt.datetime
    end: dt.datetime
    queue_seconds: int
    setup_seconds: int
    cleanup_seconds: int
    result_state: str
    termination_code: str
    termination_type: str


def scheduled_starts(job: Job, day: dt.date) -> list[float]:
    """Hours of the day (UTC) at which ``job`` starts on ``day``."""
    if job.weekdays_only and day.weekday() >= 5:
        return []
    minute = job.minute / 60
    if job.schedule == "hourly":
        return [h + minute for h in range(24)]
    if job.schedule == "every_4h":
        return [h + minute for h in range(job.hour % 4, 24, 4)]
    if job.schedule == "weekly":
        return [job.hour + minute] if day.weekday() == 0 else []
    return [job.hour + minute]


def generate_runs(population: Population, plan: IncidentPlan) -> list[Run]:
    clock = plan.clock
    paused_at = clock.at(clock.as_of - dt.timedelta(days=4), 0)
    paused = set(plan.paused_jobs)
    runs: list[Run] = []
    for job in population.jobs:
        rng = rng_for(population.seed, f"runs:{job.name}")
        for day in clock.days():
            for hour in scheduled_starts(job, day):
                start = clock.at(day, hour) + dt.timedelta(seconds=rng.randrange(0, 50))
                if start >= clock.snapshot or (job.name in paused and start >= paused_at):
                    continue
                minutes = job.median_minutes * rng.lognormvariate(0, 0.22)
                if job == plan.slow_job and start >= clock.snapshot - dt.timedelta(days=7):
                    minutes *= 3.2
                if job == plan.cost_job and day == clock.yesterday:
                    minutes = 9.5 * 60  # the backfill re-ran thirty days of features
                runs.append(_run(job, rng, start, minutes))
    return _with_outcomes(runs, plan, population.seed)


def _run(job: Job, rng: random.Random, start: dt.datetime, minutes: float) -> Run:
    queue = rng.randrange(0, 25)
    setup = rng.randrange(40, 160) if job.compute == "JOBS" else 0
    return Run(
        job=job,
        run_id=str(rng.randrange(10**14, 10**15)),
        start=start,
        end=start + dt.timedelta(seconds=queue + setup + minutes * 60),
        queue_seconds=queue,
        setup_seconds=setup,
        cleanup_seconds=rng.randrange(3, 30),
        result_state="SUCCEEDED",
        termination_code="SUCCESS",
        termination_type="SUCCESS",
    )


def _with_outcomes(runs: list[Run], plan: IncidentPlan, seed: int) -> list[Run]:
    rng = rng_for(seed, "run-outcomes")
    clock = plan.clock
    flaky_since = clock.snapshot - dt.timedelta(days=14)
    # only the planned jobs fail today, so "what failed today" has one answer
    flaky = [
        r
        for r in runs
        if r.job == plan.flaky_job and flaky_since <= r.start and r.start.date() < clock.as_of
    ]
    flaky_failed = {r.run_id for r in rng.sample(flaky, math.ceil(len(flaky) * 0.3))}
    failing_today: dict[str, str] = {}
    for job, today_code in zip(plan.failed_today, TODAY_FAILURE_CODES, strict=True):
        today = [r for r in runs if r.job == job and r.start.date() == clock.as_of]
        for run in today[-3:]:  # an hourly job fails its last three runs; a daily one its run
            failing_today[run.run_id] = today_code
    result = []
    for run in runs:
        code: str | None = failing_today.get(run.run_id)
        if code is None and run.run_id in flaky_failed:
            code = "RUN_EXECUTION_ERROR"
        routine = run.job not in plan.failed_today and run.start.date() < clock.as_of
        if code is None and routine and rng.random() < 0.02:
            code = rng.choice(ROUTINE_FAILURES)[0]
        if code is None:
            result.append(run)
            continue
        result.append(
            replace(
                run,
                end=run.start + (run.end - run.start) * rng.uniform(0.2, 0.9),
                result_state="FAILED",
                termination_code=code,
                termination_type=TERMINATION_TYPES.get(code, "CLIENT_ERROR"),
            )
        )
    return result


def timeline_rows(population: Population, runs: list[Run]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        slices = hourly_slices(run.start, run.end)
        total = int((run.end - run.start).total_seconds())
        for index, (start, end) in enumerate(slices):
            last = index == len(slices) - 1
            rows.append(
                {
                    "account_id": population.account_id,
                    "workspace_id": run.job.workspace_id,
                    "job_id": run.job.job_id,
                    "run_id": run.run_id,
                    "period_start_time": start,
                    "period_end_time": end,
                    "trigger_type": "CRON",
                    "result_state": run.result_state if last else None,
                    "run_type": "JOB_RUN",
                    "run_name": run.job.name,
                    "compute_ids": [run.job.cluster_id],
                    "termination_code": run.termination_code if last else None,
                    "job_parameters": {},
                    "compute": [{"type": "CLUSTER", "cluster_id": run.job.cluster_id}],
                    "termination_type": run.termination_type if last else None,
                    "setup_duration_seconds": run.setup_seconds if last else None,
                    "queue_duration_seconds": run.queue_seconds if last else None,
                    "run_duration_seconds": total if last else None,
                    "cleanup_duration_seconds": run.cleanup_seconds if last else None,
                    "execution_duration_seconds": (
                        max(0, total - run.queue_seconds - run.setup_seconds) if last else None
                    ),
                }
            )
    return rows


def task_rows(population: Population, runs: list[Run]) -> list[dict[str, Any]]:
    rng = rng_for(population.seed, "task-runs")
    rows = []
    for run in runs:
        tasks = run.job.tasks
        span = (run.end - run.start) / len(tasks)
        for index, task in enumerate(tasks):
            start = run.start + span * index
            failed = run.result_state == "FAILED" and index == len(tasks) - 1
            rows.append(
                {
                    "account_id": population.account_id,
                    "workspace_id": run.job.workspace_id,
                    "job_id": run.job.job_id,
                    "run_id": str(rng.randrange(10**14, 10**15)),
                    "job_run_id": run.run_id,
                    "parent_run_id": run.run_id,
                    "period_start_time": start,
                    "period_end_time": start + span,
                    "task_key": task,
                    "compute_ids": [run.job.cluster_id],
                    "result_state": "FAILED" if failed else "SUCCEEDED",
                    "termination_code": run.termination_code if failed else "SUCCESS",
                    "compute": [{"type": "CLUSTER", "cluster_id": run.job.cluster_id}],
                    "termination_type": run.termination_type if failed else "SUCCESS",
                    "task_parameters": {},
                    "setup_duration_seconds": run.setup_seconds if index == 0 else 0,
                    "cleanup_duration_seconds": run.cleanup_seconds,
                    "execution_duration_seconds": int(span.total_seconds()),
                }
            )
    return rows


def run_usage(population: Population, runs: list[Run]) -> list[MutableUsage]:
    clusters = {c.cluster_id: c for c in population.clusters}
    records = []
    for run in runs:
        cluster = clusters[run.job.cluster_id]
        photon = run.job.team in ("ml", "analytics")
        sku = ALL_PURPOSE if run.job.compute == "ALL_PURPOSE" else (JOBS_PHOTON if photon else JOBS)
        rate = NODE_DBUS[cluster.node_type] * (cluster.workers + 1)
        for start, end in hourly_slices(run.start, run.end):
            records.append(
                MutableUsage(
                    workspace_id=run.job.workspace_id,
                    sku=sku,
                    start=start,
                    end=end,
                    dbus=rate * (end - start).total_seconds() / 3600,
                    entity=f"job:{run.job.job_id}",
                    metadata={
                        "cluster_id": cluster.cluster_id,
                        "job_id": run.job.job_id,
                        "job_run_id": run.run_id,
                        "node_type": cluster.node_type,
                        "job_name": run.job.name,
                        "run_name": run.job.name,
                    },
                    run_as=run.job.run_as,
                    origin="JOBS" if run.job.compute == "JOBS" else "ALL_PURPOSE",
                    features={
                        "jobs_tier": "PREMIUM" if run.job.compute == "JOBS" else None,
                        "is_serverless": False,
                        "is_photon": photon,
                    },
                )
            )
    return records


def job_rows(
    population: Population, plan: IncidentPlan, tags: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """One row per job version: created 200 days ago; the paused ones have a second row."""
    clock = plan.clock
    created = clock.at(clock.first_day - dt.timedelta(days=110), 9)
    paused_at = clock.at(clock.as_of - dt.timedelta(days=4), 0) - dt.timedelta(minutes=17)
    rows = []
    for job in population.jobs:
        base = {
            "account_id": population.account_id,
            "workspace_id": job.workspace_id,
            "job_id": job.job_id,
            "name": job.name,
            "creator_id": population.person(job.owner).user_id,
            "tags": tags.get(f"job:{job.job_id}", {}),
            "run_as": job.run_as,
            "change_time": created,
            "delete_time": None,
            "description": f"{job.schedule} {job.name.replace('_', ' ')} ({job.team})",
            "trigger": {"schedule": {"quartz_cron_expression": _cron(job), "timezone_id": "UTC"}},
            "trigger_type": "CRON",
            "run_as_user_name": job.run_as,
            "creator_user_name": job.owner,
            "paused": False,
            "timeout_seconds": 0,
            "health_rules": None,
            "deployment": None,
            "create_time": created,
        }
        rows.append(base)
        if job.name in plan.paused_jobs:
            rows.append({**base, "change_time": paused_at, "paused": True})
    return rows


def _cron(job: Job) -> str:
    days = "MON-FRI" if job.weekdays_only else "*"
    hours = {
        "hourly": "*",
        "every_4h": f"{job.hour % 4}/4",
        "weekly": str(job.hour),
    }.get(job.schedule, str(job.hour))
    weekday = "MON" if job.schedule == "weekly" else days
    return f"0 {job.minute} {hours} ? * {weekday}"
