"""Cost: what the platform spends, where it grows, and what nobody owns.

Spend is ``system.billing.usage`` priced at ``system.billing.list_prices`` (the documented
join on SKU, unit and time), in USD at list price.
"""

# The statements' text holds no values: each is a :marker the runner binds as a literal.

from __future__ import annotations

import datetime as dt
import statistics

from lakechat.monitor.base import Chart, Context, Finding, Outcome, Param
from lakechat.monitor.registry import analyzer
from lakechat.monitor.runner import AnalysisRunner, Statement

TABLES = ("system.billing.usage", "system.billing.list_prices", "system.access.workspaces_latest")
DAYS = Param("days", "int", 30, "days of history", minimum=1, maximum=365)


#: A ``priced`` CTE: usage records of [:since, :until] (of :workspace, or all when it is
#: NULL) with their list-price cost.
PRICED = """priced AS (
  SELECT u.workspace_id, u.usage_date, u.sku_name, u.billing_origin_product,
         u.usage_metadata.job_name AS job_name, u.identity_metadata.run_as AS run_as,
         u.custom_tags AS custom_tags, u.product_features.is_serverless AS is_serverless,
         CAST(u.usage_quantity AS DOUBLE) * CAST(p.pricing.effective_list.`default` AS DOUBLE) AS cost
  FROM system.billing.usage AS u
  JOIN system.billing.list_prices AS p
    ON u.sku_name = p.sku_name AND u.usage_unit = p.usage_unit AND u.cloud = p.cloud
   AND u.usage_end_time >= p.price_start_time
   AND (p.price_end_time IS NULL OR u.usage_end_time < p.price_end_time)
  WHERE u.usage_date >= :since AND u.usage_date <= :until
    AND (:workspace IS NULL OR u.workspace_id = :workspace))"""


WORKSPACE_NAMES = (
    "LEFT JOIN system.access.workspaces_latest AS w ON w.workspace_id = {alias}.workspace_id"
)


def money(value: float | None) -> str:
    return f"${(value or 0):,.2f}"


@analyzer(
    "cost.daily_spend",
    "cost",
    "Daily spend",
    "Spend per day over the last days, with the total and the busiest day.",
    tables=TABLES,
    params=(DAYS,),
    keywords=("trend", "daily", "per day", "daily spend", "spend trend", "cost trend"),
)
def daily_spend(runner: AnalysisRunner, ctx: Context) -> Outcome:
    days = ctx.params["days"]
    since = ctx.window.as_of - dt.timedelta(days=days - 1)
    done, rows = runner.rows(
        f"WITH {PRICED}\n"
        "SELECT usage_date, round(sum(cost), 2) AS cost_usd FROM priced "
        "GROUP BY usage_date ORDER BY usage_date",
        since=since,
        until=ctx.window.as_of,
        workspace=ctx.workspace_id,
    )
    total = sum(r["cost_usd"] or 0 for r in rows)
    busiest = max(rows, key=lambda r: r["cost_usd"] or 0, default=None)
    summary = f"{money(total)} over {len(rows)} days"
    if busiest:
        summary += f"; the most on {busiest['usage_date']} ({money(busiest['cost_usd'])})"
    return Outcome((done,), (), summary, Chart("line", "usage_date", "cost_usd", "Daily spend"))


BY_COLUMNS = {
    "workspace": "coalesce(w.workspace_name, p.workspace_id)",
    "sku": "p.sku_name",
    "billing_product": "p.billing_origin_product",
    "job": "p.job_name",
    "user": "p.run_as",
}


