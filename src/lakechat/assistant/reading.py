"""One pass over a message: which words name measures, dimensions and values.

Longest phrase first, so "customer nation" beats "nation" and "MIDDLE EAST" beats "east";
words inside a time phrase or a number the interpreter already read are skipped. A word
nothing names exactly gets one fuzzy try (misspellings), with its closeness as the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import process

from lakechat.assistant.text import STOPWORDS, Word, is_english
from lakechat.assistant.values import ValueHit, ValueIndex
from lakechat.assistant.vocabulary import Term, Vocabulary, closeness

#: words never read as a misspelt name (they are common in questions)
_NOT_FUZZY = STOPWORDS | {
    "top", "bottom", "most", "least", "highest", "lowest", "largest", "smallest", "best",
    "worst", "more", "less", "fewer", "than", "over", "under", "above", "below", "between",
    "since", "before", "after", "until", "compared", "versus", "growth", "change", "share",
    "percentage", "percent", "proportion", "trend", "chart", "line", "table", "instead",
    "only", "excluding", "except", "other", "without", "sorted", "ordered", "ascending",
    "descending", "order", "sort", "biggest", "month", "year", "quarter", "week", "day",
    "monthly", "yearly", "weekly", "daily", "quarterly", "hourly", "annual", "annually",
}  # fmt: skip


@dataclass(frozen=True)
class Found:
    """A phrase of the message and what it may name (several terms or values when it is
    ambiguous; the interpreter narrows them by model and context)."""

    start: int  # index of the first word
    end: int  # index after the last word
    text: str
    terms: tuple[Term, ...] = ()
    values: tuple[ValueHit, ...] = ()
    score: float = 1.0  # 1.0 exact, lower for a misspelling
    #: every term the phrase may name, including through a plural ("customers" is the
    #: customer_count measure's own word and also the plural of the customer dimension)
    all_terms: tuple[Term, ...] = ()


@dataclass
class Reading:
    words: list[Word]
    found: list[Found] = field(default_factory=list)

    def measures(self) -> list[Found]:
        return [f for f in self.found if any(t.kind == "measure" for t in f.terms)]


def read(words: list[Word], used: set[int], vocabulary: Vocabulary, values: ValueIndex) -> Reading:
    """Match ``words`` (skipping the indexes in ``used``) against names and values."""
    reading = Reading(words)
    longest = max(vocabulary.max_words, values.max_words)
    i = 0
    while i < len(words):
        hit = None if i in used else _longest_at(words, i, used, longest, vocabulary, values)
        if hit is None:
            i += 1
            continue
        reading.found.append(hit)
        i = hit.end
    taken = used | {k for f in reading.found for k in range(f.start, f.end)}
    for shared in _ellipses(words, taken, reading.found, vocabulary):
        reading.found.append(shared)
        taken.add(shared.start)
    for i, word in enumerate(words):
        if i in taken or word.norm in _NOT_FUZZY or word.norm.isdigit():
            continue
        if len(word.norm) < 4:
            pair = _fuzzy_pair(words, i, taken, vocabulary)  # "p95 latncy"
            if pair is not None:
                reading.found.append(pair)
                taken |= {i, i + 1}
            continue
        if word.norm.endswith(("ed", "ing")) or is_english(word.norm):
            continue  # "supplied", "make": real words, not a misspelt "supplier" or "maker"
        fuzzy = _fuzzy_at(words, i, taken, vocabulary, values)
        if fuzzy is not None:
            reading.found.append(fuzzy)
            taken |= set(range(fuzzy.start, fuzzy.end))
    reading.found.sort(key=lambda f: f.start)
    return reading


def _ellipses(
    words: list[Word], taken: set[int], found: list[Found], vocabulary: Vocabulary
) -> list[Found]:
    """ "gross and net revenue", "ship and receipt dates": a word that names something only
    with the noun of the phrase after "and"/"or"."""
    starts = {f.start: f for f in found}
    shared = []
    for i in range(len(words) - 2):
        joiner = words[i + 1].norm
        after = starts.get(i + 2)
        if i in taken or joiner not in ("and", "or", "&", "vs", "versus") or after is None:
            continue
        tail = [w.norm for w in words[after.start + 1 : after.end]] or [words[after.end - 1].norm]
        terms = vocabulary.exact(" ".join([words[i].norm, *tail]))
        if terms:
            shared.append(Found(i, i + 1, words[i].text, tuple(terms), (), 1.0, tuple(terms)))
    return shared


_BE = {"was", "were", "been", "being", "got", "are", "is", "get", "have", "has", "had"}


def _passive_at(words: list[Word], i: int, used: set[int], vocabulary: Vocabulary) -> Found | None:
    """ "modules were assigned": the measure "assigned modules" asked in the passive."""
    if i + 2 >= len(words) or {i + 1, i + 2} & used or words[i + 1].norm not in _BE:
        return None
    participle = words[i + 2].norm
    if not participle.endswith("ed"):
        return None
    terms = vocabulary.exact(f"{participle} {words[i].norm}") or vocabulary.exact(
        f"{words[i].norm} {participle}"
    )
    if not terms:
        return None
    return Found(i, i + 3, _text(words, i, i + 3), tuple(terms), (), 1.0, tuple(terms))


def _longest_at(
    words: list[Word],
    i: int,
    used: set[int],
    longest: int,
    vocabulary: Vocabulary,
    values: ValueIndex,
) -> Found | None:
    passive = _passive_at(words, i, used, vocabulary)
    if passive is not None:
        return passive
    for n in range(min(longest, len(words) - i), 0, -1):
        span = range(i, i + n)
        if any(k in used for k in span):
            continue
        phrase = " ".join(words[k].norm for k in span)
        if n == 1 and phrase in STOPWORDS:
            return None
        terms = vocabulary.exact(phrase)
        hits = values.lookup(phrase)
        if (terms or hits) and n > 1 and _continues(words, i + n - 1, used, vocabulary):
            continue  # "number of order lines": "order lines", not "number of order(s)"
        if terms or hits:
            every = tuple(vocabulary.phrases.get(phrase, terms))
            return Found(i, i + n, _text(words, i, i + n), tuple(terms), tuple(hits), 1.0, every)
    return None


def _continues(words: list[Word], last: int, used: set[int], vocabulary: Vocabulary) -> bool:
    """The phrase's last word starts another name with the word after it."""
    after = last + 1
    if after >= len(words) or after in used:
        return False
    return bool(vocabulary.exact(f"{words[last].norm} {words[after].norm}"))


