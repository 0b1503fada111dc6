"""The state a plan is built in, and the small lookups every role uses.

``Roles`` holds what one message's reading becomes while a plan is built: the draft, the
items that name something in the chosen model, and which of them already have a role. Its
lookups say what an item names in this model (a measure, a dimension, a value) and what
the words around it say ("by ...", a value right before it).

The layers above it: ``Roles`` -> ``TimeRoles`` (``timing``) -> ``FilterRoles``
(``filtering``) -> ``_Builder`` (``building``), which runs the pass. Each layer uses only
the layers under it.
"""

from __future__ import annotations

from lakechat.assistant.context import Question
from lakechat.assistant.draft import Draft
from lakechat.assistant.plans import Match, MatchKind
from lakechat.assistant.reading import Found
from lakechat.assistant.values import ValueIndex
from lakechat.assistant.vocabulary import Term
from lakechat.semantic.loader import LoadedModel
from lakechat.semantic.model import Dimension, Measure

_GROUP_WORDS = {"by", "per", "each", "every", "across", "vs", "versus"}
_GROUPING_VERBS = {"grouped", "segmented", "partitioned", "bucketed", "aggregated",
                   "summarized", "summarised", "categorized", "classified"}  # fmt: skip


class Roles:
    """One message's items in one model, and the draft they are given roles in."""

    def __init__(
        self, q: Question, model: LoadedModel, values: ValueIndex, draft: Draft, followup: bool
    ) -> None:
        self.q = q
        self.model = model
        self.view = model.view
        self.values = values
        self.draft = draft
        self.followup = followup
        self.items = [f for f in q.reading.found if self._terms(f) or self._hits(f)]
        self.foreign = [f for f in q.reading.found if f not in self.items]
        self.dims_by_name = {d.name: d for d in self.view.dimensions}
        self.measures_by_name = {m.name: m for m in self.view.measures}
        self.time_dims = [
            d.name
            for d in self.view.dimensions
            if d.format is not None and d.format.type in ("date", "date_time")
        ]
        self.handled: set[int] = set()  # ids of items already given a role
        self.mention_dimension: dict[int, str] = {}  # time mention start -> dimension
        self.value_dimension: dict[int, str] = {}  # value item id -> its named dimension
        self.literal_filters: list[tuple[str, str, Found]] = []  # "return flag R"
        self.ranked_groups: list[tuple[str, str | None]] = []  # "top 5 customers"
        self.singular_target = False  # "which nation" (one row) vs "which nations"
        self.refusal: str | None = None
        self.previous_range = dict(draft.time_range) if draft.time_range else None
        self.boolean_filters: dict[str, bool] = {}
        #: the words that named a dimension grouped outside "by ...": "nation", "brands"
        self.group_words: dict[str, str] = {}

    def _own(self, f: Found) -> list[Term]:
        """``f``'s terms in this model: its own spellings first, else plurals and singulars
        ("users" is another model's measure, and here the plural of the user dimension)."""
        own = [t for t in f.terms if t.model == self.model.id]
        return own or [t for t in f.all_terms if t.model == self.model.id]

    def _terms(self, f: Found) -> list[str]:
        return [t.name for t in self._own(f)]

    def _hits(self, f: Found) -> list[str]:
        return [h.dimension for h in f.values if h.model == self.model.id]

    def _measure_terms(self, f: Found) -> list[str]:
        return [n for n in self._terms(f) if n in self.measures_by_name]

    def _dimension_terms(self, f: Found, every: bool = False) -> list[str]:
        pool = f.all_terms if every else self._own(f)
        names = [t.name for t in pool if t.model == self.model.id and t.name in self.dims_by_name]
        return sorted(set(names), key=lambda n: list(self.dims_by_name).index(n))

    def _title(self, name: str) -> str:
        item: Dimension | Measure | None = self.dims_by_name.get(name) or self.measures_by_name.get(
            name
        )
        return item.display_name if item and item.display_name else name.replace("_", " ")

    def _words_before(self, f: Found, count: int = 3) -> list[str]:
        return [w.norm for w in self.q.words[max(0, f.start - count) : f.start]]

    def _note(self, f: Found, kind: MatchKind, target: str) -> None:
        self.draft.matches.append(Match(phrase=f.text, kind=kind, target=target, score=f.score))
        if f.score < 1:
            self.draft.confidence *= f.score * 0.9
            self.draft.assume(f"read {f.text!r} as {self._title(target)}", 1.0)

    def _grouping_context(self, f: Found) -> bool:
        before = self._words_before(f, 3)
        if len(before) >= 2 and before[-1] == "by" and before[-2].endswith("ed"):
            return before[-2] in _GROUPING_VERBS  # "supplied by vendors" names who, not groups
        return bool(before) and (before[-1] in _GROUP_WORDS or before[-2:] == ["for", "each"])

    def _after_value(self, f: Found) -> bool:
        return any(g.end == f.start and self._hits(g) for g in self.items if g is not f)

    def _qualified(self, f: Found) -> bool:
        """The word before ``f`` is a value or a dimension ("urgent orders", "Asian
        customers", "high priority orders")."""
        if f.start == 0:
            return False
        return any(
            g.end == f.start and (self._hits(g) or self._dimension_terms(g))
            for g in self.items
            if g is not f
        )
