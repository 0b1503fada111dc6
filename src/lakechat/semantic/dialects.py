"""What each warehouse dialect can do, and the compiled tree written as its SQL.

An operation a warehouse cannot do fails here, at compile time, with the measure or
feature named, instead of as a warehouse error after the query was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from lakechat.errors import BadRequest

APPROXIMATE = (exp.ApproxDistinct, exp.ApproxQuantile, exp.ApproxQuantiles)


@dataclass(frozen=True)
class Capabilities:
    #: APPROX_COUNT_DISTINCT, APPROX_PERCENTILE and friends
    approximate_aggregates: bool
    #: PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x) is written as it is; otherwise sqlglot
    #: would turn it into an approximate percentile, so it becomes the exact PERCENTILE(x, p)
    #: (and PERCENTILE_DISC stays PERCENTILE_DISC)
    percentile_within_group: bool


DIALECTS: dict[str, Capabilities] = {
    "duckdb": Capabilities(approximate_aggregates=True, percentile_within_group=True),
    "postgres": Capabilities(approximate_aggregates=False, percentile_within_group=True),
    "databricks": Capabilities(approximate_aggregates=True, percentile_within_group=False),
    "spark": Capabilities(approximate_aggregates=True, percentile_within_group=False),
}


def capabilities(dialect: str) -> Capabilities:
    found = DIALECTS.get(dialect)
    if found is None:
        raise BadRequest(
            f"the semantic layer cannot compile for {dialect!r}; it knows {', '.join(DIALECTS)}"
        )
    return found


def write_sql(tree: exp.Expr, dialect: str) -> str:
    """``tree`` as ``dialect`` SQL; BadRequest when the dialect cannot express part of it."""
    can = capabilities(dialect)
    if not can.approximate_aggregates:
        approximate = next(iter(tree.find_all(*APPROXIMATE)), None)
        if approximate is not None:
            raise BadRequest(
                f"{approximate.sql(dialect='databricks')} is an approximate aggregate, which "
                f"{dialect} does not have; define the measure with an exact one "
                "(COUNT(DISTINCT ...), PERCENTILE_CONT(...) WITHIN GROUP (...))"
            )
    if not can.percentile_within_group:
        tree = tree.transform(_exact_percentile, copy=False)
    try:
        return tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE, copy=False)
    except UnsupportedError as exc:
        raise BadRequest(f"{dialect} cannot run this query: {exc}") from None


def _exact_percentile(node: exp.Expr) -> exp.Expr:
    if (
        isinstance(node, exp.WithinGroup)
        and isinstance(node.this, exp.PercentileCont)
        and isinstance(node.expression, exp.Order)
        and len(node.expression.expressions) == 1
    ):
        ordered = node.expression.expressions[0]
        fraction = node.this.this
        if ordered.args.get("desc"):
            # the p-th percentile counted from the top is the (1 - p)-th from the bottom
            fraction = exp.Sub(this=exp.Literal.number(1), expression=fraction.copy())
        return exp.Quantile(this=ordered.this, quantile=fraction)
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileDisc):
        # Spark 3.4+ and Databricks have PERCENTILE_DISC ... WITHIN GROUP; written as a plain
        # function call it keeps its exact meaning instead of becoming PERCENTILE_APPROX
        disc = exp.Anonymous(this="PERCENTILE_DISC", expressions=[node.this.this.copy()])
        return exp.WithinGroup(this=disc, expression=node.expression.copy())
    return node
