"""Share of total, previous period, growth and time ranges give the right numbers on DuckDB:
each answer is checked against plain SQL over samples.tpch (or system.access.audit) or
against separate semantic queries without calculations, never against the compiler itself.
Also: the mistakes a caller can make name the fix, and what a dialect cannot do fails at
compile time."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lakechat.errors import BadRequest
from lakechat.lakehouse.build import INCIDENTS_FILE
from lakechat.security.principals import Principal, Role
from lakechat.semantic.compiler import Access, Clock, CompiledQuery, compile_query
from lakechat.semantic.loader import SHIPPED_MODELS, load_model_file, load_models
from lakechat.semantic.model import MetricView
from lakechat.semantic.query import SemanticQuery
from lakechat.semantic.registry import ModelRegistry
from lakechat.semantic.service import answer
from lakechat.settings import Settings, default_lakehouse_path
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

ADMIN = Access("default", is_admin=True)
#: the last day TPC-H has orders on
CLOCK = Clock(date(1998, 8, 2))
REVENUE_BY_REGION = """
SELECT r.r_name, SUM(l.l_extendedprice * (1 - l.l_discount))
FROM samples.tpch.lineitem AS l
JOIN samples.tpch.orders AS o ON l.l_orderkey = o.o_orderkey
JOIN samples.tpch.customer AS c ON o.o_custkey = c.c_custkey
JOIN samples.tpch.nation AS n ON c.c_nationkey = n.n_nationkey
JOIN samples.tpch.region AS r ON n.n_regionkey = r.r_regionkey
WHERE o.o_orderdate BETWEEN DATE '{first}' AND DATE '{last}'
GROUP BY r.r_name
"""


@pytest.fixture(scope="module")
def warehouse(tpch_home: Path) -> Iterator[DuckDBWarehouse]:
    provider = DuckDBWarehouse(default_lakehouse_path(tpch_home))
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def models() -> dict[str, MetricView]:
    return {name: loaded.view for name, loaded in load_models([SHIPPED_MODELS]).models.items()}


Ask = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def ask(warehouse: DuckDBWarehouse, models: dict[str, MetricView]) -> Ask:
    """Run a semantic query body on DuckDB; rows as dicts by output name."""

    def run(
        body: dict[str, Any], clock: Clock = CLOCK, view: MetricView | None = None
    ) -> list[dict[str, Any]]:
        compiled = compile_body(view or models[body["dataset"]], body, clock)
        result = warehouse.execute(compiled.sql, max_rows=100_000, timeout_seconds=60)
        names = [c.name for c in compiled.columns]
        return [dict(zip(names, row, strict=True)) for row in result.rows]

    return run


def compile_body(
    view: MetricView, body: dict[str, Any], clock: Clock = CLOCK, dialect: str = "duckdb"
) -> CompiledQuery:
    return compile_query(
        view, SemanticQuery.model_validate(body), dialect=dialect, access=ADMIN, clock=clock
    )


def plain(warehouse: DuckDBWarehouse, sql: str) -> list[tuple[Any, ...]]:
    return list(warehouse.execute(sql, max_rows=100_000, timeout_seconds=60).rows)


def growth(current: Any, previous: Any) -> float | None:
    if previous is None or previous == 0:
        return None
    return (float(current) - float(previous)) / abs(float(previous))


def sales(**body: Any) -> dict[str, Any]:
    return {"dataset": "tpch_sales", **body}


def calc(name: str, calculation: str, **more: str) -> dict[str, str]:
    return {"name": name, "calculation": calculation, **more}


# share of total ------------------------------------------------------------------------------
def test_share_of_total_is_each_value_over_the_total(ask: Ask, warehouse: DuckDBWarehouse) -> None:
    rows = ask(sales(dimensions=[{"name": "customer_region"}],
                     metrics=[{"name": "revenue"}, calc("revenue", "share_of_total")],
                     filters={"field": "order_date", "op": "between",
                              "value": ["1995-01-01", "1995-12-31"]}))  # fmt: skip
    expected = dict(
        plain(warehouse, REVENUE_BY_REGION.format(first="1995-01-01", last="1995-12-31"))
    )
    assert {r["customer_region"]: r["revenue"] for r in rows} == expected
    total = float(sum(expected.values()))
    for row in rows:
        assert row["revenue_share_of_total"] == pytest.approx(float(row["revenue"]) / total)
    assert sum(r["revenue_share_of_total"] for r in rows) == pytest.approx(1.0)


def test_share_is_over_the_rows_having_keeps_and_orders_by_its_alias(
    ask: Ask, warehouse: DuckDBWarehouse
) -> None:
    """HAVING drops nations before the total is taken; LIMIT does not change the total."""
    rows = ask(sales(dimensions=[{"name": "customer_nation"}],
                     metrics=[{"name": "order_count"}, calc("order_count", "share_of_total", alias="share")],
                     filters={"field": "order_count", "op": "gt", "value": 580},
                     orderBy=[{"field": "share", "direction": "desc"}, {"field": "customer_nation"}],
                     limit=5))  # fmt: skip
    counts = plain(warehouse, """
        SELECT n.n_name, COUNT(DISTINCT l.l_orderkey) FROM samples.tpch.lineitem AS l
        JOIN samples.tpch.orders AS o ON l.l_orderkey = o.o_orderkey
        JOIN samples.tpch.customer AS c ON o.o_custkey = c.c_custkey
        JOIN samples.tpch.nation AS n ON c.c_nationkey = n.n_nationkey
        GROUP BY n.n_name HAVING COUNT(DISTINCT l.l_orderkey) > 580""")  # fmt: skip
    assert 5 < len(counts) < 25  # the filter keeps some nations and drops others
    total = sum(count for _, count in counts)
    top = sorted(counts, key=lambda c: (-c[1], c[0]))[:5]
    assert [(r["customer_nation"], r["order_count"]) for r in rows] == top
    assert [r["share"] for r in rows] == pytest.approx([count / total for _, count in top])


# period over period along a time grain ---------------------------------------------------------
def test_previous_period_and_growth_by_year(ask: Ask, warehouse: DuckDBWarehouse) -> None:
    rows = ask(sales(dimensions=[{"name": "order_date", "timeGrain": "year", "alias": "year"}],
                     metrics=[{"name": "revenue"}, calc("revenue", "previous_period"),
                              calc("revenue", "growth")]))  # fmt: skip
    yearly = plain(warehouse, """
        SELECT YEAR(o.o_orderdate), SUM(l.l_extendedprice * (1 - l.l_discount))
        FROM samples.tpch.lineitem AS l JOIN samples.tpch.orders AS o ON l.l_orderkey = o.o_orderkey
        GROUP BY 1 ORDER BY 1""")  # fmt: skip
    assert [(r["year"].year, r["revenue"]) for r in rows] == yearly
    assert rows[0]["revenue_previous_period"] is None and rows[0]["revenue_growth"] is None
    for (_, before), (_, now), row in zip(yearly[:-1], yearly[1:], rows[1:], strict=True):
        assert row["revenue_previous_period"] == before
        assert row["revenue_growth"] == pytest.approx(growth(now, before))


def test_the_first_month_of_a_range_has_its_previous_month(ask: Ask) -> None:
    """The range is widened by a month to find December's value, which is not shown."""
    by_month = [{"name": "order_date", "timeGrain": "month"}, {"name": "customer_region"}]
    rows = ask(sales(dimensions=by_month,
                     metrics=[{"name": "order_count"}, calc("order_count", "previous_period"),
                              calc("order_count", "growth")],
                     timeRange=["1996-01-01", "1996-06-30"]))  # fmt: skip
    alone = ask(sales(dimensions=by_month, metrics=[{"name": "order_count"}],
                      filters={"field": "order_date", "op": "between",
                               "value": ["1995-12-01", "1996-06-30"]}))  # fmt: skip
    count = {(r["order_date"], r["customer_region"]): r["order_count"] for r in alone}
    assert len(rows) == 6 * 5 and min(r["order_date"] for r in rows) == date(1996, 1, 1)
    for row in rows:
        month, region = row["order_date"], row["customer_region"]
        before = (month - timedelta(days=1)).replace(day=1)
        assert row["order_count"] == count[month, region]
        assert row["order_count_previous_period"] == count[before, region]
        assert row["order_count_growth"] == pytest.approx(growth(count[month, region], count[before, region]))  # fmt: skip


