"""Performance: slow statements, disk spill and queueing on SQL warehouses.

Statements come from ``system.query.history``; warehouse names from the newest row of each
warehouse in ``system.compute.warehouses``.
"""

# The statements' text holds no values: each is a :marker the runner binds as a literal.

from __future__ import annotations

import datetime as dt
from typing import Any

from lakechat.monitor.base import Chart, Context, Finding, Outcome, Param
from lakechat.monitor.registry import analyzer
from lakechat.monitor.runner import AnalysisRunner

TABLES = ("system.query.history", "system.compute.warehouses")
HOURS = Param("hours", "int", 24, "hours of statements", minimum=1, maximum=24 * 90)


#: ``warehouses`` (the newest name of each) and ``q`` (statements started between :since and
#: :now, of :workspace or all when it is NULL)
STATEMENTS = """warehouses AS (
  SELECT warehouse_id, warehouse_name FROM (
    SELECT warehouse_id, warehouse_name, row_number() OVER (
      PARTITION BY warehouse_id ORDER BY change_time DESC) AS newest
    FROM system.compute.warehouses) AS w
  WHERE newest = 1),
q AS (
  SELECT h.statement_id, h.executed_by, h.execution_status, h.start_time,
         h.compute.warehouse_id AS warehouse_id,
         coalesce(warehouses.warehouse_name, h.compute.warehouse_id) AS warehouse,
         h.total_duration_ms, h.waiting_at_capacity_duration_ms,
         h.waiting_for_compute_duration_ms, h.spilled_local_bytes, h.read_bytes,
         substr(h.statement_text, 1, 200) AS statement
  FROM system.query.history AS h
  LEFT JOIN warehouses ON warehouses.warehouse_id = h.compute.warehouse_id
  WHERE h.start_time >= :since AND h.start_time < :now AND h.compute.warehouse_id IS NOT NULL
    AND (:workspace IS NULL OR h.workspace_id = :workspace))"""


def scope(ctx: Context) -> dict[str, Any]:
    """The values of ``STATEMENTS``: the last ``hours`` before the window's end."""
    since = ctx.window.now - dt.timedelta(hours=ctx.params["hours"])
    return {"since": since, "now": ctx.window.now, "workspace": ctx.workspace_id}


def _gib(value: float | None) -> str:
    return f"{(value or 0) / 2**30:,.1f} GiB"


@analyzer(
    "performance.slow_queries",
    "performance",
    "Slow queries",
    "Statements that ran longer than the threshold, and the warehouses that ran many.",
    tables=TABLES,
    params=(
        HOURS,
        Param(
            "threshold_seconds", "int", 600, "a statement is slow after", minimum=1, maximum=86_400
        ),
        Param(
            "min_count", "int", 3, "slow statements a warehouse needs", minimum=1, maximum=1_000_000
        ),
    ),
    keywords=("slow", "slow queries", "long running", "longest", "slowest"),
)
def slow_queries(runner: AnalysisRunner, ctx: Context) -> Outcome:
    threshold_ms = int(ctx.params["threshold_seconds"]) * 1000
    done, rows = runner.rows(
        f"WITH {STATEMENTS}\n"
        "SELECT statement_id, warehouse, warehouse_id, executed_by, start_time,\n"
        "  total_duration_ms, spilled_local_bytes, statement\n"
        "FROM q WHERE total_duration_ms > :threshold_ms\n"
        "ORDER BY total_duration_ms DESC",
        **scope(ctx),
        threshold_ms=threshold_ms,
    )
    per: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        per.setdefault(str(row["warehouse"]), []).append(row)
    findings: list[Finding] = []
    for warehouse, slow in per.items():
        if len(slow) < ctx.params["min_count"]:
            continue
        spilling = sum(1 for r in slow if (r["spilled_local_bytes"] or 0) > 0)
        longest = max(int(r["total_duration_ms"] or 0) for r in slow)
        findings.append(
            ctx.finding(
                "slow_queries",
                "high" if len(slow) >= 5 else "medium",
                warehouse,
                f"{warehouse} ran {len(slow)} statements over "
                f"{ctx.params['threshold_seconds'] // 60} minutes in {ctx.params['hours']} h "
                f"({spilling} spilled to disk; the longest {longest / 60000:.0f} min)",
                sql=done.source,
                evidence={
                    "warehouse_id": slow[0]["warehouse_id"],
                    "slow_statements": len(slow),
                    "spilling": spilling,
                    "longest_ms": longest,
                    "statement_ids": [r["statement_id"] for r in slow[:10]],
                },
                score=len(slow) + spilling / 10,
                time=max(r["start_time"] for r in slow),
            )
        )
    summary = (
        f"{len(rows)} statements ran longer than {ctx.params['threshold_seconds']} s in the "
        f"last {ctx.params['hours']} h" + (f", most on {findings[0].entity}" if findings else "")
    )
    return Outcome((done,), tuple(findings), summary, Chart("table", title="Slow statements"))


