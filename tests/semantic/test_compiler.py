"""The compiler on DuckDB: TPC-H questions asked semantically return the official rows,
bad queries name what is wrong, and row-level security cannot be widened."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lakechat.errors import BadRequest
from lakechat.lakehouse.samples import tpch_kit
from lakechat.semantic.compiler import Access, compile_query
from lakechat.semantic.loader import SHIPPED_MODELS, load_model_file, load_models
from lakechat.semantic.model import MetricView
from lakechat.semantic.query import SemanticQuery
from lakechat.settings import default_lakehouse_path
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

ADMIN = Access("default", is_admin=True)


@pytest.fixture(scope="module")
def warehouse(tpch_home: Path) -> Iterator[DuckDBWarehouse]:
    provider = DuckDBWarehouse(default_lakehouse_path(tpch_home))
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def sales() -> MetricView:
    return load_models([SHIPPED_MODELS]).models["tpch_sales"].view


def run(
    warehouse: DuckDBWarehouse, view: MetricView, body: dict[str, Any], access: Access = ADMIN
) -> list[tuple[Any, ...]]:
    query = SemanticQuery.model_validate(body)
    compiled = compile_query(view, query, dialect="duckdb", access=access)
    return list(warehouse.execute(compiled.sql, max_rows=10_000, timeout_seconds=60).rows)


def kit(warehouse: DuckDBWarehouse, number: int) -> list[tuple[Any, ...]]:
    sql = next(k.sql for k in tpch_kit() if k.number == number)
    return list(warehouse.execute(sql, max_rows=10_000, timeout_seconds=60).rows)


def normal(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    def value(v: Any) -> Any:
        if isinstance(v, float | Decimal):
            return round(float(v), 2)
        if isinstance(v, datetime.date):
            return v.isoformat()
        return v

    return [tuple(value(v) for v in row) for row in rows]


def test_q1_pricing_summary(warehouse: DuckDBWarehouse, sales: MetricView) -> None:
    got = run(warehouse, sales, {
        "dataset": "tpch_sales",
        "dimensions": [{"name": "return_flag"}, {"name": "line_status"}],
        "metrics": [{"name": m} for m in ("quantity", "gross_revenue", "revenue", "charge",
                                          "avg_quantity", "avg_price", "avg_discount", "line_item_count")],
        "filters": {"field": "ship_date", "op": "lte", "value": "1998-09-02"},
    })  # fmt: skip
    assert normal(got) == normal(kit(warehouse, 1))


def test_q3_shipping_priority(warehouse: DuckDBWarehouse, sales: MetricView) -> None:
    got = run(warehouse, sales, {
        "dataset": "tpch_sales",
        "dimensions": [{"name": "order_key"}, {"name": "order_date"}, {"name": "ship_priority"}],
        "metrics": [{"name": "revenue"}],
        "filters": {"and": [
            {"field": "market_segment", "op": "eq", "value": "BUILDING"},
            {"field": "order_date", "op": "lt", "value": "1995-03-15"},
            {"field": "ship_date", "op": "gt", "value": "1995-03-15"},
        ]},
        "orderBy": [{"field": "revenue", "direction": "desc"}, {"field": "order_date"}],
        "limit": 10,
    })  # fmt: skip
    expected = [
        (key, revenue, date, priority) for key, revenue, date, priority in kit(warehouse, 3)
    ]
    assert normal([(k, r, d, p) for k, d, p, r in got]) == normal(expected)


def test_q5_local_supplier_volume(warehouse: DuckDBWarehouse, sales: MetricView) -> None:
    got = run(warehouse, sales, {
        "dataset": "tpch_sales",
        "dimensions": [{"name": "customer_nation"}],
        "metrics": [{"name": "revenue"}],
        "filters": {"and": [
            {"field": "customer_region", "op": "eq", "value": "ASIA"},
            {"field": "local_supplier", "op": "eq", "value": True},
            {"field": "order_date", "op": "gte", "value": "1994-01-01"},
            {"field": "order_date", "op": "lt", "value": "1995-01-01"},
        ]},
        "orderBy": [{"field": "revenue", "direction": "desc"}],
    })  # fmt: skip
    assert normal(got) == normal(kit(warehouse, 5))


def test_q6_forecast_revenue_change(warehouse: DuckDBWarehouse, sales: MetricView) -> None:
    got = run(warehouse, sales, {
        "dataset": "tpch_sales",
        "metrics": [{"name": "discount_amount", "alias": "revenue"}],
        "filters": {"and": [
            {"field": "ship_date", "op": "gte", "value": "1994-01-01"},
            {"field": "ship_date", "op": "lt", "value": "1995-01-01"},
            {"field": "discount", "op": "between", "value": [0.05, 0.07]},
            {"field": "line_quantity", "op": "lt", "value": 24},
        ]},
    })  # fmt: skip
    assert normal(got) == normal(kit(warehouse, 6))


def test_q10_returned_item_reporting(warehouse: DuckDBWarehouse, sales: MetricView) -> None:
    dims = ("customer_key", "customer_name", "customer_account_balance", "customer_nation",
            "customer_address", "customer_phone", "customer_comment")  # fmt: skip
    got = run(warehouse, sales, {
        "dataset": "tpch_sales",
        "dimensions": [{"name": d} for d in dims],
        "metrics": [{"name": "revenue"}],
        "filters": {"and": [
            {"field": "order_date", "op": "gte", "value": "1993-10-01"},
            {"field": "order_date", "op": "lt", "value": "1994-01-01"},
            {"field": "return_flag", "op": "eq", "value": "R"},
        ]},
        "orderBy": [{"field": "revenue", "direction": "desc"}],
        "limit": 20,
    })  # fmt: skip
    # the kit's column order: custkey, name, revenue, acctbal, nation, address, phone, comment
    reordered = [(r[0], r[1], r[7], r[2], r[3], r[4], r[5], r[6]) for r in got]
    assert normal(reordered) == normal(kit(warehouse, 10))


def test_time_grains_and_only_needed_joins(warehouse: DuckDBWarehouse, sales: MetricView) -> None:
    body = {"dataset": "tpch_sales", "dimensions": [{"name": "order_date", "timeGrain": "year"}],
            "metrics": [{"name": "order_count"}]}  # fmt: skip
    compiled = compile_query(
        sales, SemanticQuery.model_validate(body), dialect="duckdb", access=ADMIN
    )
    assert compiled.joins == ("orders",) and "supplier" not in compiled.sql
    rows = run(warehouse, sales, body)
    assert [r[0] for r in rows] == [datetime.date(y, 1, 1) for y in range(1992, 1999)]
    (total,) = run(
        warehouse, sales, {"dataset": "tpch_sales", "metrics": [{"name": "order_count"}]}
    )
    assert sum(r[1] for r in rows) == total[0] == 15_000


def test_customer_and_supplier_nations_stay_apart(
    warehouse: DuckDBWarehouse, sales: MetricView
) -> None:
    rows = run(warehouse, sales, {
        "dataset": "tpch_sales",
        "dimensions": [{"name": "customer_nation"}, {"name": "supplier_nation"}],
        "metrics": [{"name": "line_item_count"}],
        "filters": {"and": [{"field": "customer_nation", "op": "eq", "value": "FRANCE"},
                            {"field": "supplier_nation", "op": "eq", "value": "JAPAN"}]},
    })  # fmt: skip
    assert rows and all(r[:2] == ("FRANCE", "JAPAN") for r in rows)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"metrics": [{"name": "revnue"}]}, "unknown metric 'revnue' in tpch_sales; did you mean 'revenue'"),
        ({"dimensions": [{"name": "regoin"}]}, "unknown dimension 'regoin'"),
        ({"dimensions": [{"name": "ship_mode", "timeGrain": "month"}]}, "not a time dimension"),
        ({"metrics": [{"name": "revenue"}], "filters": {"or": [
            {"field": "ship_mode", "op": "eq", "value": "AIR"},
            {"field": "revenue", "op": "gt", "value": 5}]}}, "mixes dimensions and metrics"),
        ({"metrics": [{"name": "revenue"}], "orderBy": [{"field": "quantity"}]}, "orderBy 'quantity'"),
        ({"metrics": [{"name": "revenue"}], "filters": {"field": "ship_mod", "op": "eq", "value": "AIR"}},
         "did you mean 'ship_mode'"),
    ],
)  # fmt: skip
def test_mistakes_name_the_field(sales: MetricView, body: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequest, match=message.replace("(", r"\(")):
        compile_query(sales, SemanticQuery.model_validate({"dataset": "tpch_sales", **body}),
                      dialect="duckdb", access=ADMIN)  # fmt: skip


def test_filter_values_are_literals_not_text(warehouse: DuckDBWarehouse, sales: MetricView) -> None:
    evil = "AIR' OR '1'='1"
    rows = run(warehouse, sales, {"dataset": "tpch_sales", "metrics": [{"name": "line_item_count"}],
                                  "filters": {"field": "ship_mode", "op": "eq", "value": evil}})  # fmt: skip
    assert rows == [(0,)]


TENANT_MODEL = """\
version: 1.1
source: >-
  SELECT * FROM (VALUES ('acme', 'EU', 10, DATE '1995-01-01'), ('acme', 'US', 20, DATE '1996-01-01'),
  ('globex', 'EU', 1000, DATE '1995-06-01')) AS t(tenant_id, region, amount, day)
