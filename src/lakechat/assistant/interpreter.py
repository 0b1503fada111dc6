"""The deterministic interpreter: a message (and the previous answer's plan) -> a typed plan.

    message --intents--> SqlRun | Refuse (changes) | Help
            --timephrases, numbers--> time ranges, grains, comparisons, top N, thresholds
            --reading--> measures, dimensions, values (exact, then fuzzy)
            --model choice--> the model most of the message names
            --building--> SemanticQuery, or Clarify when two readings tie, or Refuse

No language model is involved; the same plan types are what a model-backed path fills.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import date

from lakechat.assistant import building, intents
from lakechat.assistant.context import Question
from lakechat.assistant.numbers import find_ranking, find_thresholds
from lakechat.assistant.plans import Help, Plan, Refuse, SemanticPlan, SqlRun
from lakechat.assistant.reading import read
from lakechat.assistant.text import STOPWORDS, is_english, words
from lakechat.assistant.timephrases import GrainMention, TimeFindings, TimeMention, find_times
from lakechat.assistant.values import ValueIndex
from lakechat.assistant.vocabulary import Vocabulary
from lakechat.semantic.loader import LoadedModel


class Interpreter:
    def __init__(self, models: Sequence[LoadedModel], values: ValueIndex) -> None:
        self.models = {m.id: m for m in models}
        self.vocabulary = Vocabulary(models)
        self.values = values

    def interpret(self, message: str, *, today: date, previous: SemanticPlan | None = None) -> Plan:
        text = " ".join(message.split())
        if intents.is_sql(text):
            return SqlRun(sql=message.strip())
        if intents.is_change(text):
            return Refuse(
                reason="I only read data: I can't change, delete or create anything. "
                + self.coverage()
            )
        if intents.is_help(text):
            return self.help()
        if intents.is_forecast(text):
            return Refuse(
                reason="I answer from what the data holds; I don't predict or forecast. "
                "Ask about a past period instead (its trend by month, or its growth)."
            )
        question = self.question(text, today)
        plan = building.build(question, self.models, self.values, previous)
        if plan is not None:
            return plan
        if not question.reading.found and not question.times.mentions and _gibberish(question):
            shown = message.strip()
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return self.help(f"I didn't understand {shown!r}.")
        return Refuse(reason="I can't answer that from these models. " + self.coverage())

    def question(self, text: str, today: date) -> Question:
        times = _more_times(text, find_times(text, today))
        spans = [(m.start, m.end) for m in times.mentions]
        spans += [(g.start, g.end) for g in times.grains]
        spans += [(c.start, c.end) for c in times.comparisons]
        ranking = find_ranking(text, spans)
        thresholds = find_thresholds(text, spans)
        taken = spans + [(t.start, t.end) for t in thresholds]
        chart = intents.chart_span(text)
        if chart is not None:
            taken.append(chart)
        if ranking is not None:
            taken.append((ranking.start, ranking.end))
            if ranking.also:
                taken.append(ranking.also)
        found_words = words(text)
        used = {
            i
            for i, w in enumerate(found_words)
            if any(w.start < end and start < w.end for start, end in taken)
        }
        reading = read(found_words, used, self.vocabulary, self.values)
        return Question(
            text, today, found_words, reading, times, ranking, thresholds, frozenset(used)
        )

    def coverage(self) -> str:
        names = []
        for model in self.models.values():
            measures = ", ".join(
                (m.display_name or m.name).lower() for m in model.view.measures[:4]
            )
            names.append(f"{model.id} ({measures})")
        return "The models cover: " + "; ".join(names) + '. Ask "what can I ask?" for examples.'

    def help(self, opening: str = "") -> Help:
        examples = [q for m in self.models.values() for q in m.view.extras.sample_questions[:2]]
        text = (
            f"{opening} " if opening else ""
        ) + "Ask about your data in plain language: a measure, optionally by a dimension, " \
            "for a time range or some values. " + self.coverage()  # fmt: skip
        return Help(text=text.strip(), examples=tuple(examples[:8]))


#: "1994 revenue", "1995's orders": a year right before what it limits
_BARE_YEAR = re.compile(
    r"(?:\b(?P<lead>only|just|and|or|but|about)\s+)?\b(?P<year>19[5-9]\d|20\d\d)(?:'s)?"
    r"(?=\s+[a-z]|\s*[?.!,]?\s*$)",
    re.IGNORECASE,
)
_NOT_BEFORE_YEAR = {"size", "top", "bottom", "first", "last", "order", "key", "customer", "part",
                    "supplier", "number", "id", "no", "than", "over", "under", "above", "below",
                    "least", "most", "#", "to", "and", "from", "between"}  # fmt: skip
#: "by ship mode and year", "months in 1996 where", "the best month", "which quarter"
_GRAIN_WORD = re.compile(
    r"\b(?:(?P<lead>and|which|what|best|worst|top|busiest|biggest|highest|lowest|each|every)"
    r"\s+(?P<grain>year|quarter|month|week|day|hour)s?\b"
    r"|^(?P<head>year|quarter|month|week|day)s\s+(?=in|where|with|that|when))",
    re.IGNORECASE,
)


def _more_times(text: str, times: TimeFindings) -> TimeFindings:
    """Years and grains the time parser leaves to context: "1994 revenue", "by ship mode
    and year", "months in 1996 where ..."."""
    spans = [(m.start, m.end) for m in times.mentions]
    spans += [(g.start, g.end) for g in times.grains] + [
        (c.start, c.end) for c in times.comparisons
    ]

    def free(start: int, end: int) -> bool:
        return not any(start < e and s < end for s, e in spans)

    mentions = list(times.mentions)
    for m in _BARE_YEAR.finditer(text):
        start = m.start("year")
        before = text[:start].split()
        at_end = not re.match(r"\s+[a-z]", text[m.end() :], re.IGNORECASE)
        if at_end and not m["lead"] and len(before) > 0:
            continue  # "more than 1995" at the end: a number, unless "only 1995"
        if free(start, m.end()) and (
            not before or before[-1].lower() not in _NOT_BEFORE_YEAR or m["lead"]
        ):
            year = m["year"]
            mentions.append(
                TimeMention(
                    start, start + 4, year, (f"{year}-01-01", f"{year}-12-31"), f"in {year}"
                )
            )
    grains = list(times.grains)
    for m in _GRAIN_WORD.finditer(text):
        word = m["grain"] or m["head"]
        start = m.start("grain") if m["grain"] else m.start("head")
        if free(start, start + len(word)) and not any(g.grain == word.lower() for g in grains):
            grains.append(GrainMention(start, start + len(word), word, word.lower()))  # type: ignore[arg-type]
    mentions.sort(key=lambda x: x.start)
    return dataclasses.replace(times, mentions=tuple(mentions), grains=tuple(grains))


def _gibberish(question: Question) -> bool:
    """Mostly not English words ("asdkj qwe zzz"); "employee salaries" is English that the
    models do not cover, which is a refusal, not gibberish."""
    plain = [w.norm for w in question.words if w.norm.isalpha()]
    if not plain:
        return True
    known = sum(1 for w in plain if w in STOPWORDS or is_english(w))
    return known * 2 < len(plain)
