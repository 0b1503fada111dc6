"""Security: unusual reads of sensitive tables, failed logins, grants and new tokens.

Everything comes from ``system.access.audit``. A table counts as sensitive when few people
read it before (its readership is narrow): no table is known by name.
"""

# The statements' text holds no values: each is a :marker the runner binds as a literal.

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from lakechat.monitor.base import Chart, Context, Finding, Outcome, Param, Severity
from lakechat.monitor.registry import analyzer
from lakechat.monitor.runner import AnalysisRunner

TABLES = ("system.access.audit",)
DAYS = Param("days", "int", 7, "days of audit events", minimum=1, maximum=90)


#: every way Databricks records a login (accounts and workspace services)
LOGIN_ACTIONS = (
    "('login', 'tokenLogin', 'samlLogin', 'oidcBrowserLogin', 'aadBrowserLogin', "
    "'aadTokenLogin', 'jwtLogin', 'mfaLogin', 'passwordVerifyAuthentication')"
)
#: audit events between :since and :now of :workspace (all when it is NULL)
WINDOW = (
    "event_time >= :since AND event_time < :now"
    " AND (:workspace IS NULL OR workspace_id = :workspace)"
)


def scope(ctx: Context, since: dt.datetime) -> dict[str, Any]:
    """The values of ``WINDOW``."""
    return {"since": since, "now": ctx.window.now, "workspace": ctx.workspace_id}


@analyzer(
    "security.sensitive_access",
    "security",
    "First-time and off-hours reads of sensitive tables",
    "Users reading a table for the first time off hours, or a table few people read before.",
    tables=TABLES,
    params=(
        Param("days", "int", 14, "days counted as recent", minimum=1, maximum=60),
        Param(
            "history_days", "int", 90, "days of reads that count as before", minimum=2, maximum=365
        ),
        Param("off_hours_start", "int", 22, "off hours start (UTC hour)", minimum=0, maximum=23),
        Param("off_hours_end", "int", 6, "off hours end (UTC hour)", minimum=0, maximum=23),
        Param(
            "narrow_readers",
            "int",
            5,
            "a table read by at most this many is sensitive",
            minimum=1,
            maximum=1000,
        ),
    ),
    keywords=("sensitive", "access", "first time", "off hours", "unusual", "who read", "pii"),
)
def sensitive_access(runner: AnalysisRunner, ctx: Context) -> Outcome:
    since = ctx.window.now - dt.timedelta(days=ctx.params["days"])
    done, rows = runner.rows(
        "WITH reads AS (\n"
        "  SELECT user_identity.email AS reader, request_params['full_name_arg'] AS table_name,\n"
        "         event_time\n"
        "  FROM system.access.audit\n"
        "  WHERE action_name = 'getTable' AND event_time >= :history AND event_time < :now"
        " AND (:workspace IS NULL OR workspace_id = :workspace)),\n"
        "firsts AS (SELECT reader, table_name, min(event_time) AS first_read, count(*) AS reads\n"
        "  FROM reads GROUP BY reader, table_name),\n"
        "readers AS (SELECT table_name, count(DISTINCT reader) AS earlier_readers FROM reads\n"
        "  WHERE event_time < :since GROUP BY table_name)\n"
        "SELECT f.reader, f.table_name, f.first_read, f.reads,\n"
        "  coalesce(r.earlier_readers, 0) AS earlier_readers, hour(f.first_read) AS hour_utc\n"
        "FROM firsts AS f LEFT JOIN readers AS r ON r.table_name = f.table_name\n"
        "WHERE f.first_read >= :since AND f.table_name IS NOT NULL\n"
        "ORDER BY f.first_read DESC",
        **scope(ctx, since),
        history=ctx.window.now - dt.timedelta(days=ctx.params["history_days"]),
    )
    start, end = ctx.params["off_hours_start"], ctx.params["off_hours_end"]
    findings: list[Finding] = []
    for row in rows:
        hour = int(row["hour_utc"])
        off = (hour >= start or hour < end) if start > end else (start <= hour < end)
        # read before, by few: a new table (no earlier reader) says nothing about sensitivity
        narrow = 1 <= row["earlier_readers"] <= ctx.params["narrow_readers"]
        if not off and not narrow:
            continue  # someone reading a table for the first time, in office hours
        severity: Severity = "high" if off and narrow else "medium" if off else "low"
        why = " and ".join(
            w for w, on in (("off hours", off), ("of a table few people read", narrow)) if on
        )
        findings.append(
            ctx.finding(
                "first_sensitive_read" if narrow else "first_read",
                severity,
                row["reader"],
                f"{row['reader']} read {row['table_name']} for the first time at "
                f"{row['first_read']:%Y-%m-%d %H:%M} UTC" + (f" ({why})" if why else ""),
                sql=done.source,
                evidence={
                    "table": row["table_name"],
                    "first_read": row["first_read"],
                    "reads_since": row["reads"],
                    "earlier_readers_of_table": row["earlier_readers"],
                    "off_hours": off,
                },
                score=(1 / (1 + row["earlier_readers"])) + (0.5 if off else 0),
                time=row["first_read"],
            )
        )
    off_hours = sum(1 for f in findings if f.evidence["off_hours"])
    summary = (
        f"{len(rows)} first-time table reads in {ctx.params['days']} days; "
        f"{off_hours} off hours, {len(findings) - off_hours} more of tables few people read"
    )
    return Outcome((done,), tuple(findings), summary, Chart("table", title="First-time reads"))


