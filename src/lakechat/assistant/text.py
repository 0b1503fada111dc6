"""Words of a message with their places, so every reading can point back at what it used.

The interpreter marks the words it has read (a measure, a value, a time phrase) and looks
at the rest; offsets into the original text keep answers able to quote the user exactly.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: a word: letters/digits with inner - ' # . / & @ _ (1-URGENT, Brand#13, o'brien, 3.5,
#: ann@example.com, nightly_etl)
_WORD = re.compile(r"[A-Za-z0-9$%_]+(?:[-'#./&@][A-Za-z0-9_]+)*%?")

#: words that carry no meaning of their own in a question about data
_STOPWORD_TEXT = """a an the of for in on at to from by with and or is are was were be been being do does
    did what which who whom whose how many much show me give list tell display get find our
    my we us i you your please can could would will should there their its it this that these
    those as per each every all any some into over across than then please data number numbers
    value values total totals overall amount about just also ok okay hi hello hey want like
    see know have has had let lets let's what's whats breakdown broken down split grouped group
    where when why while during"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Word:
    text: str  # as written
    norm: str  # lower case, for matching
    start: int
    end: int


def words(message: str) -> list[Word]:
    found = []
    for match in _WORD.finditer(message):
        text = match.group()
        norm = text.lower()
        if norm.endswith("'s") and len(norm) > 3:
            norm = norm[:-2]  # "mode's share": the mode
        found.append(Word(text, norm, match.start(), match.end()))
    return found


@functools.cache
def _english_words() -> frozenset[str]:
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["web2"], lower=True))


def is_english(word: str) -> bool:
    """A dictionary word (or the plural of one): not gibberish, and not a misspelling."""
    known = _english_words()
    return word in known or singular(word) in known or word.rstrip("s") in known


def normalize(phrase: str, *, underscores: bool = False) -> str:
    """``phrase`` as the matcher compares it: lower case, one space between words, and
    underscores as spaces unless ``underscores`` keeps them (values such as job names)."""
    text = phrase if underscores else phrase.replace("_", " ")
    return " ".join(w.norm for w in words(text))


def singular(word: str) -> str:
    """A plain English singular, good enough for names of things ("nations" -> "nation")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def variants(phrase: str) -> set[str]:
    """``phrase`` and its last word's singular/plural forms."""
    norm = normalize(phrase)
    if not norm:
        return set()
    head, _, last = norm.rpartition(" ")
    prefix = f"{head} " if head else ""
    forms = {norm, prefix + singular(last)}
    if not last[-1:].isdigit():
        plural = (
            last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou" else last + "s"
        )
        forms.add(prefix + plural)
    return forms
