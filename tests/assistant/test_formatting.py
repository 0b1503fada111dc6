"""Values in words: what a user reads in the answer's sentence, table and chart labels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from lakechat.assistant.formatting import NO_VALUE, format_fraction, format_value, vega_format
from lakechat.semantic.model import DecimalPlaces, Format

USD = Format(
    type="currency", currency_code="USD", decimal_places=DecimalPlaces(type="exact", places=2)
)
NUMBER = Format(type="number")
PERCENT = Format(type="percentage")
BYTES = Format(type="byte")


def places(kind: str, count: int | None = None) -> DecimalPlaces:
    return DecimalPlaces.model_validate({"type": kind, "places": count})


# -- currency ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("3172345678.12"), "$3.17B"),
        (845_234, "$845.2K"),
        (Decimal("12.5"), "$12.50"),
        (12.5, "$12.50"),
        (45_123.67, "$45,123.67"),
        (-845_234, "-$845.2K"),
        (0, "$0.00"),
        (2_500_000_000_000, "$2.5T"),
    ],
)
def test_currency_in_sentences(value: Any, expected: str) -> None:
    assert format_value(value, USD) == expected


def test_currency_abbreviates_from_one_hundred_thousand() -> None:
    assert format_value(99_999, USD) == "$99,999.00"
    assert format_value(100_000, USD) == "$100K"


def test_a_figure_that_rounds_up_moves_to_the_next_unit() -> None:
    # babel alone writes "$1000K"
    assert format_value(999_999, USD) == "$1M"
    assert format_value(999_949_999, USD) == "$999.9M"
    assert format_value(999_950_000, USD) == "$1B"


def test_currency_full_form_keeps_every_cent() -> None:
    assert format_value(Decimal("3172345678.12"), USD, compact=False) == "$3,172,345,678.12"
    assert format_value(845_234, USD, compact=False) == "$845,234.00"


def test_currency_without_decimal_places_uses_the_currencys_minor_units() -> None:
    assert format_value(Decimal("1234.5"), Format(type="currency")) == "$1,234.50"
    yen = Format(type="currency", currency_code="JPY")
    assert format_value(Decimal("1234.4"), yen) == "¥1,234"


def test_currency_code_sets_the_symbol() -> None:
    euro = Format(type="currency", currency_code="EUR")
    assert format_value(3_170_000_000, euro) == "€3.17B"
    assert format_value(Decimal("12.5"), euro) == "€12.50"


def test_currency_max_places_trims_zeros() -> None:
    fmt = Format(type="currency", currency_code="USD", decimal_places=places("max", 2))
    assert format_value(Decimal("1234.5"), fmt) == "$1,234.5"
    assert format_value(1234, fmt) == "$1,234"


def test_currency_exact_zero_places() -> None:
    fmt = Format(type="currency", currency_code="USD", decimal_places=places("exact", 0))
    assert format_value(Decimal("1234.5"), fmt, compact=False) == "$1,235"


def test_currency_hidden_group_separator() -> None:
    fmt = USD.model_copy(update={"hide_group_separator": True})
    assert format_value(45_123.5, fmt) == "$45123.50"
    assert format_value(3_172_345_678, fmt, compact=False) == "$3172345678.00"


def test_currency_abbreviation_none_never_abbreviates() -> None:
    fmt = USD.model_copy(update={"abbreviation": "none"})
    assert format_value(3_172_345_678, fmt) == "$3,172,345,678.00"


def test_currency_abbreviation_compact_starts_at_one_thousand_with_model_decimals() -> None:
    fmt = Format(
        type="currency",
        currency_code="USD",
        abbreviation="compact",
        decimal_places=places("max", 1),
    )
    assert format_value(1_234, fmt) == "$1.2K"
    assert format_value(3_172_345_678, fmt) == "$3.2B"
    assert format_value(999, fmt) == "$999"


# -- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (15_000, "15,000"),
        (99_999, "99,999"),
        (100_000, "100K"),
        (1_234_567, "1.23M"),
        (1_200_000, "1.2M"),
        (12_345_678, "12.3M"),
        (Decimal("1234.567"), "1,234.57"),
        (0.1 + 0.2, "0.3"),
        (-42, "-42"),
    ],
)
def test_numbers_in_sentences(value: Any, expected: str) -> None:
    assert format_value(value, NUMBER) == expected


def test_no_format_reads_as_a_number() -> None:
    assert format_value(1_234_567, None) == "1.23M"
    assert format_value(15_000, None) == "15,000"


def test_number_full_form_keeps_every_digit() -> None:
    assert format_value(1_234_567, NUMBER, compact=False) == "1,234,567"


def test_number_exact_places_pad() -> None:
    fmt = Format(type="number", decimal_places=places("exact", 3))
    assert format_value(Decimal("2.5"), fmt) == "2.500"


def test_number_all_places_keeps_every_decimal() -> None:
    fmt = Format(type="number", decimal_places=places("all"))
    assert format_value(Decimal("1234.56789"), fmt) == "1,234.56789"


def test_number_hidden_group_separator_suits_years_and_ids() -> None:
    fmt = Format(type="number", hide_group_separator=True)
    assert format_value(1995, fmt) == "1995"


def test_number_abbreviation_compact_uses_model_places() -> None:
    fmt = Format(type="number", abbreviation="compact", decimal_places=places("max", 0))
    assert format_value(1_534, fmt) == "2K"
    assert format_value(15_000, fmt) == "15K"


def test_number_scientific() -> None:
    fmt = Format(type="number", abbreviation="scientific")
    assert format_value(1_234_567, fmt) == "1.23E6"
    assert format_value(1_234_567, fmt, compact=False) == "1,234,567"


def test_halves_round_up_as_people_round_by_hand() -> None:
    assert format_value(Decimal("0.125"), NUMBER) == "0.13"
    assert format_value(0.0125, PERCENT) == "1.3%"
    assert format_fraction(0.0125) == "1.3%"
    assert format_value(Decimal("2.345"), USD) == "$2.35"


def test_infinity_is_written_not_hidden() -> None:
    assert format_value(float("inf"), NUMBER) == "∞"


# -- percentages and fractions ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.2017, "20.2%"), (-0.019, "-1.9%"), (Decimal("1"), "100.0%"), (12.5, "1,250.0%")],
)
def test_percentage_values_are_fractions(value: Any, expected: str) -> None:
    assert format_value(value, PERCENT) == expected


def test_percentage_honours_decimal_places() -> None:
    fmt = Format(type="percentage", decimal_places=places("exact", 2))
    assert format_value(0.2017, fmt) == "20.17%"
    assert format_value(0.2, Format(type="percentage", decimal_places=places("max", 2))) == "20%"


def test_fraction_from_a_share() -> None:
    assert format_fraction(0.2017) == "20.2%"
    assert format_fraction(Decimal("-0.019")) == "-1.9%"


def test_growth_fraction_shows_its_direction() -> None:
    assert format_fraction(0.028, signed=True) == "+2.8%"
    assert format_fraction(-0.019, signed=True) == "-1.9%"


def test_a_fraction_rounding_to_zero_has_no_sign() -> None:
    assert format_fraction(-0.0004, signed=True) == "0.0%"
    assert format_fraction(0.0004, signed=True) == "0.0%"
    assert format_fraction(-0.0004) == "0.0%"


def test_missing_fraction() -> None:
    assert format_fraction(None) == NO_VALUE
    assert format_fraction(float("nan"), signed=True) == NO_VALUE


# -- bytes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_500_000_000, "1.5 GB"),
        (512, "512 bytes"),
        (1, "1 byte"),
        (1_000, "1 kB"),
        (999_999, "1 MB"),
        (2_345_000_000_000, "2.3 TB"),
        (1.5e20, "150,000 PB"),
    ],
)
def test_bytes_use_si_units(value: Any, expected: str) -> None:
    assert format_value(value, BYTES) == expected


def test_bytes_full_form_keeps_two_decimals() -> None:
    assert format_value(2_345_000_000_000, BYTES, compact=False) == "2.35 TB"


# -- dates ------------------------------------------------------------------------------


def test_dates_are_iso() -> None:
    assert format_value(dt.date(1995, 3, 1), Format(type="date")) == "1995-03-01"
    assert format_value(dt.date(1995, 3, 1), None) == "1995-03-01"


def test_date_times_show_hours_and_minutes_on_a_24_hour_clock() -> None:
    value = dt.datetime(1995, 3, 1, 14, 0, 5)
    assert format_value(value, Format(type="date_time")) == "1995-03-01 14:00"
    assert format_value(value, None) == "1995-03-01 14:00"


def test_date_time_shows_wall_clock_time_without_conversion() -> None:
    zone = dt.timezone(dt.timedelta(hours=-5))
    assert format_value(dt.datetime(1995, 3, 1, 23, 30, tzinfo=zone), None) == "1995-03-01 23:30"


def test_a_timestamp_with_a_date_format_shows_the_date() -> None:
    assert format_value(dt.datetime(1995, 3, 1, 14, 0), Format(type="date")) == "1995-03-01"


@pytest.mark.parametrize(
    ("date_format", "expected"),
    [
        ("year_month_day", "1995-03-01"),
        ("locale_short_month", "Mar 1, 1995"),
        ("locale_long_month", "March 1, 1995"),
        ("locale_number_month", "3/1/1995"),
        ("year_week", "1995-W09"),
        ("something_new", "1995-03-01"),
    ],
)
def test_databricks_date_formats(date_format: str, expected: str) -> None:
    fmt = Format(type="date", date_format=date_format)
    assert format_value(dt.date(1995, 3, 1), fmt) == expected


@pytest.mark.parametrize(
    ("time_format", "date_format", "expected"),
    [
        ("locale_hour_minute", None, "1995-03-01 14:05"),
        ("locale_hour_minute_second", None, "1995-03-01 14:05:09"),
        ("no_time", None, "1995-03-01"),
        ("locale_hour_minute", "no_date", "14:05"),
        ("no_time", "no_date", "1995-03-01 14:05"),
    ],
)
def test_databricks_time_formats(time_format: str, date_format: str | None, expected: str) -> None:
    fmt = Format(type="date_time", time_format=time_format, date_format=date_format)
    assert format_value(dt.datetime(1995, 3, 1, 14, 5, 9), fmt) == expected


# -- everything else --------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, float("nan"), Decimal("NaN")])
def test_missing_values_are_said_out_loud(value: Any) -> None:
    assert format_value(value, USD) == NO_VALUE
    assert format_value(value, None, compact=False) == NO_VALUE


def test_booleans_read_yes_and_no() -> None:
    assert format_value(True, None) == "yes"
    assert format_value(False, NUMBER) == "no"


def test_strings_come_back_unchanged() -> None:
    assert format_value("EUROPE", USD) == "EUROPE"
    assert format_value("1234567", NUMBER) == "1234567"


def test_a_number_with_a_date_format_stays_a_number() -> None:
    assert format_value(1995, Format(type="date")) == "1,995"


# -- Vega-Lite formats ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "compact", "expected"),
    [
        (None, True, {}),
        (USD, True, {"format": "$.3~s"}),
        (USD, False, {"format": "$,.2f"}),
        (Format(type="currency", currency_code="JPY"), False, {"format": ",.0f"}),
        (Format(type="currency", currency_code="EUR"), True, {"format": ".3~s"}),
        (NUMBER, True, {"format": ".3~s"}),
        (NUMBER, False, {"format": ",.2~f"}),
        (Format(type="number", hide_group_separator=True), False, {"format": ".2~f"}),
        (Format(type="number", abbreviation="none"), True, {"format": ",.2~f"}),
        (Format(type="number", abbreviation="scientific"), True, {"format": ".3~e"}),
        (Format(type="number", decimal_places=places("exact", 3)), False, {"format": ",.3f"}),
        (Format(type="number", decimal_places=places("all")), False, {"format": ",.12~g"}),
        (PERCENT, False, {"format": ",.1%"}),
        (PERCENT, True, {"format": ",.1~%"}),
        (Format(type="percentage", decimal_places=places("exact", 2)), False, {"format": ",.2%"}),
        (BYTES, True, {"format": ".3~s"}),
        (BYTES, False, {"format": ",.0f"}),
        (Format(type="date"), True, {"format": "%Y-%m-%d"}),
        (Format(type="date", date_format="locale_short_month"), True, {"format": "%b %-d, %Y"}),
        (Format(type="date", date_format="year_week"), True, {"format": "%G-W%V"}),
        (Format(type="date_time"), True, {"format": "%Y-%m-%d %H:%M"}),
        (
            Format(type="date_time", time_format="locale_hour_minute_second"),
            False,
            {"format": "%Y-%m-%d %H:%M:%S"},
        ),
        (Format(type="date_time", date_format="no_date"), True, {"format": "%H:%M"}),
    ],
)
def test_vega_format(fmt: Format | None, compact: bool, expected: dict[str, str]) -> None:
    assert vega_format(fmt, compact=compact) == expected


def test_vega_format_defaults_to_the_compact_axis_form() -> None:
    assert vega_format(USD) == vega_format(USD, compact=True)
