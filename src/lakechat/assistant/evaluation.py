"""Benchmark the assistant with question sets whose answers are known (``lakechat eval``).

A case file is YAML: a list of cases, or ``{cases: [...]}``. Each case has an ``id``, a
``question`` (or a ``conversation`` of turns, the last one scored), and what is expected:
``gold_sql`` (run on the warehouse; ``{today}`` becomes the evaluation's today as a DATE
literal), ``gold_rows``, or ``expect: clarify | refused``. ``ordered: true`` also compares
row order; ``tags`` (from ``KNOWN_TAGS``) group the pass rates; ``note`` is for people.

Scoring compares result sets the way Databricks Genie's benchmarks do, never the SQL:

- Values are normalized first: numbers (int, float, Decimal) are equal within a relative
  tolerance of 1e-6 (absolute 1e-9); dates and datetimes compare as ISO text (an ISO
  string in an answer is read back as a date or time; an aware time is taken in UTC, and a
  time at midnight is its day, so ``DATE_TRUNC`` on a timestamp still matches a day);
  strings are stripped; None equals None.
- Column order and names are ignored: each gold column is mapped to a different answer
  column holding the same kind of values (for text, sharing at least one value);
  columns whose whole value multisets agree are tried first, then every other mapping, and
  the mapping under which most gold rows are found decides. Extra answer columns are fine
  (a dimension shown beside the asked number).
- Without ``ordered``, rows compare as multisets.

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
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lakechat.errors import BadRequest

#: Every tag a case may carry; a case file with another tag is refused.
KNOWN_TAGS = frozenset({
    "tpch", "learning", "platform", "followup", "clarify", "refuse", "time", "relative_time",
    "topn", "filter", "share", "growth", "misspelling", "value_synonym", "multi_measure",
    "having", "empty",
})  # fmt: skip
Reason = Literal[
    "missing column", "missing rows", "extra rows", "wrong filter", "wrong rows",
    "wrong order", "clarified", "refused", "answered", "error", "bad gold",
]  # fmt: skip
#: Numbers within this relative (or absolute) difference are equal.
REL_TOL = 1e-6
ABS_TOL = 1e-9
#: CI's bar: at least this share of cases pass, and no confident wrong answer.
MIN_PASS_RATE = 0.95
TODAY_PLACEHOLDER = "{today}"
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
_MAX_MAPPINGS = 2000
_MAX_PAIRS = 40_000
_EXCERPT_ROWS = 3
_EXCERPT_CHARS = 300
_ISO_DAY = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


# cases -----------------------------------------------------------------------------------
class EvalCase(BaseModel):
    """One benchmark question and what answers it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")
    question: str | None = Field(None, min_length=1)
    conversation: tuple[str, ...] | None = Field(None, min_length=2)
    gold_sql: str | None = Field(None, min_length=1)
    gold_rows: tuple[tuple[Any, ...], ...] | None = None
    expect: Literal["clarify", "refused"] | None = None
    ordered: bool = False
    tags: tuple[str, ...] = ()
    note: str | None = None

    @field_validator("conversation")
    @classmethod
    def _turns_have_text(cls, turns: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if turns is not None and any(not turn.strip() for turn in turns):
            raise ValueError("every turn needs text")
        return turns

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(tags) - KNOWN_TAGS)
        if unknown:
            raise ValueError(
                f"unknown tag {', '.join(map(repr, unknown))}; known: {', '.join(sorted(KNOWN_TAGS))}"
            )
        return tags

    @model_validator(mode="after")
    def _one_question_one_expectation(self) -> EvalCase:
        if (self.question is None) == (self.conversation is None):
            raise ValueError("give exactly one of question and conversation")
        given = [k for k in ("gold_sql", "gold_rows", "expect") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of gold_sql, gold_rows and expect"
                + (f" (got {' and '.join(given)})" if given else "")
            )
        if self.ordered and self.expect is not None:
            raise ValueError("ordered compares rows: it needs gold_sql or gold_rows")
        if self.gold_rows and len({len(row) for row in self.gold_rows}) > 1:
            raise ValueError("gold_rows: every row needs the same number of values")
        return self

    @property
    def turns(self) -> tuple[str, ...]:
        """What is asked, in order; the last turn is scored."""
        return self.conversation or (self.question or "",)

    def gold_query(self, today: date) -> str | None:
        """The gold SQL with ``{today}`` as ``DATE 'YYYY-MM-DD'``."""
        if self.gold_sql is None:
            return None
        return self.gold_sql.replace(TODAY_PLACEHOLDER, f"DATE '{today.isoformat()}'")


