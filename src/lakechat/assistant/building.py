"""From what a message names to a plan: pick the model, then give every phrase its role.

A dimension is grouped by ("by region", "which nation", "top 5 customers"), qualifies a
value ("ship mode AIR") or names the date a time phrase limits ("ship date in 1995"). A value
becomes a filter on its dimension, negated after "excluding"/"other than". Numbers rank
("top 5") or filter measures ("more than 100 orders"). Anything read loosely (a misspelling,
a nation that could be the customer's or the supplier's) is said in ``assumptions`` and
lowers the confidence; two equally likely measures make a Clarify instead of a guess.

``choosing`` picks the model (or asks which one). The builder is one class in layers, each
a file: ``roles`` (its state and lookups), ``timing`` (time phrases), ``filtering`` (values
and thresholds), and ``_Builder`` here, which runs the pass and gives the measures,
groupings, ranking, sorting and lists of values their roles.
"""

from __future__ import annotations

import re

from lakechat.assistant.choosing import (
    AmbiguousModel,
    choose_model,
    count_clarify,
    is_followup,
    measure_clarify,
    model_clarify,
)
from lakechat.assistant.context import Question
from lakechat.assistant.draft import Draft
from lakechat.assistant.filtering import FilterRoles
from lakechat.assistant.intents import chart_kind
from lakechat.assistant.plans import Clarify, Plan, Refuse, SemanticPlan
from lakechat.assistant.reading import Found
from lakechat.assistant.text import STOPWORDS, singular
from lakechat.assistant.values import ValueIndex
from lakechat.errors import BadRequest
from lakechat.semantic.loader import LoadedModel
from lakechat.semantic.model import Measure
from lakechat.semantic.query import parse_query

#: words a question may hold that change nothing in it
_HARMLESS = frozenset({
    "came", "come", "comes", "had", "made", "make", "makes", "brought", "bring", "get", "got",
    "generate", "generated", "generating", "was", "were", "are", "did", "does", "done", "sell",
    "sold", "selling", "bought", "placed", "ordered", "shipped", "received", "compared",
    "previous", "prior", "company", "business", "there", "exist", "exists", "use", "used",
    "using", "have", "has", "available", "ones", "items", "things", "kind", "kinds", "type",
    "types", "sum", "average", "mean", "sorted", "ranked", "descending", "ascending", "order",
    "instead", "only", "just", "also", "again", "please", "thanks", "show", "list", "give",
    "tell", "break", "down", "broken", "split", "grouped", "everything", "anything", "overall",
    "altogether", "combined", "same", "those", "these", "them", "they", "top", "bottom",
    "most", "least", "highest", "lowest", "largest", "smallest", "best", "worst", "biggest",
    "more", "less", "fewer", "than", "greater", "above", "below", "under", "over", "including",
    "include", "respectively", "each", "respective", "what's", "which", "who", "whose",
    "where", "when", "how", "much", "many", "long", "earn", "earned", "earning", "brings",
    "contribute", "contributed", "account", "accounted", "result", "results", "figure",
    "figures"
})  # fmt: skip
_ALSO = ("also", "as well", "too", "add", "plus", "and also", "along with")
_SHARE = re.compile(r"\b(?:share|percentage|percent|proportion|fraction)\b|%\s*of\b", re.I)
_SORT = re.compile(r"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?)\s+by\b", re.IGNORECASE)
_AGGREGATE_WORDS = re.compile(
    r"\b(?:total|sum|average|avg|mean|median|p\d\d|percentile|max|maximum|min|minimum)\b", re.I
)
_COUNTING = re.compile(r"\b(?:how many|number of|count|counts|total number)\b", re.IGNORECASE)