def test_a_range_starting_inside_a_month_keeps_that_months_value(ask: Ask) -> None:
    """15-31 January is January's value with or without growth; its previous is December."""
    month = [{"name": "order_date", "timeGrain": "month"}]
    span = ["1995-01-15", "1995-03-31"]
    plain_rows = ask(sales(dimensions=month, metrics=[{"name": "revenue"}], timeRange=span))
    rows = ask(sales(dimensions=month, timeRange=span,
                     metrics=[{"name": "revenue"}, calc("revenue", "previous_period")]))  # fmt: skip
    assert [(r["order_date"], r["revenue"]) for r in rows] == [
        (r["order_date"], r["revenue"]) for r in plain_rows
    ]
    (december,) = ask(sales(metrics=[{"name": "revenue"}], timeRange=["1994-12-01", "1994-12-31"]))
    assert rows[0]["revenue_previous_period"] == december["revenue"]
    assert rows[1]["revenue_previous_period"] == rows[0]["revenue"]


GAPS_MODEL = """\
version: 1.1
source: >-
  SELECT * FROM (VALUES (DATE '2024-01-10', 10), (DATE '2024-02-03', 0), (DATE '2024-03-05', 5),
  (DATE '2024-05-01', -4), (DATE '2024-06-20', 2), (DATE '2024-06-21', 1)) AS t(day, amount)
dimensions:
  - {name: day, expr: day, format: {type: date}}
measures:
  - {name: amount, expr: SUM(amount)}
x-lakechat: {default_time_dimension: day}
"""


