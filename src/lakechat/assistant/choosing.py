"""Which model a message is about, whether it follows up the last answer, and the
clarifying questions asked when no model, or more than one, fits.

Measures weigh more than dimensions and values; a follow-up leans to the previous model. Two
models that tie with different measures make a clarifying question rather than a guess.
"""

from __future__ import annotations

import re

from lakechat.assistant.context import Question
from lakechat.assistant.intents import chart_kind
from lakechat.assistant.plans import Clarify, SemanticPlan
from lakechat.semantic.loader import LoadedModel

_RANKING_OPENER = re.compile(r"^(?:show (?:me )?(?:the |only )?)?(?:top|bottom)\b", re.IGNORECASE)
_FOLLOWUP_OPENERS = re.compile(
    r"^(?:and|what about|how about|what if|only|just|now|instead|also|but|same|then|ok|okay|"
    r"for|in|by|per|show (?:me )?(?:the |only )?(?:top|bottom)|make it|as a|with|without|"
    r"excluding|except|limit|sort|top|bottom|split|break|add|plus|drop|remove|switch|change)\b",
    re.IGNORECASE,
)


def is_followup(q: Question, previous: SemanticPlan) -> bool:
    """Whether ``q`` changes the previous answer ("and by month?", "only 1995", "as a bar
    chart") rather than asking anew: it opens like a follow-up or names no measure."""
    if q.has("instead", "same", "those", "that", "these"):
        return True
    if _FOLLOWUP_OPENERS.search(q.text):
        # "top 5 nations by revenue in 1996" names its measure and its grouping: a question
        # of its own, though it opens like "top 3" would
        whole = bool(q.reading.measures()) and any(
            t.kind == "dimension" for f in q.reading.found for t in f.terms
        )
        return not (whole and _RANKING_OPENER.match(q.text))
    if chart_kind(q.text) is not None:
        return True
    return not q.reading.measures()


def choose_model(q: Question, models: dict[str, LoadedModel], previous: str | None) -> str | None:
    """The model the message names most (measures weigh more, ``previous`` leans a follow-up
    to the last model); None when it names nothing. AmbiguousModel when models tie on
    different measures."""
    scores: dict[str, float] = {}
    measures: dict[str, int] = {}
    ranking = q.ranking
    for f in q.reading.found:
        seen: set[str] = set()
        terms = f.terms
        after_rank = (
            ranking is not None
            and ranking.explicit
            and (0 <= q.words[f.start].start - ranking.end <= 2)
        )
        if after_rank and any(t.kind == "dimension" for t in f.all_terms):
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
        raise AmbiguousModel(tied)
    return best


class AmbiguousModel(Exception):
    """Two models answer the message equally well with different measures."""

    def __init__(self, models: list[str]) -> None:
        super().__init__(models)
        self.models = models


def model_clarify(q: Question, models: dict[str, LoadedModel], tied: list[str]) -> Clarify | None:
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


def count_clarify(q: Question, models: dict[str, LoadedModel]) -> Clarify | None:
    """ "How many in 1995?": count of what? Offers the first counting measures."""
    options: list[str] = []
    for model in models.values():
        for m in model.view.measures:
            if m.expr.strip().upper().startswith("COUNT") and len(options) < 4:
                options.append(f"{m.display_name or m.name} {q.text}")
    if not options:
        return None
    return Clarify(question="Count of what? Name what to count.", options=tuple(options))


def measure_clarify(q: Question, models: dict[str, LoadedModel]) -> Clarify:
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
