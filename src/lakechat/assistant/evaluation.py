"""Benchmark the assistant with question sets whose answers are known (``lakechat eval``).

Cases come from ``evalcases`` (a YAML file format) and rows are compared by ``evalscoring``
(values normalized, columns matched by content, never the SQL); this module asks every case,
scores the last turn and reports pass rates by tag and by reason.

A case that fails gets one reason:

=================  ==========================================================================
missing column     a gold column fits no answer column (the answer lacks a breakdown, or has
                   fewer columns than the gold result)
missing rows       every answer row is a gold row, but some gold rows are missing (a filter
                   too narrow, a limit too small)
extra rows         every gold row is there, plus others (a filter missing or too wide)
wrong filter       the row sets only partly overlap
wrong rows         no gold row is in the answer
wrong order        ``ordered: true`` and the right rows came in another order
clarified          an answer was expected and the assistant asked a clarifying question
refused            an answer (or a clarifying question) was expected and it refused
answered           a clarifying question or a refusal was expected and it answered
error              the assistant returned status error, or ``ask`` raised
bad gold           the case's gold SQL failed: fix the case, not the assistant
=================  ==========================================================================

A *confident wrong answer* is a failed case the assistant answered with confidence at or
above ``confident`` (0.8): the worst outcome, a wrong number stated as right, and one is
enough to fail CI (as is a pass rate under 95%).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from lakechat.assistant.evalcases import (
    KNOWN_TAGS,
    TODAY_PLACEHOLDER,
    EvalCase,
    load_cases,
    parse_cases,
)
from lakechat.assistant.evalscoring import Reason, Verdict, compare_rows, normalize, rows_phrase

__all__ = [
    "KNOWN_TAGS",
    "MIN_PASS_RATE",
    "TABLE_COLUMNS",
    "TODAY_PLACEHOLDER",
    "CaseResult",
    "EvalCase",
    "EvalReport",
    "TagScore",
    "Verdict",
    "compare_rows",
    "load_cases",
    "normalize",
    "parse_cases",
    "run_eval",
]

#: CI's bar: at least this share of cases pass, and no confident wrong answer.
MIN_PASS_RATE = 0.95
#: The columns of EvalReport.table_rows(), for a rich table of the failures.
TABLE_COLUMNS = ("case", "reason", "question", "expected", "got", "confidence")

Ask = Callable[[str, str | None], Mapping[str, Any]]
Gold = Callable[[str], Sequence[Sequence[Any]]]

_STATUS_REASON: dict[str, Reason] = {
    "clarify": "clarified",
    "refused": "refused",
    "answered": "answered",
    "error": "error",
}
_EXCERPT_ROWS = 3
_EXCERPT_CHARS = 300


@dataclass(frozen=True)
class CaseResult:
    """One case's outcome; ``expected`` and ``got`` are short excerpts for people."""

    id: str
    question: str
    turns: tuple[str, ...]
    tags: tuple[str, ...]
    passed: bool
    reason: Reason | None = None
    detail: str = ""
    expected: str = ""
    got: str = ""
    status: str | None = None
    sql: str | None = None
    confidence: float | None = None
    latency_ms: float = 0.0
    confident_wrong: bool = False

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "turns": list(self.turns), "tags": list(self.tags)}


@dataclass(frozen=True)
class TagScore:
    tag: str
    passed: int
    total: int

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


@dataclass(frozen=True)
class EvalReport:
    """Every case's result, with totals, per-tag pass rates and the confident wrong answers."""

    results: tuple[CaseResult, ...]
    today: date
    confident: float = 0.8

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(result.passed for result in self.results)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(result for result in self.results if not result.passed)

    @property
    def confident_wrong(self) -> tuple[CaseResult, ...]:
        return tuple(result for result in self.results if result.confident_wrong)

    @property
    def by_tag(self) -> dict[str, TagScore]:
        counts: dict[str, list[int]] = {}
        for result in self.results:
            for tag in result.tags:
                tally = counts.setdefault(tag, [0, 0])
                tally[0] += result.passed
                tally[1] += 1
        return {tag: TagScore(tag, *counts[tag]) for tag in sorted(counts)}

    @property
    def by_reason(self) -> dict[str, int]:
        return dict(Counter(str(result.reason) for result in self.failures).most_common())

    def gate_failures(self, min_pass_rate: float = MIN_PASS_RATE) -> list[str]:
        """Why CI should fail (empty when it passes): too few passes, or any confident
        wrong answer."""
        problems = []
        if self.pass_rate < min_pass_rate:
            problems.append(
                f"{self.passed} of {self.total} cases passed ({self.pass_rate:.1%}), "
                f"under the {min_pass_rate:.0%} required"
            )
        if self.confident_wrong:
            ids = ", ".join(result.id for result in self.confident_wrong)
            problems.append(
                f"{len(self.confident_wrong)} confident wrong answers (confidence >= "
                f"{self.confident:g}): {ids}"
            )
        return problems

    def to_json(self) -> dict[str, Any]:
        """The report for ``--json``: totals, tags, reasons, failures and every case."""
        return {
            "today": self.today.isoformat(),
            "total": self.total,
            "passed": self.passed,
            "failed": self.total - self.passed,
            "pass_rate": self.pass_rate,
            "confident": self.confident,
            "by_tag": {
                tag: {"passed": score.passed, "total": score.total, "pass_rate": score.pass_rate}
                for tag, score in self.by_tag.items()
            },
            "by_reason": self.by_reason,
            "confident_wrong": [result.id for result in self.confident_wrong],
            "failures": [result.as_json() for result in self.failures],
            "cases": [
                {
                    "id": r.id,
                    "passed": r.passed,
                    "reason": r.reason,
                    "status": r.status,
                    "confidence": r.confidence,
                    "latency_ms": r.latency_ms,
                }
                for r in self.results
            ],
        }

    def table_rows(self) -> list[tuple[str, ...]]:
        """One row per failure under ``TABLE_COLUMNS``, confident wrong answers first."""
        ordered = sorted(self.failures, key=lambda result: not result.confident_wrong)
        return [
            (
                result.id,
                f"{result.reason}: {result.detail}" if result.detail else str(result.reason),
                result.question,
                result.expected,
                result.got,
                ""
                if result.confidence is None
                else f"{result.confidence:.2f}" + (" !" if result.confident_wrong else ""),
            )
            for result in ordered
        ]


