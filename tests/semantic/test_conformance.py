"""The same semantic query returns the same rows on DuckDB, PostgreSQL and Spark.

Each query is compiled for each engine's own dialect (the provider's ``dialect``) and run
there against the same SF 0.01 TPC-H data; PostgreSQL and Spark must return DuckDB's rows.
Rows are compared after normalising (numbers to 2 decimals, dates as ISO text), in order
when the query's ORDER BY fixes the order (an explicit orderBy naming every dimension, or
the compiler's default order by all dimensions), else sorted. Something an engine cannot do
must fail at compile time; it is listed per query as a strict expected failure.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lakechat.semantic.compiler import Access, Clock, compile_query
from lakechat.semantic.model import MetricView
from lakechat.semantic.query import SemanticQuery
from lakechat.settings import default_lakehouse_path
from lakechat.warehouse.base import Warehouse
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

ADMIN = Access("default", is_admin=True)
#: relative time ranges count from the last day TPC-H has orders on
CLOCK = Clock(datetime.date(1998, 8, 2))
ENGINES = ("duckdb", "postgres", "spark")
ENGINE_MARKS: Mapping[str, tuple[pytest.MarkDecorator, ...]] = {
    "duckdb": (),
    "postgres": (pytest.mark.postgres,),
    "spark": (pytest.mark.spark,),
}


@dataclass(frozen=True)
class Case:
    """A semantic query body and the engines it is known not to run on (engine: reason)."""

    name: str
    body: dict[str, Any]
    fails_on: Mapping[str, str] = field(default_factory=dict)

    @property
    def query(self) -> SemanticQuery:
        return SemanticQuery.model_validate(self.body)


def sales(name: str, **body: Any) -> Case:
    return Case(name, {"dataset": "tpch_sales", **body})


def orders(name: str, **body: Any) -> Case:
    return Case(name, {"dataset": "tpch_orders", **body})


def dims(*names: str) -> list[dict[str, Any]]:
    return [{"name": n} for n in names]


def grain(name: str, time_grain: str, alias: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": name, "timeGrain": time_grain}
    return ref | ({"alias": alias} if alias else {})


def mets(*names: str) -> list[dict[str, Any]]:
    return [{"name": n} for n in names]


def cond(field_name: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    condition: dict[str, Any] = {"field": field_name, "op": op, **extra}
    return condition if value is None else condition | {"value": value}


def year(field_name: str, number: int) -> list[dict[str, Any]]:
    return [
        cond(field_name, "gte", f"{number}-01-01"),
        cond(field_name, "lt", f"{number + 1}-01-01"),
    ]


CASES = [
    # dimensions, joins and role-playing nations ------------------------------------------
    sales("revenue_by_customer_region", dimensions=dims("customer_region"), metrics=mets("revenue")),
    sales("revenue_by_supplier_region", dimensions=dims("supplier_region"),
          metrics=mets("revenue", "gross_revenue")),
    sales("customer_and_supplier_nations", dimensions=dims("customer_nation", "supplier_nation"),
          metrics=mets("line_item_count", "quantity"),
          filters={"and": [cond("customer_region", "eq", "EUROPE"),
                           cond("supplier_region", "eq", "ASIA")]}),
    sales("customer_region_by_supplier_region", dimensions=dims("customer_region", "supplier_region"),
          metrics=mets("order_count")),
    sales("distinct_nations_per_region", dimensions=dims("customer_region", "customer_nation")),
    sales("totals_without_dimensions",
          metrics=mets("revenue", "gross_revenue", "quantity", "charge", "discount_amount",
                       "line_item_count", "order_count", "customer_count", "avg_price",
                       "avg_discount", "avg_quantity", "revenue_per_order")),
    sales("brand_and_manufacturer", dimensions=dims("manufacturer", "part_brand"),
          metrics=mets("quantity", "avg_price"),
          filters=cond("part_size", "lte", 5)),
    sales("aliases_in_output_and_order",
          dimensions=[{"name": "ship_mode", "alias": "mode"}],
          metrics=[{"name": "revenue", "alias": "net"}, {"name": "quantity", "alias": "units"}],
          orderBy=[{"field": "net", "direction": "desc"}, {"field": "mode"}]),
    # time grains ---------------------------------------------------------------------------
    sales("order_day", dimensions=[grain("order_date", "day")], metrics=mets("order_count", "revenue"),
          filters=cond("order_date", "between", ["1995-03-01", "1995-03-10"])),
    sales("order_week", dimensions=[grain("order_date", "week")], metrics=mets("revenue"),
          filters={"and": [cond("order_date", "gte", "1995-01-01"),
                           cond("order_date", "lt", "1995-04-01")]}),
    sales("order_month", dimensions=[grain("order_date", "month")], metrics=mets("quantity"),
          filters={"and": year("order_date", 1996)}),
    sales("order_quarter", dimensions=[grain("order_date", "quarter")],
          metrics=mets("revenue", "avg_discount")),
    sales("ship_year", dimensions=[grain("ship_date", "year")], metrics=mets("charge", "line_item_count")),
    sales("two_dates_two_grains",
          dimensions=[grain("order_date", "year", "ordered"), grain("receipt_date", "quarter", "received")],
          metrics=mets("line_item_count"),
          filters={"and": year("order_date", 1997)}),
    sales("week_by_region", dimensions=[grain("ship_date", "week"), {"name": "customer_region"}],
          metrics=mets("revenue"),
          filters=cond("ship_date", "between", ["1996-06-01", "1996-07-15"])),
    # every filter operator -----------------------------------------------------------------
    sales("op_eq", dimensions=dims("return_flag"), metrics=mets("quantity"),
          filters=cond("ship_mode", "eq", "AIR")),
    sales("op_ne", dimensions=dims("return_flag", "line_status"), metrics=mets("line_item_count"),
          filters=cond("return_flag", "ne", "N")),
    sales("op_gt_and_lte_numbers", dimensions=dims("ship_mode"), metrics=mets("quantity", "avg_discount"),
          filters={"and": [cond("line_quantity", "gt", 45), cond("discount", "lte", 0.02)]}),
    sales("op_gte_and_lt_dates", dimensions=dims("line_status"), metrics=mets("revenue"),
          filters={"and": [cond("ship_date", "gte", "1995-06-01"), cond("ship_date", "lt", "1995-07-01")]}),
    sales("op_in", dimensions=dims("market_segment"), metrics=mets("customer_count"),
          filters=cond("market_segment", "in", ["BUILDING", "MACHINERY"])),
    sales("op_not_in", dimensions=dims("ship_mode"), metrics=mets("line_item_count"),
          filters=cond("ship_mode", "not_in", ["AIR", "REG AIR", "FOB"])),
    sales("op_between_numbers", dimensions=dims("part_size"), metrics=mets("quantity"),
          filters=cond("part_size", "between", [10, 15])),
    sales("op_between_dates", dimensions=dims("ship_mode"), metrics=mets("order_count"),
          filters=cond("ship_date", "between", ["1994-01-01", "1994-03-31"])),
    sales("op_contains", dimensions=dims("part_type"), metrics=mets("revenue"),
          filters=cond("part_type", "contains", "BRASS")),
    sales("op_starts_with", dimensions=dims("part_container"), metrics=mets("quantity"),
          filters=cond("part_type", "starts_with", "PROMO")),
    sales("op_ends_with", dimensions=dims("part_container"), metrics=mets("line_item_count"),
          filters=cond("part_container", "ends_with", "BOX")),
    sales("op_is_null", metrics=mets("line_item_count"),
          filters=cond("customer_comment", "is_null")),
    sales("op_is_not_null", dimensions=dims("order_status"), metrics=mets("line_item_count"),
          filters=cond("receipt_date", "is_not_null")),
    sales("case_insensitive_eq", dimensions=dims("customer_nation"), metrics=mets("revenue"),
          filters=cond("customer_nation", "eq", "germany", caseInsensitive=True)),
    sales("case_insensitive_contains", dimensions=dims("part_type"), metrics=mets("quantity"),
          filters=cond("part_type", "contains", "Polished Tin", caseInsensitive=True)),
    sales("case_insensitive_in", dimensions=dims("ship_mode"), metrics=mets("revenue"),
          filters=cond("ship_mode", "in", ["air", "Rail"], caseInsensitive=True)),
    sales("case_insensitive_starts_and_ends", dimensions=dims("manufacturer", "part_container"),
          metrics=mets("line_item_count"),
          filters={"and": [cond("manufacturer", "starts_with", "manufacturer#1", caseInsensitive=True),
                           cond("part_container", "ends_with", "pack", caseInsensitive=True)]}),
    sales("case_insensitive_number_is_compared_as_number", dimensions=dims("part_size"),
          metrics=mets("line_item_count"),
          filters=cond("part_size", "gte", 48, caseInsensitive=True)),
    # and / or / not groups -------------------------------------------------------------------
    sales("or_group", dimensions=dims("ship_mode", "return_flag"), metrics=mets("line_item_count"),
          filters={"or": [cond("ship_mode", "eq", "AIR"), cond("return_flag", "eq", "R")]}),
    sales("not_group", dimensions=dims("customer_region"), metrics=mets("revenue"),
          filters={"not": cond("customer_region", "in", ["ASIA", "EUROPE"])}),
    sales("nested_and_or_not", dimensions=dims("customer_region", "ship_mode"),
          metrics=mets("revenue", "order_count"),
          filters={"and": [
              {"or": [cond("ship_mode", "eq", "MAIL"), cond("ship_mode", "starts_with", "REG")]},
              {"not": {"or": [cond("customer_region", "eq", "AFRICA"),
                              cond("order_priority", "eq", "1-URGENT")]}},
              *year("order_date", 1995),
          ]}),
    # local_supplier: a boolean dimension ----------------------------------------------------
    sales("local_supplier_as_dimension", dimensions=dims("local_supplier"), metrics=mets("revenue")),
    sales("local_supplier_true", dimensions=dims("customer_nation"), metrics=mets("revenue"),
          filters={"and": [cond("customer_region", "eq", "ASIA"), cond("local_supplier", "eq", True),
                           *year("order_date", 1994)]},
          orderBy=[{"field": "revenue", "direction": "desc"}]),
    sales("local_supplier_false", dimensions=dims("supplier_region"), metrics=mets("line_item_count"),
          filters=cond("local_supplier", "eq", False)),
    # metric filters (HAVING), MEASURE() ratios, COUNT DISTINCT ------------------------------------
    sales("having_on_revenue", dimensions=dims("customer_nation"), metrics=mets("revenue"),
          filters=cond("revenue", "gt", 8_500_000)),
    sales("having_group_of_metrics", dimensions=dims("supplier_nation"),
          metrics=mets("order_count", "avg_discount"),
          filters={"or": [cond("order_count", "gt", 2400), cond("avg_discount", "lt", 0.0495)]}),
    sales("where_and_having", dimensions=dims("market_segment"), metrics=mets("quantity"),
          filters={"and": [cond("ship_mode", "eq", "TRUCK"), cond("quantity", "gte", 17_000)]}),
    sales("measure_ratio_by_segment", dimensions=dims("market_segment"),
          metrics=mets("revenue_per_order", "revenue", "order_count")),
    sales("having_on_measure_ratio", dimensions=dims("customer_nation"), metrics=mets("revenue_per_order"),
          filters=cond("revenue_per_order", "gt", 137_000)),
    sales("count_distinct_by_region", dimensions=dims("customer_region"),
          metrics=mets("customer_count", "order_count", "line_item_count")),
    # orderBy, limit and offset -----------------------------------------------------------------
    sales("top_customers", dimensions=dims("customer_name"), metrics=mets("revenue"),
          orderBy=[{"field": "revenue", "direction": "desc"}], limit=10),
    sales("customers_page_two", dimensions=dims("customer_key", "customer_name"), metrics=mets("revenue"),
          orderBy=[{"field": "revenue", "direction": "desc"}, {"field": "customer_key"}],
          limit=5, offset=5),
    sales("latest_months", dimensions=[grain("ship_date", "month")], metrics=mets("line_item_count"),
          orderBy=[{"field": "ship_date", "direction": "desc"}], limit=6),
    sales("descending_dimension", dimensions=dims("supplier_region", "return_flag"),
          metrics=mets("quantity"),
          orderBy=[{"field": "supplier_region", "direction": "desc"}, {"field": "return_flag"}]),
    # the orders model --------------------------------------------------------------------------
    orders("orders_per_month_1995", dimensions=[grain("order_date", "month")],
           metrics=mets("order_count"), filters={"and": year("order_date", 1995)}),
    orders("average_order_value_by_segment", dimensions=dims("market_segment"),
           metrics=mets("avg_order_value", "total_order_value")),
    orders("priority_and_status", dimensions=dims("order_priority", "order_status"),
           metrics=mets("order_count"), filters=cond("order_status", "ne", "P")),
    orders("busiest_clerks", dimensions=dims("clerk"), metrics=mets("order_count"),
           filters=cond("clerk", "starts_with", "Clerk#0000001"),
           orderBy=[{"field": "order_count", "direction": "desc"}, {"field": "clerk"}], limit=10),
    orders("region_week_not_group", dimensions=[grain("order_date", "week"), {"name": "customer_region"}],
           metrics=mets("total_order_value"),
           filters={"and": [{"not": cond("customer_region", "eq", "AMERICA")},
                            cond("order_date", "between", ["1998-01-01", "1998-02-28"])]}),
    # time ranges against the clock (1998-08-02, the last TPC-H order day) ------------------
    sales("range_last_quarter_by_month", dimensions=[grain("order_date", "month")],
          metrics=mets("revenue"), timeRange="last_quarter"),
    sales("range_ytd_on_ship_date", dimensions=dims("ship_mode"), metrics=mets("quantity"),
          timeRange={"dimension": "ship_date", "range": "ytd"}),
    sales("range_last_30_days", metrics=mets("order_count", "revenue"), timeRange="last_30_days"),
    sales("range_explicit_days", dimensions=dims("customer_region"), metrics=mets("revenue"),
          timeRange=["1996-02-01", "1996-02-29"]),
    # share of total and period over period -----------------------------------------------------
    sales("share_of_total_by_region", dimensions=dims("customer_region"),
          metrics=[{"name": "revenue"}, {"name": "revenue", "calculation": "share_of_total"}]),
    sales("share_with_having_and_limit", dimensions=dims("customer_nation"),
          metrics=[{"name": "order_count", "calculation": "share_of_total", "alias": "share"}],
          filters=cond("order_count", "gt", 580),
          orderBy=[{"field": "share", "direction": "desc"}, {"field": "customer_nation"}], limit=5),
    sales("growth_by_year", dimensions=[grain("order_date", "year")],
          metrics=[{"name": "revenue"}, {"name": "revenue", "calculation": "previous_period"},
                   {"name": "revenue", "calculation": "growth"}]),
    sales("growth_by_month_in_range", dimensions=[grain("order_date", "month"), {"name": "customer_region"}],
          metrics=[{"name": "order_count"}, {"name": "order_count", "calculation": "growth"}],
          timeRange=["1996-01-01", "1996-06-30"]),
    sales("previous_week", dimensions=[grain("ship_date", "week")],
          metrics=[{"name": "quantity", "calculation": "previous_period"}],
          timeRange={"dimension": "ship_date", "range": "last_8_weeks"}),
    sales("previous_quarter_by_segment", dimensions=[grain("order_date", "quarter"), {"name": "market_segment"}],
          metrics=[{"name": "revenue_per_order"}, {"name": "revenue_per_order", "calculation": "growth"}],
          timeRange="ytd"),
    sales("last_year_against_the_year_before", dimensions=dims("customer_region"),
          metrics=[{"name": "revenue"}, {"name": "revenue", "calculation": "previous_period"},
                   {"name": "revenue", "calculation": "growth"}],
          timeRange="last_year"),
    sales("total_last_month_against_the_month_before",
          metrics=[{"name": "line_item_count"}, {"name": "line_item_count", "calculation": "growth"},
                   {"name": "revenue", "calculation": "share_of_total"}],
          timeRange="last_month"),
]  # fmt: skip


def params() -> Iterator[Any]:
    for engine in ENGINES:
        for case in CASES:
            marks = list(ENGINE_MARKS[engine])
            if engine in case.fails_on:
                marks.append(pytest.mark.xfail(strict=True, reason=case.fails_on[engine]))
            yield pytest.param(engine, case, marks=marks, id=f"{engine}-{case.name}")


def normal(value: Any) -> Any:
    """A value every engine agrees on: numbers to 2 decimals, dates as ISO text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return round(float(value), 2)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def fully_ordered(query: SemanticQuery) -> bool:
    """Whether ORDER BY fixes the row order: it names every dimension (one row per value)."""
    if not query.order_by:
        return True  # the compiler orders by every dimension
    named = {order.field for order in query.order_by}
    return all(ref.output in named or ref.name in named for ref in query.dimensions)