@analyzer(
    "security.failed_logins",
    "security",
    "Failed logins by source IP",
    "Addresses with many failed logins, and how many accounts they tried.",
    tables=TABLES,
    params=(
        Param("hours", "int", 24, "hours of logins", minimum=1, maximum=24 * 90),
        Param(
            "min_failures",
            "int",
            10,
            "failures from one address that count",
            minimum=1,
            maximum=1_000_000,
        ),
    ),
    keywords=("login", "logins", "failed login", "brute force", "ip", "password", "attack"),
)
def failed_logins(runner: AnalysisRunner, ctx: Context) -> Outcome:
    since = ctx.window.now - dt.timedelta(hours=ctx.params["hours"])
    done, rows = runner.rows(
        "SELECT source_ip_address, count(*) AS failures,\n"
        "  count(DISTINCT user_identity.email) AS accounts,\n"
        "  min(event_time) AS first_failure, max(event_time) AS last_failure\n"
        "FROM system.access.audit\n"
        f"WHERE action_name IN {LOGIN_ACTIONS} AND response.status_code IN (401, 403)\n"
        f"  AND {WINDOW}\n"
        "GROUP BY source_ip_address ORDER BY failures DESC",
        **scope(ctx, since),
    )
    findings = tuple(
        ctx.finding(
            "failed_login_burst",
            "high" if row["failures"] >= 2 * ctx.params["min_failures"] else "medium",
            row["source_ip_address"],
            f"{row['failures']} failed logins from {row['source_ip_address']} against "
            f"{row['accounts']} accounts in {ctx.params['hours']} h",
            sql=done.source,
            evidence={
                "failed_logins": row["failures"],
                "accounts_targeted": row["accounts"],
                "first": row["first_failure"],
                "last": row["last_failure"],
            },
            score=float(row["failures"]),
            time=row["last_failure"],
        )
        for row in rows
        if row["failures"] >= ctx.params["min_failures"]
    )
    total = sum(r["failures"] for r in rows)
    summary = f"{total} failed logins from {len(rows)} addresses in {ctx.params['hours']} h"
    return Outcome((done,), findings, summary, Chart("bar", "source_ip_address", "failures"))


#: privileges that hand over control, not just reading
BROAD = ("ALL_PRIVILEGES", "ALL PRIVILEGES", "MANAGE", "MODIFY", "OWNERSHIP", "CREATE")


