"""What a platform-health analysis is, what it returns, and the findings it raises.

    Analyzer  a named, parameterized analysis of one domain over Databricks system tables
    Analysis  what one run returned: its SQL, columns, rows and findings
    Finding   something worth a look: severity, entity, evidence and the SQL behind it

Analyzers are written in Databricks SQL and run through the ``Warehouse`` protocol (see
``runner.py``), so the same analysis runs on the embedded lakehouse and on Databricks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from lakechat.errors import BadRequest

if TYPE_CHECKING:
    from lakechat.monitor.runner import AnalysisRunner, Statement

Domain = Literal["cost", "reliability", "performance", "security", "data_quality"]
DOMAINS: tuple[Domain, ...] = ("cost", "reliability", "performance", "security", "data_quality")
Severity = Literal["critical", "high", "medium", "low", "info"]
#: higher ranks first
SEVERITY_RANK: dict[str, int] = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}

ParamType = Literal["int", "float", "str", "date"]


@dataclass(frozen=True)
class Param:
    """One parameter of an analyzer, with its default and bounds."""

    name: str
    type: ParamType
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None

    def read(self, value: Any) -> Any:
        """``value`` as this parameter's type; BadRequest naming the parameter when it is not."""
        try:
            if self.type == "int":
                if isinstance(value, bool):
                    raise ValueError
                typed: Any = int(value)
                if isinstance(value, float) and value != typed:
                    raise ValueError
            elif self.type == "float":
                if isinstance(value, bool):
                    raise ValueError
                typed = float(value)
                if not math.isfinite(typed):
                    raise ValueError
            elif self.type == "date":
                typed = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            else:
                typed = str(value).strip()
                if not typed:
                    raise ValueError
        except (TypeError, ValueError):
            raise BadRequest(
                f"parameter {self.name!r} must be {_TYPE_WORDS[self.type]}, not {value!r}"
            ) from None
        if self.choices is not None and typed not in self.choices:
            raise BadRequest(
                f"parameter {self.name!r} must be one of {', '.join(self.choices)}, not {typed!r}"
            )
        if self.type == "str":  # bounds are on the length
            if self.maximum is not None and len(typed) > self.maximum:
                raise BadRequest(
                    f"parameter {self.name!r} is at most {self.maximum:g} characters long"
                )
            return typed
        if self.minimum is not None and typed < self.minimum:
            raise BadRequest(f"parameter {self.name!r} must be at least {self.minimum:g}")
        if self.maximum is not None and typed > self.maximum:
            raise BadRequest(f"parameter {self.name!r} must be at most {self.maximum:g}")
        return typed

    def as_json(self) -> dict[str, Any]:
        shown = asdict(self)
        return {key: _plain(value) for key, value in shown.items() if value is not None}


_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "a non-empty text",
    "date": "a date (YYYY-MM-DD)",
}


@dataclass(frozen=True)
class Finding:
    """Something an analyzer thinks is worth a look."""

    domain: Domain
    analyzer: str
    kind: str
    severity: Severity
    entity: str
    title: str
    evidence: dict[str, Any]
    sql: str
    #: orders findings of one severity: bigger is worse (a ratio, a share, a count)
    score: float = 0.0
    time: str | None = None

    @property
    def rank_key(self) -> tuple[int, float]:
        return (SEVERITY_RANK[self.severity], self.score)

    def as_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "analyzer": self.analyzer,
            "kind": self.kind,
            "severity": self.severity,
            "entity": self.entity,
            "title": self.title,
            "time": self.time,
            "score": round(self.score, 4),
            "evidence": self.evidence,
            "sql": self.sql,
        }


def ranked(findings: list[Finding]) -> list[Finding]:
    """Worst first: by severity, then score."""
    return sorted(findings, key=lambda f: f.rank_key, reverse=True)


@dataclass(frozen=True)
class Chart:
    """How an analysis is best drawn (the health agent's visualization hint)."""

    type: Literal["line", "bar", "table"]
    x: str | None = None
    y: str | None = None
    title: str = ""

    def as_hint(self) -> dict[str, Any]:
        return {"type": self.type, "x_axis": self.x, "y_axis": self.y, "title": self.title}


