"""Whether an answer's rows are the gold rows: the scoring of eval cases.

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

A disagreement gets the first reason that fits: ``missing column``, ``missing rows``,
``extra rows``, ``wrong filter``, ``wrong rows`` or ``wrong order`` (the table in
``evaluation`` says what each means).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

#: why a case failed: the first six from comparing rows, the rest from ``evaluation``
Reason = Literal[
    "missing column", "missing rows", "extra rows", "wrong filter", "wrong rows",
    "wrong order", "clarified", "refused", "answered", "error", "bad gold",
]  # fmt: skip
#: Numbers within this relative (or absolute) difference are equal.
REL_TOL = 1e-6
ABS_TOL = 1e-9
_MAX_MAPPINGS = 2000
_MAX_PAIRS = 40_000
_ISO_DAY = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)

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
        return Verdict("missing rows", f"expected {rows_phrase(len(gold))}, the answer has none")
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
    found = f"{best} of {rows_phrase(len(gold))} found; the answer has {rows_phrase(len(answer))}"
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


def rows_phrase(count: int) -> str:
    """ "1 row", "3 rows"."""
    return f"{count} row" + ("" if count == 1 else "s")
