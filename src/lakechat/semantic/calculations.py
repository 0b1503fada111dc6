"""Share of total and period over period, built around the grouped query.

The grouped query becomes a CTE whose dimensions and measures have internal names; the
outer SELECT gives them their output names and computes:

- ``share_of_total``: the metric over the sum of the metric in all rows the query returns
  (before LIMIT and OFFSET), as a fraction;
- ``previous_period``: the metric in the period before, for the same other dimensions;
- ``growth``: (this - previous) / |previous|, as a fraction (NULL when previous is 0 or
  missing).

The period before is, with a time-grained dimension, the grain before (the month before a
month) found by a self-join of the CTE, with the ``timeRange`` widened by one grain so the
first period has its previous one too; without one, the range before ``timeRange``
(last_month -> the month before it), computed as a second CTE.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlglot import exp

from lakechat.errors import BadRequest
from lakechat.semantic import timerange
from lakechat.semantic.conditions import day_literal, ident
from lakechat.semantic.query import SemanticQuery

if TYPE_CHECKING:
    from lakechat.semantic.compiler import Aggregate, _Compiler

CURRENT, PREVIOUS, BASE = "cur", "prev", "base"
COMPARING = frozenset({"previous_period", "growth"})


def with_calculations(compiler: _Compiler, agg: Aggregate, query: SemanticQuery) -> exp.Select:
    dim_names = [f"d{i}" for i in range(len(agg.dimensions))]
    measure_names = {m.name: f"m{j}" for j, m in enumerate(agg.measures)}
    select = [
        exp.alias_(e, ident(n), copy=False)
        for (_, e), n in zip(agg.dimensions, dim_names, strict=True)
    ]
    select += [
        exp.alias_(compiler.measure_expr(m), ident(measure_names[m.name]), copy=False)
        for m in agg.measures
    ]
    window = agg.window
    days = (window.days.start, window.days.end) if window else None
    outputs: list[exp.Expr] = [
        exp.alias_(_col(CURRENT, name), ident(ref.output), copy=False)
        for (ref, _), name in zip(agg.dimensions, dim_names, strict=True)
    ]
    for metric in query.metrics:
        name = measure_names[compiler.measure(metric.name).name]
        outputs.append(
            exp.alias_(_metric(metric.calculation, name), ident(metric.output), copy=False)
        )
    if not any(m.calculation in COMPARING for m in query.metrics):
        base = compiler.grouped(agg, select, days)
        return (
            exp.select(*outputs)
            .from_(_table(BASE, CURRENT), copy=False)
            .with_(BASE, as_=base, copy=False)
        )

    grained = _grained_dimension(agg)
    if grained is not None:
        return _previous_grain(compiler, agg, select, outputs, dim_names, grained)
    if window is None:
        raise BadRequest(
            "previous_period and growth compare periods: add a dimension with a timeGrain "
            "(revenue by month, each month against the month before) or a timeRange "
            "(last_month against the month before it)"
        )
    before = window.days.previous()
    current = compiler.grouped(agg, select, days)
    previous = compiler.grouped(agg, [s.copy() for s in select], (before.start, before.end))
    statement = exp.select(*outputs).from_(_table(CURRENT, CURRENT), copy=False)
    statement = statement.with_(CURRENT, as_=current, copy=False).with_(
        PREVIOUS, as_=previous, copy=False
    )
    return _join_previous(statement, _table(PREVIOUS, PREVIOUS), dim_names, keys=dim_names)


def _previous_grain(
    compiler: _Compiler,
    agg: Aggregate,
    select: list[exp.Expr],
    outputs: list[exp.Expr],
    dim_names: list[str],
    grained: int,
) -> exp.Select:
    ref = agg.dimensions[grained][0]
    grain = ref.time_grain or "day"
    window = agg.window
    time_name = dim_names[grained]
    days = None
    first: date | None = None
    if window is not None:
        days = (window.days.start, window.days.end)
        if window.dimension.name == ref.name:
            # widen by one grain so the range's first period finds its previous one
            first = timerange.unit_start(window.days.start, grain)
            start = (
                first - timedelta(days=1)
                if grain == "hour"
                else timerange.back(first, *timerange.shift(grain, 1))
            )
            days = (start, window.days.end)
            if first < window.days.start:
                # a range starting inside a grain (15 January by month): its first period
                # keeps only the range's days, as without a calculation
                skipped = compiler.window_condition(window, first, window.days.start)
                agg = dataclasses.replace(agg, where=[*agg.where, exp.not_(skipped)])
    base = compiler.grouped(agg, select, days)
    statement = (
        exp.select(*outputs)
        .from_(_table(BASE, CURRENT), copy=False)
        .with_(BASE, as_=base, copy=False)
    )
    others = [name for name in dim_names if name != time_name]
    statement = _join_previous(
        statement,
        _table(BASE, PREVIOUS),
        others,
        keys=others,
        time=(time_name, grain),
    )
    if first is not None:
        timestamp = grain == "hour"
        statement = statement.where(
            exp.GTE(
                this=_col(CURRENT, time_name), expression=day_literal(first, timestamp=timestamp)
            ),
            copy=False,
        )
    return statement


def _join_previous(
    statement: exp.Select,
    previous: exp.Expr,
    names: list[str],
    *,
    keys: list[str],
    time: tuple[str, str] | None = None,
) -> exp.Select:
    conditions: list[exp.Expr] = []
    if time is not None:
        name, grain = time
        conditions.append(exp.EQ(this=_col(PREVIOUS, name), expression=_step_back(name, grain)))
    conditions += [
        exp.NullSafeEQ(this=_col(PREVIOUS, key), expression=_col(CURRENT, key)) for key in keys
    ]
    if not conditions:
        # one row on each side: the totals of this period and the one before; LEFT, so a
        # HAVING the period before fails leaves it NULL instead of dropping this one
        return statement.join(previous, on=exp.true(), join_type="LEFT", copy=False)
    return statement.join(
        previous, on=exp.and_(*conditions, copy=False), join_type="LEFT", copy=False
    )


def _step_back(name: str, grain: str) -> exp.Expr:
    if grain == "hour":
        return exp.DateAdd(
            this=_col(CURRENT, name), expression=exp.Literal.number(-1), unit=exp.var("HOUR")
        )
    unit, count = timerange.shift(grain, 1)
    moved = exp.DateAdd(
        this=_col(CURRENT, name), expression=exp.Literal.number(-count), unit=exp.var(unit.upper())
    )
    return exp.cast(moved, "DATE")


def _grained_dimension(agg: Aggregate) -> int | None:
    """The time-grained dimension periods step along: the one ``timeRange`` limits, else
    the first with a grain."""
    grained = [i for i, (ref, _) in enumerate(agg.dimensions) if ref.time_grain]
    if not grained:
        return None
    if agg.window is not None:
        for i in grained:
            if agg.dimensions[i][0].name == agg.window.dimension.name:
                return i
    return grained[0]


def _metric(calculation: str | None, name: str) -> exp.Expr:
    current = _col(CURRENT, name)
    if calculation is None:
        return current
    if calculation == "previous_period":
        return _col(PREVIOUS, name)
    if calculation == "share_of_total":
        total = exp.Window(this=exp.Sum(this=_col(CURRENT, name)))
        return exp.Div(this=_double(current), expression=_nonzero(total))
    change = exp.Sub(this=_double(current), expression=_col(PREVIOUS, name))
    return exp.Div(
        this=exp.paren(change, copy=False),
        expression=_nonzero(exp.Abs(this=_col(PREVIOUS, name))),
    )


def _double(value: exp.Expr) -> exp.Expr:
    # PostgreSQL divides integers as integers; a fraction needs a float on one side
    return exp.cast(value, "DOUBLE")


def _nonzero(value: exp.Expr) -> exp.Expr:
    return exp.Nullif(this=value, expression=exp.Literal.number(0))


def _col(table: str, name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True), table=exp.to_identifier(table))


def _table(name: str, alias: str) -> exp.Table:
    table = exp.to_table(name)
    if alias != name:
        table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return table
