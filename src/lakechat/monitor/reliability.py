"""Reliability: job runs that failed, flap, slow down or need retries.

A run's outcome is on its last row of ``system.lakeflow.job_run_timeline`` (the rows of a
long run are hourly slices; only the last carries ``result_state``). Job names come from
the newest row of each job in ``system.lakeflow.jobs``.
"""

# The statements' text holds no values: each is a :marker the runner binds as a literal.

from __future__ import annotations

import datetime as dt
from typing import Any

from lakechat.monitor.base import Chart, Context, Finding, Outcome, Param
from lakechat.monitor.registry import analyzer
from lakechat.monitor.runner import AnalysisRunner

TABLES = ("system.lakeflow.job_run_timeline", "system.lakeflow.jobs")
FAILED = "('FAILED', 'ERROR', 'TIMED_OUT')"


#: ``jobs`` (the newest name of each job) and ``runs`` (runs that finished between :since
#: and :now, of :workspace or all when it is NULL)
RUNS = """jobs AS (
  SELECT workspace_id, job_id, name FROM (
    SELECT workspace_id, job_id, name, row_number() OVER (
      PARTITION BY workspace_id, job_id ORDER BY change_time DESC) AS newest
    FROM system.lakeflow.jobs) AS j
  WHERE newest = 1),
runs AS (
  SELECT t.workspace_id, t.job_id, coalesce(jobs.name, t.job_id) AS job, t.run_id,
         t.result_state, t.termination_code, t.period_end_time AS ended,
         t.run_duration_seconds AS seconds
  FROM system.lakeflow.job_run_timeline AS t
  LEFT JOIN jobs ON jobs.workspace_id = t.workspace_id AND jobs.job_id = t.job_id
  WHERE t.result_state IS NOT NULL AND t.period_end_time >= :since
    AND t.period_end_time < :now AND (:workspace IS NULL OR t.workspace_id = :workspace))"""


def scope(ctx: Context, since: dt.datetime) -> dict[str, Any]:
    """The values of ``RUNS``."""
    return {"since": since, "now": ctx.window.now, "workspace": ctx.workspace_id}


DAYS = Param("days", "int", 7, "days of runs", minimum=1, maximum=90)


@analyzer(
    "reliability.failed_runs_today",
    "reliability",
    "Failed runs of the day",
    "Jobs with failed, errored or timed-out runs on the as-of day (today), with their "
    "termination codes.",
    tables=TABLES,
    per_day=True,
    keywords=(
        "failed",
        "fail",
        "failing",
        "failures",
        "broke",
        "broken",
        "failed today",
        "fail today",
        "failing today",
        "failures today",
    ),
)
def failed_runs_today(runner: AnalysisRunner, ctx: Context) -> Outcome:
    done, rows = runner.rows(
        f"WITH {RUNS}\n"
        "SELECT job, job_id, count(*) AS failed_runs, max(ended) AS last_failure,\n"
        "       max(termination_code) AS termination_code\n"
        f"FROM runs WHERE result_state IN {FAILED}\n"
        "GROUP BY workspace_id, job, job_id ORDER BY failed_runs DESC, last_failure DESC",
        **scope(ctx, ctx.window.today_start),
    )
    findings = tuple(
        ctx.finding(
            "job_failed",
            "high",
            row["job"],
            f"{row['job']} failed {_times(row['failed_runs'])} on {ctx.window.as_of} "
            f"({row['termination_code']}), last at {row['last_failure']:%H:%M} UTC",
            sql=done.source,
            evidence={
                "job_id": row["job_id"],
                "failed_runs_today": row["failed_runs"],
                "termination_code": row["termination_code"],
                "last_failure": row["last_failure"],
            },
            # a failure today outranks a slowdown or a flaky history of the same severity
            score=5.0 + float(row["failed_runs"]),
            time=row["last_failure"],
        )
        for row in rows
    )
    summary = (
        f"{len(rows)} job{'s' if len(rows) != 1 else ''} failed on {ctx.window.as_of}: "
        + ", ".join(f"{r['job']} ({_times(r['failed_runs'])})" for r in rows)
        if rows
        else f"no job failed on {ctx.window.as_of}"
    )
    return Outcome((done,), findings, summary, Chart("bar", "job", "failed_runs", "Failed today"))


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