def build(
    q: Question,
    models: dict[str, LoadedModel],
    values: ValueIndex,
    previous: SemanticPlan | None,
) -> Plan | None:
    """The plan for ``q``; None when nothing in it names anything a model has."""
    followup = previous is not None and previous.model in models and is_followup(q, previous)
    try:
        model_id = choose_model(q, models, previous.model if followup and previous else None)
    except AmbiguousModel as tie:
        clarify = model_clarify(q, models, tie.models)
        if clarify is not None:
            return clarify
        # the same measure in each ("Orders" at order and at line grain): the smallest
        # model is the cheapest to ask
        model_id = tie.models[0]
    if model_id is None:
        if _COUNTING.search(q.text):
            return count_clarify(q, models)
        asks_a_number = _AGGREGATE_WORDS.search(q.text) or re.search(
            r"\b(?:how much|overall)\b", q.text, re.I
        )
        if asks_a_number or q.ranking is not None or q.times.grains:
            return measure_clarify(q, models)
        return None
    model = models[model_id]
    view = model.view
    dimension_names = {d.name for d in view.dimensions}
    if followup and previous is not None and model_id == previous.model:
        draft = Draft.from_plan(previous, dimension_names)
        draft.confidence = min(previous.confidence, 0.95) * 0.97
    else:
        followup = False
        draft = Draft(model_id)
    builder = _Builder(q, model, values, draft, followup)
    return builder.run()


