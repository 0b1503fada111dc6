"""The compiler's SQL per engine, pinned in snapshot files (tests/snapshots/test_snapshots/).

Each test compiles one representative query for every dialect a provider declares and
compares the text with ``<engine>/<test name>.sql``; a reviewer sees in the diff what a
compiler change does to each engine's SQL. ``pytest --overwrite-snapshots`` rewrites them.
"""

from __future__ import annotations

import ast
import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakechat.semantic.compiler import Access, Clock, compile_query
from lakechat.semantic.model import MetricView, RowLevelSecurity
from lakechat.semantic.query import SemanticQuery
from tests.semantic.conftest import (
    SNAPSHOT_ROOT,
    SnapshotCheck,
    check_snapshot,
    snapshot_path,
    snapshot_text,
)

#: The dialects of the warehouse providers (their ``dialect`` class variable).
ENGINES = ("duckdb", "postgres", "databricks", "spark")
ADMIN = Access("default", is_admin=True)
#: relative time ranges count from here (the last TPC-H order day), so no snapshot changes
#: with the day the tests run on
TODAY = datetime.date(1998, 8, 2)
#: A query body: compiled for every engine, each checked against its snapshot file.
SnapshotSql = Callable[[dict[str, Any]], None]


@pytest.fixture
def snapshot_sql(shipped_models: dict[str, MetricView], sql_snapshot: SnapshotCheck) -> Any:
    """Compile a query body for every engine and check each against its snapshot file."""

    def check(body: dict[str, Any]) -> None:
        query = SemanticQuery.model_validate(body)
        view = shipped_models[query.dataset]
        # the query's time zone travels in the clock, as the service passes it
        clock = Clock(TODAY, query.timezone or "UTC")
        for engine in ENGINES:
            compiled = compile_query(view, query, dialect=engine, access=ADMIN, clock=clock)
            sql_snapshot(engine, compiled.sql)

    return check


def test_metric_by_dimension(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_orders", "dimensions": [{"name": "order_status"}],
                  "metrics": [{"name": "order_count"}]})  # fmt: skip


def test_only_metrics(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "metrics": [{"name": "revenue"}, {"name": "quantity"}]})


def test_only_dimensions_distinct(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales",
                  "dimensions": [{"name": "customer_region"}, {"name": "customer_nation"}]})  # fmt: skip


def test_role_playing_nations(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales",
                  "dimensions": [{"name": "customer_nation"}, {"name": "supplier_nation"}],
                  "metrics": [{"name": "line_item_count"}],
                  "filters": {"and": [{"field": "customer_region", "op": "eq", "value": "EUROPE"},
                                      {"field": "supplier_region", "op": "eq", "value": "ASIA"}]}})  # fmt: skip


def test_time_grain_day(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_orders", "dimensions": [{"name": "order_date", "timeGrain": "day"}],
                  "metrics": [{"name": "order_count"}],
                  "filters": {"field": "order_date", "op": "between",
                              "value": ["1995-03-01", "1995-03-10"]}})  # fmt: skip


def test_time_grain_week(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "ship_date", "timeGrain": "week"}],
                  "metrics": [{"name": "revenue"}]})  # fmt: skip


def test_time_grains_month_quarter_year(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales",
                  "dimensions": [{"name": "order_date", "timeGrain": "year", "alias": "year"},
                                 {"name": "order_date", "timeGrain": "quarter", "alias": "quarter"},
                                 {"name": "ship_date", "timeGrain": "month", "alias": "ship_month"}],
                  "metrics": [{"name": "line_item_count"}]})  # fmt: skip


def test_comparison_operators(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "ship_mode"}],
                  "metrics": [{"name": "quantity"}],
                  "filters": {"and": [
                      {"field": "line_quantity", "op": "gt", "value": 45},
                      {"field": "discount", "op": "lte", "value": 0.02},
                      {"field": "ship_date", "op": "gte", "value": "1995-01-01"},
                      {"field": "ship_date", "op": "lt", "value": "1996-01-01"},
                      {"field": "return_flag", "op": "ne", "value": "N"},
                  ]}})  # fmt: skip