@analyzer(
    "reliability.success_rate",
    "reliability",
    "Success rate",
    "Runs, failures and the success rate of each job.",
    tables=TABLES,
    params=(DAYS,),
    keywords=("success rate", "succeed", "reliable", "reliability"),
    in_overview=False,
)
def success_rate(runner: AnalysisRunner, ctx: Context) -> Outcome:
    since = ctx.window.now - dt.timedelta(days=ctx.params["days"])
    done, rows = runner.rows(
        f"WITH {RUNS}\n"
        "SELECT job, count(*) AS runs,\n"
        f"  sum(CASE WHEN result_state IN {FAILED} THEN 1 ELSE 0 END) AS failed,\n"
        "  round(avg(CASE WHEN result_state = 'SUCCEEDED' THEN 1.0 ELSE 0.0 END), 4)"
        " AS success_rate\n"
        "FROM runs GROUP BY workspace_id, job_id, job ORDER BY success_rate, runs DESC",
        **scope(ctx, since),
    )
    total = sum(r["runs"] for r in rows)
    failed = sum(r["failed"] for r in rows)
    rate = 1 - failed / total if total else 1.0
    summary = f"{rate:.1%} of {total} runs succeeded in {ctx.params['days']} days"
    return Outcome((done,), (), summary, Chart("bar", "job", "success_rate", summary))


@analyzer(
    "reliability.flaky_jobs",
    "reliability",
    "Flaky jobs",
    "Jobs that fail a share of their runs and succeed the rest.",
    tables=TABLES,
    params=(
        Param("days", "int", 14, "days of runs", minimum=1, maximum=90),
        Param("min_rate", "float", 0.1, "failure share that counts", minimum=0, maximum=1),
        Param("min_runs", "int", 5, "runs a job needs", minimum=1, maximum=100_000),
    ),
    keywords=("flaky", "flaky jobs", "intermittent", "unstable", "flapping", "failed most often"),
)
def flaky_jobs(runner: AnalysisRunner, ctx: Context) -> Outcome:
    since = ctx.window.now - dt.timedelta(days=ctx.params["days"])
    done, rows = runner.rows(
        f"WITH {RUNS}\n"
        "SELECT job, job_id, count(*) AS runs,\n"
        f"  sum(CASE WHEN result_state IN {FAILED} THEN 1 ELSE 0 END) AS failed,\n"
        "  sum(CASE WHEN result_state = 'SUCCEEDED' THEN 1 ELSE 0 END) AS succeeded\n"
        "FROM runs GROUP BY workspace_id, job, job_id ORDER BY failed DESC",
        **scope(ctx, since),
    )
    findings: list[Finding] = []
    for row in rows:
        rate = row["failed"] / row["runs"] if row["runs"] else 0.0
        row["failure_rate"] = rate
        if (
            row["runs"] >= ctx.params["min_runs"]
            and row["failed"] >= 3
            and row["succeeded"] > 0
            and rate >= ctx.params["min_rate"]
        ):
            findings.append(
                ctx.finding(
                    "flaky_job",
                    "high" if rate >= 0.25 else "medium",
                    row["job"],
                    f"{row['job']} failed {row['failed']} of {row['runs']} runs "
                    f"({rate:.0%}) in {ctx.params['days']} days",
                    sql=done.source,
                    evidence={
                        "job_id": row["job_id"],
                        "runs": row["runs"],
                        "failed_runs": row["failed"],
                        "failure_rate": round(rate, 3),
                    },
                    score=rate,
                    time=ctx.window.as_of,
                )
            )
    summary = (
        "; ".join(f.title for f in findings)
        if findings
        else f"no job failed {ctx.params['min_rate']:.0%} or more of its runs"
    )
    return Outcome((done,), tuple(findings), summary, Chart("bar", "job", "failed"))


@analyzer(
    "reliability.duration_regressions",
    "reliability",
    "Duration regressions",
    "Jobs whose successful runs got slower: the median of the recent days against the "
    "weeks before.",
    tables=TABLES,
    params=(
        Param("recent_days", "int", 7, "recent days", minimum=1, maximum=30),
        Param("baseline_days", "int", 21, "days before them", minimum=3, maximum=90),
        Param(
            "threshold",
            "float",
            2.0,
            "recent / baseline median that counts",
            minimum=1,
            maximum=1000,
        ),
    ),
    keywords=("slower", "slow jobs", "regression", "regressions", "duration", "taking longer"),
)
def duration_regressions(runner: AnalysisRunner, ctx: Context) -> Outcome:
    recent, base = ctx.params["recent_days"], ctx.params["baseline_days"]
    split = ctx.window.now - dt.timedelta(days=recent)
    since = split - dt.timedelta(days=base)
    done, rows = runner.rows(
        f"WITH {RUNS}\n"
        "SELECT job, job_id,\n"
        "  median(CASE WHEN ended >= :split THEN seconds END) AS recent_median_s,\n"
        "  median(CASE WHEN ended < :split THEN seconds END) AS baseline_median_s,\n"
        "  sum(CASE WHEN ended >= :split THEN 1 ELSE 0 END) AS recent_runs,\n"
        "  sum(CASE WHEN ended < :split THEN 1 ELSE 0 END) AS baseline_runs\n"
        "FROM runs WHERE result_state = 'SUCCEEDED'\n"
        "GROUP BY workspace_id, job, job_id ORDER BY try_divide(recent_median_s, baseline_median_s) DESC",
        **scope(ctx, since),
        split=split,
    )
    findings: list[Finding] = []
    for row in rows:
        now_s, before_s = row["recent_median_s"], row["baseline_median_s"]
        if not now_s or not before_s or before_s < 60:
            continue
        if row["recent_runs"] < 3 or row["baseline_runs"] < 3:
            continue
        ratio = float(now_s) / float(before_s)
        if ratio >= ctx.params["threshold"]:
            findings.append(
                ctx.finding(
                    "duration_regression",
                    "high" if ratio >= 3 else "medium",
                    row["job"],
                    f"{row['job']} now takes {_minutes(now_s)} (median of {recent} days), "
                    f"{ratio:.1f}x the {_minutes(before_s)} before",
                    sql=done.source,
                    evidence={
                        "job_id": row["job_id"],
                        "recent_median_seconds": float(now_s),
                        "baseline_median_seconds": float(before_s),
                        "ratio": round(ratio, 2),
                    },
                    score=ratio,
                    time=ctx.window.as_of,
                )
            )
    summary = "; ".join(f.title for f in findings) or "no job got markedly slower"
    return Outcome((done,), tuple(findings), summary, Chart("bar", "job", "recent_median_s"))


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "an unknown time"
    return f"{float(seconds) / 60:.0f} min" if seconds >= 120 else f"{float(seconds):.0f} s"


