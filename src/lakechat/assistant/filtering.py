"""The filter roles: values, true/false dimensions and number thresholds.

"ship mode AIR", "excluding AMERICA", "domestic suppliers" and "more than 100 orders" all
limit what is counted; this part decides which dimension or measure each one limits and
whether it is negated. A value read loosely is said in the draft's assumptions.
"""

from __future__ import annotations

from lakechat.assistant.reading import Found
from lakechat.assistant.text import singular
from lakechat.assistant.timing import TimeRoles

_NEGATIONS = {"excluding", "exclude", "except", "without", "not", "but", "omitting", "minus"}
_TWO_WORD_NEGATIONS = {("other", "than"), ("apart", "from"), ("aside", "from"), ("but", "not")}
_LIST_JOINERS = {"and", "or", "nor", "&"}
_PREPOSITIONS = {"by", "via", "in", "on", "through", "during", "between", "from", "to",
                 "before", "after", "since", "within", "with"}  # fmt: skip


class FilterRoles(TimeRoles):
    """Gives the question's values and thresholds their roles as filters."""

    def _booleans(self) -> None:
        """ "domestic suppliers": a true/false dimension named outside "by ..." is a filter."""
        for f in self.items:
            dims = self._dimension_terms(f, every=True)
            if id(f) in self.handled or not dims or self._grouping_context(f):
                continue
            dim = self.dims_by_name[dims[0]]
            if _is_boolean(dim.expr):
                self.handled.add(id(f))
                self._note(f, "value", dim.name)
                negated = self._negated(f)
                self.boolean_filters[dim.name] = not negated

    def _qualifiers(self) -> None:
        """ "ship mode AIR", "return flag R", "part size 15": a dimension then its value."""
        for k, f in enumerate(self.items):
            dims = self._dimension_terms(f)
            if id(f) in self.handled or not dims:
                continue
            dim = dims[0]
            following = self.items[k + 1] if k + 1 < len(self.items) else None
            if (
                following is not None
                and following.start - f.end <= 1
                and all(
                    w.norm in ("is", "=", "of", "equals")
                    for w in self.q.words[f.end : following.start]
                )
                and not self._grouping_context(f)
                and dim in self._hits(following)
            ):
                self.value_dimension[id(following)] = dim
                self.handled.add(id(f))
                continue
            preceding = self.items[k - 1] if k > 0 else None
            if (
                preceding is not None
                and preceding.end == f.start
                and dim in self._hits(preceding)
                and not self._grouping_context(f)
            ):
                # "high priority": the value, then the dimension it belongs to
                self.value_dimension[id(preceding)] = dim
                self.handled.add(id(f))
                continue
            entity = self._entity_value(k, f, dim)
            if entity is not None:
                following, related = entity
                self.value_dimension[id(following)] = related
                self.handled.add(id(f))
                continue
            if f.end < len(self.q.words):
                word = self.q.words[f.end]
                raw = self.values.value_of(self.model.id, dim, word.norm)
                if raw is not None and not any(i.start == f.end for i in self.items):
                    self.literal_filters.append((dim, raw, f))
                    self.handled.add(id(f))

    def _entity_value(self, k: int, f: Found, dim: str) -> tuple[Found, str] | None:
        """ "vendors in AMERICA", "customers from Germany": the value belongs to a dimension
        of the same thing (supplier region for vendors), and the vendors are not grouped."""
        if self._grouping_context(f) or k + 1 >= len(self.items):
            return None
        following = self.items[k + 1]
        between = [w.norm for w in self.q.words[f.end : following.start]]
        if not between or not set(between) <= {"in", "from", "of", "at", "based", "located"}:
            return None
        thing = dim.split("_", maxsplit=1)[0]
        for related in self._hits(following):
            if related.split("_")[0] == thing:
                return following, related
        return None

    def _values(self) -> dict[str, tuple[str, list[object]]]:
        where: dict[str, tuple[str, list[object]]] = {}
        negated_dims: set[str] = set()
        previous_end = -10
        previous_dim = None
        for dim, raw, f in self.literal_filters:
            where.setdefault(dim, ("in", []))[1].append(raw)
            self._note(f, "value", dim)
        for f in self.items:
            if id(f) in self.handled:
                continue
            dims = self._hits(f)
            if not dims:
                continue
            if self._verb_not_value(f):
                continue
            dim = self.value_dimension.get(id(f)) or self._pick_value_dimension(f, dims)
            hit = next(h for h in f.values if h.model == self.model.id and h.dimension == dim)
            self.handled.add(id(f))
            self._note(f, "value", dim)
            joined = previous_dim == dim and all(
                w.norm in _LIST_JOINERS for w in self.q.words[previous_end : f.start]
            )
            negated = self._negated(f) or (joined and dim in negated_dims)
            if negated:
                negated_dims.add(dim)
            op = "not_in" if negated else "in"
            current = where.get(dim)
            if current is None or current[0] != op:
                where[dim] = (op, [])
            if hit.value not in where[dim][1]:
                where[dim][1].append(hit.value)
            previous_end, previous_dim = f.end, dim
        return where

    def _verb_not_value(self, f: Found) -> bool:
        """ "not shipped by AIR": "shipped" is a verb here, not line status F."""
        hits = [h for h in f.values if h.model == self.model.id]
        if f.end - f.start != 1 or f.end >= len(self.q.words):
            return False
        after = self.q.words[f.end].norm
        gap = self.q.text[self.q.words[f.start].end : self.q.words[f.end].start]
        return (
            gap.strip() == ""
            and all(h.via_synonym for h in hits)
            and f.text.lower().endswith("ed")
            and after in _PREPOSITIONS
        )

    def _negated(self, f: Found) -> bool:
        before = self._words_before(f, 3)
        if any(w in _NEGATIONS for w in before[-2:]):
            return True
        if before and before[0] in _NEGATIONS and before[-1] in ("by", "via", "in", "with"):
            return True  # "not shipped by AIR"
        return any(tuple(before[i : i + 2]) in _TWO_WORD_NEGATIONS for i in range(len(before) - 1))

    def _pick_value_dimension(self, f: Found, dims: list[str]) -> str:
        unique = list(dict.fromkeys(dims))
        if len(unique) == 1:
            return unique[0]
        named = {w.norm for w in self.q.words}
        grouped = {n for n, _ in self.draft.dimensions}
        for dim in unique:
            if dim in grouped or set(dim.split("_")[:1]) & {singular(w) for w in named}:
                return dim
        ranks = {d: i for i, d in enumerate(self.dims_by_name)}
        best = min(unique, key=lambda d: ranks.get(d, 99))
        self.draft.assume(f"{f.text} read as {self._title(best)}")
        return best

    def _thresholds(self, new_measures: list[tuple[str, str | None]]) -> None:
        for t in self.q.thresholds:
            target = self._nearest_term(t.start, t.end)
            if target is None or (self.model.id, target) in self.values.dimensions():
                # "nations with more than 600": a count, not a nation name above 600
                names = [n for n, _ in new_measures] or [n for n, _ in self.draft.measures]
                if not names:
                    continue
                target = names[0]
            row_level = self._row_dimension(target, new_measures)
            if row_level is not None:
                self.draft.where[row_level] = (t.op, [t.value])
                continue
            if target in self.measures_by_name:
                self.draft.having = [h for h in self.draft.having if h.get("field") != target]
                self.draft.having.append({"field": target, "op": t.op, "value": t.value})
                if (target, None) not in new_measures and (target, None) not in self.draft.measures:
                    new_measures.append((target, None))
            else:
                self.draft.where[target] = (t.op, [t.value])

    def _happened(self, new_measures: list[tuple[str, str | None]]) -> None:
        """ "Which jobs failed today?": the jobs with at least one failure, not every job."""
        if not self.ranked_groups:
            return
        for f in self.items:
            names = self._measure_terms(f)
            if not names or not f.text.lower().endswith("ed") or f.end - f.start != 1:
                continue
            grouped = [g for g in self.items if g.end == f.start and id(g) in self.handled]
            if grouped and (names[0], None) in new_measures:
                self.draft.having.append({"field": names[0], "op": "gt", "value": 0})

    def _row_dimension(self, target: str, new_measures: list[tuple[str, str | None]]) -> str | None:
        """ "How many lines had a quantity above 45": with nothing grouped and another measure
        counting, a threshold on a sum reads as one on each row's value (line quantity)."""
        if target not in self.measures_by_name or self.draft.dimensions or self.ranked_groups:
            return None
        if not any(name != target for name, _ in new_measures):
            return None
        if any(self._dimension_terms(f) for f in self.items if id(f) not in self.handled):
            return None
        word = target.rsplit("_", maxsplit=1)[-1]
        return next((d for d in self.dims_by_name if d != target and word in d.split("_")), None)

    def _nearest_term(self, start: int, end: int) -> str | None:
        after = [f for f in self.q.reading.found if self.q.words[f.start].start >= end]
        before = [f for f in self.q.reading.found if self.q.words[f.end - 1].end <= start]
        for f in after[:1] + before[-1:]:
            gap = (
                self.q.words[f.start].start - end
                if self.q.words[f.start].start >= end
                else start - self.q.words[f.end - 1].end
            )
            names = self._measure_terms(f) or self._dimension_terms(f)
            if names and gap <= 25 and (id(f) in self.handled or f in self.items):
                return names[0]
        return None


def _is_boolean(expr: str) -> bool:
    """A dimension whose expression is a condition ("c_nationkey = s_nationkey")."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(expr, read="databricks")
    except sqlglot.errors.ParseError:
        return False
    return isinstance(tree, exp.Predicate | exp.Not | exp.Is | exp.Boolean)
