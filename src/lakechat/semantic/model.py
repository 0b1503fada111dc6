"""A semantic model: a Unity Catalog metric view (YAML version 1.1) plus lakechat's extras.

The fields are Databricks' own (``version``, ``source``, ``filter``, ``joins`` with
``on`` or ``using`` and nested joins, ``dimensions``, ``measures``, each with
``display_name``, ``synonyms``, ``format`` and ``comment``), so a model file deploys
unchanged as a metric view. What only lakechat reads sits under one ``x-lakechat`` key:
the row-level security column, the default time dimension, synonyms for a dimension's
values, and sample questions.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from lakechat.security.principals import Scope

Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Expr = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DecimalPlaces(_Frozen):
    type: Literal["exact", "max", "all"] = "max"
    places: int | None = Field(None, ge=0, le=18)


class Format(_Frozen):
    """How a value is shown (the metric view ``format`` block)."""

    type: Literal["number", "currency", "percentage", "byte", "date", "date_time"]
    currency_code: str | None = Field(None, min_length=3, max_length=3)
    decimal_places: DecimalPlaces | None = None
    hide_group_separator: bool | None = None
    abbreviation: Literal["none", "compact", "scientific"] | None = None
    date_format: str | None = None
    time_format: str | None = None
    leading_zeros: bool | None = None


class Join(_Frozen):
    """A star or snowflake join: exactly one of ``on`` (an expression) and ``using``."""

    name: Name
    source: Expr
    on: Expr | None = None
    using: tuple[Name, ...] | None = None
    joins: tuple[Join, ...] = ()

    @model_validator(mode="after")
    def _one_condition(self) -> Join:
        if (self.on is None) == (self.using is None):
            raise ValueError(f"join {self.name!r} needs exactly one of `on` and `using`")
        return self


class Dimension(_Frozen):
    name: Name
    expr: Expr
    display_name: str | None = None
    comment: str | None = None
    synonyms: tuple[str, ...] = ()
    format: Format | None = None


class Measure(_Frozen):
    name: Name
    expr: Expr
    display_name: str | None = None
    comment: str | None = None
    synonyms: tuple[str, ...] = ()
    format: Format | None = None


class RowLevelSecurity(_Frozen):
    """The column holding a row's tenant; a caller's tenant is always applied to it."""

    tenant_column: Expr
    #: Admins see every tenant only when the model says so.
    admin_bypass: bool = False


class LakechatExtras(_Frozen):
    """What only lakechat reads (the ``x-lakechat`` key)."""

    row_level_security: RowLevelSecurity | None = None
    default_time_dimension: Name | None = None
    #: dimension name -> {stored value -> the words people use for it}
    value_synonyms: dict[str, dict[str, tuple[str, ...]]] = Field(default_factory=dict)
    sample_questions: tuple[str, ...] = ()
    #: Joins that always find their row ("assume referential integrity", as Tableau and
    #: Power BI call it): every row of the join's parent has a match, so an inner join
    #: gives the rows the model's LEFT join does, and lets the engine reorder the joins.
    referential_integrity: tuple[Name, ...] = ()
    #: Where the model runs: the configured data warehouse (unset), or ``state``,
    #: lakechat's own state store read-only (the request log: see warehouse/state_provider.py).
    warehouse: Literal["state"] | None = None
    #: A scope a caller needs besides data:read to query the model (``health:read`` for the
    #: assistant's own metrics, the scope of GET /api/monitor/assistant).
    required_scope: Scope | None = None


class MetricView(_Frozen):
    """One model file."""

    version: Literal["1.1"]
    source: Expr
    comment: str | None = None
    filter: Expr | None = None
    joins: tuple[Join, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    measures: tuple[Measure, ...] = ()
    extras: LakechatExtras = Field(default_factory=LakechatExtras, alias="x-lakechat")

    @model_validator(mode="after")
    def _has_fields(self) -> MetricView:
        if not self.dimensions and not self.measures:
            raise ValueError("a metric view needs dimensions, measures or both")
        return self

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def measure(self, name: str) -> Measure | None:
        return next((m for m in self.measures if m.name == name), None)

    def all_joins(self) -> list[Join]:
        """Every join, nested ones included, parents first."""
        found: list[Join] = []
        pending = list(self.joins)
        while pending:
            join = pending.pop(0)
            found.append(join)
            pending.extend(join.joins)
        return found
