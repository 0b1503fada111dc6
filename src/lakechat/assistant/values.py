"""The values a user may name: each string dimension's distinct values, plus value synonyms.

"Germany" finds customer nation GERMANY and "urgent" finds priority 1-URGENT because the
index holds every low-cardinality string dimension's values, read from the warehouse when
the models load. High-cardinality dimensions (names, comments) are left out: listing them
would be slow and their values rarely appear in questions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lakechat.assistant.text import STOPWORDS, normalize
from lakechat.errors import LakechatError
from lakechat.semantic.compiler import Access, compile_query
from lakechat.semantic.loader import LoadedModel
from lakechat.semantic.query import SemanticQuery
from lakechat.warehouse.base import Warehouse

log = logging.getLogger(__name__)

#: a dimension with more distinct values than this is not indexed
MAX_VALUES = 1000
#: values that read as ordinary words in a question; found only next to their dimension
_WORDLIKE = frozenset({"none", "other", "unknown", "true", "false", "null", "yes", "no", "all"})


#: adjectives of places, for "Asian customers" and "German suppliers"
DEMONYMS = {
    "asian": "asia", "european": "europe", "american": "america", "african": "africa",
    "middle eastern": "middle east", "german": "germany", "chinese": "china",
    "japanese": "japan", "french": "france", "british": "united kingdom", "indian": "india",
    "canadian": "canada", "brazilian": "brazil", "egyptian": "egypt", "russian": "russia",
    "indonesian": "indonesia", "iranian": "iran", "iraqi": "iraq", "jordanian": "jordan",
    "kenyan": "kenya", "moroccan": "morocco", "mozambican": "mozambique", "peruvian": "peru",
    "romanian": "romania", "saudi": "saudi arabia", "vietnamese": "vietnam",
    "algerian": "algeria", "argentine": "argentina", "argentinian": "argentina",
    "ethiopian": "ethiopia", "us": "united states", "u.s.": "united states",
}  # fmt: skip


@dataclass(frozen=True)
class ValueHit:
    model: str
    dimension: str
    value: str
    #: found through a value synonym ("urgent" -> 1-URGENT) rather than the value itself
    via_synonym: bool
    #: the dimension's place in its model: earlier wins a tie (customer before supplier nation)
    rank: int


class ValueIndex:
    def __init__(self) -> None:
        self._phrases: dict[str, list[ValueHit]] = {}
        self._by_dimension: dict[tuple[str, str], dict[str, str]] = {}
        self.max_words = 1
        self._choices: list[str] | None = None

    def add(self, model: LoadedModel, values: Mapping[str, Iterable[str]]) -> None:
        """Index ``values`` (dimension -> its distinct strings) and the model's value synonyms."""
        ranks = {d.name: i for i, d in enumerate(model.view.dimensions)}
        for dim, found in values.items():
            own = self._by_dimension.setdefault((model.id, dim), {})
            for value in found:
                phrase = normalize(value, underscores=True)
                if not phrase:
                    continue
                own[phrase] = value
                if len(phrase) > 2 and phrase not in STOPWORDS and phrase not in _WORDLIKE:
                    self._put(phrase, ValueHit(model.id, dim, value, False, ranks[dim]))
        for dim, synonyms in model.view.extras.value_synonyms.items():
            own = self._by_dimension.setdefault((model.id, dim), {})
            for value, names in synonyms.items():
                own.setdefault(normalize(value, underscores=True), value)
                for name in names:
                    phrase = normalize(name)
                    self._put(phrase, ValueHit(model.id, dim, value, True, ranks.get(dim, 0)))

    def _put(self, phrase: str, hit: ValueHit) -> None:
        self._choices = None
        listed = self._phrases.setdefault(phrase, [])
        if hit not in listed:
            listed.append(hit)
            self.max_words = max(self.max_words, phrase.count(" ") + 1)

    def fuzzy_choices(self) -> list[str]:
        """Single-word values a misspelling may reach ("Grmany"); built once per change."""
        if self._choices is None:
            self._choices = [p for p in self._phrases if " " not in p and p.isalpha()]
        return self._choices

    def lookup(self, phrase: str) -> list[ValueHit]:
        found = self._phrases.get(phrase)
        if found is None and phrase in DEMONYMS:
            return self._phrases.get(DEMONYMS[phrase], [])  # "Asian customers": ASIA
        return found or []

    def value_of(self, model: str, dimension: str, phrase: str) -> str | None:
        """The stored value of ``dimension`` written ``phrase`` (any length: "flag R")."""
        return self._by_dimension.get((model, dimension), {}).get(phrase)

    def dimensions(self) -> set[tuple[str, str]]:
        return set(self._by_dimension)


def read_values(
    model: LoadedModel, warehouse: Warehouse, *, timeout_seconds: float = 60.0
) -> dict[str, list[str]]:
    """Each string dimension of ``model`` with at most MAX_VALUES distinct values, read
    through the model itself (its joins and filter) as an admin would see them."""
    if model.view.extras.row_level_security is not None:
        return {}  # one tenant's values must not be offered to another
    found: dict[str, list[str]] = {}
    for dim in model.view.dimensions:
        if dim.format is not None:
            continue  # dates, amounts, percentages: not names anyone types
        query = SemanticQuery.model_validate(
            {"dataset": model.id, "dimensions": [{"name": dim.name}], "limit": MAX_VALUES + 1}
        )
        try:
            compiled = compile_query(
                model.view, query, dialect=warehouse.dialect, access=Access("", is_admin=True)
            )
            result = warehouse.execute(
                compiled.sql, max_rows=MAX_VALUES + 1, timeout_seconds=timeout_seconds
            )
        except LakechatError as exc:
            log.warning("values of %s.%s not indexed: %s", model.id, dim.name, exc)
            continue
        values = [row[0] for row in result.rows]
        if len(values) > MAX_VALUES or not all(isinstance(v, str) for v in values if v is not None):
            continue
        found[dim.name] = [v for v in values if v]
    return found