dimensions:
  - {name: tenant, expr: tenant_id}
  - {name: region, expr: region}
  - {name: day, expr: day}
measures:
  - {name: amount, expr: SUM(amount)}
  - {name: rows, expr: COUNT(*)}
x-lakechat:
  row_level_security: {tenant_column: tenant_id, admin_bypass: false}
  default_time_dimension: day
"""


@pytest.mark.parametrize(
    "body",
    [
        {"metrics": [{"name": "amount"}]},
        {"dimensions": [{"name": "tenant"}], "metrics": [{"name": "rows"}]},
        {"dimensions": [{"name": "region"}], "metrics": [{"name": "amount"}],
         "filters": {"or": [{"field": "tenant", "op": "eq", "value": "globex"},
                            {"field": "region", "op": "is_not_null"}]}},
        {"metrics": [{"name": "amount"}], "filters": {"not": {"field": "tenant", "op": "eq", "value": "acme"}}},
        {"dimensions": [{"name": "tenant"}], "filters": {"field": "tenant", "op": "in", "value": ["acme", "globex"]}},
        {"metrics": [{"name": "amount"}], "filters": {"field": "amount", "op": "gt", "value": 0}},
        {"dimensions": [{"name": "tenant", "alias": "region"}], "metrics": [{"name": "amount", "alias": "tenant_id"}],
         "orderBy": [{"field": "tenant_id", "direction": "desc"}], "limit": 5, "offset": 0},
        {"dimensions": [{"name": "region"}],
         "metrics": [{"name": "amount"}, {"name": "amount", "calculation": "share_of_total"}]},
        {"dimensions": [{"name": "day", "timeGrain": "year"}],
         "metrics": [{"name": "amount", "calculation": "previous_period"},
                     {"name": "amount", "calculation": "growth"}]},
        {"metrics": [{"name": "amount"}, {"name": "amount", "calculation": "previous_period"}],
         "timeRange": ["1996-01-01", "1996-12-31"]},
        {"dimensions": [{"name": "day", "timeGrain": "month"}], "metrics": [{"name": "rows"}],
         "timeRange": ["1995-01-01", "1995-12-31"], "filters": {"field": "tenant", "op": "ne", "value": "acme"}},
    ],
)  # fmt: skip
def test_a_tenant_never_sees_another_tenants_rows(
    tmp_path: Path, warehouse: DuckDBWarehouse, body: dict[str, Any]
) -> None:
    path = tmp_path / "shared.yaml"
    path.write_text(TENANT_MODEL)
    model, problems = load_model_file(path)
    assert model is not None and not problems
    for access in (Access("acme", is_admin=False), Access("acme", is_admin=True)):
        rows = run(warehouse, model.view, {"dataset": "shared", **body}, access)
        assert all("globex" not in row and 1000 not in row for row in rows), rows
        flat = [v for row in rows for v in row]
        assert not any(isinstance(v, int | Decimal) and v >= 1000 for v in flat)


ORPHANS_MODEL = """\
version: 1.1
source: SELECT * FROM (VALUES (1, 10), (2, 20), (3, 99)) AS t(id, amount_key)
joins:
  - name: amounts
    source: SELECT * FROM (VALUES (10, 'low'), (20, 'high')) AS a(amount_key, band)
    on: source.amount_key = amounts.amount_key