@analyzer(
    "cost.top_contributors",
    "cost",
    "Top contributors to spend",
    "Who and what spent the most: by workspace, SKU, billing product, job or user.",
    tables=TABLES,
    params=(
        Param("by", "str", "workspace", "what to group by", choices=tuple(BY_COLUMNS)),
        DAYS,
        Param("limit", "int", 10, "how many to list", minimum=1, maximum=100),
    ),
    keywords=("top", "most", "biggest", "contributors", "who spent", "which jobs cost"),
    in_overview=False,
)
def top_contributors(runner: AnalysisRunner, ctx: Context) -> Outcome:
    days, by, limit = ctx.params["days"], ctx.params["by"], ctx.params["limit"]
    since = ctx.window.as_of - dt.timedelta(days=days - 1)
    column = BY_COLUMNS[by]
    done, rows = runner.rows(
        f"WITH {PRICED}\n"  # noqa: S608 (constant fragments; values are :markers)
        f"SELECT {column} AS {by}, round(sum(p.cost), 2) AS cost_usd,\n"
        # the share of all spend, not only of what has this attribute
        "       round(try_divide(sum(p.cost), (SELECT sum(cost) FROM priced)), 4) AS share\n"
        f"FROM priced AS p {WORKSPACE_NAMES.format(alias='p')}\n"
        f"WHERE {column} IS NOT NULL GROUP BY 1 ORDER BY cost_usd DESC LIMIT :limit",
        since=since,
        until=ctx.window.as_of,
        workspace=ctx.workspace_id,
        limit=limit,
    )
    top = rows[0] if rows else None
    summary = (
        f"{top[by]} spent the most in {days} days: {money(top['cost_usd'])} "
        f"({top['share'] or 0:.0%} of all spend)"
        if top
        else f"no spend by {by} in the last {days} days"
    )
    return Outcome((done,), (), summary, Chart("bar", by, "cost_usd", f"Spend by {by}"))


