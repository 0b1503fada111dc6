"""Model + semantic query -> one SQL statement for a warehouse dialect, built as sqlglot
expressions (filter values are literals, never spliced text).

- FROM the model's source AS ``source``, LEFT JOIN only the joins the query needs (and
  their parents), each under its own name, so role-playing joins (customer vs supplier
  nation) stay apart.
- Unqualified columns in expressions belong to ``source``, as in a metric view.
- ``MEASURE(x)`` in a measure is replaced by measure ``x``'s expression, so ratios of
  aggregates (average order value) aggregate correctly at any grain.
- Conditions on dimensions go to WHERE, on metrics to HAVING; the model's filter and the
  caller's tenant (row-level security) are always in WHERE, outside anything the query adds.
- ``timeRange`` limits a time dimension to whole days resolved against the caller's clock
  and time zone; date_time dimensions are shown in that time zone.
- Share of total and period over period wrap that aggregate (calculations.py).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlglot
from sqlglot import exp

from lakechat.errors import BadRequest
from lakechat.semantic import timerange
from lakechat.semantic.calculations import with_calculations
from lakechat.semantic.conditions import comparison, ident, within_days
from lakechat.semantic.dialects import capabilities, write_sql
from lakechat.semantic.model import Dimension, Join, Measure, MetricView
from lakechat.semantic.query import (
    Condition,
    DimensionRef,
    Filter,
    FilterGroup,
    OrderBy,
    SemanticQuery,
)

MODEL_DIALECT = "databricks"
SOURCE_ALIAS = "source"
TIME_FORMATS = frozenset({"date", "date_time"})
UTC = "UTC"


@dataclass(frozen=True)
class OutputColumn:
    name: str
    kind: str  # "dimension" or "metric"
    field: str  # the model's dimension or measure name
    format: dict[str, Any] | None
    calculation: str | None = None


@dataclass(frozen=True)
class ResolvedRange:
    """What ``timeRange`` meant: the dimension and whole days (``last`` included)."""

    dimension: str
    label: str
    first: date
    last: date
    timezone: str


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    dialect: str
    columns: tuple[OutputColumn, ...]
    joins: tuple[str, ...]
    time_range: ResolvedRange | None = None


@dataclass(frozen=True)
class Access:
    """Who asks: their tenant and whether they are an admin (row-level security)."""

    tenant: str
    is_admin: bool


@dataclass(frozen=True)
class Clock:
    """The day relative ranges count from, in the time zone the query is asked in."""

    today: date
    timezone: str = UTC


@dataclass(frozen=True)
class TimeWindow:
    """A resolved ``timeRange``: the dimension it limits and its days."""

    dimension: Dimension
    days: timerange.DayRange
    timestamp: bool  # a date_time dimension, compared with midnights


@dataclass
class Aggregate:
    """The grouped query before ORDER BY and LIMIT, as parts the calculations can reuse."""

    dimensions: list[tuple[DimensionRef, exp.Expr]]
    measures: list[Measure]  # distinct, in first-asked order
    guard: list[exp.Expr]  # row-level security and the model's filter
    where: list[exp.Expr]
    having: list[exp.Expr]
    window: TimeWindow | None


def compile_query(
    view: MetricView,
    query: SemanticQuery,
    *,
    dialect: str,
    access: Access,
    clock: Clock | None = None,
) -> CompiledQuery:
    """The SQL for ``query`` on ``view`` in ``dialect``; BadRequest names what is wrong."""
    capabilities(dialect)  # an unknown dialect fails before any work
    clock = clock or Clock(date.today(), query.timezone or UTC)
    compiler = _Compiler(view, query.dataset, clock.timezone)
    dims = [(ref, compiler.dimension_expr(ref)) for ref in query.dimensions]
    measures: list[Measure] = []
    columns: list[OutputColumn] = []
    for ref, _ in dims:
        dim = compiler.dimension(ref.name)
        columns.append(OutputColumn(ref.output, "dimension", dim.name, _format(dim)))
    for metric in query.metrics:
        measure = compiler.measure(metric.name)
        if measure not in measures:
            measures.append(measure)
        shown = _format(measure) if metric.calculation in (None, "previous_period") else None
        if metric.calculation in ("share_of_total", "growth"):
            shown = {"type": "percentage", "decimal_places": {"type": "max", "places": 1}}
        columns.append(
            OutputColumn(metric.output, "metric", measure.name, shown, metric.calculation)
        )
    where, having = compiler.split_filters(query.filters)
    aggregate = Aggregate(
        dims,
        measures,
        compiler.guard(access),
        where,
        having,
        compiler.time_window(query, clock.today),
    )
    if any(metric.calculation for metric in query.metrics):
        statement = with_calculations(compiler, aggregate, query)
    else:
        select = [exp.alias_(e, ident(ref.output), copy=False) for ref, e in dims]
        select += [
            exp.alias_(compiler.measure_expr(compiler.measure(m.name)), ident(m.output), copy=False)
            for m in query.metrics
        ]
        window = aggregate.window
        statement = compiler.grouped(
            aggregate, select, (window.days.start, window.days.end) if window else None
        )
    statement = _order_and_page(statement, query, columns)
    window = aggregate.window
    resolved = (
        ResolvedRange(
            window.dimension.name,
            window.days.label,
            window.days.start,
            window.days.last,
            clock.timezone,
        )
        if window
        else None
    )
    return CompiledQuery(
        write_sql(statement, dialect),
        dialect,
        tuple(columns),
        tuple(compiler.used_joins),
        resolved,
    )


def _order_and_page(
    statement: exp.Select, query: SemanticQuery, columns: list[OutputColumn]
) -> exp.Select:
    outputs = {c.name: c for c in columns} | {c.field: c for c in columns if c.calculation is None}
    for order in query.order_by or [OrderBy(field=d.output) for d in query.dimensions]:
        target = outputs.get(order.field)
        if target is None:
            raise BadRequest(
                f"orderBy {order.field!r} is not among the query's dimensions and metrics"
                f"{_hint(order.field, list(outputs))}"
            )
        statement = statement.order_by(
            exp.Ordered(
                this=exp.column(ident(target.name)), desc=order.direction.lower() == "desc"
            ),
            copy=False,
        )
    if query.limit is not None:
        statement = statement.limit(query.limit, copy=False)
    if query.offset:
        statement = statement.offset(query.offset, copy=False)
    return statement


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> exp.Expr:
    """A model expression parsed once; callers get copies (trees are changed in place)."""
    return sqlglot.parse_one(text, read=MODEL_DIALECT)


class _Compiler:
    def __init__(self, view: MetricView, dataset: str, timezone: str = UTC) -> None:
        self.view = view
        self.dataset = dataset
        self.timezone = timezone
        self.joins = {join.name: join for join in view.all_joins()}
        self.parents = {child.name: join.name for join in view.all_joins() for child in join.joins}
        self.used_joins: list[str] = []

    # names ----------------------------------------------------------------------
    def dimension(self, name: str) -> Dimension:
        found = self.view.dimension(name)
        if found is None:
            known = [d.name for d in self.view.dimensions]
            raise BadRequest(f"unknown dimension {name!r} in {self.dataset}{_hint(name, known)}")
        return found

    def measure(self, name: str) -> Measure:
        found = self.view.measure(name)
        if found is None:
            known = [m.name for m in self.view.measures]
            raise BadRequest(f"unknown metric {name!r} in {self.dataset}{_hint(name, known)}")
        return found

    # expressions ------------------------------------------------------------------
    def qualified(self, text: str) -> exp.Expr:
        """``text`` parsed, its unqualified columns given to ``source``, joins recorded."""
        tree = _parsed(text).copy()
        for column in tree.find_all(exp.Column):
            table = column.table
            if not table:
                column.set("table", exp.to_identifier(SOURCE_ALIAS))
            elif table in self.joins:
                self._use(table)
        return tree

    def is_time(self, dim: Dimension) -> bool:
        return (dim.format is not None and dim.format.type in TIME_FORMATS) or (
            dim.name == self.view.extras.default_time_dimension
        )

    @staticmethod
    def is_timestamp(dim: Dimension) -> bool:
        return dim.format is not None and dim.format.type == "date_time"

    def dimension_value(self, dim: Dimension) -> exp.Expr:
        """A dimension's expression; a date_time one as wall-clock time in the query's zone
        (stored instants are UTC, as in Databricks system tables)."""
        expression = self.qualified(dim.expr)
        if self.timezone != UTC and self.is_timestamp(dim):
            return exp.ConvertTimezone(
                source_tz=exp.Literal.string(UTC),
                target_tz=exp.Literal.string(self.timezone),
                timestamp=expression,
            )
        return expression

    def dimension_expr(self, ref: DimensionRef) -> exp.Expr:
        dim = self.dimension(ref.name)
        expression = self.dimension_value(dim)
        if ref.time_grain is None:
            return expression
        if not self.is_time(dim):
            raise BadRequest(
                f"timeGrain {ref.time_grain!r} on {ref.name!r}, which is not a time dimension"
            )
        if ref.time_grain == "hour" and not self.is_timestamp(dim):
            raise BadRequest(
                f"timeGrain 'hour' on {ref.name!r}, which holds days; use day, week, month, "
                "quarter or year"
            )
        # The tree the model dialect reads DATE_TRUNC('DAY', x) into. exp.DateTrunc would be
        # written as Spark's TRUNC(x, 'DAY'), which knows no DAY and returns NULL. The unit is
        # one of TimeGrain's words, never user text.
        truncated = exp.TimestampTrunc(this=expression, unit=exp.var(ref.time_grain.upper()))
        return truncated if ref.time_grain == "hour" else exp.cast(truncated, "DATE")

    # where the rows come from ------------------------------------------------------------
    def guard(self, access: Access) -> list[exp.Expr]:
        """Row-level security, then the model's filter: in every query, never widened."""
        conditions: list[exp.Expr] = []
        security = self.view.extras.row_level_security
        if security and not (access.is_admin and security.admin_bypass):
            tenant = self.qualified(security.tenant_column)
            conditions.append(exp.EQ(this=tenant, expression=exp.Literal.string(access.tenant)))
        if self.view.filter:
            conditions.append(self.qualified(self.view.filter))
        return conditions

    def time_window(self, query: SemanticQuery, today: date) -> TimeWindow | None:
        asked = query.time_range
        if asked is None:
            return None
        name = asked.dimension or self.view.extras.default_time_dimension
        if name is None:
            raise BadRequest(
                f"timeRange: {self.dataset} has no default time dimension; name one in "
                "timeRange.dimension"
            )
        dim = self.dimension(name)
        if not self.is_time(dim):
            raise BadRequest(f"timeRange.dimension: {name!r} is not a time dimension")
        days = timerange.resolve(asked.range, today)
        return TimeWindow(dim, days, self.is_timestamp(dim))

    def window_condition(self, window: TimeWindow, start: date, end: date) -> exp.Expr:
        subject = self.dimension_value(window.dimension)
        return within_days(subject, start, end, timestamp=window.timestamp)

    def grouped(
        self, agg: Aggregate, select: list[exp.Expr], days: tuple[date, date] | None
    ) -> exp.Select:
        """``select`` grouped by the dimensions, with every condition; ``days`` limits the
        time window's dimension to ``[start, end)``."""
        where = [c.copy() for c in agg.guard] + [c.copy() for c in agg.where]
        if agg.window is not None and days is not None:
            where.append(self.window_condition(agg.window, *days))
        statement = exp.select(*select).from_(self.source_table(), copy=False)
        for join in self.needed_joins(where):
            statement = statement.join(join, copy=False)
        if where:
            statement = statement.where(
                exp.and_(*(exp.paren(w, copy=False) for w in where), copy=False), copy=False
            )
        group = [e.copy() for _, e in agg.dimensions]
        if agg.measures and group:
            statement = statement.group_by(*group, copy=False)
        elif group:
            statement = statement.distinct(copy=False)
        if agg.having:
            having = [exp.paren(h.copy(), copy=False) for h in agg.having]
            statement = statement.having(exp.and_(*having, copy=False), copy=False)
        return statement

    def measure_expr(self, measure: Measure, seen: tuple[str, ...] = ()) -> exp.Expr:
        if measure.name in seen:
            raise BadRequest(f"measure {measure.name!r} refers to itself through MEASURE()")
        tree = self.qualified(measure.expr)
        for call in list(tree.find_all(exp.Anonymous)):
            if str(call.this).upper() != "MEASURE":
                continue
            (arg,) = call.expressions
            name = arg.name if isinstance(arg, exp.Column) else arg.sql()
            inner = self.measure_expr(self.measure(name), (*seen, measure.name))
            if call is tree:
                tree = exp.paren(inner, copy=False)
            else:
                call.replace(exp.paren(inner, copy=False))
        return tree

    # filters ------------------------------------------------------------------------
    def split_filters(self, filters: Filter | None) -> tuple[list[exp.Expr], list[exp.Expr]]:
        """Top-level AND parts on dimensions go to WHERE, on metrics to HAVING."""
        if filters is None:
            return [], []
        parts = (
            list(filters.and_) if isinstance(filters, FilterGroup) and filters.and_ else [filters]
        )
        where: list[exp.Expr] = []
        having: list[exp.Expr] = []
        for part in parts:
            kinds = {self._kind(name) for name in _fields(part)}
            if len(kinds) > 1:
                raise BadRequest(
                    "a filter group mixes dimensions and metrics under or/not: "
                    "split it so dimension conditions and metric conditions are ANDed"
                )
            (where if kinds == {"dimension"} else having).append(self._filter(part))
        return where, having

    def _kind(self, name: str) -> str:
        if self.view.dimension(name) is not None:
            return "dimension"
        if self.view.measure(name) is not None:
            return "metric"
        known = [d.name for d in self.view.dimensions] + [m.name for m in self.view.measures]
        raise BadRequest(f"unknown filter field {name!r} in {self.dataset}{_hint(name, known)}")

    def _filter(self, node: Filter) -> exp.Expr:
        if isinstance(node, Condition):
            return self._condition(node)
        if node.not_ is not None:
            return exp.not_(exp.paren(self._filter(node.not_), copy=False))
        items = [exp.paren(self._filter(n), copy=False) for n in (node.and_ or node.or_ or ())]
        return exp.and_(*items) if node.and_ is not None else exp.or_(*items)

    def _condition(self, c: Condition) -> exp.Expr:
        if self._kind(c.field) == "dimension":
            subject = self.dimension_value(self.dimension(c.field))
        else:
            subject = self.measure_expr(self.measure(c.field))
        return comparison(subject, c)

    # from and joins -------------------------------------------------------------------
    def _use(self, name: str) -> None:
        chain = [name]
        while chain[-1] in self.parents:
            chain.append(self.parents[chain[-1]])
        for join in reversed(chain):
            if join not in self.used_joins:
                self.used_joins.append(join)

    def source_table(self) -> exp.Expr:
        return _relation(self.view.source, SOURCE_ALIAS)

    def needed_joins(self, where: Sequence[exp.Expr] = ()) -> list[exp.Join]:
        """The joins the query uses, each nested under its parent as the model nests them:
        ``LEFT JOIN (orders LEFT JOIN (customer ...) ON ...) ON ...`` gives the rows of the
        flat chain, and the engine joins the small tables first (~1.5x on DuckDB). LEFT as
        the model says, except where a WHERE part needs the join's row or the model declares
        that the join always finds its row: there LEFT and inner give the same rows, and
        inner lets the engine reorder (a nation filter ~8x faster, a supplier join ~4x)."""
        inner = self._null_rejected(where) | set(self.view.extras.referential_integrity)
        used = set(self.used_joins)

        def build(level: Sequence[Join]) -> list[exp.Join]:
            built: list[exp.Join] = []
            for join in level:
                if join.name not in used:
                    continue
                relation = _relation(join.source, join.name)
                children = build(join.joins)
                if children and isinstance(relation, exp.Table):
                    relation.set("joins", children)
                    relation, children = exp.Subquery(this=relation), []
                side = None if join.name in inner else "LEFT"
                if join.using:
                    using = [exp.to_identifier(c) for c in join.using]
                    built.append(exp.Join(this=relation, side=side, using=using))
                else:
                    condition = _parsed(join.on or "").copy()
                    built.append(exp.Join(this=relation, side=side, on=condition))
                built.extend(children)  # a SQL source cannot hold joins: its children follow
            return built

        return build(self.view.joins)

    def _null_rejected(self, where: Sequence[exp.Expr]) -> set[str]:
        """Joins (with their parents) whose columns a top-level WHERE part compares in a way
        that is never true for NULL: a row the LEFT join filled with NULLs fails it."""
        rejected: set[str] = set()
        for condition in where:
            unwrapped = condition.unnest()
            parts = unwrapped.flatten() if isinstance(unwrapped, exp.And) else [unwrapped]
            for part in parts:
                if not all(isinstance(node, _STRICT) for node in part.walk()):
                    continue
                for column in part.find_all(exp.Column):
                    name = column.table
                    while name in self.joins:
                        rejected.add(name)
                        name = self.parents.get(name, "")
        return rejected