def test_growth_is_null_without_a_previous_value_and_divides_by_its_size(
    ask: Ask, tmp_path: Path
) -> None:
    (tmp_path / "gaps.yaml").write_text(GAPS_MODEL)
    model, problems = load_model_file(tmp_path / "gaps.yaml")
    assert model is not None and not problems
    rows = ask({"dataset": "gaps", "dimensions": [{"name": "day", "timeGrain": "month"}],
                "metrics": [calc("amount", "previous_period", alias="before"),
                            calc("amount", "growth", alias="growth")]}, view=model.view)  # fmt: skip
    assert [(r["day"].month, r["before"], r["growth"]) for r in rows] == [
        (1, None, None),  # no December
        (2, 10, -1.0),  # 10 -> 0
        (3, 0, None),  # nothing to grow from
        (5, None, None),  # April had no rows
        (6, -4, 1.75),  # -4 -> 3 is up by 7/|-4|
    ]


# period over period of a range -----------------------------------------------------------------
def test_last_year_against_the_year_before_by_region(
    ask: Ask, warehouse: DuckDBWarehouse, models: dict[str, MetricView]
) -> None:
    """Range mode (no time grain): each region's 1997 beside its 1996."""
    body = sales(dimensions=[{"name": "customer_region"}], timeRange="last_year",
                 metrics=[{"name": "revenue"}, calc("revenue", "previous_period"),
                          calc("revenue", "growth")])  # fmt: skip
    resolved = compile_body(models["tpch_sales"], body).time_range
    assert resolved is not None
    assert (resolved.label, resolved.first, resolved.last) == (
        "last_year",
        date(1997, 1, 1),
        date(1997, 12, 31),
    )
    rows = ask(body)
    year = dict(plain(warehouse, REVENUE_BY_REGION.format(first="1997-01-01", last="1997-12-31")))
    before = dict(plain(warehouse, REVENUE_BY_REGION.format(first="1996-01-01", last="1996-12-31")))
    assert {r["customer_region"]: (r["revenue"], r["revenue_previous_period"]) for r in rows} == {
        region: (year[region], before[region]) for region in year
    }
    for row in rows:
        region = row["customer_region"]
        assert row["revenue_growth"] == pytest.approx(growth(year[region], before[region]))


