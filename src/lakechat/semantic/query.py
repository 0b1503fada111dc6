"""A semantic query: the body of ``POST /v1/query`` (the seed gateway's shape, so its
clients work unchanged), as frozen pydantic models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from lakechat.errors import BadRequest

FieldName = Annotated[str, StringConstraints(min_length=1, max_length=255)]
TimeGrain = Literal["hour", "day", "week", "month", "quarter", "year"]
#: What a metric may be turned into: its share of the result's total, its value in the
#: period before (the time-grained dimension's previous grain, or the range before
#: ``timeRange``), or its growth since then as a fraction (0.12 = 12%).
Calculation = Literal["share_of_total", "previous_period", "growth"]
Operator = Literal[
    "eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "between", "contains",
    "starts_with", "ends_with", "is_null", "is_not_null",
]  # fmt: skip
#: Operators that take no value, one list, or two bounds.
NO_VALUE = frozenset({"is_null", "is_not_null"})
LIST_VALUE = frozenset({"in", "not_in"})
TEXT_ONLY = frozenset({"contains", "starts_with", "ends_with"})


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DimensionRef(_Frozen):
    name: FieldName
    time_grain: TimeGrain | None = Field(None, alias="timeGrain")
    alias: FieldName | None = None

    @property
    def output(self) -> str:
        return self.alias or self.name


class MetricRef(_Frozen):
    name: FieldName
    alias: FieldName | None = None
    calculation: Calculation | None = None

    @property
    def output(self) -> str:
        if self.alias:
            return self.alias
        return f"{self.name}_{self.calculation}" if self.calculation else self.name


class TimeRange(_Frozen):
    """Which days a time dimension (the model's default one unless named) is limited to:
    a named range (``last_7_days``, ``this_quarter``, ``ytd``, ...) or ``[first, last]``."""

    dimension: FieldName | None = None
    range: Annotated[str, StringConstraints(min_length=1, max_length=64)] | tuple[str, str]


class Condition(_Frozen):
    """One comparison on a dimension (WHERE) or a metric (HAVING)."""

    field: FieldName
    op: Operator
    value: Any = None
    case_insensitive: bool = Field(False, alias="caseInsensitive")

    @model_validator(mode="after")
    def _value_fits(self) -> Condition:
        if self.op in NO_VALUE:
            if self.value is not None:
                raise ValueError(f"{self.op} takes no value (filter on {self.field!r})")
        elif self.op in LIST_VALUE:
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"{self.op} needs a non-empty list (filter on {self.field!r})")
        elif self.op == "between":
            if not isinstance(self.value, list) or len(self.value) != 2:
                raise ValueError(f"between needs [low, high] (filter on {self.field!r})")
        elif self.value is None or isinstance(self.value, list | dict):
            raise ValueError(f"{self.op} needs one value (filter on {self.field!r})")
        return self


class FilterGroup(_Frozen):
    """``{and: [...]}``, ``{or: [...]}`` or ``{not: ...}``; items are conditions or groups."""

    and_: tuple[Filter, ...] | None = Field(None, alias="and")
    or_: tuple[Filter, ...] | None = Field(None, alias="or")
    not_: Filter | None = Field(None, alias="not")

    @model_validator(mode="after")
    def _one_kind(self) -> FilterGroup:
        if sum(x is not None for x in (self.and_, self.or_, self.not_)) != 1:
            raise ValueError("a filter group has exactly one of and, or, not")
        return self


def _filter_kind(value: Any) -> str:
    keys = value.keys() if isinstance(value, dict) else ()
    if isinstance(value, FilterGroup) or {"and", "or", "not"} & set(keys):
        return "group"
    return "condition"


Filter = Annotated[
    Annotated[Condition, Tag("condition")] | Annotated[FilterGroup, Tag("group")],
    Discriminator(_filter_kind),
]
FilterGroup.model_rebuild()


class OrderBy(_Frozen):
    field: FieldName
    direction: Literal["asc", "desc", "ASC", "DESC"] = "asc"


class SemanticQuery(_Frozen):
    dataset: FieldName
    dimensions: tuple[DimensionRef, ...] = ()
    metrics: tuple[MetricRef, ...] = ()
    filters: Filter | None = None
    order_by: tuple[OrderBy, ...] = Field((), alias="orderBy")
    limit: int | None = Field(None, ge=1)
    offset: int | None = Field(None, ge=0)
    time_range: TimeRange | None = Field(None, alias="timeRange")
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None

    @field_validator("time_range", mode="before")
    @classmethod
    def _range_shorthand(cls, value: Any) -> Any:
        # "timeRange": "last_7_days" is {"range": "last_7_days"} on the default time dimension
        return {"range": value} if isinstance(value, str | list) else value

    @model_validator(mode="after")
    def _asks_something(self) -> SemanticQuery:
        if not self.dimensions and not self.metrics:
            raise ValueError("ask for at least one dimension or metric")
        outputs = [d.output for d in self.dimensions] + [m.output for m in self.metrics]
        duplicate = next((name for name in outputs if outputs.count(name) > 1), None)
        if duplicate:
            raise ValueError(f"two outputs are named {duplicate!r}: give one an alias")
        return self


def parse_query(body: Any) -> SemanticQuery:
    """``body`` as a query, or BadRequest naming each wrong field (``filters.and.1.value``)."""
    try:
        return SemanticQuery.model_validate(body)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = ".".join(
                str(part)
                for part in error["loc"]
                if part not in ("condition", "group") and not str(part).startswith("function-")
            )
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{path}: {message}" if path else message)
        raise BadRequest("; ".join(problems)) from None