#: expressions that are NULL whenever a column in them is: a WHERE part built only of these
#: rejects the rows a LEFT join filled with NULLs (IS NULL, COALESCE, CASE, OR ... do not)
_STRICT = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Paren, exp.EQ, exp.NEQ, exp.GT,
    exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between, exp.Like, exp.ILike, exp.Cast, exp.Add,
    exp.Sub, exp.Mul, exp.Div, exp.Neg, exp.Lower, exp.Upper, exp.StrPosition, exp.Left,
    exp.Substring, exp.Bracket, exp.Dot, exp.DataType, exp.Tuple,
)  # fmt: skip


def _relation(source: str, alias: str) -> exp.Expr:
    text = source.strip()
    if text.lstrip("(").split(None, 1)[0].upper() in ("SELECT", "WITH", "VALUES"):
        query = _parsed(text).copy()
        while isinstance(query, exp.Subquery | exp.Paren):
            query = query.this
        return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(alias)))
    table = exp.to_table(text, dialect=MODEL_DIALECT)
    table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return table


def _fields(node: Filter) -> list[str]:
    if isinstance(node, Condition):
        return [node.field]
    children = list(node.and_ or node.or_ or ()) + ([node.not_] if node.not_ else [])
    return [name for child in children for name in _fields(child)]


def _format(item: Dimension | Measure) -> dict[str, Any] | None:
    return item.format.model_dump(exclude_none=True) if item.format else None


def _hint(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    return f"; known: {', '.join(sorted(known)[:20])}"
