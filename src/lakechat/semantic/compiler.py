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
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from lakechat.errors import BadRequest
from lakechat.semantic.model import Dimension, Measure, MetricView
from lakechat.semantic.query import (
    Condition,
    DimensionRef,
    Filter,
    FilterGroup,
    SemanticQuery,
)

MODEL_DIALECT = "databricks"
SOURCE_ALIAS = "source"
TIME_FORMATS = frozenset({"date", "date_time"})


@dataclass(frozen=True)
class OutputColumn:
    name: str
    kind: str  # "dimension" or "metric"
    field: str  # the model's dimension or measure name
    format: dict[str, Any] | None


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    dialect: str
    columns: tuple[OutputColumn, ...]
    joins: tuple[str, ...]


@dataclass(frozen=True)
class Access:
    """Who asks: their tenant and whether they are an admin (row-level security)."""

    tenant: str
    is_admin: bool


def compile_query(
    view: MetricView, query: SemanticQuery, *, dialect: str, access: Access
) -> CompiledQuery:
    """The SQL for ``query`` on ``view`` in ``dialect``; BadRequest names what is wrong."""
    compiler = _Compiler(view, query.dataset)
    select: list[exp.Expr] = []
    columns: list[OutputColumn] = []
    group: list[exp.Expr] = []
    for ref in query.dimensions:
        expression = compiler.dimension_expr(ref)
        group.append(expression)
        select.append(exp.alias_(expression, _ident(ref.output)))
        dim = compiler.dimension(ref.name)
        columns.append(OutputColumn(ref.output, "dimension", dim.name, _format(dim)))
    for metric in query.metrics:
        measure = compiler.measure(metric.name)
        select.append(exp.alias_(compiler.measure_expr(measure), _ident(metric.output)))
        columns.append(OutputColumn(metric.output, "metric", measure.name, _format(measure)))
    where, having = compiler.split_filters(query.filters)
    if view.filter:
        where.insert(0, compiler.qualified(view.filter))
    security = view.extras.row_level_security
    if security and not (access.is_admin and security.admin_bypass):
        tenant = compiler.qualified(security.tenant_column)
        where.insert(0, exp.EQ(this=tenant, expression=exp.Literal.string(access.tenant)))
    statement = exp.select(*select).from_(compiler.source_table())
    for join in compiler.needed_joins():
        statement = statement.join(join)
    if where:
        statement = statement.where(exp.and_(*(exp.paren(w, copy=False) for w in where)))
    if query.metrics and group:
        statement = statement.group_by(*group)
    elif group:
        statement = statement.distinct()
    if having:
        statement = statement.having(exp.and_(*(exp.paren(h, copy=False) for h in having)))
    outputs = {c.name: c for c in columns} | {c.field: c for c in columns}
    for order in query.order_by or _default_order(query):
        target = outputs.get(order.field)
        if target is None:
            raise BadRequest(
                f"orderBy {order.field!r} is not among the query's dimensions and metrics"
                f"{_hint(order.field, list(outputs))}"
            )
        statement = statement.order_by(
            exp.Ordered(
                this=exp.column(_ident(target.name)), desc=order.direction.lower() == "desc"
            )
        )
    if query.limit is not None:
        statement = statement.limit(query.limit)
    if query.offset:
        statement = statement.offset(query.offset)
    return CompiledQuery(
        statement.sql(dialect=dialect), dialect, tuple(columns), tuple(compiler.used_joins)
    )


class _Compiler:
    def __init__(self, view: MetricView, dataset: str) -> None:
        self.view = view
        self.dataset = dataset
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
        tree = sqlglot.parse_one(text, read=MODEL_DIALECT)
        for column in tree.find_all(exp.Column):
            table = column.table
            if not table:
                column.set("table", exp.to_identifier(SOURCE_ALIAS))
            elif table in self.joins:
                self._use(table)
        return tree

    def dimension_expr(self, ref: DimensionRef) -> exp.Expr:
        dim = self.dimension(ref.name)
        expression = self.qualified(dim.expr)
        if ref.time_grain is None:
            return expression
        is_time = (dim.format is not None and dim.format.type in TIME_FORMATS) or (
            dim.name == self.view.extras.default_time_dimension
        )
        if not is_time:
            raise BadRequest(
                f"timeGrain {ref.time_grain!r} on {ref.name!r}, which is not a time dimension"
            )
        # DateTrunc's __init__ is untyped in sqlglot; the unit is a literal, never user text
        truncated = exp.DateTrunc(  # type: ignore[no-untyped-call]
            unit=exp.Literal.string(ref.time_grain.upper()), this=expression
        )
        return exp.cast(truncated, "DATE")

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
            subject = self.qualified(self.dimension(c.field).expr)
        else:
            subject = self.measure_expr(self.measure(c.field))
        return _comparison(subject, c)

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

    def needed_joins(self) -> list[exp.Join]:
        joins: list[exp.Join] = []
        order = [j.name for j in self.view.all_joins()]
        for name in sorted(self.used_joins, key=order.index):
            join = self.joins[name]
            relation = _relation(join.source, name)
            if join.using:
                joins.append(
                    exp.Join(
                        this=relation, side="LEFT", using=[exp.to_identifier(c) for c in join.using]
                    )
                )
            else:
                condition = sqlglot.parse_one(join.on or "", read=MODEL_DIALECT)
                joins.append(exp.Join(this=relation, side="LEFT", on=condition))
        return joins


def _relation(source: str, alias: str) -> exp.Expr:
    text = source.strip()
    if text.lstrip("(").split(None, 1)[0].upper() in ("SELECT", "WITH", "VALUES"):
        query = sqlglot.parse_one(text, read=MODEL_DIALECT)
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


def _literal(value: Any, field: str) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise BadRequest(f"filter on {field!r}: {value!r} is not a text, number or boolean value")


def _comparison(subject: exp.Expr, c: Condition) -> exp.Expr:
    def lit(value: Any) -> exp.Expr:
        literal = _literal(value, c.field)
        return exp.Lower(this=literal) if c.case_insensitive and isinstance(value, str) else literal

    if not isinstance(subject, exp.Column | exp.Func | exp.Paren):
        subject = exp.paren(subject, copy=False)  # a predicate dimension: (a = b) = TRUE
    if c.case_insensitive:
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
        length = exp.Literal.number(len(c.value))
        if c.op == "contains":
            return exp.GT(
                this=exp.StrPosition(this=subject, substr=needle), expression=exp.Literal.number(0)
            )
        side = exp.Left if c.op == "starts_with" else exp.Right
        return exp.EQ(this=side(this=subject, expression=length), expression=needle)
    comparisons = {
        "eq": exp.EQ,
        "ne": exp.NEQ,
        "gt": exp.GT,
        "gte": exp.GTE,
        "lt": exp.LT,
        "lte": exp.LTE,
    }
    return comparisons[c.op](this=subject, expression=lit(c.value))


def _default_order(query: SemanticQuery) -> list[Any]:
    from lakechat.semantic.query import OrderBy

    return [OrderBy(field=d.output) for d in query.dimensions]


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _format(item: Dimension | Measure) -> dict[str, Any] | None:
    return item.format.model_dump(exclude_none=True) if item.format else None


def _hint(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    return f"; known: {', '.join(sorted(known)[:20])}"
