"""Two to four next questions, each one the interpreter is known to answer.

Candidates come from the answered plan (another grain, another dimension, a ranking, the
previous period); each is run through the interpreter and kept only if it gives a query.
"""

from __future__ import annotations

from collections.abc import Callable

from lakechat.assistant.plans import Plan, SemanticPlan
from lakechat.semantic.loader import LoadedModel

MAX_SUGGESTIONS = 4


def suggest(
    plan: SemanticPlan,
    model: LoadedModel,
    indexed: set[str],
    interpret: Callable[[str, SemanticPlan | None], Plan],
) -> list[str]:
    """Follow-ups for ``plan``; ``indexed`` names the dimensions whose values are known
    (good to group by: few values)."""
    view = model.view
    query = plan.query
    used = {d.name for d in query.dimensions}
    if not query.metrics:  # a list of values: offer measures by them
        listed = next(d for d in view.dimensions if d.name == query.dimensions[0].name)
        name = (listed.display_name or listed.name).lower()
        asked = [f"{m.display_name or m.name} by {name}" for m in view.measures[:3]]
        return [t for t in asked if isinstance(interpret(t, None), SemanticPlan)][:MAX_SUGGESTIONS]
    base = next((m for m in query.metrics if m.calculation is None), query.metrics[0])
    measure = next(m for m in view.measures if m.name == base.name)
    grains = {d.time_grain for d in query.dimensions if d.time_grain}
    candidates: list[tuple[str, bool]] = []  # (question, is a follow-up of this plan)
    if not grains:
        candidates.append(("and by month?", True))
    elif "year" not in grains:
        candidates.append(("and by year?", True))
    others = [
        d for d in view.dimensions if d.name in indexed and d.name not in used and d.format is None
    ]
    for dim in others[:2]:
        name = (dim.display_name or dim.name).lower()
        candidates.append((f"{measure.display_name or measure.name} by {name}", False))
    grouped = [d for d in query.dimensions if not d.time_grain]
    if grouped and query.limit is None:
        candidates.append(("show the top 5", True))
    if query.time_range is not None and not any(m.calculation for m in query.metrics):
        candidates.append(("compared to the previous year", True))
    if len(view.measures) > 1:
        other = next(m for m in view.measures if m.name != base.name)
        candidates.append((f"what about {(other.display_name or other.name).lower()}?", True))
    kept: list[str] = []
    for text, followup in candidates:
        outcome = interpret(text, plan if followup else None)
        if isinstance(outcome, SemanticPlan) and outcome.query != query and text not in kept:
            kept.append(text)
        if len(kept) == MAX_SUGGESTIONS:
            break
    return kept