class _Yaml12Loader(yaml.SafeLoader):
    """Booleans are only true/false, so a value like NO or ON in gold rows stays text."""


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_cases(*paths: Path) -> list[EvalCase]:
    """The cases in ``paths`` (files, or folders whose ``*.yaml`` files are read in name
    order); BadRequest names the file, the case and the field of the first bad case."""
    files: list[Path] = []
    for path in paths:
        files += sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
    cases: list[EvalCase] = []
    seen: dict[str, str] = {}
    for file in files:
        try:
            document = yaml.load(file.read_text(encoding="utf-8"), Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader
        except OSError as exc:
            raise BadRequest(f"{file}: cannot read the case file: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise BadRequest(f"{file}{where}: not valid YAML: {problem}") from None
        for case in parse_cases(document, str(file)):
            if case.id in seen:
                raise BadRequest(f"{file}: case id {case.id!r} is also used in {seen[case.id]}")
            seen[case.id] = str(file)
            cases.append(case)
    return cases


def parse_cases(document: Any, source: str = "<cases>") -> list[EvalCase]:
    """A parsed case file (a list, or ``{cases: [...]}``) as cases, ids unique."""
    if isinstance(document, dict) and set(document) == {"cases"}:
        document = document["cases"]
    if not isinstance(document, list):
        raise BadRequest(f"{source}: a case file is a list of cases, or {{cases: [...]}}")
    cases: list[EvalCase] = []
    for index, item in enumerate(document, 1):
        label = f"case #{index}"
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            label += f" {item['id']!r}"
        if not isinstance(item, dict):
            raise BadRequest(f"{source}: {label}: a case is a mapping with id, question, ...")
        try:
            case = EvalCase.model_validate(item)
        except ValidationError as exc:
            raise BadRequest(f"{source}: {label}: {_problems(exc)}") from None
        if any(case.id == earlier.id for earlier in cases):
            raise BadRequest(f"{source}: {label}: the id is used twice")
        cases.append(case)
    return cases


def _problems(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown key {where!r}")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


# comparing result sets -------------------------------------------------------------------
Value = tuple[str, Any]  # (kind, canonical value); kind: number, text, time, bool, null, nan
Row = tuple[Value, ...]


@dataclass(frozen=True)
class Verdict:
    """How an answer's rows compare with the gold rows: ``reason`` None when they agree."""

    reason: Reason | None
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.reason is None


def normalize(value: Any) -> Value:
    """``value`` as (kind, canonical value), so equal results compare equal (see above)."""
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return ("nan", "NaN") if math.isnan(number) else ("number", number)
    if isinstance(value, datetime):
        return ("time", _instant(value))
    if isinstance(value, date):
        return ("time", value.isoformat())
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DAY.fullmatch(text):
            try:
                return ("time", _instant(datetime.fromisoformat(text)))
            except ValueError:
                pass
        return ("text", text)
    return ("text", json.dumps(value, sort_keys=True, default=str))


def _instant(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment.time() == datetime.min.time():
        return moment.date().isoformat()
    return moment.isoformat()


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _numbers_equal(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(_close(x, y) for x, y in zip(a, b, strict=True))


def _count_matches(gold: Sequence[Row], answer: Sequence[Row]) -> int:
    """How many gold rows pair off with distinct answer rows (a maximum matching): rows
    are bucketed by their non-numeric values, numbers are matched within the tolerance."""
    buckets: dict[tuple[Any, ...], tuple[list[tuple[float, ...]], list[tuple[float, ...]]]] = {}
    for side, rows in enumerate((gold, answer)):
        for row in rows:
            key = tuple((kind, None if kind == "number" else value) for kind, value in row)
            numbers = tuple(value for kind, value in row if kind == "number")
            buckets.setdefault(key, ([], []))[side].append(numbers)
    return sum(_match_numbers(g, a) for g, a in buckets.values() if g and a)


def _match_numbers(gold: list[tuple[float, ...]], answer: list[tuple[float, ...]]) -> int:
    if not gold[0]:
        return min(len(gold), len(answer))
    if len(gold) * len(answer) > _MAX_PAIRS:
        return _match_sorted(sorted(gold), sorted(answer))
    edges = [[j for j, other in enumerate(answer) if _numbers_equal(row, other)] for row in gold]
    partner = [-1] * len(answer)

    def augment(i: int, seen: set[int]) -> bool:  # Kuhn's augmenting path
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if partner[j] < 0 or augment(partner[j], seen):
                    partner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(gold)))


def _match_sorted(gold: list[tuple[float, ...]], answer: list[tuple[float, ...]]) -> int:
    """Large buckets: walk both sorted lists (exact for one number per row)."""
    i = j = matched = 0
    while i < len(gold) and j < len(answer):
        if _numbers_equal(gold[i], answer[j]):
            matched, i, j = matched + 1, i + 1, j + 1
        elif gold[i] < answer[j]:
            i += 1
        else:
            j += 1
    return matched


def _kinds(column: Sequence[Value]) -> frozenset[str]:
    return frozenset(kind for kind, _ in column if kind != "null")


def _fits(gold: Sequence[Value], answer: Sequence[Value]) -> bool:
    """Can the answer column be the gold column? Same kind of values, and for text and
    booleans at least one value in common (numbers and days may all differ under a wrong
    filter; a text column sharing no value is another dimension)."""
    gold_kinds, answer_kinds = _kinds(gold), _kinds(answer)
    if not gold_kinds or not answer_kinds:
        return True
    shared = gold_kinds & answer_kinds
    if not shared:
        return False
    if shared & {"number", "time"}:
        return True
    return bool({v for v in gold if v[0] != "null"} & set(answer))


def _likeness(gold: Sequence[Value], answer: Sequence[Value]) -> float:
    """2 when the columns hold the same multiset of values, else the share of gold values
    (rounded) found in the answer column: which mappings to try first."""
    if len(gold) == len(answer) and _count_matches(
        [(v,) for v in gold], [(v,) for v in answer]
    ) == len(gold):
        return 2.0
    found = {_rounded(v) for v in answer}
    return sum(_rounded(v) in found for v in gold) / max(len(gold), 1)


def _rounded(value: Value) -> Value:
    return ("number", float(f"{value[1]:.6g}")) if value[0] == "number" else value


def _mappings(candidates: list[list[int]]) -> Iterator[tuple[int, ...]]:
    """Injective choices of one candidate answer column per gold column, best-first."""

    def extend(chosen: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        if len(chosen) == len(candidates):
            yield chosen
            return
        for column in candidates[len(chosen)]:
            if column not in chosen:
                yield from extend((*chosen, column))

    return extend(())


def compare_rows(
    gold_rows: Sequence[Sequence[Any]],
    answer_rows: Sequence[Sequence[Any]],
    *,
    ordered: bool = False,
) -> Verdict:
    """Whether ``answer_rows`` hold the ``gold_rows`` (see the module docstring)."""
    gold = [tuple(map(normalize, row)) for row in gold_rows]
    answer = [tuple(map(normalize, row)) for row in answer_rows]
    if not gold:
        return (
            Verdict(None)
            if not answer
            else Verdict("extra rows", f"expected no rows, got {len(answer)}")
        )
    if not answer:
        return Verdict("missing rows", f"expected {_rows(len(gold))}, the answer has none")
    gold_columns = [[row[j] for row in gold] for j in range(len(gold[0]))]
    answer_columns = [[row[c] for row in answer] for c in range(len(answer[0]))]
    candidates = []
    for column in gold_columns:
        fitting = [c for c, other in enumerate(answer_columns) if _fits(column, other)]
        likeness = {c: _likeness(column, answer_columns[c]) for c in fitting}
        candidates.append(sorted(fitting, key=likeness.__getitem__, reverse=True))
    unplaced = [j for j, fitting in enumerate(candidates) if not fitting]
    if unplaced or len(answer_columns) < len(gold_columns):
        return Verdict(
            "missing column", _missing_detail(gold_columns, unplaced, len(answer_columns))
        )
    best, order_only = -1, False
    for tried, mapping in enumerate(_mappings(candidates)):
        if tried >= _MAX_MAPPINGS:
            break
        projected = [tuple(row[c] for c in mapping) for row in answer]
        matched = _count_matches(gold, projected)
        if matched == len(gold) == len(answer):
            if not ordered or _in_order(gold, projected):
                return Verdict(None)
            order_only = True
        best = max(best, matched)
    if order_only:
        return Verdict("wrong order", "the right rows, in another order")
    if best < 0:
        return Verdict("missing column", _missing_detail(gold_columns, [], len(answer_columns)))
    found = f"{best} of {_rows(len(gold))} found; the answer has {_rows(len(answer))}"
    if best == len(answer):
        return Verdict("missing rows", found)
    if best == len(gold):
        return Verdict("extra rows", found)
    return Verdict("wrong filter" if best else "wrong rows", found)


def _in_order(gold: Sequence[Row], answer: Sequence[Row]) -> bool:
    return all(_count_matches([g], [a]) == 1 for g, a in zip(gold, answer, strict=True))


def _missing_detail(columns: list[list[Value]], unplaced: list[int], width: int) -> str:
    if not unplaced:
        return f"expected {len(columns)} columns that fit apart, the answer has {width} that fit"
    described = []
    for j in unplaced:
        sample = list(dict.fromkeys(value for _, value in columns[j]))[:3]
        described.append(f"gold column {j + 1} (e.g. {', '.join(map(repr, sample))})")
    return "no answer column holds " + "; ".join(described)


def _rows(count: int) -> str:
    return f"{count} row" + ("" if count == 1 else "s")


# running ---------------------------------------------------------------------------------
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
        shown = shown[:-1] + f", ...] ({_rows(len(rows))})"
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