LINES_IN = "SELECT COUNT(*) FROM samples.tpch.lineitem AS l JOIN samples.tpch.orders AS o ON l.l_orderkey = o.o_orderkey WHERE o.o_orderdate BETWEEN DATE '{}' AND DATE '{}'"  # fmt: skip


def test_totals_of_last_month_against_the_month_before(
    ask: Ask, warehouse: DuckDBWarehouse
) -> None:
    """No dimensions: one row, this month's total beside the month before's."""
    (row,) = ask(sales(timeRange="last_month",
                       metrics=[{"name": "line_item_count"}, calc("line_item_count", "previous_period"),
                                calc("line_item_count", "growth"), calc("revenue", "share_of_total")]))  # fmt: skip
    [(july,)] = plain(warehouse, LINES_IN.format("1998-07-01", "1998-07-31"))
    [(june,)] = plain(warehouse, LINES_IN.format("1998-06-01", "1998-06-30"))
    assert (row["line_item_count"], row["line_item_count_previous_period"]) == (july, june)
    assert row["line_item_count_growth"] == pytest.approx(growth(july, june))
    assert row["revenue_share_of_total"] == 1.0


def test_a_period_before_failing_having_is_null_not_a_missing_row(
    ask: Ask, warehouse: DuckDBWarehouse
) -> None:
    [(july,)] = plain(warehouse, LINES_IN.format("1998-07-01", "1998-07-31"))
    [(june,)] = plain(warehouse, LINES_IN.format("1998-06-01", "1998-06-30"))
    assert june < 700 < july  # so June fails the HAVING below and July passes it
    rows = ask(sales(timeRange="last_month", filters={"field": "line_item_count", "op": "gt", "value": 700},
                     metrics=[{"name": "line_item_count"}, calc("line_item_count", "growth")]))  # fmt: skip
    assert rows == [{"line_item_count": july, "line_item_count_growth": None}]


def test_ytd_on_the_ship_date_against_last_years_same_days(
    ask: Ask, warehouse: DuckDBWarehouse
) -> None:
    """A timeRange on a time dimension other than the model's default (order_date)."""
    rows = ask(sales(dimensions=[{"name": "ship_mode"}],
                     timeRange={"dimension": "ship_date", "range": "ytd"},
                     metrics=[{"name": "quantity"}, calc("quantity", "previous_period")]))  # fmt: skip
    query = "SELECT l_shipmode, SUM(l_quantity) FROM samples.tpch.lineitem WHERE l_shipdate BETWEEN DATE '{}' AND DATE '{}' GROUP BY 1"  # fmt: skip
    this_year = dict(plain(warehouse, query.format("1998-01-01", "1998-08-02")))
    last_year = dict(plain(warehouse, query.format("1997-01-01", "1997-08-02")))
    assert {r["ship_mode"]: (r["quantity"], r["quantity_previous_period"]) for r in rows} == {
        mode: (this_year[mode], last_year[mode]) for mode in this_year
    }


# mistakes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (sales(dimensions=[{"name": "order_date", "timeGrain": "hour"}], metrics=[{"name": "revenue"}]),
         "timeGrain 'hour' on 'order_date', which holds days; use day, week"),
        (sales(dimensions=[{"name": "customer_region"}], metrics=[calc("revenue", "previous_period")]),
         "add a dimension with a timeGrain .* or a timeRange"),
        (sales(metrics=[calc("revenue", "growth")]), "previous_period and growth compare periods"),
        (sales(metrics=[{"name": "revenue"}], timeRange={"dimension": "ship_mode", "range": "ytd"}),
         "timeRange.dimension: 'ship_mode' is not a time dimension"),
        (sales(metrics=[{"name": "revenue"}], timeRange={"dimension": "ship_dat", "range": "ytd"}),
         "unknown dimension 'ship_dat' .*did you mean 'ship_date'"),
        (sales(metrics=[{"name": "revenue"}], timeRange="last_fortnight"), "unknown range 'last_fortnight'"),
        (sales(metrics=[calc("revenue", "growth")], timeRange="ytd", orderBy=[{"field": "revenue"}]),
         "orderBy 'revenue' is not among"),
    ],
)  # fmt: skip
def test_mistakes_name_the_fix(
    models: dict[str, MetricView], body: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadRequest, match=message):
        compile_body(models[body["dataset"]], body)