@analyzer(
    "cost.spend_spike",
    "cost",
    "Spend spikes",
    "Days whose spend in a workspace is a multiple of its trailing median, with the job "
    "or product that drove it.",
    tables=TABLES,
    params=(
        Param("lookback_days", "int", 3, "complete days to check", minimum=1, maximum=60),
        Param("trailing_days", "int", 14, "days of the baseline median", minimum=3, maximum=90),
        Param("threshold", "float", 2.0, "spend / median that counts", minimum=1.0, maximum=1000),
    ),
    keywords=("spike", "spiked", "jump", "surge", "why did costs", "increase", "anomaly"),
)
def spend_spike(runner: AnalysisRunner, ctx: Context) -> Outcome:
    look, trail, threshold = (
        ctx.params["lookback_days"],
        ctx.params["trailing_days"],
        ctx.params["threshold"],
    )
    last = ctx.window.as_of - dt.timedelta(days=1)  # the last complete day
    first = last - dt.timedelta(days=look - 1)
    since = first - dt.timedelta(days=trail)
    done, rows = runner.rows(
        f"WITH {PRICED},\n"  # noqa: S608 (constant fragments; values are :markers)
        "daily AS (SELECT workspace_id, usage_date, sum(cost) AS cost FROM priced GROUP BY ALL),\n"
        "scored AS (SELECT workspace_id, usage_date, cost,\n"
        "  median(cost) OVER (PARTITION BY workspace_id ORDER BY usage_date\n"
        "    ROWS BETWEEN :trail PRECEDING AND 1 PRECEDING) AS baseline,\n"
        "  count(*) OVER (PARTITION BY workspace_id ORDER BY usage_date\n"
        "    ROWS BETWEEN :trail PRECEDING AND 1 PRECEDING) AS baseline_days\n"
        "  FROM daily)\n"
        "SELECT coalesce(w.workspace_name, s.workspace_id) AS workspace, s.workspace_id,\n"
        "       s.usage_date, round(s.cost, 2) AS cost_usd, round(s.baseline, 2) AS median_usd,\n"
        "       round(try_divide(s.cost, s.baseline), 2) AS ratio\n"
        f"FROM scored AS s {WORKSPACE_NAMES.format(alias='s')}\n"
        "WHERE s.usage_date >= :first AND s.baseline > 0 AND s.baseline_days >= :enough\n"
        "ORDER BY ratio DESC",
        since=since,
        until=last,
        workspace=ctx.workspace_id,
        trail=trail,
        first=first,
        enough=max(3, trail // 2),
    )
    statements = [done]
    findings: list[Finding] = []
    for row in rows:
        if row["ratio"] is None or row["ratio"] < threshold:
            continue
        driver, sql, evidence = _driver(runner, ctx, row["workspace_id"], row["usage_date"], trail)
        statements.append(driver)
        ratio = float(row["ratio"])
        what = f", driven by {evidence['driver']}" if evidence.get("driver") else ""
        findings.append(
            ctx.finding(
                "spend_spike",
                "high" if ratio >= 3 else "medium",
                row["workspace"],
                f"{row['workspace']} spent {money(row['cost_usd'])} on {row['usage_date']}, "
                f"{ratio:.1f}x its {trail}-day median of {money(row['median_usd'])}{what}",
                sql=done.source,
                evidence={
                    "workspace_id": row["workspace_id"],
                    "day": row["usage_date"],
                    "spend_usd": row["cost_usd"],
                    "trailing_median_usd": row["median_usd"],
                    "ratio": ratio,
                    **evidence,
                    "driver_sql": sql,
                },
                score=ratio,
                time=row["usage_date"],
            )
        )
    summary = (
        "; ".join(f.title for f in findings)
        if findings
        else f"no workspace spent more than {threshold:g}x its {trail}-day median "
        f"between {first} and {last}"
    )
    return Outcome(
        tuple(statements[:1] + statements[1:]),
        tuple(findings),
        summary,
        Chart("bar", "workspace", "ratio", "Spend against the trailing median"),
    )


def _driver(
    runner: AnalysisRunner, ctx: Context, workspace_id: str, day: dt.date, trail: int
) -> tuple[Statement, str, dict[str, object]]:
    """What grew most that day in the workspace: a job (or product) and its SKU."""
    since = day - dt.timedelta(days=trail)
    done, rows = runner.rows(
        f"WITH {PRICED}\n"
        "SELECT coalesce(job_name, billing_origin_product) AS driver, sku_name,\n"
        "  sum(CASE WHEN usage_date = :until THEN cost ELSE 0 END) AS day_usd,\n"
        "  sum(CASE WHEN usage_date < :until THEN cost ELSE 0 END) / :trail AS usual_usd\n"
        "FROM priced GROUP BY ALL ORDER BY day_usd - usual_usd DESC LIMIT 1",
        since=since,
        until=day,
        workspace=workspace_id,
        trail=trail,
    )
    if not rows:
        return done, done.source, {}
    top = rows[0]
    return (
        done,
        done.source,
        {
            "driver": top["driver"],
            "driver_sku": top["sku_name"],
            "driver_spend_usd": round(float(top["day_usd"] or 0), 2),
            "driver_usual_daily_usd": round(float(top["usual_usd"] or 0), 2),
        },
    )


@analyzer(
    "cost.untagged_spend",
    "cost",
    "Untagged spend",
    "Spend without the cost-attribution tag, by workspace.",
    tables=TABLES,
    params=(
        DAYS,
        Param("tag", "str", "team", "the tag every workload should carry", maximum=200),
        Param("threshold", "float", 0.2, "untagged share that counts", minimum=0, maximum=1),
    ),
    keywords=("untagged", "tag", "tags", "attribution", "unattributed", "chargeback"),
)
def untagged_spend(runner: AnalysisRunner, ctx: Context) -> Outcome:
    days, tag, threshold = ctx.params["days"], ctx.params["tag"], ctx.params["threshold"]
    since = ctx.window.as_of - dt.timedelta(days=days - 1)
    done, rows = runner.rows(
        f"WITH {PRICED}\n"
        "SELECT coalesce(w.workspace_name, p.workspace_id) AS workspace,\n"
        "  round(sum(CASE WHEN p.custom_tags[:tag] IS NULL THEN p.cost ELSE 0 END), 2)"
        " AS untagged_usd,\n"
        "  round(sum(p.cost), 2) AS total_usd\n"
        f"FROM priced AS p {WORKSPACE_NAMES.format(alias='p')}\n"
        "GROUP BY 1 ORDER BY untagged_usd DESC",
        since=since,
        until=ctx.window.as_of,
        workspace=ctx.workspace_id,
        tag=tag,
    )
    untagged = sum(float(r["untagged_usd"] or 0) for r in rows)
    total = sum(float(r["total_usd"] or 0) for r in rows)
    share = untagged / total if total else 0.0
    summary = f"{share:.0%} of {money(total)} in {days} days has no {tag!r} tag ({money(untagged)})"
    findings: tuple[Finding, ...] = ()
    if total and share >= threshold:
        worst = rows[0]["workspace"] if rows else None
        findings = (
            ctx.finding(
                "untagged_spend",
                "high" if share >= 0.5 else "medium",
                f"tag:{tag}",
                f"{share:.0%} of spend ({money(untagged)} of {money(total)}) in {days} days "
                f"has no {tag!r} tag; most in {worst}",
                sql=done.source,
                evidence={
                    "untagged_share": round(share, 3),
                    "untagged_usd": round(untagged, 2),
                    "total_usd": round(total, 2),
                    "window_days": days,
                    "top_workspace": worst,
                },
                score=share,
                time=ctx.window.as_of,
            ),
        )
    return Outcome((done,), findings, summary, Chart("bar", "workspace", "untagged_usd", summary))


@analyzer(
    "cost.week_over_week",
    "cost",
    "Week-over-week growth",
    "The last seven complete days against the seven before, per workspace.",
    tables=TABLES,
    params=(
        Param(
            "threshold", "float", 0.5, "growth that counts (0.5 = +50%)", minimum=0, maximum=1000
        ),
    ),
    keywords=("week over week", "weekly", "growth", "growing", "last week"),
)
def week_over_week(runner: AnalysisRunner, ctx: Context) -> Outcome:
    last = ctx.window.as_of - dt.timedelta(days=1)
    split = last - dt.timedelta(days=6)
    since = split - dt.timedelta(days=7)
    done, rows = runner.rows(
        f"WITH {PRICED}\n"
        "SELECT coalesce(w.workspace_name, p.workspace_id) AS workspace,\n"
        "  round(sum(CASE WHEN p.usage_date >= :split THEN p.cost ELSE 0 END), 2)"
        " AS this_week_usd,\n"
        "  round(sum(CASE WHEN p.usage_date < :split THEN p.cost ELSE 0 END), 2)"
        " AS last_week_usd\n"
        f"FROM priced AS p {WORKSPACE_NAMES.format(alias='p')}\n"
        "GROUP BY 1 ORDER BY this_week_usd DESC",
        since=since,
        until=last,
        workspace=ctx.workspace_id,
        split=split,
    )
    findings = []
    for row in rows:
        now, before = float(row["this_week_usd"] or 0), float(row["last_week_usd"] or 0)
        if before <= 0 or now - before < 100:
            continue
        growth = now / before - 1
        if growth >= ctx.params["threshold"]:
            findings.append(
                ctx.finding(
                    "weekly_growth",
                    "medium" if growth >= 1 else "low",
                    row["workspace"],
                    f"{row['workspace']} spent {money(now)} in the last 7 days, "
                    f"{growth:+.0%} on the 7 before ({money(before)})",
                    sql=done.source,
                    evidence={"this_week_usd": now, "last_week_usd": before, "growth": growth},
                    score=growth,
                    time=last,
                )
            )
    this_week = sum(float(r["this_week_usd"] or 0) for r in rows)
    last_week = sum(float(r["last_week_usd"] or 0) for r in rows)
    change = f"{this_week / last_week - 1:+.0%}" if last_week else "no spend the week before"
    summary = f"{money(this_week)} in the last 7 days against {money(last_week)} ({change})"
    return Outcome((done,), tuple(findings), summary, Chart("bar", "workspace", "this_week_usd"))


@analyzer(
    "cost.serverless_vs_classic",
    "cost",
    "Serverless against classic compute",
    "Spend per billing product, serverless and classic side by side.",
    tables=TABLES,
    params=(DAYS,),
    keywords=("serverless", "classic"),
    in_overview=False,
)
def serverless_vs_classic(runner: AnalysisRunner, ctx: Context) -> Outcome:
    days = ctx.params["days"]
    since = ctx.window.as_of - dt.timedelta(days=days - 1)
    done, rows = runner.rows(
        f"WITH {PRICED}\n"
        "SELECT billing_origin_product AS product,\n"
        "  CASE WHEN coalesce(is_serverless, FALSE) THEN 'serverless' ELSE 'classic' END"
        " AS compute,\n"
        "  round(sum(cost), 2) AS cost_usd\n"
        "FROM priced GROUP BY ALL ORDER BY cost_usd DESC",
        since=since,
        until=ctx.window.as_of,
        workspace=ctx.workspace_id,
    )
    serverless = sum(float(r["cost_usd"] or 0) for r in rows if r["compute"] == "serverless")
    total = sum(float(r["cost_usd"] or 0) for r in rows)
    share = serverless / total if total else 0.0
    summary = f"serverless is {share:.0%} of {money(total)} spent in {days} days"
    return Outcome((done,), (), summary, Chart("bar", "product", "cost_usd", summary))


@analyzer(
    "cost.month_end_projection",
    "cost",
    "Month-end projection",
    "Month-to-date spend, the last week's daily rate carried to the month's end, and "
    "last month's total.",
    tables=TABLES,
    params=(
        Param(
            "threshold",
            "float",
            0.25,
            "growth over last month that counts",
            minimum=0,
            maximum=1000,
        ),
    ),
    keywords=("projection", "forecast", "month end", "end of the month", "budget", "on track"),
)
def month_end_projection(runner: AnalysisRunner, ctx: Context) -> Outcome:
    today = ctx.window.as_of
    month = today.replace(day=1)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    last = today - dt.timedelta(days=1)
    week = last - dt.timedelta(days=6)
    since = min(previous, week)
    done, rows = runner.rows(
        f"WITH {PRICED}\n"
        "SELECT usage_date, round(sum(cost), 2) AS cost_usd FROM priced "
        "GROUP BY usage_date ORDER BY usage_date",
        since=since,
        until=last,
        workspace=ctx.workspace_id,
    )
    daily = {r["usage_date"]: float(r["cost_usd"] or 0) for r in rows}
    to_date = sum(v for d, v in daily.items() if d >= month)
    rate = statistics.fmean([daily.get(week + dt.timedelta(days=i), 0.0) for i in range(7)])
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    remaining = (next_month - today).days
    projected = to_date + rate * remaining
    last_month = sum(v for d, v in daily.items() if previous <= d < month)
    summary = (
        f"{money(to_date)} spent this month to {last}; at the last week's "
        f"{money(rate)} a day the month ends near {money(projected)}"
        + (f" (last month: {money(last_month)})" if last_month else "")
    )
    findings: tuple[Finding, ...] = ()
    if last_month and projected >= last_month * (1 + ctx.params["threshold"]):
        growth = projected / last_month - 1
        findings = (
            ctx.finding(
                "month_end_projection",
                "low",
                month.strftime("%Y-%m"),
                f"on course to spend {money(projected)} this month, {growth:+.0%} on last month",
                sql=done.source,
                evidence={
                    "month_to_date_usd": round(to_date, 2),
                    "daily_rate_usd": round(rate, 2),
                    "projected_usd": round(projected, 2),
                    "last_month_usd": round(last_month, 2),
                },
                score=growth,
                time=today,
            ),
        )
    return Outcome((done,), findings, summary, Chart("line", "usage_date", "cost_usd", summary))