def run_eval(
    cases: Iterable[EvalCase],
    ask: Ask,
    gold: Gold,
    *,
    today: date,
    confident: float = 0.8,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Ask every case in a new session (each turn passing the session id it got back),
    score the last turn, and report; ``gold(sql)`` runs a gold query on the warehouse.
    Nothing ``ask`` raises stops the run: the case fails with reason ``error``."""
    chosen = list(cases)
    results = []
    for done, case in enumerate(chosen, 1):
        results.append(_run_case(case, ask, gold, today, confident))
        if progress is not None:
            progress(done, len(chosen))
    return EvalReport(tuple(results), today, confident)


def _run_case(case: EvalCase, ask: Ask, gold: Gold, today: date, confident: float) -> CaseResult:
    base = CaseResult(case.id, case.turns[-1], case.turns, case.tags, passed=False)
    expected_rows: list[Sequence[Any]] | None = None
    if case.gold_sql is not None:
        sql = case.gold_query(today) or ""
        try:
            expected_rows = list(gold(sql))
        except Exception as exc:
            return replace(
                base, reason="bad gold", detail=f"the gold SQL failed: {_message(exc)}", sql=sql
            )
    elif case.gold_rows is not None:
        expected_rows = [list(row) for row in case.gold_rows]
    expected = case.expect or _excerpt(expected_rows or [])
    base = replace(base, expected=expected)

    started = time.perf_counter()
    session_id: str | None = None
    response: Mapping[str, Any] = {}
    for number, turn in enumerate(case.turns, 1):
        try:
            response = ask(turn, session_id)
            if not isinstance(response, Mapping):
                raise TypeError(f"ask returned {type(response).__name__}, not an answer")
        except Exception as exc:
            where = f"turn {number}: " if len(case.turns) > 1 else ""
            return replace(
                base, reason="error", detail=where + _message(exc), latency_ms=_elapsed(started)
            )
        session_id = response.get("session_id") or session_id

    status = str(response.get("status") or "").lower()
    confidence = _confidence(response.get("confidence"))
    text = str(response.get("answer") or "")
    rows = _answer_rows(response)
    scored = replace(
        base,
        status=status,
        sql=response.get("sql") or None,
        confidence=confidence,
        latency_ms=_elapsed(started),
        got=_excerpt(rows) if status == "answered" else _shorten(text),
    )
    verdict = _score(case, expected_rows, status, rows, text)
    wrong = not verdict.passed and status == "answered" and (confidence or 0.0) >= confident
    detail = verdict.detail
    if not verdict.passed and response.get("truncated"):
        detail += " (the answer was truncated)"
    return replace(
        scored, passed=verdict.passed, reason=verdict.reason, detail=detail, confident_wrong=wrong
    )


def _score(
    case: EvalCase,
    expected_rows: list[Sequence[Any]] | None,
    status: str,
    rows: list[Sequence[Any]],
    text: str,
) -> Verdict:
    if case.expect is not None:
        if status == case.expect:
            return Verdict(None)
        reason = _STATUS_REASON.get(status, "error")
        return Verdict(reason, f"expected {case.expect}, got {status or 'no status'}")
    if status != "answered":
        reason = _STATUS_REASON.get(status, "error")
        return Verdict(reason, _shorten(text) or f"status {status or 'missing'}")
    return compare_rows(expected_rows or [], rows, ordered=case.ordered)


def _answer_rows(response: Mapping[str, Any]) -> list[Sequence[Any]]:
    """The answer's rows as lists in column order (rows given as objects are read by the
    answer's column names)."""
    names = [
        str(column.get("name"))
        for column in response.get("columns") or []
        if isinstance(column, Mapping)
    ]
    rows: list[Sequence[Any]] = []
    for row in response.get("rows") or []:
        if isinstance(row, Mapping):
            rows.append([row.get(name) for name in names] if names else list(row.values()))
        elif isinstance(row, Sequence) and not isinstance(row, str):
            rows.append(row)
        else:
            rows.append([row])
    return rows


def _confidence(value: Any) -> float | None:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    return None


def _excerpt(rows: Sequence[Sequence[Any]]) -> str:
    shown = json.dumps([list(row) for row in rows[:_EXCERPT_ROWS]], default=_plain)
    if len(rows) > _EXCERPT_ROWS:
        shown = shown[:-1] + f", ...] ({rows_phrase(len(rows))})"
    return _shorten(shown)


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else str(value)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 3] + "..."


def _message(exc: Exception) -> str:
    return _shorten(f"{type(exc).__name__}: {exc}")


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