dimensions:
  - {name: band, expr: amounts.band}
measures:
  - {name: rows, expr: COUNT(*)}
"""


@pytest.mark.parametrize(
    ("filters", "rows", "join"),
    [
        ({"field": "rows", "op": "gt", "value": 0}, [(3,)], "LEFT JOIN"),  # orphans count
        ({"field": "band", "op": "eq", "value": "low"}, [(1,)], " JOIN"),
        ({"field": "band", "op": "ne", "value": "low"}, [(1,)], " JOIN"),
        ({"field": "band", "op": "is_null"}, [(1,)], "LEFT JOIN"),  # only the orphan
        ({"or": [{"field": "band", "op": "eq", "value": "low"},
                 {"field": "band", "op": "is_null"}]}, [(2,)], "LEFT JOIN"),
    ],
)  # fmt: skip
def test_a_join_turns_inner_only_where_a_filter_needs_its_row(
    tmp_path: Path, warehouse: DuckDBWarehouse, filters: Any, rows: list[Any], join: str
) -> None:
    """An inner join is faster (the engine may reorder it) and gives the same rows wherever
    a WHERE part is never true for a row the LEFT join filled with NULLs."""
    (tmp_path / "orphans.yaml").write_text(ORPHANS_MODEL)
    model, problems = load_model_file(tmp_path / "orphans.yaml")
    assert model is not None and not problems
    body = {"dataset": "orphans", "metrics": [{"name": "rows"}],
            "dimensions": [{"name": "band"}], "orderBy": [{"field": "rows"}]}  # fmt: skip
    if filters is not None:
        body["filters"] = filters
    compiled = compile_query(
        model.view, SemanticQuery.model_validate(body), dialect="duckdb", access=ADMIN
    )
    assert join in compiled.sql and (join == "LEFT JOIN") == ("LEFT JOIN" in compiled.sql)
    found = warehouse.execute(compiled.sql, max_rows=10, timeout_seconds=10).rows
    assert sum(row[1] for row in found) == rows[0][0]


def test_a_join_declared_to_always_match_is_inner(
    tmp_path: Path, warehouse: DuckDBWarehouse
) -> None:
    """``referential_integrity`` makes a join inner even with no filter: the model says no
    key is an orphan, so the engine may reorder it; an orphan then drops out, as declared."""
    declared = ORPHANS_MODEL + "x-lakechat: {referential_integrity: [amounts]}\n"
    (tmp_path / "orphans.yaml").write_text(declared)
    model, problems = load_model_file(tmp_path / "orphans.yaml")
    assert model is not None and not problems
    body = {"dataset": "orphans", "metrics": [{"name": "rows"}], "dimensions": [{"name": "band"}]}
    compiled = compile_query(
        model.view, SemanticQuery.model_validate(body), dialect="duckdb", access=ADMIN
    )
    assert " JOIN " in compiled.sql and "LEFT JOIN" not in compiled.sql
    found = warehouse.execute(compiled.sql, max_rows=10, timeout_seconds=10).rows
    assert sorted(found) == [("high", 1), ("low", 1)]


def test_the_shipped_models_declare_only_joins_that_always_match(
    warehouse: DuckDBWarehouse,
) -> None:
    """Each join a shipped model lists under referential_integrity finds a row for every row
    of its parent in the demo data, so its inner join gives the LEFT join's rows."""
    checked = 0
    for model in load_models([SHIPPED_MODELS]).models.values():
        view = model.view
        parents = {c.name: j for j in view.all_joins() for c in j.joins}
        for join in view.all_joins():
            if join.name not in view.extras.referential_integrity:
                continue
            parent = parents.get(join.name)
            parent_sql = (
                f"{parent.source} AS {parent.name}" if parent else f"{view.source} AS source"
            )
            sql = (f"SELECT COUNT(*) FROM {parent_sql} LEFT JOIN {join.source} AS {join.name} "
                   f"ON {join.on} WHERE {join.name}.{join.on.split('.')[-1].strip()} IS NULL")  # fmt: skip
            assert warehouse.execute(sql, max_rows=1, timeout_seconds=30).rows[0][0] == 0, join.name
            checked += 1
    assert checked >= 11