@analyzer(
    "performance.disk_spill",
    "performance",
    "Disk spill",
    "Statements that spilled to local disk (memory pressure), per warehouse.",
    tables=TABLES,
    params=(
        HOURS,
        Param(
            "min_count", "int", 5, "spilling statements that count", minimum=1, maximum=1_000_000
        ),
    ),
    keywords=("spill", "spilled", "spilling", "memory", "disk"),
)
def disk_spill(runner: AnalysisRunner, ctx: Context) -> Outcome:
    done, rows = runner.rows(
        f"WITH {STATEMENTS}\n"
        "SELECT warehouse, warehouse_id, count(*) AS spilling_statements,\n"
        "  sum(spilled_local_bytes) AS spilled_bytes, max(total_duration_ms) AS longest_ms\n"
        "FROM q WHERE spilled_local_bytes > 0\n"
        "GROUP BY warehouse, warehouse_id ORDER BY spilling_statements DESC",
        **scope(ctx),
    )
    findings = tuple(
        ctx.finding(
            "disk_spill",
            "medium",
            row["warehouse"],
            f"{row['warehouse']}: {row['spilling_statements']} statements spilled "
            f"{_gib(row['spilled_bytes'])} to disk in {ctx.params['hours']} h",
            sql=done.source,
            evidence={
                "warehouse_id": row["warehouse_id"],
                "spilling_statements": row["spilling_statements"],
                "spilled_bytes": row["spilled_bytes"],
            },
            score=float(row["spilling_statements"]),
            time=ctx.window.now,
        )
        for row in rows
        if row["spilling_statements"] >= ctx.params["min_count"]
    )
    total = sum(r["spilling_statements"] for r in rows)
    summary = f"{total} statements spilled to disk in the last {ctx.params['hours']} h"
    return Outcome((done,), findings, summary, Chart("bar", "warehouse", "spilling_statements"))


@analyzer(
    "performance.queue_time",
    "performance",
    "Queue time per warehouse",
    "How long statements waited for a free slot (at capacity) and for compute to start.",
    tables=TABLES,
    params=(
        HOURS,
        Param("threshold_seconds", "int", 60, "p95 wait that counts", minimum=1, maximum=86_400),
    ),
    keywords=("queue", "queued", "queueing", "waiting", "wait", "capacity", "concurrency"),
)
def queue_time(runner: AnalysisRunner, ctx: Context) -> Outcome:
    done, rows = runner.rows(
        f"WITH {STATEMENTS}\n"
        "SELECT warehouse, warehouse_id, count(*) AS statements,\n"
        "  percentile_cont(0.95) WITHIN GROUP (ORDER BY waiting_at_capacity_duration_ms)"
        " AS p95_queue_ms,\n"
        "  avg(waiting_at_capacity_duration_ms) AS avg_queue_ms,\n"
        "  percentile_cont(0.95) WITHIN GROUP (ORDER BY waiting_for_compute_duration_ms)"
        " AS p95_startup_ms\n"
        "FROM q GROUP BY warehouse, warehouse_id ORDER BY p95_queue_ms DESC",
        **scope(ctx),
    )
    limit_ms = int(ctx.params["threshold_seconds"]) * 1000
    findings = tuple(
        ctx.finding(
            "queue_time",
            "high" if row["p95_queue_ms"] >= 2 * limit_ms else "medium",
            row["warehouse"],
            f"{row['warehouse']}: statements waited up to {row['p95_queue_ms'] / 1000:.0f} s "
            f"(p95) for a free slot in {ctx.params['hours']} h; consider more clusters",
            sql=done.source,
            evidence={
                "warehouse_id": row["warehouse_id"],
                "p95_queue_ms": round(float(row["p95_queue_ms"])),
                "avg_queue_ms": round(float(row["avg_queue_ms"] or 0)),
                "statements": row["statements"],
            },
            score=float(row["p95_queue_ms"]) / 1000,
            time=ctx.window.now,
        )
        for row in rows
        if row["p95_queue_ms"] is not None and row["p95_queue_ms"] >= limit_ms
    )
    worst = rows[0] if rows else None
    summary = (
        f"the longest p95 queue was {worst['warehouse']}'s: {worst['p95_queue_ms'] / 1000:.0f} s"
        if worst and worst["p95_queue_ms"] is not None
        else "no statements in the window"
    )
    return Outcome((done,), findings, summary, Chart("bar", "warehouse", "p95_queue_ms", summary))


@analyzer(
    "performance.p95_query_duration",
    "performance",
    "Query duration (p95)",
    "The 95th percentile and median statement time per warehouse.",
    tables=TABLES,
    params=(HOURS,),
    keywords=("p95", "percentile", "latency", "query duration", "how long do queries"),
    in_overview=False,
)
def p95_query_duration(runner: AnalysisRunner, ctx: Context) -> Outcome:
    done, rows = runner.rows(
        f"WITH {STATEMENTS}\n"
        "SELECT warehouse, count(*) AS statements,\n"
        "  percentile_cont(0.95) WITHIN GROUP (ORDER BY total_duration_ms) AS p95_ms,\n"
        "  median(total_duration_ms) AS median_ms\n"
        "FROM q GROUP BY warehouse ORDER BY p95_ms DESC",
        **scope(ctx),
    )
    worst = rows[0] if rows else None
    summary = (
        f"{worst['warehouse']} has the slowest p95: {worst['p95_ms'] / 1000:.1f} s "
        f"over {worst['statements']} statements"
        if worst and worst["p95_ms"] is not None
        else "no statements with a duration in the window"
    )
    return Outcome((done,), (), summary, Chart("bar", "warehouse", "p95_ms", summary))