@dataclass
class Engines:
    """Warehouses opened on first use (PostgreSQL and Spark only when their tests run)."""

    request: pytest.FixtureRequest
    tpch_home: Path
    opened: dict[str, Warehouse] = field(default_factory=dict)
    expected: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def get(self, engine: str) -> Warehouse:
        if engine not in self.opened:
            self.opened[engine] = self._open(engine)
        return self.opened[engine]

    def _open(self, engine: str) -> Warehouse:
        lakehouse = default_lakehouse_path(self.tpch_home)
        if engine == "postgres":
            from lakechat.warehouse.postgres_provider import PostgresWarehouse

            return PostgresWarehouse(self.request.getfixturevalue("pg_samples_url"))
        if engine == "spark":
            from lakechat.warehouse.spark_provider import SparkWarehouse

            session = self.request.getfixturevalue("spark_session")
            return SparkWarehouse(session, lakehouse_dir=lakehouse, owns_session=False)
        return DuckDBWarehouse(lakehouse)

    def rows(self, engine: str, view: MetricView, query: SemanticQuery) -> list[tuple[Any, ...]]:
        warehouse = self.get(engine)
        compiled = compile_query(view, query, dialect=warehouse.dialect, access=ADMIN, clock=CLOCK)
        result = warehouse.execute(compiled.sql, max_rows=100_000, timeout_seconds=120)
        assert not result.truncated
        assert [c.name for c in result.columns] == [c.name for c in compiled.columns]
        rows = [tuple(normal(v) for v in row) for row in result.rows]
        return rows if fully_ordered(query) else sorted(rows, key=repr)

    def reference(self, case: Case, view: MetricView) -> list[tuple[Any, ...]]:
        """DuckDB's rows for ``case``, computed once."""
        if case.name not in self.expected:
            self.expected[case.name] = self.rows("duckdb", view, case.query)
        return self.expected[case.name]


@pytest.fixture(scope="module")
def engines(request: pytest.FixtureRequest, tpch_home: Path) -> Iterator[Engines]:
    opened = Engines(request, tpch_home)
    yield opened
    for warehouse in opened.opened.values():
        warehouse.close()


def test_case_names_are_unique() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)) and len(names) >= 40


@pytest.mark.parametrize(("engine", "case"), list(params()))
def test_same_rows_on_every_engine(
    engines: Engines, shipped_models: dict[str, MetricView], engine: str, case: Case
) -> None:
    view = shipped_models[case.query.dataset]
    expected = engines.reference(case, view)
    assert expected, "a query that returns no rows would agree vacuously"
    if engine == "duckdb":
        return
    assert engines.rows(engine, view, case.query) == expected
