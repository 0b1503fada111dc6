"""A semantic query being put together, mutable until it becomes a SemanticPlan.

A follow-up starts from the previous plan's draft and changes only what the new message
names ("only for 1995" replaces the time range and keeps the rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lakechat.assistant.plans import Match, SemanticPlan
from lakechat.semantic.query import Condition, FilterGroup, SemanticQuery


@dataclass
class Draft:
    model: str
    measures: list[tuple[str, str | None]] = field(default_factory=list)  # (name, calculation)
    dimensions: list[tuple[str, str | None]] = field(default_factory=list)  # (name, grain)
    #: dimension -> (op, values); one condition per dimension, replaced by a follow-up
    where: dict[str, tuple[str, list[Any]]] = field(default_factory=dict)
    having: list[dict[str, Any]] = field(default_factory=list)
    time_range: dict[str, Any] | None = None
    order: list[tuple[str, str]] = field(default_factory=list)
    limit: int | None = None
    chart: str | None = None
    matches: list[Match] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    confidence: float = 0.95

    @classmethod
    def from_plan(cls, plan: SemanticPlan, dimension_names: set[str]) -> Draft:
        query = plan.query
        draft = cls(plan.model, chart=plan.chart)
        draft.measures = [(m.name, m.calculation) for m in query.metrics]
        draft.dimensions = [(d.name, d.time_grain) for d in query.dimensions]
        for condition in conditions_of(query):
            if condition.op in ("eq", "in", "ne", "not_in") and condition.field in dimension_names:
                values = condition.value if isinstance(condition.value, list) else [condition.value]
                op = "in" if condition.op in ("eq", "in") else "not_in"
                draft.where[condition.field] = (op, list(values))
            else:
                draft.having.append(condition.model_dump(by_alias=True, exclude_none=True))
        if query.time_range is not None:
            draft.time_range = query.time_range.model_dump(exclude_none=True)
        draft.order = [(o.field, o.direction.lower()) for o in query.order_by]
        draft.limit = query.limit
        return draft

    def add_measure(self, name: str, calculation: str | None = None) -> None:
        if (name, calculation) not in self.measures:
            self.measures.append((name, calculation))

    def add_dimension(self, name: str, grain: str | None = None) -> None:
        self.dimensions = [d for d in self.dimensions if d[0] != name]
        self.dimensions.append((name, grain))

    def assume(self, text: str, factor: float = 0.97) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)
            self.confidence *= factor

    def query(self) -> dict[str, Any]:
        conditions: list[dict[str, Any]] = []
        for dim, (op, values) in self.where.items():
            if len(values) == 1 and op in ("in", "not_in"):
                conditions.append(
                    {"field": dim, "op": "eq" if op == "in" else "ne", "value": values[0]}
                )
            elif op in ("is_null", "is_not_null"):
                conditions.append({"field": dim, "op": op})
            elif op in ("in", "not_in", "between"):
                conditions.append({"field": dim, "op": op, "value": values})
            else:
                conditions.append({"field": dim, "op": op, "value": values[0]})
        conditions += self.having
        body: dict[str, Any] = {
            "dataset": self.model,
            "metrics": [{"name": n, **({"calculation": c} if c else {})} for n, c in self.measures],
            "dimensions": [
                {"name": n, **({"timeGrain": g} if g else {})} for n, g in self.dimensions
            ],
            "orderBy": [{"field": f, "direction": d} for f, d in self.order],
        }
        if conditions:
            body["filters"] = conditions[0] if len(conditions) == 1 else {"and": conditions}
        if self.time_range is not None:
            body["timeRange"] = self.time_range
        if self.limit is not None:
            body["limit"] = self.limit
        return body


def conditions_of(query: SemanticQuery) -> list[Condition]:
    """The conditions ANDed at the top of ``query``'s filters (the ones a draft edits)."""
    found = query.filters
    if found is None:
        return []
    if isinstance(found, FilterGroup):
        return [c for c in (found.and_ or ()) if isinstance(c, Condition)]
    return [found]