class _Builder(FilterRoles):
    """The pass over one message: measures, groupings, filters, times, then ranking."""

    def run(self) -> Plan | None:
        d = self.draft
        self._ranking_targets()
        self._booleans()
        new_measures = self._measures()
        if isinstance(new_measures, Clarify):
            return new_measures
        self._qualifiers()
        new_dims = self._groupings()
        new_where = self._values()
        self._thresholds(new_measures)
        self._happened(new_measures)
        if self.followup:
            if new_measures:
                keep = self.q.has(*_ALSO)
                d.measures = (d.measures if keep else []) + [
                    m for m in new_measures if m not in d.measures
                ]
                names = {n for n, _ in d.measures} | {n for n, _ in d.dimensions}
                d.order = [(f, o) for f, o in d.order if f in names]
            if new_dims and self.q.has("instead"):
                d.dimensions = []
        else:
            d.measures = list(dict.fromkeys(new_measures + d.measures))
        for name, grain in new_dims:
            d.add_dimension(name, grain)
        for dim, condition in new_where.items():
            d.where[dim] = condition
        for dim, truth in self.boolean_filters.items():
            d.where[dim] = ("in", [truth])
        if not d.measures and not self._listing():
            counted = self._row_count()
            if counted is None:
                return self._no_measure()
            d.measures = [(counted.name, None)]
            d.assume(f"counted {(counted.display_name or counted.name).lower()}", 0.9)
        self._times()
        if self.refusal:
            return Refuse(reason=self.refusal)
        self._share(new_measures)
        self._ranking()
        self._sorting()
        chart = chart_kind(self.q.text)
        if chart:
            d.chart = chart
        if not self.followup and not self.items and not self.q.times.mentions:
            return None
        if self.foreign and not self.followup:
            ignored = ", ".join(repr(f.text) for f in self.foreign)
            d.assume(f"ignored {ignored}: not in {self.model.id}", 0.8)
        unread = self._unread()
        if unread:
            d.confidence *= 0.85 ** len(unread)
        try:
            query = parse_query(d.query())
        except BadRequest as exc:
            return Refuse(reason=f"I can't ask {self.model.id} that: {exc.message}")
        return SemanticPlan(
            model=self.model.id,
            query=query,
            chart=d.chart,
            matches=tuple(d.matches),
            assumptions=tuple(d.assumptions),
            confidence=round(max(0.05, min(d.confidence, 1.0)), 3),
        )

    def _measures(self) -> list[tuple[str, str | None]] | Clarify:
        found: list[tuple[str, str | None]] = []
        for f in self.items:
            names = self._measure_terms(f)
            if not names:
                continue
            if id(f) in self.handled:
                continue
            if self._dimension_terms(f) and self._grouping_context(f):
                continue  # "by discount": the dimension
            if (found or (self.followup and self.draft.measures)) and self._qualified(f):
                continue  # "revenue from urgent orders": "orders" is what "urgent" describes
            if self._hits(f) and self.followup and self.q.has("only", "just", "ones", "the"):
                continue  # "only the failed ones": the status FAILED, not failed queries
            if len(names) > 1:
                return self._clarify_measure(f, names)
            self.handled.add(id(f))
            self._note(f, "measure", names[0])
            if (names[0], None) not in found:
                found.append((names[0], None))
        return found

    def _clarify_measure(self, f: Found, names: list[str]) -> Clarify:
        options = tuple(self.q.text.replace(f.text, self._title(n).lower(), 1) for n in names[:4])
        listed = " or ".join(self._title(n) for n in names[:4])
        return Clarify(question=f"By {f.text!r} do you mean {listed}?", options=options)

    def _ranking_targets(self) -> None:
        """ "top 5 customers", "which nation", "the three largest suppliers": the thing
        ranked is a dimension even when its plural is also a measure's name."""
        ranking = self.q.ranking
        for f in self.items:
            if id(f) in self.handled and not self._dimension_terms(f, every=True):
                continue
            dims = self._dimension_terms(f, every=True)
            if not dims:
                continue
            before = self._words_before(f, 2)
            after_rank = (
                ranking is not None
                and ranking.explicit
                and 0 <= (self.q.words[f.start].start - ranking.end) <= 2
            )
            after = self.q.words[f.end].norm if f.end < len(self.q.words) else ""
            entity = after in ("with", "whose", "that", "where", "having", "who") and (
                f.start == 0 or self._words_before(f, 1)[-1] in ("the", "all", "list", "show")
            )
            if after_rank or entity or (before and before[-1] in ("which", "what")):
                self.handled.add(id(f))
                self.draft.matches[:] = [m for m in self.draft.matches if m.phrase != f.text]
                self._group(f, dims[0])
                self.singular_target = singular(f.text.lower()) == f.text.lower()

    def _groupings(self) -> list[tuple[str, str | None]]:
        grouped: list[tuple[str, str | None]] = []
        for f in self.items:
            if id(f) in self.handled:
                continue
            dims = self._dimension_terms(f)
            if not dims:
                continue
            dim = dims[0]
            if self._hits(f) and not self._grouping_context(f):
                continue  # "returned items": the value R of return flag, not the flag itself
            if self._after_value(f) and not self._grouping_context(f):
                self.handled.add(id(f))
                continue  # "advanced modules": the modules the value describes, not each one
            if dim in self.time_dims and not self._grouping_context(f):
                mention = self._mention_near(f)
                if mention is not None:
                    self.mention_dimension[mention.start] = dim
                    self.handled.add(id(f))
                    self._note(f, "dimension", dim)
                    continue
            if len(dims) > 1:
                self.draft.assume(f"read {f.text!r} as {self._title(dim)}")
            self.handled.add(id(f))
            grouped.append(self._group(f, dim, record=False))
        return grouped + self.ranked_groups

    def _group(self, f: Found, dim: str, record: bool = True) -> tuple[str, str | None]:
        self._note(f, "dimension", dim)
        grain = None
        if dim in self.time_dims:
            grain = self.q.times.grains[0].grain if self.q.times.grains else "day"
        entry = (dim, grain)
        if record:
            self.ranked_groups.append(entry)
        if not self._grouping_context(f):
            self.group_words[dim] = f.text
        return entry

    def _share(self, new_measures: list[tuple[str, str | None]]) -> None:
        match = _SHARE.search(self.q.text)
        if match is None:
            return
        names = [n for n, c in new_measures if c is None] or [
            n for n, c in self.draft.measures if c is None
        ]
        fractions = [
            n
            for n in names
            if (m := self.measures_by_name[n]).format and m.format.type == "percentage"
        ]
        if names and not fractions:
            self.draft.add_measure(names[0], "share_of_total")
            new_measures.append((names[0], "share_of_total"))

    def _ranking(self) -> None:
        r = self.q.ranking
        d = self.draft
        if r is None or not d.measures:
            return
        base = next((n for n, c in d.measures if c is None), d.measures[0][0])
        d.order = [(base, r.direction)]
        if r.count is not None:
            d.limit = r.count
            self._without_blanks()
        elif len(d.dimensions) == 1:
            # "which nation had the most", "the best month": one row; "which nations": all
            word = self.group_words.get(d.dimensions[0][0])
            if word is None and d.dimensions[0][1]:
                word = next((g.text for g in self.q.times.grains), None)
            if word and singular(word.lower()) == word.lower() and not self.followup:
                d.limit = 1
                self._without_blanks()

    def _without_blanks(self) -> None:
        """ "Top 5 jobs": usage with no job is not a job, so it is not ranked among them."""
        for name, grain in self.draft.dimensions:
            if grain is None and name not in self.draft.where and name not in self.time_dims:
                self.draft.where[name] = ("is_not_null", [])

    def _sorting(self) -> None:
        d = self.draft
        match = _SORT.search(self.q.text)
        if match is not None:
            target = self._nearest_term(match.end(), match.end())
            if target is not None:
                direction = (
                    "asc"
                    if re.search(
                        r"\b(?:asc|ascending|lowest first|smallest first|increasing)\b",
                        self.q.text,
                        re.I,
                    )
                    else "desc"
                )
                if target in self.dims_by_name and not re.search(r"\bdesc", self.q.text, re.I):
                    direction = "asc"
                output = next((n for n, c in d.measures if n == target and c is None), target)
                d.order = [(output, direction)]
                return
        if d.order or self.q.ranking is not None:
            return
        if (
            d.dimensions
            and not any(g for _, g in d.dimensions)
            and not any(n in self.time_dims for n, _ in d.dimensions)
        ):
            base = next((n for n, c in d.measures if c is None), None)
            if base:
                d.order = [(base, "desc")]

    def _unread(self) -> list[str]:
        """Words that seem to mean something and that nothing read: each one lowers the
        confidence ("domestic" unread in "revenue from domestic suppliers")."""
        read = set(self.q.used)
        for f in self.q.reading.found:
            read |= set(range(f.start, f.end))
        return [
            w.norm
            for i, w in enumerate(self.q.words)
            if i not in read
            and w.norm.isalpha()
            and len(w.norm) >= 3
            and w.norm not in STOPWORDS
            and w.norm not in _HARMLESS
        ]

    def _listing(self) -> bool:
        """ "Which regions are there?", "list the market segments": the values themselves."""
        return (
            bool(self.draft.dimensions)
            and not any(self._grouping_context(f) for f in self.items)
            and not _COUNTING.search(self.q.text)
            and not _AGGREGATE_WORDS.search(self.q.text)
            and self.q.ranking is None
            and not self.followup
        )

    def _row_count(self) -> Measure | None:
        """ "Failed logins by source IP": values name things that happened; count them."""
        if not self.draft.where or self.followup:
            return None
        # only for values that name happenings ("logins", "table reads"), not places
        events = [
            f
            for f in self.items
            if self._hits(f)
            and (f.text.lower().endswith("s") or any(h.via_synonym for h in f.values))
        ]
        if not events:
            return None
        return next((m for m in self.view.measures if m.expr.strip().upper() == "COUNT(*)"), None)

    def _no_measure(self) -> Plan | None:
        if not self.items and not self.q.times.mentions:
            return None
        counts = [m for m in self.view.measures if m.expr.strip().upper().startswith("COUNT")]
        if _COUNTING.search(self.q.text) and counts:
            candidates = counts
        else:
            candidates = list(self.view.measures[:4])
        rest = self._rest_of_question()
        options = tuple(f"{(m.display_name or m.name)} {rest}".strip() for m in candidates[:4])
        listed = ", ".join((m.display_name or m.name).lower() for m in candidates[:4])
        return Clarify(question=f"Which measure do you mean: {listed}?", options=options)

    def _rest_of_question(self) -> str:
        parts = []
        for n, g in self.draft.dimensions:
            parts.append(f"by {g}" if g else f"by {self._title(n).lower()}")
        for op, vals in self.draft.where.values():
            word = "excluding" if op == "not_in" else "for"
            parts.append(f"{word} {' and '.join(str(v) for v in vals)}")
        for m in self.q.times.mentions[:1]:
            parts.append(m.label)
        return " ".join(parts)
