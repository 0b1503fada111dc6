"""Chart choice: which Vega-Lite spec (or none) an answer's rows get.

Every spec a test builds goes through ``draw``, which validates it against the Vega-Lite
schema altair ships and round-trips it through strict JSON, so a spec the front end
cannot render fails here first.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import altair
import pytest
from jsonschema import Draft7Validator

from lakechat.assistant.charts import VEGA_LITE_SCHEMA, ChartColumn, chart_for
from lakechat.semantic.model import Format

Draw = Callable[..., dict[str, Any] | None]

USD = Format(type="currency", currency_code="USD")
MONTH = ChartColumn("order_month", "dimension", "Order month", time_grain="month", is_time=True)
REGION = ChartColumn("region", "dimension", "Region")
SEGMENT = ChartColumn("segment", "dimension", "Market segment")
REVENUE = ChartColumn("net_revenue", "metric", "Net revenue", format=USD)
GROSS = ChartColumn("gross_revenue", "metric", "Gross revenue", format=USD)
ORDERS = ChartColumn("orders", "metric", "Orders")
SHARE = ChartColumn("revenue_share", "metric", "Share of revenue", calculation="share_of_total")
GROWTH = ChartColumn("revenue_growth", "metric", "Revenue growth", calculation="growth")
MONTHS = [dt.date(1995, m, 1) for m in range(1, 13)]
REGIONS = ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]


@pytest.fixture
def draw(vega_lite_validator: Draft7Validator) -> Draw:
    """``chart_for`` that also proves its spec is valid Vega-Lite and strict JSON."""

    def build(
        columns: Sequence[ChartColumn], rows: Sequence[Sequence[Any]], **options: Any
    ) -> dict[str, Any] | None:
        options.setdefault("title", "Answer")
        spec = chart_for(columns, rows, **options)
        if spec is not None:
            text = json.dumps(spec, allow_nan=False)
            vega_lite_validator.validate(json.loads(text))
        return spec

    return build


def monthly(*metrics: ChartColumn) -> list[tuple[Any, ...]]:
    return [
        (month, *(Decimal(1_000_000_000 + i * 100_000_000) for _ in metrics))
        for i, month in enumerate(MONTHS)
    ]


def fields(spec: dict[str, Any], channel: str) -> Any:
    return spec["encoding"][channel]


# -- the schema itself ------------------------------------------------------------------


def test_specs_name_the_schema_they_are_validated_against() -> None:
    assert altair.SCHEMA_URL == VEGA_LITE_SCHEMA


def test_the_validator_rejects_a_broken_spec(vega_lite_validator: Draft7Validator) -> None:
    broken = {"data": {"values": []}, "mark": "bar", "encoding": {"x": {"type": "temporally"}}}
    assert not vega_lite_validator.is_valid(broken)


# -- time series ------------------------------------------------------------------------


def test_a_time_series_is_a_line_over_time(draw: Draw) -> None:
    spec = draw([MONTH, REVENUE], monthly(REVENUE), title="Net revenue by month")
    assert spec is not None
    assert spec["$schema"] == VEGA_LITE_SCHEMA
    assert spec["title"] == "Net revenue by month"
    assert spec["mark"]["type"] == "line"
    assert fields(spec, "x") == {
        "field": "order_month",
        "type": "temporal",
        "timeUnit": "utcyearmonth",
        "title": "Order month",
        "axis": {"format": "%b %Y"},
    }
    y = fields(spec, "y")
    assert (y["field"], y["type"], y["title"]) == ("net_revenue", "quantitative", "Net revenue")


def test_line_axis_abbreviates_large_currency_in_words_people_say(draw: Draw) -> None:
    spec = draw([MONTH, REVENUE], monthly(REVENUE))
    assert spec is not None
    axis = fields(spec, "y")["axis"]
    assert axis["format"] == "$.3~s"
    assert "'G', 'B'" in axis["labelExpr"]  # d3 writes billions as "G"


def test_small_values_keep_a_full_axis_format(draw: Draw) -> None:
    rows = [(month, Decimal("12.5") + i) for i, month in enumerate(MONTHS)]
    spec = draw([MONTH, REVENUE], rows)
    assert spec is not None
    assert fields(spec, "y")["axis"] == {"format": "$,.2f"}


@pytest.mark.parametrize(
    ("grain", "unit", "label"),
    [
        ("hour", "utcyearmonthdatehours", "%Y-%m-%d %H:00"),
        ("day", "utcyearmonthdate", "%Y-%m-%d"),
        ("week", "utcyearmonthdate", "%Y-%m-%d"),
        ("month", "utcyearmonth", "%b %Y"),
        ("quarter", "utcyearquarter", "Q%q %Y"),
        ("year", "utcyear", "%Y"),
    ],
)
def test_time_unit_and_labels_follow_the_grain(
    draw: Draw, grain: str, unit: str, label: str
) -> None:
    period = ChartColumn("period", "dimension", "Period", time_grain=grain, is_time=True)
    spec = draw([period, ORDERS], [(MONTHS[0], 1), (MONTHS[1], 2)])
    assert spec is not None
    assert fields(spec, "x")["timeUnit"] == unit
    assert fields(spec, "x")["axis"] == {"format": label}
    assert fields(spec, "tooltip")[0]["format"] == label


def test_an_ungrained_date_dimension_is_daily(draw: Draw) -> None:
    day = ChartColumn("usage_date", "dimension", "Usage date", is_time=True)
    spec = draw([day, ORDERS], [(MONTHS[0], 3), (MONTHS[1], 4)])
    assert spec is not None
    assert fields(spec, "x")["timeUnit"] == "utcyearmonthdate"
    assert fields(spec, "x")["axis"] == {"format": "%Y-%m-%d"}


def test_an_ungrained_timestamp_keeps_its_minutes(draw: Draw) -> None:
    started = ChartColumn("start_time", "dimension", "Started", is_time=True)
    rows = [(dt.datetime(2024, 1, 1, hour, 30), hour) for hour in range(3)]
    spec = draw([started, ORDERS], rows)
    assert spec is not None
    assert fields(spec, "x")["timeUnit"] == "utcyearmonthdatehoursminutes"
    assert fields(spec, "x")["axis"] == {"format": "%Y-%m-%d %H:%M"}


def test_the_dimensions_date_format_labels_an_ungrained_axis(draw: Draw) -> None:
    fmt = Format(type="date", date_format="locale_short_month")
    day = ChartColumn("usage_date", "dimension", "Usage date", is_time=True, format=fmt)
    spec = draw([day, ORDERS], [(MONTHS[0], 3), (MONTHS[1], 4)])
    assert spec is not None
    assert fields(spec, "x")["axis"] == {"format": "%b %-d, %Y"}


def test_timestamps_are_written_as_utc_wall_clock_time(draw: Draw) -> None:
    """So a browser west of UTC does not move 00:30 to the day before."""
    started = ChartColumn("start_time", "dimension", "Started", is_time=True)
    zone = dt.timezone(dt.timedelta(hours=2))
    rows = [(dt.datetime(2024, 1, 1, 0, 30, tzinfo=zone), 1), (dt.datetime(2024, 1, 2), 2)]
    spec = draw([started, ORDERS], rows)
    assert spec is not None
    assert [r["start_time"] for r in spec["data"]["values"]] == [
        "2024-01-01T00:30:00.000Z",
        "2024-01-02T00:00:00.000Z",
    ]


def test_dates_are_iso_strings_in_the_data(draw: Draw) -> None:
    spec = draw([MONTH, REVENUE], monthly(REVENUE))
    assert spec is not None
    assert spec["data"]["values"][0] == {"order_month": "1995-01-01", "net_revenue": 1e9}


def test_measures_in_one_unit_share_an_axis_with_a_legend(draw: Draw) -> None:
    spec = draw([MONTH, REVENUE, GROSS], monthly(REVENUE, GROSS))
    assert spec is not None
    assert spec["mark"]["type"] == "line"
    fold, label = spec["transform"]
    assert fold == {"fold": ["net_revenue", "gross_revenue"], "as": ["__measure", "__value"]}
    assert label["as"] == "__series"
    assert label["calculate"] == (
        'datum.__measure === "net_revenue" ? "Net revenue" : "Gross revenue"'
    )
    assert fields(spec, "y")["field"] == "__value"
    assert fields(spec, "y")["title"] == "Net revenue, Gross revenue"
    assert fields(spec, "color")["field"] == "__series"
    assert fields(spec, "color")["sort"] == ["Net revenue", "Gross revenue"]


def test_measures_in_different_units_get_a_panel_each(draw: Draw) -> None:
    rows = [(*row, 0.2) for row in monthly(REVENUE)]
    spec = draw([MONTH, REVENUE, SHARE], rows)
    assert spec is not None
    assert "mark" not in spec
    money, share = spec["vconcat"]
    assert fields(money, "y")["field"] == "net_revenue"
    assert fields(share, "y")["field"] == "revenue_share"
    assert fields(share, "y")["axis"] == {"format": ".1~%"}


def test_one_line_per_category_beside_time(draw: Draw) -> None:
    rows = [(m, r, 10.0) for m in MONTHS for r in REGIONS]
    spec = draw([MONTH, REGION, ORDERS], rows)
    assert spec is not None
    assert spec["mark"]["type"] == "line"
    assert fields(spec, "x")["field"] == "order_month"
    assert fields(spec, "color") == {"field": "region", "type": "nominal", "title": "Region"}


def test_time_goes_on_the_x_axis_whichever_column_it_is(draw: Draw) -> None:
    rows = [(r, m, 10.0) for m in MONTHS[:3] for r in REGIONS]
    spec = draw([REGION, MONTH, ORDERS], rows)
    assert spec is not None
    assert fields(spec, "x")["field"] == "order_month"
    assert fields(spec, "color")["field"] == "region"


def test_too_many_lines_are_a_table(draw: Draw) -> None:
    rows = [(m, f"customer {i}", 1) for m in MONTHS[:2] for i in range(13)]
    assert draw([MONTH, REGION, ORDERS], rows) is None


def test_long_series_drop_the_dots(draw: Draw) -> None:
    day = ChartColumn("day", "dimension", "Day", time_grain="day", is_time=True)
    rows = [(dt.date(1995, 1, 1) + dt.timedelta(days=i), i) for i in range(61)]
    spec = draw([day, ORDERS], rows)
    assert spec is not None
    assert spec["mark"] == {"type": "line", "point": False}
    spec = draw([day, ORDERS], rows[:60])
    assert spec is not None
    assert spec["mark"]["point"] is True


def test_bars_over_time_when_asked(draw: Draw) -> None:
    spec = draw([MONTH, REVENUE], monthly(REVENUE), prefer="bar")
    assert spec is not None
    assert spec["mark"]["type"] == "bar"
    axis = fields(spec, "x")  # time runs left to right, even for twelve bars
    assert (axis["field"], axis["type"], axis["timeUnit"]) == (
        "order_month",
        "ordinal",
        "utcyearmonth",
    )


# -- categories -------------------------------------------------------------------------


def test_categories_are_bars_largest_first(draw: Draw) -> None:
    rows = [("ASIA", Decimal("3.1e9")), ("EUROPE", Decimal("4.2e9")), ("AFRICA", 1e9)]
    spec = draw([REGION, REVENUE], rows)
    assert spec is not None
    assert spec["mark"] == {"type": "bar"}
    assert fields(spec, "x") == {
        "field": "region",
        "type": "nominal",
        "title": "Region",
        "sort": {"field": "net_revenue", "op": "sum", "order": "descending"},
    }
    assert fields(spec, "y")["field"] == "net_revenue"


def test_numbered_categories_keep_their_order(draw: Draw) -> None:
    priority = ChartColumn("priority", "dimension", "Priority")
    spec = draw([priority, ORDERS], [(3, 10), (1, 30), (2, 20)])
    assert spec is not None
    assert fields(spec, "x")["type"] == "ordinal"
    assert fields(spec, "x")["sort"] == "ascending"


def test_a_numbered_dimension_uses_its_number_format(draw: Draw) -> None:
    fmt = Format(type="number", hide_group_separator=True)
    year = ChartColumn("year", "dimension", "Year", format=fmt)
    spec = draw([year, ORDERS], [(1995, 10), (1996, 30)])
    assert spec is not None
    assert fields(spec, "x")["axis"] == {"format": ".2~f"}  # "1995", not "1,995"


def test_long_labels_turn_bars_horizontal(draw: Draw) -> None:
    rows = [("Manufacturer#1 Brand#13", 5), ("Manufacturer#2", 3)]
    spec = draw([REGION, ORDERS], rows)
    assert spec is not None
    assert fields(spec, "y")["field"] == "region"
    assert fields(spec, "x")["field"] == "orders"


def test_more_than_ten_bars_turn_horizontal(draw: Draw) -> None:
    rows = [(f"N{i}", i) for i in range(11)]
    spec = draw([REGION, ORDERS], rows)
    assert spec is not None
    assert fields(spec, "y")["field"] == "region"
    spec = draw([REGION, ORDERS], rows[:10])
    assert spec is not None
    assert fields(spec, "x")["field"] == "region"


def test_twenty_bars_at_most(draw: Draw) -> None:
    rows = [(f"N{i}", i) for i in range(21)]
    assert draw([REGION, ORDERS], rows[:20]) is not None
    assert draw([REGION, ORDERS], rows) is None


def test_asking_for_bars_lifts_the_limit(draw: Draw) -> None:
    rows = [(f"N{i}", i) for i in range(25)]
    spec = draw([REGION, ORDERS], rows, prefer="bar")
    assert spec is not None
    assert spec["mark"]["type"] == "bar"


def test_asking_for_a_line_over_categories_keeps_row_order(draw: Draw) -> None:
    rows = [("EUROPE", 4), ("ASIA", 9), ("AFRICA", 1)]
    spec = draw([REGION, ORDERS], rows, prefer="line")
    assert spec is not None
    assert spec["mark"]["type"] == "line"
    assert fields(spec, "x") == {
        "field": "region",
        "type": "ordinal",
        "title": "Region",
        "sort": None,
    }
    assert [r["region"] for r in spec["data"]["values"]] == ["EUROPE", "ASIA", "AFRICA"]


def test_several_measures_are_grouped_bars(draw: Draw) -> None:
    rows = [("ASIA", 3e9, 4e9), ("EUROPE", 4e9, 5e9)]
    spec = draw([REGION, REVENUE, GROSS], rows)
    assert spec is not None
    assert spec["mark"]["type"] == "bar"
    assert fields(spec, "xOffset") == {"field": "__series", "type": "nominal"}
    assert fields(spec, "color")["field"] == "__series"
    assert fields(spec, "x")["sort"]["field"] == "net_revenue"


def test_share_of_total_is_a_percent_axis(draw: Draw) -> None:
    spec = draw([REGION, SHARE], [("ASIA", 0.3), ("EUROPE", 0.7)])
    assert spec is not None
    assert spec["mark"]["type"] == "bar"
    assert fields(spec, "y")["axis"] == {"format": ".1~%"}
    assert fields(spec, "tooltip")[-1]["format"] == ".1%"


def test_growth_tooltips_carry_a_sign(draw: Draw) -> None:
    spec = draw([REGION, GROWTH], [("ASIA", 0.028), ("EUROPE", -0.019)])
    assert spec is not None
    assert fields(spec, "tooltip")[-1]["format"] == "+.1%"


def test_bytes_are_labelled_with_their_unit(draw: Draw) -> None:
    spilled = ChartColumn("spilled", "metric", "Spilled to disk", format=Format(type="byte"))
    spec = draw([REGION, spilled], [("a", 1.5e9), ("b", 2e9)])
    assert spec is not None
    assert fields(spec, "y")["axis"] == {"format": ".3~s", "labelExpr": "datum.label + 'B'"}
    assert fields(spec, "y")["title"] == "Spilled to disk (bytes)"


def test_other_currencies_are_named_in_the_title(draw: Draw) -> None:
    euros = ChartColumn(
        "sales", "metric", "Sales", format=Format(type="currency", currency_code="EUR")
    )
    spec = draw([REGION, euros], [("a", 1.5e6), ("b", 2e6)])
    assert spec is not None
    assert fields(spec, "y")["title"] == "Sales (EUR)"
    assert not fields(spec, "y")["axis"]["format"].startswith("$")


# -- two categories ---------------------------------------------------------------------


def test_two_categories_are_grouped_bars_coloured_by_the_smaller(draw: Draw) -> None:
    rows = [(s, r, 1.0) for r in REGIONS for s in ["AUTOMOBILE", "BUILDING"]]
    spec = draw([SEGMENT, REGION, ORDERS], rows)
    assert spec is not None
    assert spec["mark"]["type"] == "bar"
    assert fields(spec, "x")["field"] == "region"
    assert fields(spec, "color")["field"] == "segment"
    assert fields(spec, "xOffset") == {"field": "segment", "type": "nominal"}


def test_too_many_groups_are_a_table(draw: Draw) -> None:
    rows = [(f"S{s}", f"R{r}", 1.0) for r in range(7) for s in range(7)]
    assert draw([SEGMENT, REGION, ORDERS], rows) is None


def test_two_categories_with_several_measures_are_a_table(draw: Draw) -> None:
    rows = [("A", "X", 1, 2), ("B", "Y", 3, 4)]
    assert draw([SEGMENT, REGION, ORDERS, REVENUE], rows) is None


def test_two_time_dimensions_are_a_table(draw: Draw) -> None:
    year = ChartColumn("year", "dimension", "Year", time_grain="year", is_time=True)
    assert (
        draw([year, MONTH, ORDERS], [(MONTHS[0], MONTHS[0], 1), (MONTHS[1], MONTHS[1], 2)]) is None
    )


# -- no chart ---------------------------------------------------------------------------


def test_a_single_value_has_no_chart(draw: Draw) -> None:
    assert draw([REVENUE], [(Decimal("3172345678.12"),)]) is None


def test_a_single_row_has_no_chart(draw: Draw) -> None:
    assert draw([REGION, REVENUE], [("ASIA", 1.0)]) is None


def test_no_rows_have_no_chart(draw: Draw) -> None:
    assert draw([REGION, REVENUE], []) is None


def test_measures_without_a_dimension_have_no_chart(draw: Draw) -> None:
    assert draw([REVENUE, GROSS], [(1, 2), (3, 4)]) is None


def test_no_measure_has_no_chart(draw: Draw) -> None:
    assert draw([REGION], [("ASIA",), ("EUROPE",)]) is None


def test_three_dimensions_have_no_chart(draw: Draw) -> None:
    rows = [(MONTHS[0], "A", "X", 1), (MONTHS[1], "B", "Y", 2)]
    assert draw([MONTH, REGION, SEGMENT, ORDERS], rows) is None


def test_asking_for_a_table_has_no_chart(draw: Draw) -> None:
    assert draw([MONTH, REVENUE], monthly(REVENUE), prefer="table") is None


def test_measures_with_no_values_have_no_chart(draw: Draw) -> None:
    assert draw([REGION, ORDERS], [("ASIA", None), ("EUROPE", float("nan"))]) is None


def test_rows_that_do_not_match_the_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="2 values"):
        chart_for([REGION, ORDERS], [("ASIA", 1), ("EUROPE",)], title="Answer")


# -- data and tooltips ------------------------------------------------------------------


def test_data_is_strict_json(draw: Draw) -> None:
    rows = [("ASIA", Decimal("1.5")), ("EUROPE", float("nan")), (None, float("inf"))]
    spec = draw([REGION, ORDERS], rows)
    assert spec is not None
    assert spec["data"]["values"] == [
        {"region": "ASIA", "orders": 1.5},
        {"region": "EUROPE", "orders": None},
        {"region": None, "orders": None},
    ]


def test_dotted_column_names_are_escaped(draw: Draw) -> None:
    dotted = ChartColumn("sum(o.total)", "metric", "Total")
    spec = draw([REGION, dotted], [("ASIA", 1), ("EUROPE", 2)])
    assert spec is not None
    assert fields(spec, "y")["field"] == "sum(o\\.total)"
    assert spec["data"]["values"][0] == {"region": "ASIA", "sum(o.total)": 1}


def test_tooltips_show_every_column_formatted_in_full(draw: Draw) -> None:
    spec = draw([MONTH, REVENUE], monthly(REVENUE))
    assert spec is not None
    assert fields(spec, "tooltip") == [
        {
            "field": "order_month",
            "type": "temporal",
            "timeUnit": "utcyearmonth",
            "title": "Order month",
            "format": "%b %Y",
        },
        {
            "field": "net_revenue",
            "type": "quantitative",
            "title": "Net revenue",
            "format": "$,.2f",
        },
    ]


def test_a_plain_measure_tooltip_has_a_number_format(draw: Draw) -> None:
    spec = draw([REGION, ORDERS], [("ASIA", 1234.5), ("EUROPE", 2)])
    assert spec is not None
    assert fields(spec, "tooltip")[-1]["format"] == ",.2~f"
