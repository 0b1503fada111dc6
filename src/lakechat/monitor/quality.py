"""Data quality: stale tables, failing checks (monitoring results and null rates) and
tables nobody owns.

Freshness comes from ``system.data_quality_monitoring.table_results``: a table is stale when
its last commit is older than twice its longest usual gap between commits (the 90th
percentile), so it is judged against its own rhythm (weekdays only, hourly, daily), not a
fixed age. Null rates are profiled over the watched catalogs' columns as
``system.information_schema.columns`` lists them; a column whose nulls follow another
column (``completed_date`` is empty exactly while ``status`` is not ``completed``) is
reported as explained, not failing.
"""

# The statements' text holds no values: each is a :marker the runner binds as a literal;
# the profiled tables' and columns' names are quoted identifiers (identifier()).

from __future__ import annotations

from typing import Any

from lakechat.errors import LakechatError
from lakechat.monitor.base import Chart, Context, Finding, Outcome, Param
from lakechat.monitor.registry import analyzer
from lakechat.monitor.runner import AnalysisRunner, Statement, identifier

RESULTS = "system.data_quality_monitoring.table_results"


def _catalogs(runner: AnalysisRunner) -> tuple[str, dict[str, str]]:
    """``(:catalog_0, ...)`` for the watched catalogs, and the values of its markers;
    ``(NULL)`` (no table) when none is watched."""
    values = {f"catalog_{i}": c for i, c in enumerate(runner.watched_catalogs)}
    if not values:
        return "(NULL)", {}
    return "(" + ", ".join(f":{name}" for name in values) + ")", values


@analyzer(
    "data_quality.stale_tables",
    "data_quality",
    "Stale tables",
    "Tables whose last commit is overdue against their own cadence, with the job that writes them.",
    tables=(RESULTS,),
    params=(
        Param("factor", "float", 2.0, "overdue after this many cadences", minimum=1, maximum=100),
    ),
    keywords=("stale", "fresh", "freshness", "outdated", "not updated", "late", "overdue"),
)
def stale_tables(runner: AnalysisRunner, ctx: Context) -> Outcome:
    key = "catalog_name, schema_name, table_name"
    done, rows = runner.rows(
        "WITH results AS (\n"  # noqa: S608 (constant fragments; values are :markers)
        f"  SELECT {key}, event_time, status,\n"
        "    freshness.commit_freshness.last_value AS last_commit,\n"
        "    root_cause_analysis.upstream_jobs AS upstream\n"
        f"  FROM {RESULTS} WHERE event_time < :now),\n"
        f"commits AS (SELECT DISTINCT {key}, last_commit FROM results"
        " WHERE last_commit IS NOT NULL),\n"
        f"gaps AS (SELECT {key}, timestampdiff(MINUTE, lag(last_commit) OVER (\n"
        f"    PARTITION BY {key} ORDER BY last_commit), last_commit) / 60.0 AS gap_hours\n"
        "  FROM commits),\n"
        f"cadence AS (SELECT {key}, median(gap_hours) AS cadence_hours,\n"
        "    percentile_cont(0.9) WITHIN GROUP (ORDER BY gap_hours) AS longest_usual_gap\n"
        "  FROM gaps\n"
        f"  WHERE gap_hours > 0 GROUP BY {key}),\n"
        f"latest AS (SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY event_time DESC)"
        " AS newest FROM results)\n"
        "SELECT concat_ws('.', l.catalog_name, l.schema_name, l.table_name) AS table_name,\n"
        "  l.status, l.last_commit, round(c.cadence_hours, 1) AS cadence_hours,\n"
        "  round(c.longest_usual_gap, 1) AS longest_usual_gap,\n"
        "  round(timestampdiff(MINUTE, l.last_commit, :now) / 60.0, 1) AS hours_since_commit,\n"
        # try_element_at: an empty list of upstream jobs is NULL, not an error (ANSI mode)
        "  try_element_at(l.upstream, 1).job_name AS writer_job,\n"
        "  try_element_at(l.upstream, 1).last_run_status AS writer_status\n"
        "FROM latest AS l JOIN cadence AS c ON c.catalog_name = l.catalog_name\n"
        "  AND c.schema_name = l.schema_name AND c.table_name = l.table_name\n"
        "WHERE l.newest = 1\n"
        "ORDER BY try_divide(hours_since_commit, c.longest_usual_gap) DESC",
        now=ctx.window.now,
    )
    factor = ctx.params["factor"]
    findings = []
    for row in rows:
        cadence, age = row["cadence_hours"], row["hours_since_commit"]
        usual = row["longest_usual_gap"] or cadence
        # against the longest usual gap: a table written on weekdays only is not stale on Monday
        if not cadence or age is None or age <= max(factor * usual, usual + 24):
            continue
        overdue = age / usual
        writer = (
            f"; its writer {row['writer_job']} is {row['writer_status']}"
            if row["writer_job"]
            else ""
        )
        findings.append(
            ctx.finding(
                "stale_table",
                "high" if overdue >= 2 * factor else "medium",
                row["table_name"],
                f"{row['table_name']} was last written {age:.0f} h ago; it is usually "
                f"written every {cadence:.0f} h{writer}",
                sql=done.source,
                evidence={
                    "hours_since_last_commit": age,
                    "cadence_hours": cadence,
                    "longest_usual_gap_hours": usual,
                    "last_commit": row["last_commit"],
                    "writer_job": row["writer_job"],
                    "writer_status": row["writer_status"],
                    "monitor_status": row["status"],
                },
                score=float(overdue),
                time=row["last_commit"],
            )
        )
    summary = f"{len(findings)} of {len(rows)} monitored tables are overdue" + (
        ": " + ", ".join(f.entity for f in findings) if findings else ""
    )
    return Outcome((done,), tuple(findings), summary, Chart("table", title="Freshness"))