@dataclass(frozen=True)
class Analysis:
    """What one run of an analyzer returned."""

    analyzer: str
    domain: Domain
    title: str
    summary: str
    params: dict[str, Any]
    #: every statement the analysis ran, in order (the first one produced ``rows``)
    sql: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    findings: tuple[Finding, ...]
    tables: tuple[str, ...]
    chart: Chart | None = None
    elapsed_ms: float = 0.0

    def as_json(self, *, rows: bool = True) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "analyzer": self.analyzer,
            "domain": self.domain,
            "title": self.title,
            "summary": self.summary,
            "params": {k: _plain(v) for k, v in self.params.items()},
            "sql": list(self.sql),
            "tables": list(self.tables),
            "findings": [f.as_json() for f in ranked(list(self.findings))],
            "chart": self.chart.as_hint() if self.chart else None,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "row_count": len(self.rows),
        }
        if rows:
            shown["columns"] = list(self.columns)
            shown["rows"] = [[_plain(v) for v in row] for row in self.rows]
        return shown


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "is_finite") and hasattr(value, "as_tuple"):  # Decimal
        return float(value)
    return value


@dataclass(frozen=True)
class Window:
    """The instant an analysis looks back from: the end of the as-of day, or now if sooner."""

    as_of: dt.date
    now: dt.datetime

    @classmethod
    def at(cls, as_of: dt.date | None, clock: dt.datetime) -> Window:
        day = as_of or clock.date()
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
        return cls(day, min(end, clock))

    @property
    def today_start(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of, dt.time(0), tzinfo=dt.UTC)


@dataclass(frozen=True)
class Context:
    """What every analyzer reads: the window, the workspace filter and its parameters."""

    window: Window
    params: Mapping[str, Any]
    #: limit to one workspace (its id), or every workspace
    workspace_id: str | None = None
    workspace_name: str | None = None
    analyzer: str = ""
    domain: Domain = "cost"

    def finding(
        self,
        kind: str,
        severity: Severity,
        entity: str,
        title: str,
        *,
        sql: str,
        evidence: dict[str, Any] | None = None,
        score: float = 0.0,
        time: Any = None,
    ) -> Finding:
        """A finding of the running analyzer."""
        return Finding(
            domain=self.domain,
            analyzer=self.analyzer,
            kind=kind,
            severity=severity,
            entity=entity,
            title=title,
            evidence={k: _plain(v) for k, v in (evidence or {}).items()},
            sql=sql,
            score=float(score),
            time=_plain(time) if time is not None else None,
        )


@dataclass(frozen=True)
class Outcome:
    """What an analyzer's run function returns; the registry makes it an ``Analysis``."""

    statements: tuple[Statement, ...]
    findings: tuple[Finding, ...]
    summary: str
    chart: Chart | None = None


RunFunction = Callable[["AnalysisRunner", Context], Outcome]


@dataclass(frozen=True)
class Analyzer:
    """A named, parameterized analysis of one domain."""

    name: str
    domain: Domain
    title: str
    description: str
    tables: tuple[str, ...]
    run: RunFunction
    params: tuple[Param, ...] = ()
    #: words that route a question here ("spike", "flaky", ...)
    keywords: tuple[str, ...] = ()
    #: run by the overview (analyses that only list rows are asked for by name)
    in_overview: bool = True
    #: about one day (the as-of day): "yesterday" in a question moves the as-of day back
    per_day: bool = False

    def read_params(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with ``given``; BadRequest for unknown names or bad values."""
        given = dict(given or {})
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            offered = ", ".join(known) or "none"
            raise BadRequest(
                f"analyzer {self.name!r} has no parameter {unknown[0]!r}; its parameters: {offered}"
            )
        return {
            name: (param.read(given[name]) if name in given else param.default)
            for name, param in known.items()
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "domain": self.domain,
            "title": self.title,
            "description": self.description,
            "tables": list(self.tables),
            "params": [p.as_json() for p in self.params],
            "in_overview": self.in_overview,
        }
