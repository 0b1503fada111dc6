"""From what a message names to a plan: pick the model, then give every phrase its role.

A dimension is grouped by ("by region", "which nation", "top 5 customers"), qualifies a
value ("ship mode AIR") or names the date a time phrase limits ("ship date in 1995"). A value
becomes a filter on its dimension, negated after "excluding"/"other than". Numbers rank
("top 5") or filter measures ("more than 100 orders"). Anything read loosely (a misspelling,
a nation that could be the customer's or the supplier's) is said in ``assumptions`` and
lowers the confidence; two equally likely measures make a Clarify instead of a guess.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date

from lakechat.assistant.context import Question
from lakechat.assistant.draft import Draft
from lakechat.assistant.plans import Clarify, Match, Plan, Refuse, SemanticPlan
from lakechat.assistant.reading import Found
from lakechat.assistant.text import STOPWORDS, singular
from lakechat.assistant.timephrases import TimeMention
from lakechat.assistant.values import ValueIndex
from lakechat.assistant.vocabulary import Term
from lakechat.errors import BadRequest
from lakechat.semantic.loader import LoadedModel
from lakechat.semantic.model import Dimension, Measure
from lakechat.semantic.query import parse_query

_GROUP_WORDS = {"by", "per", "each", "every", "across", "vs", "versus"}
_NEGATIONS = {"excluding", "exclude", "except", "without", "not", "but", "omitting", "minus"}
_TWO_WORD_NEGATIONS = {("other", "than"), ("apart", "from"), ("aside", "from"), ("but", "not")}
_LIST_JOINERS = {"and", "or", "nor", "&"}
_GROUPING_VERBS = {"grouped", "segmented", "partitioned", "bucketed", "aggregated",
                   "summarized", "summarised", "categorized", "classified"}  # fmt: skip
#: words a question may hold that change nothing in it
_HARMLESS = frozenset(
    [
        "came",
        "come",
        "comes",
        "had",
        "made",
        "make",
        "makes",
        "brought",
        "bring",
        "get",
        "got",
        "generate",
        "generated",
        "generating",
        "was",
        "were",
        "are",
        "did",
        "does",
        "done",
        "sell",
        "sold",
        "selling",
        "bought",
        "placed",
        "ordered",
        "shipped",
        "received",
        "compared",
        "previous",
        "prior",
        "company",
        "business",
        "there",
        "exist",
        "exists",
        "use",
        "used",
        "using",
        "have",
        "has",
        "available",
        "ones",
        "items",
        "things",
        "kind",
        "kinds",
        "type",
        "types",
        "sum",
        "average",
        "mean",
        "sorted",
        "ordered",
        "ranked",
        "descending",
        "ascending",
        "order",
        "instead",
        "only",
        "just",
        "also",
        "again",
        "please",
        "thanks",
        "show",
        "list",
        "give",
        "tell",
        "break",
        "down",
        "broken",
        "split",
        "grouped",
        "everything",
        "anything",
        "overall",
        "altogether",
        "combined",
        "same",
        "those",
        "these",
        "them",
        "they",
        "top",
        "bottom",
        "most",
        "least",
        "highest",
        "lowest",
        "largest",
        "smallest",
        "best",
        "worst",
        "biggest",
        "more",
        "less",
        "fewer",
        "than",
        "greater",
        "above",
        "below",
        "under",
        "over",
        "including",
        "include",
        "respectively",
        "each",
        "respective",
        "what's",
        "break",
        "which",
        "who",
        "whose",
        "where",
        "when",
        "how",
        "much",
        "many",
        "long",
        "earn",
        "earned",
        "earning",
        "bring",
        "brings",
        "brought",
        "contribute",
        "contributed",
        "account",
        "accounted",
        "result",
        "results",
        "figure",
        "figures",
    ]
)
_PREPOSITIONS = {"by", "via", "in", "on", "through", "during", "between", "from", "to",
                 "before", "after", "since", "within", "with"}  # fmt: skip
_FOLLOWUP_OPENERS = re.compile(
    r"^(?:and|what about|how about|what if|only|just|now|instead|also|but|same|then|ok|okay|"
    r"for|in|by|per|show (?:me )?(?:the |only )?(?:top|bottom)|make it|as a|with|without|"
    r"excluding|except|limit|sort|top|bottom|split|break|add|plus|drop|remove|switch|change)\b",
    re.IGNORECASE,
)
_ALSO = ("also", "as well", "too", "add", "plus", "and also", "along with")
_SHARE = re.compile(r"\b(?:share|percentage|percent|proportion|fraction)\b|%\s*of\b", re.I)
_GROWTH = re.compile(r"\b(?:growth|grow|grew|growing|change|changed|increase|decrease)\b", re.I)
_SORT = re.compile(r"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?)\s+by\b", re.IGNORECASE)
_AGGREGATE_WORDS = re.compile(
    r"\b(?:total|sum|average|avg|mean|median|p\d\d|percentile|max|maximum|min|minimum)\b", re.I
)
_COUNTING = re.compile(r"\b(?:how many|number of|count|counts|total number)\b", re.IGNORECASE)
#: verbs that say which date a time phrase is about, as the word stems to look for in the
#: time dimensions' names and synonyms
_VERB_STEMS = {
    "shipped": ("ship",), "ship": ("ship",), "sent": ("ship",), "ordered": ("order",),
    "placed": ("order",), "bought": ("order",), "purchased": ("order",), "sold": ("order",),
    "received": ("receipt", "receiv"), "delivered": ("deliver", "receipt"),
    "arrived": ("receipt", "deliver"), "committed": ("commit",), "promised": ("commit", "promis"),
    "ran": ("run", "start", "period"), "run": ("run", "start", "period"),
    "started": ("start",), "ended": ("end",), "finished": ("end",),
    "created": ("creat",), "used": ("usage",), "billed": ("usage",), "spent": ("usage",),
}  # fmt: skip


def build(
    q: Question,
    models: dict[str, LoadedModel],
    values: ValueIndex,
    previous: SemanticPlan | None,
) -> Plan | None:
    """The plan for ``q``; None when nothing in it names anything a model has."""
    followup = previous is not None and previous.model in models and _is_followup(q, previous)
    try:
        model_id = _choose_model(q, models, previous.model if followup and previous else None)
    except _Ambiguous as tie:
        clarify = _model_clarify(q, models, tie.models)
        if clarify is not None:
            return clarify
        model_id = tie.models[-1]
    if model_id is None:
        if _COUNTING.search(q.text):
            return _count_clarify(q, models)
        asks_a_number = _AGGREGATE_WORDS.search(q.text) or re.search(
            r"\b(?:how much|overall)\b", q.text, re.I
        )
        if asks_a_number or q.ranking is not None or q.times.grains:
            return _measure_clarify(q, models)
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


class _Builder:
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

    # helpers ------------------------------------------------------------------------
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

    def _note(self, f: Found, kind: str, target: str) -> None:
        self.draft.matches.append(Match(phrase=f.text, kind=kind, target=target, score=f.score))  # type: ignore[arg-type]
        if f.score < 1:
            self.draft.confidence *= f.score * 0.9
            self.draft.assume(f"read {f.text!r} as {self._title(target)}", 1.0)

    # the pass ---------------------------------------------------------------------------
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
        chart = _chart(self.q)
        if chart:
            d.chart = chart
        if not self.followup and not self.items and not self.q.times.mentions:
            return None
        if self.foreign and not self.followup:
            names = ", ".join(repr(f.text) for f in self.foreign)
            d.assume(f"ignored {names}: not in {self.model.id}", 0.8)
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
            chart=d.chart,  # type: ignore[arg-type]
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

    def _grouping_context(self, f: Found) -> bool:
        before = self._words_before(f, 3)
        if len(before) >= 2 and before[-1] == "by" and before[-2].endswith("ed"):
            return before[-2] in _GROUPING_VERBS  # "supplied by vendors" names who, not groups
        return bool(before) and (before[-1] in _GROUP_WORDS or before[-2:] == ["for", "each"])

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

    def _mention_near(self, f: Found) -> TimeMention | None:
        end_char = self.q.words[f.end - 1].end
        for mention in self.q.times.mentions:
            if 0 <= mention.start - end_char <= 12:
                return mention
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

    def _times(self) -> None:
        times = self.q.times
        comparison_spans = [(c.start, c.end) for c in times.comparisons]
        mentions = [
            m
            for m in times.mentions
            if not any(s <= m.start and m.end <= e for s, e in comparison_spans)
        ]
        d = self.draft
        if (mentions or times.grains or times.comparisons) and not self.time_dims:
            self.refusal = (
                f"{self.model.id} has no date, so I can't limit or group it by time "
                f"({', '.join(m.text for m in mentions) or 'a time grain'})"
            )
            return
        if mentions and self.followup:
            mentions = [self._in_previous_year(m) for m in mentions]
        if mentions:
            dims = [self._mention_dimension(m) for m in mentions]
            dim = dims[0]
            explicit = [m.range for m in mentions if isinstance(m.range, tuple)]
            if len(mentions) > 1 and len(explicit) == len(mentions):
                first = min(r[0] for r in explicit)
                last = max(r[1] for r in explicit)
                d.time_range = {"dimension": dim, "range": [first, last]}
            else:
                m = mentions[0]
                d.time_range = {
                    "dimension": dim,
                    "range": list(m.range) if isinstance(m.range, tuple) else m.range,
                }
            for m in mentions:
                d.matches.append(Match(phrase=m.text, kind="time", target=dim))
        for g in times.grains:
            dim = (d.time_range or {}).get("dimension") or self._default_time()
            d.dimensions = [x for x in d.dimensions if x[0] != dim]
            d.add_dimension(dim, g.grain)
            d.matches.append(Match(phrase=g.text, kind="grain", target=g.grain))
        for c in times.comparisons:
            self._comparison(c)
        grained = any(g for _, g in d.dimensions if g)
        base = next((n for n, c in d.measures if c is None), None)
        if not times.comparisons and _GROWTH.search(self.q.text) and base:
            if grained:
                d.add_measure(base, "growth")
            elif d.time_range is not None:
                # "how much did spend grow last month": against the month before
                d.add_measure(base, "previous_period")
                d.add_measure(base, "growth")

    def _in_previous_year(self, m: TimeMention) -> TimeMention:
        """ "How many orders in March 1997?" then "and in April?": April 1997, not this April."""
        previous = (self.previous_range or {}).get("range")
        if not isinstance(m.range, tuple) or re.search(r"\b\d{4}\b", m.text):
            return m
        if not isinstance(previous, list | tuple) or len(previous) != 2:
            return m
        year = int(str(previous[0])[:4])
        first, last = (date.fromisoformat(d) for d in m.range)
        if first.year != self.q.today.year or first.year == year:
            return m
        try:
            moved = (first.replace(year=year).isoformat(), last.replace(year=year).isoformat())
        except ValueError:  # 29 February
            return m
        return dataclasses.replace(m, range=moved, label=f"{m.label} {year}")

    def _comparison(self, c: object) -> None:
        from lakechat.assistant.timephrases import Comparison

        assert isinstance(c, Comparison)
        d = self.draft
        base = next((n for n, calc in d.measures if calc is None), None)
        if base is None:
            return
        dim = (d.time_range or {}).get("dimension") or self._default_time()
        if c.first is not None and c.second is not None:
            grain = c.grain or _unit(c.first.range, self.q.today) or "year"
            dim = self._mention_dimension(c.first)
            d.add_dimension(dim, grain)
            second = c.second.range
            d.time_range = {
                "dimension": dim,
                "range": list(second) if isinstance(second, tuple) else second,
            }
            d.add_measure(base, "growth")
        else:
            grained = any(g for _, g in d.dimensions if g)
            spans_more = (
                d.time_range is not None
                and c.grain is not None
                and (_unit(_range_of(d.time_range), self.q.today) != c.grain)
            )
            if (d.time_range is None and not grained) or (spans_more and not grained):
                d.add_dimension(dim, c.grain or "year")
            d.add_measure(base, "previous_period")
            d.add_measure(base, "growth")
        d.matches.append(Match(phrase=c.text, kind="calculation", target=c.kind))

    def _mention_dimension(self, m: TimeMention) -> str:
        chosen = self.mention_dimension.get(m.start)
        if chosen:
            return chosen
        if m.verb:
            stems = _VERB_STEMS.get(m.verb.lower(), (m.verb.lower()[:4],))
            for dim in self.time_dims:
                spelled = " ".join(
                    [
                        dim,
                        *(self.dims_by_name[dim].synonyms),
                        self.dims_by_name[dim].display_name or "",
                    ]
                ).lower()
                if any(stem in spelled for stem in stems):
                    return dim
        default = self._default_time()
        if len(self.time_dims) > 1:
            self.draft.assume(f"{m.label} means {self._title(default).lower()}", 0.99)
        return default

    def _default_time(self) -> str:
        return self.view.extras.default_time_dimension or self.time_dims[0]

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


def _is_followup(q: Question, previous: SemanticPlan) -> bool:
    if _FOLLOWUP_OPENERS.search(q.text) or q.has("instead", "same", "those", "that", "these"):
        return True
    if _chart(q) is not None:
        return True
    return not q.reading.measures()


def _choose_model(q: Question, models: dict[str, LoadedModel], previous: str | None) -> str | None:
    scores: dict[str, float] = {}
    measures: dict[str, int] = {}
    ranking = q.ranking
    for f in q.reading.found:
        seen: set[str] = set()
        terms = f.terms
        ranked = (
            ranking is not None
            and ranking.explicit
            and (0 <= q.words[f.start].start - ranking.end <= 2)
        )
        if ranked and any(t.kind == "dimension" for t in f.all_terms):
            terms = tuple(t for t in f.all_terms if t.kind == "dimension")  # "top 5 users"
        for t in terms:
            if t.model in seen:
                continue
            seen.add(t.model)
            weight = 3.0 if t.kind == "measure" else 2.0
            scores[t.model] = scores.get(t.model, 0) + weight * f.score
            if t.kind == "measure":
                measures[t.model] = measures.get(t.model, 0) + 1
        for h in f.values:
            if h.model not in seen:
                seen.add(h.model)
                scores[h.model] = scores.get(h.model, 0) + 2.0 * f.score
    if previous is not None:
        scores[previous] = scores.get(previous, 0) + 2.5
    if not scores:
        return None

    def size(model_id: str) -> int:
        view = models[model_id].view if model_id in models else None
        return len(view.measures) + len(view.dimensions) if view else 0

    ranked = sorted(scores, key=lambda m: (round(scores[m], 6), measures.get(m, 0), size(m)))
    best = ranked[-1]
    tied = [m for m in ranked if (round(scores[m], 6), measures.get(m, 0)) == (
        round(scores[best], 6), measures.get(best, 0))]  # fmt: skip
    if previous is None and len(tied) > 1 and measures.get(best, 0):
        raise _Ambiguous(tied)
    return best


class _Ambiguous(Exception):
    """Two models answer the message equally well with different measures."""

    def __init__(self, models: list[str]) -> None:
        super().__init__(models)
        self.models = models


def _model_clarify(q: Question, models: dict[str, LoadedModel], tied: list[str]) -> Clarify | None:
    """ "median duration by day": of job runs or of queries? None when every tied model
    means the same measure (tpch_sales and tpch_orders both count orders)."""
    choices: list[tuple[str, str, str]] = []  # (phrase, display name, model)
    for f in q.reading.measures():
        for t in f.terms:
            if t.model in tied and t.kind == "measure":
                measure = next(m for m in models[t.model].view.measures if m.name == t.name)
                choices.append((f.text, measure.display_name or measure.name, t.model))
    if len({display for _, display, _ in choices}) <= 1:
        return None
    options = tuple(
        dict.fromkeys(q.text.replace(phrase, display, 1) for phrase, display, _ in choices)
    )
    listed = " or ".join(f"{display} ({model})" for _, display, model in choices)
    return Clarify(question=f"Do you mean {listed}?", options=options[:4])


def _count_clarify(q: Question, models: dict[str, LoadedModel]) -> Clarify | None:
    options = []
    for model in models.values():
        for m in model.view.measures:
            if m.expr.strip().upper().startswith("COUNT") and len(options) < 4:
                options.append(f"{m.display_name or m.name} {q.text}")
    if not options:
        return None
    return Clarify(question="Count of what? Name what to count.", options=tuple(options))


def _measure_clarify(q: Question, models: dict[str, LoadedModel]) -> Clarify:
    """ "What's the total for 1995?": a time but no measure; offer each model's first one."""
    when = q.times.mentions[0].label if q.times.mentions else ""
    biggest = sorted(models.values(), key=lambda m: -len(m.view.measures) - len(m.view.dimensions))
    options = [
        f"{m.view.measures[0].display_name or m.view.measures[0].name} {when}"
        for m in biggest
        if m.view.measures and m.view.extras.default_time_dimension
    ]
    asked = f"Which measure {when}?" if when else "Which measure do you mean?"
    return Clarify(question=asked, options=tuple(o.strip() for o in options[:4]))


def _chart(q: Question) -> str | None:
    from lakechat.assistant.intents import chart_kind

    return chart_kind(q.text)


def _range_of(time_range: dict[str, object]) -> str | tuple[str, str]:
    spec = time_range.get("range")
    if isinstance(spec, list | tuple) and len(spec) == 2:
        return (str(spec[0]), str(spec[1]))
    return str(spec)


def _is_boolean(expr: str) -> bool:
    """A dimension whose expression is a condition ("c_nationkey = s_nationkey")."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(expr, read="databricks")
    except sqlglot.errors.ParseError:
        return False
    return isinstance(tree, exp.Predicate | exp.Not | exp.Is | exp.Boolean)


def _unit(spec: str | tuple[str, str], today: date) -> str | None:
    """ "year", "quarter" or "month" when an explicit range is exactly one of those."""
    if not isinstance(spec, tuple):
        return None
    first, last = (date.fromisoformat(s) for s in spec)
    if first.day != 1:
        return None
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return {12: "year", 3: "quarter", 1: "month"}.get(months)
