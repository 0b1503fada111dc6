"""The whole picture: every overview analyzer of the chosen domains, findings ranked.

Analyzers run side by side (as many as the warehouse takes at once); one that fails is
reported with its error and the rest of the report stands.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from lakechat.errors import LakechatError, first_line
from lakechat.monitor.base import DOMAINS, SEVERITY_RANK, Analysis, Domain, Finding, Window, ranked
from lakechat.monitor.registry import all_analyzers, check_domain, run_analyzer
from lakechat.monitor.runner import AnalysisRunner

#: a domain's status from its worst finding
STATUS_BY_SEVERITY = {"critical": "critical", "high": "attention", "medium": "watch"}

Progress = Callable[[int, int], None]
#: of findings equally severe, which domain's come first
URGENCY: tuple[Domain, ...] = ("security", "reliability", "data_quality", "cost", "performance")


@dataclass(frozen=True)
class AnalyzerFailure:
    analyzer: str
    domain: Domain
    code: str
    message: str


@dataclass(frozen=True)
class HealthReport:
    window: Window
    workspace: tuple[str, str] | None
    domains: tuple[Domain, ...]
    analyses: tuple[Analysis, ...]
    failures: tuple[AnalyzerFailure, ...] = ()
    elapsed_ms: float = 0.0
    findings: tuple[Finding, ...] = field(init=False)

    def __post_init__(self) -> None:
        found = [f for a in self.analyses for f in a.findings]
        object.__setattr__(self, "findings", tuple(ranked(found)))

    def in_domain(self, domain: str) -> list[Finding]:
        return [f for f in self.findings if f.domain == domain]

    def status(self, domain: str) -> str:
        """From the worst finding; ``unknown`` when an analyzer failed and nothing was found."""
        worst = next(iter(self.in_domain(domain)), None)
        found = STATUS_BY_SEVERITY.get(worst.severity, "ok") if worst else "ok"
        if found == "ok" and any(f.domain == domain for f in self.failures):
            return "unknown"
        return found

    def attention(self, count: int = 5) -> list[Finding]:
        """What to look at first: the worst findings, at most two per domain; of equal
        severity, threats and broken pipelines before stale data, spend and slowness."""
        picked: list[Finding] = []
        order = sorted(
            self.findings,
            key=lambda f: (-SEVERITY_RANK[f.severity], URGENCY.index(f.domain), -f.score),
        )
        for finding in order:
            if SEVERITY_RANK[finding.severity] < SEVERITY_RANK["medium"]:
                break
            if sum(1 for f in picked if f.domain == finding.domain) < 2:
                picked.append(finding)
            if len(picked) == count:
                break
        return picked

    def headline(self) -> str:
        serious = [f for f in self.findings if SEVERITY_RANK[f.severity] >= SEVERITY_RANK["high"]]
        needing = [d for d in self.domains if self.status(d) in ("critical", "attention")]
        if not serious:
            return f"Nothing serious as of {self.window.as_of}: " + ", ".join(
                f"{d.replace('_', ' ')} {self.status(d)}" for d in self.domains
            )
        return (
            f"{len(serious)} serious finding{'s' if len(serious) != 1 else ''} as of "
            f"{self.window.as_of} in {', '.join(d.replace('_', ' ') for d in needing)}; "
            f"first: {self.attention(1)[0].title}"
        )

    def as_json(self, *, rows: bool = False) -> dict[str, Any]:
        by_domain = {}
        for domain in self.domains:
            analyses = [a for a in self.analyses if a.domain == domain]
            by_domain[domain] = {
                "status": self.status(domain),
                "findings": [f.as_json() for f in self.in_domain(domain)],
                "analyses": [a.as_json(rows=rows) for a in analyses],
            }
        return {
            "as_of": self.window.as_of.isoformat(),
            "now": self.window.now.isoformat(),
            "workspace": (
                {"id": self.workspace[0], "name": self.workspace[1]} if self.workspace else None
            ),
            "headline": self.headline(),
            "attention": [f.as_json() for f in self.attention()],
            "domains": by_domain,
            "findings": [f.as_json() for f in self.findings],
            "failures": [vars(f) for f in self.failures],
            "elapsed_ms": round(self.elapsed_ms, 2),
        }


def build_report(
    runner: AnalysisRunner,
    window: Window,
    *,
    domains: Sequence[str] | None = None,
    workspace: tuple[str, str] | None = None,
    parallel: int = 4,
    progress: Progress | None = None,
) -> HealthReport:
    """Run every overview analyzer of ``domains`` (all by default) and rank what they found."""
    chosen = tuple(check_domain(d) for d in domains) if domains else DOMAINS
    specs = [a for a in all_analyzers().values() if a.domain in chosen and a.in_overview]
    started = time.perf_counter()
    analyses: list[Analysis] = []
    failures: list[AnalyzerFailure] = []

    def one(name: str) -> Analysis:
        return run_analyzer(runner, name, window=window, workspace=workspace)

    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="health") as pool:
        futures = [(spec, pool.submit(one, spec.name)) for spec in specs]
        for done, (spec, future) in enumerate(futures, start=1):
            try:
                analyses.append(future.result())
            except LakechatError as exc:
                failures.append(AnalyzerFailure(spec.name, spec.domain, exc.code, exc.message))
            except Exception as exc:  # a bug in one analyzer must not hide the others
                failures.append(
                    AnalyzerFailure(spec.name, spec.domain, "internal", first_line(exc))
                )
            if progress:
                progress(done, len(futures))
    return HealthReport(
        window,
        workspace,
        chosen,
        tuple(analyses),
        tuple(failures),
        (time.perf_counter() - started) * 1000,
    )