def _fuzzy_pair(words: list[Word], i: int, taken: set[int], vocabulary: Vocabulary) -> Found | None:
    if i + 1 >= len(words) or i + 1 in taken or len(words[i + 1].norm) < 4:
        return None
    terms, score = vocabulary.fuzzy(f"{words[i].norm} {words[i + 1].norm}")
    if terms and score >= 0.85:
        return Found(i, i + 2, _text(words, i, i + 2), tuple(terms), (), score, tuple(terms))
    return None


def _fuzzy_at(
    words: list[Word], i: int, taken: set[int], vocabulary: Vocabulary, values: ValueIndex
) -> Found | None:
    """A misspelt name over one or two words ("custmer nation", "gross revnue"), or a value."""
    if i > 0 and i - 1 not in taken:
        two = f"{words[i - 1].norm} {words[i].norm}"
        terms, score = vocabulary.fuzzy(two)
        if terms and score >= 0.85:
            return Found(
                i - 1, i + 1, _text(words, i - 1, i + 1), tuple(terms), (), score, tuple(terms)
            )
    if i + 1 < len(words) and i + 1 not in taken and words[i + 1].norm not in _NOT_FUZZY:
        two = f"{words[i].norm} {words[i + 1].norm}"
        terms, score = vocabulary.fuzzy(two)
        if terms and score >= 0.85:
            return Found(i, i + 2, _text(words, i, i + 2), tuple(terms), (), score, tuple(terms))
    terms, score = vocabulary.fuzzy(words[i].norm)
    if terms:
        return Found(i, i + 1, words[i].text, tuple(terms), (), score, tuple(terms))
    phrases = values.fuzzy_choices()
    if len(words[i].norm) >= 5 and phrases:
        best = process.extractOne(words[i].norm, phrases, scorer=closeness, score_cutoff=85.0)
        if best is not None:
            hits = values.lookup(best[0])
            return Found(i, i + 1, words[i].text, values=tuple(hits), score=best[1] / 100)
    return None


def _text(words: list[Word], start: int, end: int) -> str:
    return " ".join(w.text for w in words[start:end])
