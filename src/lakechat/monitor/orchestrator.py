"""Answer a health question in the assistant's contract: route it to domains and analyzers,
run them, merge their findings worst first, and say what they found.

A follow-up ("which of those failed most often?") keeps to the previous answer's domains
and, where it can, to the entities it named. The answer's ``health`` field is what the
session remembers for the next turn.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from lakechat.assistant.charts import ChartColumn, chart_for
from lakechat.errors import LakechatError
from lakechat.monitor.base import DOMAINS, SEVERITY_RANK, Analysis, Finding, ranked
from lakechat.monitor.registry import get_analyzer
from lakechat.monitor.report import HealthReport
from lakechat.monitor.routing import HealthRoute
from lakechat.monitor.service import PlatformHealth

#: findings listed in a summary answer, and in a detailed one
SUMMARY_FINDINGS, DETAIL_FINDINGS = 3, 10


def answer_health(
    health: PlatformHealth,
    question: str,
    plan: HealthRoute,
    *,
    previous: dict[str, Any] | None = None,
    preferences: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The contract's fields for a health question (status, answer, rows, chart, ...)."""
    prefs = preferences or {}
    workspace = prefs.get("workspace")
    detail = plan.detail if plan.detail is not None else prefs.get("detail") == "detail"
    shown = DETAIL_FINDINGS if detail else SUMMARY_FINDINGS
    if plan.analyzers:
        yesterday = health.clock().date() - dt.timedelta(days=1) if plan.yesterday else None
        analyses = health.analyze_many(
            {
                name: yesterday if yesterday and get_analyzer(name).per_day else None
                for name in plan.analyzers
            },
            workspace=workspace,
        )
        report = None
    else:
        report = health.report(domains=plan.domains, workspace=workspace)
        analyses = list(report.analyses)
    findings = ranked([f for a in analyses for f in a.findings])
    earlier = set((previous or {}).get("entities") or ()) if plan.follow_up else set()
    if earlier:
        analyses = [_only(a, earlier) for a in analyses]
        findings = [f for f in findings if f.entity in earlier] or findings
    if report is not None and len(plan.domains) > 1 and not plan.relate:
        text = _overview(report, question, shown)
    else:
        text = _sentence(question, plan, analyses, findings, report, shown, earlier)
    main = analyses[0] if len(analyses) == 1 else None
    columns, rows = _table(main, findings)
    tables = sorted({t for a in analyses for t in a.tables})
    domains = [d for d in DOMAINS if any(a.domain == d for a in analyses)] or list(plan.domains)
    return {
        "status": "answered",
        "answer": text,
        "sql": "\n;\n".join(s for a in analyses for s in a.sql) or None,
        "columns": columns,
        "rows": rows,
        "row_count": len(rows),
        "truncated": False,
        "chart": _chart(main, findings, columns, rows),
        "sources": [{"type": "analyzer", "name": a.analyzer, "title": a.title} for a in analyses]
        + [{"type": "system_table", "name": t} for t in tables],
        "confidence": _confidence(plan, findings),
        "domain": domains[0] if len(domains) == 1 else "platform",
        "domains": domains,
        "findings": [f.as_json() for f in findings[:DETAIL_FINDINGS]],
        "visualization_hint": (main.chart.as_hint() if main and main.chart else None),
        "suggestions": _suggestions(domains, findings),
        "health": {
            "domains": domains,
            "analyzers": [a.analyzer for a in analyses],
            "entities": list(dict.fromkeys(f.entity for f in findings))[:20]
            or [str(r[0]) for r in rows[:20]],
        },
    }


def _only(analysis: Analysis, entities: set[str]) -> Analysis:
    """``analysis`` with the rows naming one of ``entities`` (all rows when none does)."""
    kept = tuple(r for r in analysis.rows if any(str(v) in entities for v in r))
    if not kept:
        return analysis
    findings = tuple(f for f in analysis.findings if f.entity in entities)
    return Analysis(
        analysis.analyzer, analysis.domain, analysis.title, analysis.summary, analysis.params,
        analysis.sql, analysis.columns, kept, findings, analysis.tables, analysis.chart,
        analysis.elapsed_ms,
    )  # fmt: skip