@analyzer(
    "data_quality.failing_checks",
    "data_quality",
    "Failing checks",
    "Completeness checks the monitor marks unhealthy, and columns of the watched catalogs "
    "whose share of nulls is above the limit.",
    tables=(RESULTS, "system.information_schema.columns"),
    params=(
        Param(
            "max_null_rate",
            "float",
            0.05,
            "the share of nulls a column may have",
            minimum=0,
            maximum=1,
        ),
        Param("max_tables", "int", 200, "tables profiled at most", minimum=1, maximum=5000),
    ),
    keywords=("check", "checks", "quality", "null", "nulls", "missing", "completeness", "failing"),
)
def failing_checks(runner: AnalysisRunner, ctx: Context) -> Outcome:
    statements: list[Statement] = []
    findings: list[Finding] = []
    done, rows = runner.rows(
        "SELECT concat_ws('.', catalog_name, schema_name, table_name) AS table_name,\n"  # noqa: S608 (constant fragments; values are :markers)
        "  completeness.daily_row_count.last_value AS daily_rows,\n"
        "  completeness.daily_row_count.min_predicted_value AS expected_min\n"
        "FROM (SELECT *, row_number() OVER (PARTITION BY catalog_name, schema_name, table_name\n"
        f"    ORDER BY event_time DESC) AS newest FROM {RESULTS}\n"
        "  WHERE event_time < :now) AS r\n"
        "WHERE newest = 1 AND completeness.status = 'Unhealthy' AND freshness.status = 'Healthy'",
        now=ctx.window.now,
    )
    statements.append(done)
    for row in rows:
        findings.append(
            ctx.finding(
                "completeness",
                "medium",
                row["table_name"],
                f"{row['table_name']} received {row['daily_rows']} rows in a day; at least "
                f"{row['expected_min']} were expected",
                sql=done.source,
                evidence=dict(row),
                score=0.5,
                time=ctx.window.as_of,
            )
        )
    skipped: list[str] = []
    findings.extend(_null_rates(runner, ctx, statements, skipped))
    failing = [f for f in findings if f.severity != "info"]
    summary = f"{len(failing)} failing checks" + (
        ": " + "; ".join(f.title for f in failing[:5]) if failing else ""
    )
    if skipped:
        summary += f"; not profiled: {', '.join(skipped[:5])}" + (
            f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        )
    return Outcome(tuple(statements), tuple(findings), summary, Chart("table", title=summary))


#: columns profiled by one statement (a wide table takes several)
COLUMNS_PER_STATEMENT = 100


def _null_rates(
    runner: AnalysisRunner, ctx: Context, statements: list[Statement], skipped: list[str]
) -> list[Finding]:
    catalogs, values = _catalogs(runner)
    listed, columns = runner.rows(
        "SELECT c.table_catalog, c.table_schema, c.table_name, c.column_name, c.data_type\n"
        "FROM system.information_schema.columns AS c\n"
        "JOIN system.information_schema.tables AS t ON t.table_catalog = c.table_catalog\n"
        "  AND t.table_schema = c.table_schema AND t.table_name = c.table_name\n"
        f"WHERE c.table_catalog IN {catalogs} AND coalesce(t.table_type, '') <> 'VIEW'\n"
        "ORDER BY c.table_catalog, c.table_schema, c.table_name, c.ordinal_position",
        **values,
    )
    statements.append(listed)
    tables: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for column in columns:
        key = (column["table_catalog"], column["table_schema"], column["table_name"])
        tables.setdefault(key, []).append(column)
    findings: list[Finding] = []
    for key, cols in list(tables.items())[: ctx.params["max_tables"]]:
        try:  # one table we may not read, or that breaks, does not hide the others
            findings.extend(_profile(runner, ctx, key, cols, statements))
        except LakechatError as exc:
            skipped.append(f"{'.'.join(key)} ({exc.message})")
    return findings