def test_list_between_and_null_operators(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "market_segment"}],
                  "metrics": [{"name": "customer_count"}],
                  "filters": {"and": [
                      {"field": "market_segment", "op": "in", "value": ["BUILDING", "MACHINERY"]},
                      {"field": "ship_mode", "op": "not_in", "value": ["AIR", "REG AIR"]},
                      {"field": "part_size", "op": "between", "value": [10, 15]},
                      {"field": "receipt_date", "op": "is_not_null"},
                      {"field": "customer_comment", "op": "is_null"},
                  ]}})  # fmt: skip


def test_text_operators(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "part_type"}],
                  "metrics": [{"name": "revenue"}],
                  "filters": {"and": [
                      {"field": "part_type", "op": "contains", "value": "BRASS"},
                      {"field": "part_type", "op": "starts_with", "value": "PROMO"},
                      {"field": "part_container", "op": "ends_with", "value": "BOX"},
                  ]}})  # fmt: skip


def test_case_insensitive(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "customer_nation"}],
                  "metrics": [{"name": "revenue"}],
                  "filters": {"and": [
                      {"field": "customer_nation", "op": "in", "value": ["germany", "France"],
                       "caseInsensitive": True},
                      {"field": "part_type", "op": "contains", "value": "polished", "caseInsensitive": True},
                      {"field": "part_size", "op": "gte", "value": 10, "caseInsensitive": True},
                  ]}})  # fmt: skip


def test_and_or_not_groups(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "customer_region"}],
                  "metrics": [{"name": "revenue"}],
                  "filters": {"and": [
                      {"or": [{"field": "ship_mode", "op": "eq", "value": "MAIL"},
                              {"field": "ship_mode", "op": "starts_with", "value": "REG"}]},
                      {"not": {"or": [{"field": "customer_region", "op": "eq", "value": "AFRICA"},
                                      {"field": "order_priority", "op": "eq", "value": "1-URGENT"}]}},
                  ]}})  # fmt: skip


def test_boolean_dimension(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "local_supplier"}],
                  "metrics": [{"name": "revenue"}],
                  "filters": {"field": "local_supplier", "op": "eq", "value": True}})  # fmt: skip


def test_metric_filter_having(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "supplier_nation"}],
                  "metrics": [{"name": "order_count"}, {"name": "avg_discount"}],
                  "filters": {"and": [
                      {"field": "ship_mode", "op": "eq", "value": "TRUCK"},
                      {"or": [{"field": "order_count", "op": "gt", "value": 2400},
                              {"field": "avg_discount", "op": "lt", "value": 0.0495}]},
                  ]}})  # fmt: skip


def test_measure_ratio(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "market_segment"}],
                  "metrics": [{"name": "revenue_per_order"}],
                  "filters": {"field": "revenue_per_order", "op": "gt", "value": 137000}})  # fmt: skip


def test_order_limit_offset(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales",
                  "dimensions": [{"name": "customer_key"}, {"name": "customer_name", "alias": "customer"}],
                  "metrics": [{"name": "revenue", "alias": "net"}],
                  "orderBy": [{"field": "net", "direction": "desc"}, {"field": "customer_key"}],
                  "limit": 5, "offset": 5})  # fmt: skip


def test_tpch_q1(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales",
                  "dimensions": [{"name": "return_flag"}, {"name": "line_status"}],
                  "metrics": [{"name": m} for m in ("quantity", "gross_revenue", "revenue", "charge",
                                                    "avg_quantity", "avg_price", "avg_discount",
                                                    "line_item_count")],
                  "filters": {"field": "ship_date", "op": "lte", "value": "1998-09-02"}})  # fmt: skip


def test_tpch_q5(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "customer_nation"}],
                  "metrics": [{"name": "revenue"}],
                  "filters": {"and": [
                      {"field": "customer_region", "op": "eq", "value": "ASIA"},
                      {"field": "local_supplier", "op": "eq", "value": True},
                      {"field": "order_date", "op": "gte", "value": "1994-01-01"},
                      {"field": "order_date", "op": "lt", "value": "1995-01-01"},
                  ]},
                  "orderBy": [{"field": "revenue", "direction": "desc"}]})  # fmt: skip


def test_share_of_total(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "customer_region"}],
                  "metrics": [{"name": "revenue"},
                              {"name": "revenue", "calculation": "share_of_total", "alias": "share"}],
                  "orderBy": [{"field": "share", "direction": "desc"}]})  # fmt: skip


def test_growth_by_month_in_a_time_range(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "dimensions": [{"name": "order_date", "timeGrain": "month"}],
                  "metrics": [{"name": "revenue"}, {"name": "revenue", "calculation": "growth"}],
                  "timeRange": "last_quarter"})  # fmt: skip