def _sentence(
    question: str,
    plan: HealthRoute,
    analyses: list[Analysis],
    findings: list[Finding],
    report: HealthReport | None,
    shown: int,
    earlier: set[str],
) -> str:
    notable = [f for f in findings if SEVERITY_RANK[f.severity] >= SEVERITY_RANK["low"]]
    if earlier and len(analyses) == 1 and analyses[0].rows:
        return _follow_up(analyses[0], question)
    if plan.relate:
        return _relation(analyses, notable)
    lead = report.headline() + "." if report is not None else ""
    if not notable:
        said = " ".join(a.summary[:1].upper() + a.summary[1:] + "." for a in analyses)
        return (lead + " " + said).strip() if lead else said
    # a summary still names every serious finding
    serious = sum(1 for f in notable if SEVERITY_RANK[f.severity] >= SEVERITY_RANK["high"])
    shown = min(max(shown, serious), DETAIL_FINDINGS)
    lines = [f"{i}. [{f.severity}] {f.title}" for i, f in enumerate(notable[:shown], start=1)]
    more = len(notable) - shown
    if more > 0:
        lines.append(f"... and {more} more (ask for the details).")
    head = lead or (
        f"{len(notable)} finding{'s' if len(notable) != 1 else ''} from "
        + ", ".join(a.title.lower() for a in analyses)
        + ":"
    )
    return head + "\n" + "\n".join(lines)


_FIRST = re.compile(r"\b(first|priorit\w*|most important|urgent\w*|worst)\b", re.IGNORECASE)


def _overview(report: HealthReport, question: str, shown: int) -> str:
    """Every domain's status and its worst finding; or, asked what comes first, the worst
    findings across domains in order."""
    if _FIRST.search(question):
        picked = report.attention(max(shown, 5))
        if not picked:
            return report.headline() + "."
        lines = [f"{i}. [{f.severity}] {f.title}" for i, f in enumerate(picked, start=1)]
        return "Look at these first:\n" + "\n".join(lines)
    lines = []
    for domain in report.domains:
        notable = [f for f in report.in_domain(domain) if f.severity not in ("info", "low")]
        name = domain.replace("_", " ").capitalize()
        if not notable:
            lines.append(f"- {name}: ok")
            continue
        more = f" (and {len(notable) - 1} more)" if len(notable) > 1 else ""
        lines.append(f"- {name}: {report.status(domain)}: {notable[0].title}{more}")
    return report.headline() + ".\n" + "\n".join(lines)


def _follow_up(analysis: Analysis, question: str) -> str:
    """The previous answer's entities as this analysis ranks them (its rows, filtered)."""
    top, rest = analysis.rows[0], analysis.rows[1:4]
    pairs = list(zip(analysis.columns[1:], top[1:], strict=False))
    numbers = [(c, v) for c, v in pairs if isinstance(v, int | float) and not isinstance(v, bool)]
    described = ", ".join(f"{c.replace('_', ' ')} {v}" for c, v in numbers) or ", ".join(
        f"{c.replace('_', ' ')} {v}" for c, v in pairs
    )
    text = f"Of those, {top[0]} comes first in {analysis.title.lower()}: {described}."
    if rest and numbers:
        # the number the question is about ("failed most often": failed), else the first
        words = set(re.findall(r"[a-z]+", question.lower()))
        named = [c for c, _ in numbers if set(c.split("_")) & words] or [numbers[0][0]]
        index = analysis.columns.index(named[0])
        others = ", ".join(f"{r[0]} ({named[0].replace('_', ' ')} {r[index]})" for r in rest)
        text += f" Then {others}."
    return text


def _relation(analyses: list[Analysis], findings: list[Finding]) -> str:
    """Whether findings of different domains share an entity (a job, workspace, table)."""
    names_by_domain: dict[str, set[str]] = {}
    for f in findings:
        names = {f.entity, *(str(v) for v in f.evidence.values() if isinstance(v, str))}
        names_by_domain.setdefault(f.domain, set()).update(names)
    domains = list(names_by_domain)
    shared = set.intersection(*names_by_domain.values()) if len(domains) > 1 else set()
    told = "; ".join(f.title for f in findings[:4])
    if len(domains) < 2:
        return f"Only {', '.join(domains) or 'no domain'} has findings, so there is nothing to relate. {told}"
    if shared:
        return (
            f"They look related: {', '.join(sorted(shared))} appears in both the "
            f"{' and the '.join(d.replace('_', ' ') for d in domains)} findings. {told}"
        )
    return (
        "They do not look related: no job, workspace or table appears in both the "
        f"{' and the '.join(d.replace('_', ' ') for d in domains)} findings. {told}"
    )