def test_an_unknown_time_zone_is_a_bad_request_and_the_setting_is_the_default(
    warehouse: DuckDBWarehouse, make_settings: Callable[..., Settings]
) -> None:
    registry = ModelRegistry([SHIPPED_MODELS])
    admin = Principal("t", "t", "local", "default", Role.ADMIN, frozenset())
    late = datetime(1998, 7, 31, 23, 30, tzinfo=UTC)  # already 1 August in Tokyo
    body = sales(metrics=[{"name": "order_count"}], timeRange="mtd")
    tokyo = make_settings(query_timezone="Asia/Tokyo")
    result = answer(registry, warehouse, SemanticQuery.model_validate(body), admin, tokyo,
                    now=lambda: late)  # fmt: skip
    assert result["time_range"] == {"dimension": "order_date", "range": "mtd",
                                    "first_day": "1998-08-01", "last_day": "1998-08-01",
                                    "timezone": "Asia/Tokyo"}  # fmt: skip
    utc = answer(registry, warehouse, SemanticQuery.model_validate({**body, "timezone": "UTC"}),
                 admin, tokyo, now=lambda: late)  # fmt: skip
    assert (utc["time_range"]["first_day"], utc["time_range"]["last_day"]) == ("1998-07-01", "1998-07-31")  # fmt: skip
    with pytest.raises(BadRequest, match="timezone: 'Mars/Olympus' is not an IANA time zone"):
        answer(registry, warehouse, SemanticQuery.model_validate({**body, "timezone": "Mars/Olympus"}),
               admin, tokyo, now=lambda: late)  # fmt: skip


# time zones on date_time dimensions ---------------------------------------------------------------
@pytest.fixture(scope="module")
def as_of(tpch_home: Path) -> date:
    """The day the demo system tables end on (the day they were built)."""
    incidents = json.loads((default_lakehouse_path(tpch_home) / INCIDENTS_FILE).read_text())
    return date.fromisoformat(incidents["as_of"])


def test_hours_are_counted_in_the_query_time_zone(
    ask: Ask, warehouse: DuckDBWarehouse, as_of: date
) -> None:
    """New York's hours are UTC's moved back 4 or 5 hours (the 90 days cross 1 November)."""
    body = {"dataset": "security_events", "metrics": [{"name": "events"}],
            "dimensions": [{"name": "event_time", "timeGrain": "hour", "alias": "hour"}]}  # fmt: skip
    in_utc = ask(body, clock=Clock(as_of))
    in_new_york = ask(
        {**body, "timezone": "America/New_York"}, clock=Clock(as_of, "America/New_York")
    )
    moved: Counter[datetime] = Counter()
    for row in in_utc:
        local = row["hour"].astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
        moved[local] += row["events"]  # 01:00 happens twice when the clocks go back
    assert {r["hour"]: r["events"] for r in in_new_york} == dict(moved)
    assert {r["hour"].replace(tzinfo=None) for r in in_utc} != set(moved)
    assert sum(moved.values()) == sum(r["events"] for r in in_utc) > 1000


def test_yesterday_is_yesterday_in_the_query_time_zone(
    ask: Ask, warehouse: DuckDBWarehouse, models: dict[str, MetricView], as_of: date
) -> None:
    clock = Clock(as_of, "Asia/Tokyo")
    body = {"dataset": "security_events", "metrics": [{"name": "events"}],
            "timeRange": {"dimension": "event_time", "range": "yesterday"}}  # fmt: skip
    [row] = ask(body, clock=clock)
    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime.combine(as_of - timedelta(days=1), time(), tokyo).astimezone(UTC)
    end = datetime.combine(as_of, time(), tokyo).astimezone(UTC)
    [(expected,)] = plain(warehouse, f"SELECT COUNT(*) FROM system.access.audit WHERE event_time >= TIMESTAMPTZ '{start.isoformat()}' AND event_time < TIMESTAMPTZ '{end.isoformat()}'")  # fmt: skip
    assert row["events"] == expected > 0
    [(by_utc_day,)] = plain(warehouse, f"SELECT COUNT(*) FROM system.access.audit WHERE event_date = DATE '{as_of - timedelta(days=1)}'")  # fmt: skip
    assert by_utc_day != expected  # Tokyo's day is not UTC's
    resolved = compile_body(models["security_events"], body, clock).time_range
    assert resolved is not None and resolved.timezone == "Asia/Tokyo"