def test_previous_period_of_a_range_without_dimensions(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "tpch_sales", "timeRange": "last_month",
                  "metrics": [{"name": "line_item_count"},
                              {"name": "line_item_count", "calculation": "previous_period"},
                              {"name": "line_item_count", "calculation": "growth"}]})  # fmt: skip


def test_time_zone_hour_grain(snapshot_sql: SnapshotSql) -> None:
    snapshot_sql({"dataset": "security_events", "timezone": "America/New_York",
                  "dimensions": [{"name": "event_time", "timeGrain": "hour"}],
                  "metrics": [{"name": "events"}],
                  "timeRange": {"dimension": "event_time", "range": "last_7_days"}})  # fmt: skip


def test_row_level_security(
    shipped_models: dict[str, MetricView], sql_snapshot: SnapshotCheck
) -> None:
    orders = shipped_models["tpch_orders"]
    security = RowLevelSecurity(tenant_column="o_clerk", admin_bypass=False)
    view = orders.model_copy(
        update={"extras": orders.extras.model_copy(update={"row_level_security": security})}
    )
    query = SemanticQuery.model_validate(
        {"dataset": "tpch_orders", "metrics": [{"name": "order_count"}],
         "filters": {"or": [{"field": "clerk", "op": "eq", "value": "Clerk#000000001"},
                            {"field": "order_status", "op": "eq", "value": "F"}]}})  # fmt: skip
    for engine in ENGINES:
        compiled = compile_query(
            view, query, dialect=engine, access=Access("Clerk#000000951", False)
        )
        sql_snapshot(engine, compiled.sql)


# the snapshot files themselves ------------------------------------------------------------------
SNAPSHOT_TESTS = sorted(
    node.name
    for node in ast.parse(Path(__file__).read_text()).body
    if isinstance(node, ast.FunctionDef)
    and node.name.startswith("test_")
    and {"snapshot_sql", "sql_snapshot"} & {arg.arg for arg in node.args.args}
)


def test_every_snapshot_file_belongs_to_a_test() -> None:
    folder = SNAPSHOT_ROOT / Path(__file__).stem
    for engine in ENGINES:
        stored = sorted(path.stem for path in (folder / engine).glob("*.sql"))
        assert stored == SNAPSHOT_TESTS, f"stale or missing snapshots in {folder / engine}"
    assert len(SNAPSHOT_TESTS) >= 15


def test_a_missing_snapshot_says_how_to_write_it(tmp_path: Path) -> None:
    path = tmp_path / "duckdb" / "test_x.sql"
    with pytest.raises(pytest.fail.Exception, match="run pytest with --overwrite-snapshots"):
        check_snapshot(path, "SELECT 1\n", overwrite=False, in_ci=False)
    assert not path.exists()


def test_a_changed_snapshot_shows_the_diff(tmp_path: Path) -> None:
    path = tmp_path / "test_x.sql"
    path.write_text("SELECT 1\n")
    with pytest.raises(
        pytest.fail.Exception, match=r"(?s)rerun with --overwrite-snapshots.*\+SELECT 2"
    ):
        check_snapshot(path, "SELECT 2\n", overwrite=False, in_ci=False)
    assert path.read_text() == "SELECT 1\n"


def test_overwriting_writes_but_never_in_ci(tmp_path: Path) -> None:
    path = tmp_path / "spark" / "test_x.sql"
    with pytest.raises(pytest.fail.Exception, match="refused when CI=true"):
        check_snapshot(path, "SELECT 1\n", overwrite=True, in_ci=True)
    assert not path.exists()
    check_snapshot(path, "SELECT 1\n", overwrite=True, in_ci=False)
    assert path.read_text() == "SELECT 1\n"
    check_snapshot(path, "SELECT 1\n", overwrite=False, in_ci=False)


def test_the_header_names_the_test() -> None:
    text = snapshot_text("/x/tests/semantic/test_snapshots.py", "test_q", "postgres", "SELECT 1")
    assert text.startswith("-- test: test_snapshots.py::test_q\n-- engine: postgres\n")
    assert text.endswith("\nSELECT 1\n")
    assert snapshot_path("/x/test_snapshots.py", "spark", "test_q") == (
        SNAPSHOT_ROOT / "test_snapshots" / "spark" / "test_q.sql"
    )