def _table(
    main: Analysis | None, findings: list[Finding]
) -> tuple[list[dict[str, str]], list[list[Any]]]:
    if main is not None and main.rows:
        columns = [{"name": c, "type": _type(main.rows, i)} for i, c in enumerate(main.columns)]
        return columns, [[_plain(v) for v in r] for r in main.rows[:200]]
    names = ("severity", "domain", "entity", "finding")
    columns = [{"name": n, "type": "VARCHAR"} for n in names]
    return columns, [
        [f.severity, f.domain, f.entity, f.title] for f in findings if f.severity != "info"
    ]


def _type(rows: tuple[tuple[Any, ...], ...], index: int) -> str:
    value = next((r[index] for r in rows if r[index] is not None), None)
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float) or hasattr(value, "as_tuple"):
        return "DOUBLE"
    if hasattr(value, "isoformat"):
        return "TIMESTAMP" if hasattr(value, "hour") else "DATE"
    return "VARCHAR"


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "as_tuple"):
        return float(value)
    return value


def _chart(
    main: Analysis | None,
    findings: list[Finding],
    columns: list[dict[str, str]],
    rows: list[list[Any]],
) -> dict[str, Any] | None:
    hint = main.chart if main is not None else None
    if main is None:
        return _findings_chart(findings)
    names = [c["name"] for c in columns]
    if hint is None or hint.type == "table" or hint.x not in names or hint.y not in names:
        return None
    x, y = names.index(hint.x), names.index(hint.y)
    try:
        return chart_for(
            [
                ChartColumn(
                    hint.x, "dimension", hint.x.replace("_", " "), is_time=hint.type == "line"
                ),
                ChartColumn(hint.y, "metric", hint.y.replace("_", " ")),
            ],
            [[r[x], r[y]] for r in rows if r[y] is not None],
            title=hint.title or main.title if main else "",
            prefer="line" if hint.type == "line" else "bar",
        )
    except (ValueError, TypeError):
        return None


def _findings_chart(findings: list[Finding]) -> dict[str, Any] | None:
    """Several analyses: how many findings worth a look each domain has."""
    counts: dict[str, int] = {}
    for f in findings:
        if SEVERITY_RANK[f.severity] >= SEVERITY_RANK["medium"]:
            counts[f.domain.replace("_", " ")] = counts.get(f.domain.replace("_", " "), 0) + 1
    if len(counts) < 2:
        return None
    return chart_for(
        [
            ChartColumn("domain", "dimension", "Domain"),
            ChartColumn("findings", "metric", "Findings"),
        ],
        [[d, n] for d, n in counts.items()],
        title="Findings worth a look, by domain",
        prefer="bar",
    )


def _confidence(plan: HealthRoute, findings: list[Finding]) -> float:
    if plan.analyzers:
        return 0.9
    return 0.85 if findings else 0.8


SUGGESTIONS = {
    "cost": "Why did costs spike yesterday?",
    "reliability": "Which jobs are flaky?",
    "performance": "Show me slow queries",
    "security": "Any security concerns?",
    "data_quality": "Which tables are stale?",
}


def _suggestions(domains: Sequence[str], findings: list[Finding]) -> list[str]:
    out = []
    if list(domains) == ["reliability"]:
        out.append("Which of those failed most often?")
    if len(domains) == 1:
        out.append("Platform health overview")
    out.extend(q for d, q in SUGGESTIONS.items() if d not in domains)
    if findings and len(domains) > 1:
        out.insert(0, "Are the cost spike and the job failures related?")
    return out[:4]


def health_error(exc: LakechatError) -> dict[str, Any]:
    return {
        "status": "error",
        "answer": exc.message,
        "error": {"code": exc.code},
        "confidence": 0.0,
    }
