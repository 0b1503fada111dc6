"""What kind of message this is before any model is consulted: help, a change to data, an
explicit SELECT, a chart request, or a question about data.

Refusing changes comes first: "delete all orders from 1995" names a measure and a year, and
must never become a query that counts them.
"""

from __future__ import annotations

import re

_HELP = re.compile(
    r"^\s*(?:help|\?+|what can (?:i|you) (?:ask|do)|what (?:can|should) i ask|what do you know"
    r"|what (?:data|models|metrics|measures|datasets) (?:do you have|are there|can i (?:ask|use))"
    r"|which (?:data|models|metrics|measures|datasets)|examples?|show (?:me )?examples"
    r"|how do(?:es)? (?:this|it) work|what questions)\b",
    re.IGNORECASE,
)
#: imperative changes: the first verb of the message (after "please", "can you", ...)
_CHANGE_VERBS = (
    "delete|drop|update|insert|truncate|alter|create|grant|revoke|merge|remove|modify|rename"
    "|erase|wipe|purge|overwrite|upsert|deduplicate|vacuum|optimize"
    # "change/set X to Y" is a change; "change it to a line chart" is not
    r"|(?:change|set|edit|reset)\b(?!.*\b(?:chart|graph|plot|table|view)\b)(?=.*\bto\b)"
)
_CHANGE = re.compile(
    r"^\s*(?:(?:please|pls|can you|could you|would you|will you|i want to|i'd like to|"
    r"i would like to|let's|lets|go ahead and|now)\s+)*(?:" + _CHANGE_VERBS + r")\b",
    re.IGNORECASE,
)
_SQL = re.compile(r"^\s*(?:select|with)\b.+\bfrom\b", re.IGNORECASE | re.DOTALL)
_CHART = re.compile(
    r"\b(?:as|in|into|on|with|to|use|using|make it|show it as|show (?:it|that|this) (?:as|in)|plot"
    r"(?: it)?(?: as)?|draw(?: it)?(?: as)?)\s+(?:a\s+)?(?P<kind>line|bar|column|table)"
    r"(?:\s+(?:chart|graph|plot))?\b",
    re.IGNORECASE,
)


_FORECAST = re.compile(
    r"\b(?:predict|predicted|prediction|predictions|forecast|forecasts|forecasting|projection"
    r"|projections|project(?:ed)? (?:revenue|cost|sales|spend)|extrapolate|will (?:be|we|it|our"
    r"|the|there)|going to be|next (?:year|month|quarter|week))\b",
    re.IGNORECASE,
)


def is_forecast(message: str) -> bool:
    """A question about the future: the models hold what happened, not what will."""
    return bool(_FORECAST.search(message))


def is_help(message: str) -> bool:
    return bool(_HELP.search(message))


def is_change(message: str) -> bool:
    return bool(_CHANGE.search(message))


def is_sql(message: str) -> bool:
    return bool(_SQL.search(message))


def chart_span(message: str) -> tuple[int, int] | None:
    """Where the chart request is, so "line" in "as a line chart" is not read as a measure."""
    match = _CHART.search(message)
    return (match.start(), match.end()) if match else None


def chart_kind(message: str) -> str | None:
    """ "line", "bar" or "table" when the message asks for that presentation."""
    match = _CHART.search(message)
    if match is None:
        return None
    kind = match["kind"].lower()
    return "bar" if kind == "column" else kind
