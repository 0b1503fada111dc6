"""Every way the models let a user name a measure or a dimension, exactly or nearly.

Names, display names and synonyms (with singular and plural forms) map to terms; a close
misspelling ("revnue", "regoin") finds its term through rapidfuzz with a lower score, which
the answer's confidence carries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from lakechat.assistant.text import STOPWORDS, normalize, variants
from lakechat.semantic.loader import LoadedModel

TermKind = Literal["measure", "dimension"]


def _bare(display_name: str | None) -> str | None:
    """ "Median duration (s)" is also asked as "median duration"."""
    if display_name is None or "(" not in display_name:
        return None
    return re.sub(r"\s*\([^)]*\)", "", display_name).strip() or None


def closeness(a: str, b: str, **_: object) -> float:
    """0-100: one swap, drop or typo in a six-letter word ("regoin", "revnue") scores 83+."""
    return float(DamerauLevenshtein.normalized_similarity(a, b) * 100)


def fuzzy_cutoff(text: str) -> float:
    """Short words must be nearly exact: "sale" must not become "scale"."""
    return 80.0 if len(text) >= 4 else 85.0


@dataclass(frozen=True)
class Term:
    model: str
    kind: TermKind
    name: str
    #: where the term sits in its model's list: earlier wins a tie ("nation" = customer's)
    rank: int


class Vocabulary:
    def __init__(self, models: Sequence[LoadedModel]) -> None:
        self.phrases: dict[str, list[Term]] = {}
        #: (phrase, term) where the phrase is the term's own name, display name or synonym,
        #: not a plural or singular made from one: "discount" is avg_discount's synonym and
        #: only the singular of discount_amount's "discounts"
        self._primary: set[tuple[str, Term]] = set()
        self.time_dimensions: dict[str, list[str]] = {}
        for model in models:
            view = model.view
            for rank, dim in enumerate(view.dimensions):
                term = Term(model.id, "dimension", dim.name, rank)
                self._add(term, dim.name, dim.display_name, _bare(dim.display_name), *dim.synonyms)
                self._add_raw(term, dim.name)
                if dim.format is not None and dim.format.type in ("date", "date_time"):
                    self.time_dimensions.setdefault(model.id, []).append(dim.name)
            for rank, measure in enumerate(view.measures):
                term = Term(model.id, "measure", measure.name, rank)
                self._add(
                    term, measure.name, measure.display_name, _bare(measure.display_name),
                    *measure.synonyms,
                )  # fmt: skip
                self._add_raw(term, measure.name)
        self.max_words = max((p.count(" ") + 1 for p in self.phrases), default=1)
        self._choices = [p for p in self.phrases if p not in STOPWORDS and len(p) >= 4]

    def _add(self, term: Term, *names: str | None) -> None:
        for name in names:
            norm = normalize(name or "")
            first, _, rest = norm.partition(" ")
            if rest and " " not in rest and first.endswith("ed"):
                # "failed runs" is also asked as "runs failed", "assigned modules" as
                # "modules assigned"
                names_after = (*variants(f"{rest} {first}"),)
                for phrase in names_after:
                    listed = self.phrases.setdefault(phrase, [])
                    if term not in listed:
                        listed.append(term)
            for phrase in variants(name or ""):
                if phrase in STOPWORDS:
                    continue
                listed = self.phrases.setdefault(phrase, [])
                if term not in listed:
                    listed.append(term)
            self._primary.add((normalize(name or ""), term))

    def _add_raw(self, term: Term, name: str) -> None:
        # typed as it is spelled in the model: "order_date", "cost_usd"
        listed = self.phrases.setdefault(name.lower(), [])
        if term not in listed:
            listed.append(term)
        self._primary.add((name.lower(), term))

    def exact(self, phrase: str) -> list[Term]:
        """The terms ``phrase`` names; where it is some terms' own spelling, only those."""
        key = phrase if phrase in self.phrases else normalize(phrase)
        return self._best(key, self.phrases.get(key, []))

    def _best(self, phrase: str, terms: list[Term]) -> list[Term]:
        own = [t for t in terms if (phrase, t) in self._primary]
        return own or terms

    def fuzzy(self, phrase: str) -> tuple[list[Term], float]:
        """The terms of the phrase closest to ``phrase`` and the closeness (0-1); ([], 0)
        when nothing is close enough."""
        text = normalize(phrase)
        if len(text) < 4 or text in STOPWORDS:
            return [], 0.0
        best = process.extractOne(
            text, self._choices, scorer=closeness, score_cutoff=fuzzy_cutoff(text)
        )
        if best is None:
            return [], 0.0
        choice, score, _ = best
        return self._best(choice, self.phrases[choice]), score / 100