def test_a_time_zone_leaves_date_dimensions_alone(models: dict[str, MetricView]) -> None:
    body = {"dataset": "security_events", "metrics": [{"name": "events"}],
            "dimensions": [{"name": "event_date", "timeGrain": "day"}], "timeRange": "last_7_days"}  # fmt: skip
    sql = compile_body(models["security_events"], body, Clock(date(2026, 1, 1), "Asia/Tokyo")).sql
    assert "TIME ZONE" not in sql.upper() and "'Asia/Tokyo'" not in sql


# what a dialect cannot do ------------------------------------------------------------------------
AGGREGATES_MODEL = """\
version: 1.1
source: samples.tpch.lineitem
dimensions:
  - {name: ship_mode, expr: l_shipmode}
measures:
  - {name: approx_orders, expr: APPROX_COUNT_DISTINCT(l_orderkey)}
  - {name: median_price, expr: PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY l_extendedprice)}
  - {name: top_decile_price, expr: PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY l_extendedprice DESC)}
  - {name: median_quantity, expr: PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY l_quantity)}
"""


@pytest.fixture
def aggregates(tmp_path: Path) -> MetricView:
    (tmp_path / "lines.yaml").write_text(AGGREGATES_MODEL)
    model, problems = load_model_file(tmp_path / "lines.yaml")
    assert model is not None and not problems
    return model.view


def test_approximate_aggregates_are_refused_on_postgres(aggregates: MetricView) -> None:
    body = {"dataset": "lines", "dimensions": [{"name": "ship_mode"}],
            "metrics": [{"name": "approx_orders", "calculation": "share_of_total"}]}  # fmt: skip
    for dialect in ("duckdb", "spark", "databricks"):
        assert "APPROX_COUNT_DISTINCT(" in compile_body(aggregates, body, dialect=dialect).sql
    with pytest.raises(BadRequest, match=r"APPROX_COUNT_DISTINCT\(.*\) is an approximate aggregate, which postgres does not have; define the measure with an exact one"):  # fmt: skip
        compile_body(aggregates, body, dialect="postgres")


def test_percentiles_stay_exact_on_spark_and_databricks(
    aggregates: MetricView, warehouse: DuckDBWarehouse
) -> None:
    """PERCENTILE_CONT ... WITHIN GROUP becomes Spark's exact PERCENTILE (never the approximate
    one); ordered DESC, the 90th percentile from the top is the 10th from the bottom."""
    body = {"dataset": "lines", "metrics": [{"name": "median_price"}, {"name": "top_decile_price"}]}
    for dialect in ("spark", "databricks"):
        sql = compile_body(aggregates, body, dialect=dialect).sql
        assert "PERCENTILE(source.l_extendedprice, 0.5) AS `median_price`" in sql
        assert "PERCENTILE(source.l_extendedprice, 1 - 0.9) AS `top_decile_price`" in sql
        assert "APPROX" not in sql.upper()
    for dialect in ("postgres", "duckdb"):
        assert "APPROX" not in compile_body(aggregates, body, dialect=dialect).sql.upper()
    [(median, top_decile)] = plain(warehouse, compile_body(aggregates, body).sql)
    [(p50, p10)] = plain(warehouse, "SELECT QUANTILE_CONT(l_extendedprice, 0.5), QUANTILE_CONT(l_extendedprice, 0.1) FROM samples.tpch.lineitem")  # fmt: skip
    assert median == p50 and top_decile == pytest.approx(p10, abs=Decimal("0.01"))