def _profile(
    runner: AnalysisRunner,
    ctx: Context,
    key: tuple[str, str, str],
    cols: list[dict[str, Any]],
    statements: list[Statement],
) -> list[Finding]:
    """The null rate of each column of one table, and what explains the high ones."""
    names = [c["column_name"] for c in cols]
    texts = [c["column_name"] for c in cols if str(c["data_type"]).upper() == "STRING"]
    counts: dict[str, Any] = {}
    done: Statement | None = None
    for first in range(0, max(len(names), 1), COLUMNS_PER_STATEMENT):
        part = range(first, min(first + COLUMNS_PER_STATEMENT, len(names)))
        nulls = "".join(
            f", sum(CASE WHEN {identifier(names[i])} IS NULL THEN 1 ELSE 0 END) AS n{i}"
            for i in part
        )
        distinct = "".join(
            f", count(DISTINCT {identifier(t)}) AS d{i}"
            for i, t in enumerate(texts)
            if names.index(t) in part
        )
        done, found = runner.rows(
            f"SELECT count(*) AS row_count{nulls}{distinct} FROM {identifier(*key)}"  # noqa: S608 (names are quoted identifiers)
        )
        statements.append(done)
        counts.update(found[0])
    total = counts.get("row_count") or 0
    limit = ctx.params["max_null_rate"]
    findings: list[Finding] = []
    if total == 0 or done is None:
        return findings
    categories = [t for i, t in enumerate(texts) if 1 < (counts[f"d{i}"] or 0) <= 20]
    for i, name in enumerate(names):
        rate = (counts[f"n{i}"] or 0) / total
        if rate <= limit:
            continue
        table = ".".join(key)
        by = _explained_by(runner, key, name, [c for c in categories if c != name], statements)
        findings.append(
            ctx.finding(
                "null_rate_explained" if by else "null_rate",
                "info" if by else "medium",
                table,
                f"{table}.{name} is empty in {rate:.0%} of {total} rows"
                + (
                    f", exactly where {by} says so (by design)"
                    if by
                    else f"; at most {limit:.0%} is expected"
                ),
                sql=done.source,
                evidence={
                    "column": name,
                    "null_rate": round(rate, 3),
                    "expected_max_null_rate": limit,
                    "rows": total,
                    "explained_by": by,
                },
                score=rate,
                time=ctx.window.as_of,
            )
        )
    return findings


def _explained_by(
    runner: AnalysisRunner,
    table: tuple[str, str, str],
    column: str,
    categories: list[str],
    statements: list[Statement],
) -> str | None:
    """The category column whose every value has all or none of ``column`` empty."""
    if not categories:
        return None
    branches = " UNION ALL ".join(
        f"SELECT {i} AS k, count(*) AS n, "  # noqa: S608 (names are quoted identifiers)
        f"sum(CASE WHEN {identifier(column)} IS NULL THEN 1 ELSE 0 END) AS nulls "
        f"FROM {identifier(*table)} GROUP BY {identifier(c)}"
        for i, c in enumerate(categories)
    )
    done, rows = runner.rows(branches)
    statements.append(done)
    groups: dict[int, list[tuple[int, int]]] = {}
    for row in rows:
        groups.setdefault(int(row["k"]), []).append((int(row["n"]), int(row["nulls"] or 0)))
    for k, counts in sorted(groups.items()):
        if all(nulls <= 0.02 * n or nulls >= 0.98 * n for n, nulls in counts):
            return categories[k]
    return None


@analyzer(
    "data_quality.tables_without_owners",
    "data_quality",
    "Tables without owners",
    "Tables of the watched catalogs that nobody owns.",
    tables=("system.information_schema.tables",),
    keywords=("owner", "owners", "ownerless", "unowned", "no owner", "nobody owns"),
)
def tables_without_owners(runner: AnalysisRunner, ctx: Context) -> Outcome:
    catalogs, values = _catalogs(runner)
    done, rows = runner.rows(
        "SELECT concat_ws('.', table_catalog, table_schema, table_name) AS table_name,\n"
        "  created_by, last_altered\n"
        "FROM system.information_schema.tables\n"
        f"WHERE table_catalog IN {catalogs}\n"
        "  AND (table_owner IS NULL OR trim(table_owner) = '')\n"
        "ORDER BY table_name",
        **values,
    )
    findings = tuple(
        ctx.finding(
            "no_owner",
            "medium",
            row["table_name"],
            f"{row['table_name']} has no owner (created by {row['created_by']})",
            sql=done.source,
            evidence={"created_by": row["created_by"], "last_altered": row["last_altered"]},
            score=0.5,
            time=ctx.window.as_of,
        )
        for row in rows
    )
    summary = f"{len(rows)} tables without an owner" + (
        ": " + ", ".join(r["table_name"] for r in rows[:10]) if rows else ""
    )
    return Outcome((done,), findings, summary, Chart("table", title=summary))