@analyzer(
    "reliability.p95_duration",
    "reliability",
    "Run duration (p95)",
    "The 95th percentile and median of each job's successful run time.",
    tables=TABLES,
    params=(DAYS,),
    keywords=("p95", "percentile", "how long", "run time", "runtime"),
    in_overview=False,
)
def p95_duration(runner: AnalysisRunner, ctx: Context) -> Outcome:
    since = ctx.window.now - dt.timedelta(days=ctx.params["days"])
    done, rows = runner.rows(
        f"WITH {RUNS}\n"
        "SELECT job, count(*) AS runs,\n"
        "  percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds) AS p95_seconds,\n"
        "  median(seconds) AS median_seconds\n"
        "FROM runs WHERE result_state = 'SUCCEEDED'\n"
        "GROUP BY workspace_id, job_id, job ORDER BY p95_seconds DESC",
        **scope(ctx, since),
    )
    top = rows[0] if rows else None
    summary = (
        f"{top['job']} has the longest p95 run time: {_minutes(top['p95_seconds'])}"
        if top
        else "no successful runs"
    )
    return Outcome((done,), (), summary, Chart("bar", "job", "p95_seconds", summary))


@analyzer(
    "reliability.retries",
    "reliability",
    "Retries",
    "Failed runs that were run again soon after, and whether the retry succeeded.",
    tables=TABLES,
    params=(
        DAYS,
        Param("within_minutes", "int", 120, "a retry starts within", minimum=1, maximum=10_080),
    ),
    keywords=("retry", "retries", "retried", "rerun", "re-run"),
)
def retries(runner: AnalysisRunner, ctx: Context) -> Outcome:
    since = ctx.window.now - dt.timedelta(days=ctx.params["days"])
    within = int(ctx.params["within_minutes"])
    done, rows = runner.rows(
        f"WITH {RUNS},\n"  # noqa: S608 (constant fragments; values are :markers)
        "ordered AS (SELECT workspace_id, job, job_id, result_state, ended,\n"
        "  lead(result_state) OVER (PARTITION BY workspace_id, job_id ORDER BY ended)"
        " AS next_state,\n"
        "  lead(ended) OVER (PARTITION BY workspace_id, job_id ORDER BY ended) AS next_ended\n"
        "  FROM runs)\n"
        "SELECT job, job_id, count(*) AS retried,\n"
        "  sum(CASE WHEN next_state = 'SUCCEEDED' THEN 1 ELSE 0 END) AS recovered\n"
        f"FROM ordered WHERE result_state IN {FAILED} AND next_ended IS NOT NULL\n"
        "  AND timestampdiff(MINUTE, ended, next_ended) <= :within\n"
        "GROUP BY workspace_id, job, job_id ORDER BY retried DESC",
        **scope(ctx, since),
        within=within,
    )
    findings = tuple(
        ctx.finding(
            "retries",
            "low",
            row["job"],
            f"{row['job']} needed {row['retried']} retries in {ctx.params['days']} days "
            f"({row['recovered']} recovered)",
            sql=done.source,
            evidence={
                "job_id": row["job_id"],
                "retries": row["retried"],
                "recovered": row["recovered"],
            },
            score=float(row["retried"]),
            time=ctx.window.as_of,
        )
        for row in rows
        if row["retried"] >= 3
    )
    total = sum(r["retried"] for r in rows)
    summary = f"{total} failed runs were retried within {within} minutes"
    return Outcome((done,), findings, summary, Chart("bar", "job", "retried", summary))