@analyzer(
    "security.permission_changes",
    "security",
    "Permission changes",
    "Grants and revokes in Unity Catalog; broad privileges are flagged.",
    tables=TABLES,
    params=(DAYS,),
    keywords=("permission", "permissions", "grant", "grants", "granted", "privilege", "access"),
)
def permission_changes(runner: AnalysisRunner, ctx: Context) -> Outcome:
    since = ctx.window.now - dt.timedelta(days=ctx.params["days"])
    done, rows = runner.rows(
        "SELECT event_time, user_identity.email AS changed_by,\n"
        "  request_params['securable_type'] AS securable_type,\n"
        "  request_params['securable_full_name'] AS securable,\n"
        "  request_params['changes'] AS changes\n"
        "FROM system.access.audit\n"
        "WHERE action_name IN ('updatePermissions', 'updateSharePermissions')\n"
        f"  AND {WINDOW}\n"
        "ORDER BY event_time DESC",
        **scope(ctx, since),
    )
    findings = []
    for row in rows:
        added = _added(row["changes"])
        broad = {p: privs for p, privs in added.items() if any(b in privs for b in BROAD)}
        granted = "; ".join(f"{', '.join(v)} to {k}" for k, v in (broad or added).items())
        findings.append(
            ctx.finding(
                "broad_grant" if broad else "permission_change",
                "high" if broad else "low",
                row["securable"] or "unknown securable",
                f"{row['changed_by']} granted {granted or 'changes'} on "
                f"{row['securable_type'] or 'securable'} {row['securable']} at "
                f"{row['event_time']:%Y-%m-%d %H:%M} UTC",
                sql=done.source,
                evidence={
                    "granted_by": row["changed_by"],
                    "grants": added,
                    "changes": row["changes"],
                },
                score=float(len(broad)),
                time=row["event_time"],
            )
        )
    summary = f"{len(rows)} permission changes in {ctx.params['days']} days"
    return Outcome((done,), tuple(findings), summary, Chart("table", title=summary))


def _added(changes: object) -> dict[str, list[str]]:
    """Principal -> privileges added, from the audit log's JSON list of changes."""
    try:
        parsed = json.loads(str(changes)) if changes else []
    except ValueError:
        return {}
    added: dict[str, list[str]] = {}
    for change in parsed if isinstance(parsed, list) else []:
        if isinstance(change, dict) and change.get("add"):
            added.setdefault(str(change.get("principal")), []).extend(map(str, change["add"]))
    return added


@analyzer(
    "security.token_creation",
    "security",
    "Token creation",
    "Personal access tokens and tokens made on behalf of service principals.",
    tables=TABLES,
    params=(DAYS,),
    keywords=("token", "tokens", "pat", "service principal", "credentials"),
)
def token_creation(runner: AnalysisRunner, ctx: Context) -> Outcome:
    since = ctx.window.now - dt.timedelta(days=ctx.params["days"])
    done, rows = runner.rows(
        "SELECT event_time, action_name, user_identity.email AS created_by,\n"
        "  request_params['principal_name'] AS principal_name,\n"
        "  request_params['application_id'] AS application_id,\n"
        "  request_params['lifetime_seconds'] AS lifetime_seconds,\n"
        "  request_params['tokenExpirationTime'] AS expiration\n"
        "FROM system.access.audit\n"
        "WHERE action_name IN ('createOboToken', 'generateDbToken', 'createToken')\n"
        f"  AND {WINDOW}\n"
        "ORDER BY event_time DESC",
        **scope(ctx, since),
    )
    findings = []
    for row in rows:
        on_behalf = row["action_name"] == "createOboToken"
        # only a lifetime the event states: no claim about expiry without it
        forever = str(row["lifetime_seconds"]).strip() in ("0", "-1")
        who = row["principal_name"] or row["application_id"] if on_behalf else row["created_by"]
        severity: Severity = "high" if on_behalf else "low"
        findings.append(
            ctx.finding(
                "service_principal_token" if on_behalf else "personal_token",
                severity,
                str(who),
                f"{row['created_by']} created a token "
                + (f"for service principal {who}" if on_behalf else "for themselves")
                + (" that never expires" if forever else "")
                + f" at {row['event_time']:%Y-%m-%d %H:%M} UTC",
                sql=done.source,
                evidence={
                    "created_by": row["created_by"],
                    "application_id": row["application_id"],
                    "lifetime_seconds": row["lifetime_seconds"],
                    "expiration": row["expiration"],
                    "never_expires": forever,
                },
                score=1.0 + (0.5 if forever else 0),
                time=row["event_time"],
            )
        )
    summary = f"{len(rows)} tokens created in {ctx.params['days']} days"
    return Outcome((done,), tuple(findings), summary, Chart("table", title=summary))