@pytest.mark.spark
def test_a_discrete_percentile_is_exact_on_spark(
    aggregates: MetricView, warehouse: DuckDBWarehouse, spark_session: Any, tpch_home: Path
) -> None:
    """sqlglot writes PERCENTILE_DISC as Spark's PERCENTILE_APPROX; ours stays exact, so Spark
    and DuckDB agree on every ship mode's median quantity."""
    from lakechat.warehouse.spark_provider import SparkWarehouse

    body = {"dataset": "lines", "dimensions": [{"name": "ship_mode"}],
            "metrics": [{"name": "median_quantity"}], "orderBy": [{"field": "ship_mode"}]}  # fmt: skip
    spark_sql = compile_body(aggregates, body, dialect="spark").sql
    assert "PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY source.l_quantity" in spark_sql
    assert "APPROX" not in spark_sql.upper()
    spark = SparkWarehouse(
        spark_session, lakehouse_dir=default_lakehouse_path(tpch_home), owns_session=False
    )
    try:
        on_spark = spark.execute(spark_sql, max_rows=100, timeout_seconds=120).rows
    finally:
        spark.close()
    on_duckdb = plain(warehouse, compile_body(aggregates, body).sql)
    assert len(on_duckdb) == 7
    assert [(m, float(q)) for m, q in on_spark] == [(m, float(q)) for m, q in on_duckdb]


def test_a_model_without_a_default_time_dimension_needs_one_named(aggregates: MetricView) -> None:
    body = {"dataset": "lines", "metrics": [{"name": "median_price"}], "timeRange": "today"}
    with pytest.raises(BadRequest, match=r"lines has no default time dimension; name one in timeRange\.dimension"):  # fmt: skip
        compile_body(aggregates, body)


INSTANTS_MODEL = """\
version: 1.1
source: public.instants
dimensions:
  - {name: at, expr: at, format: {type: date_time}}
measures:
  - {name: events, expr: COUNT(*)}
x-lakechat: {default_time_dimension: at}
"""


@pytest.mark.postgres
def test_postgres_reads_instants_in_utc_whatever_the_servers_time_zone(
    postgres_url: str, tmp_path: Path
) -> None:
    """A server set to Tokyo must not shift UTC instants: New York's hours on the night its
    clocks go forward, and UTC's "today", are the same as on a server set to UTC."""
    import psycopg

    from lakechat.warehouse.postgres_provider import PostgresWarehouse

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.instants (at TIMESTAMPTZ)")
        conn.execute("INSERT INTO public.instants VALUES ('2024-03-09 20:00+00'), "
                     "('2024-03-10 06:30+00'), ('2024-03-10 07:30+00')")  # fmt: skip
        conn.execute(f"ALTER DATABASE \"{postgres_url.rpartition('/')[2]}\" SET timezone = 'Asia/Tokyo'")  # fmt: skip
    (tmp_path / "instants.yaml").write_text(INSTANTS_MODEL)
    model, problems = load_model_file(tmp_path / "instants.yaml")
    assert model is not None and not problems
    warehouse = PostgresWarehouse(postgres_url)
    try:

        def rows(body: dict[str, Any], clock: Clock) -> list[tuple[Any, ...]]:
            sql = compile_body(model.view, {"dataset": "instants", **body}, clock, "postgres").sql
            return list(warehouse.execute(sql, max_rows=10, timeout_seconds=30).rows)

        hours = {"dimensions": [{"name": "at", "timeGrain": "hour"}], "metrics": [{"name": "events"}]}  # fmt: skip
        new_york = Clock(date(2024, 3, 10), "America/New_York")
        assert rows({**hours, "timeRange": "today"}, new_york) == [
            (datetime(2024, 3, 10, 1, 0), 1),  # 06:30 UTC is 01:30 EST
            (datetime(2024, 3, 10, 3, 0), 1),  # 07:30 UTC is 03:30 EDT
        ]
        assert rows({"metrics": [{"name": "events"}], "timeRange": "today"}, Clock(date(2024, 3, 10))) == [(2,)]  # fmt: skip
    finally:
        warehouse.close()
