"""Comparisons of a semantic query as sqlglot expressions: every value a literal, never text
spliced into SQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlglot import exp

from lakechat.errors import BadRequest
from lakechat.semantic.query import Condition

COMPARISONS: dict[str, type[exp.Expr]] = {
    "eq": exp.EQ,
    "ne": exp.NEQ,
    "gt": exp.GT,
    "gte": exp.GTE,
    "lt": exp.LT,
    "lte": exp.LTE,
}


def literal(value: Any, field: str) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise BadRequest(f"filter on {field!r}: {value!r} is not a text, number or boolean value")


def comparison(subject: exp.Expr, c: Condition) -> exp.Expr:
    """``subject`` (a dimension or measure expression) compared as condition ``c`` says."""
    values = c.value if isinstance(c.value, list) else [c.value]
    # caseInsensitive folds text comparisons; a number or boolean is compared as it is
    fold = c.case_insensitive and any(isinstance(v, str) for v in values)

    def lit(value: Any) -> exp.Expr:
        found = literal(value, c.field)
        return exp.Lower(this=found) if fold and isinstance(value, str) else found

    if not isinstance(subject, exp.Column | exp.Func | exp.Paren):
        subject = exp.paren(subject, copy=False)  # a predicate dimension: (a = b) = TRUE
    if fold:
        subject = exp.Lower(this=subject)
    if c.op == "is_null":
        return exp.Is(this=subject, expression=exp.Null())
    if c.op == "is_not_null":
        return exp.not_(exp.Is(this=subject, expression=exp.Null()))
    if c.op in ("in", "not_in"):
        inside = exp.In(this=subject, expressions=[lit(v) for v in c.value])
        return inside if c.op == "in" else exp.not_(inside)
    if c.op == "between":
        low, high = c.value
        return exp.Between(this=subject, low=lit(low), high=lit(high))
    if c.op in ("contains", "starts_with", "ends_with"):
        if not isinstance(c.value, str):
            raise BadRequest(f"{c.op} on {c.field!r} needs a text value")
        needle = lit(c.value)
        if c.op == "contains":
            return exp.GT(
                this=exp.StrPosition(this=subject, substr=needle), expression=exp.Literal.number(0)
            )
        side = exp.Left if c.op == "starts_with" else exp.Right
        length = exp.Literal.number(len(c.value))
        return exp.EQ(this=side(this=subject, expression=length), expression=needle)
    return COMPARISONS[c.op](this=subject, expression=lit(c.value))


def day_literal(day: date, *, timestamp: bool) -> exp.Expr:
    """``day`` as a DATE, or as the TIMESTAMP of its midnight for a date_time dimension."""
    if timestamp:
        return exp.cast(exp.Literal.string(f"{day.isoformat()} 00:00:00"), "TIMESTAMP")
    return exp.cast(exp.Literal.string(day.isoformat()), "DATE")


def within_days(subject: exp.Expr, start: date, end: date, *, timestamp: bool) -> exp.Expr:
    """``start <= subject < end``: whole days, the last one excluded."""
    return exp.and_(
        exp.GTE(this=subject, expression=day_literal(start, timestamp=timestamp)),
        exp.LT(this=subject.copy(), expression=day_literal(end, timestamp=timestamp)),
    )


def ident(name: str) -> exp.Identifier:
    """An output or internal column name, always quoted."""
    return exp.to_identifier(name, quoted=True)
