"""Values in words, the way a measure's ``format`` block asks for them.

The assistant says a number in a sentence ("Net revenue was $3.17B") and shows it again in
a table and a chart; all three must agree with the semantic model, so every rule lives here
and is written with babel (locale ``en_US``) rather than hand-rolled arithmetic.

Sentence form (``compact=True``, the default):

- ``None`` and NaN read "no value": an empty answer is said out loud, never shown as "0".
- Numbers and currency below 100,000 are written in full ("15,000", "$12.50", "$45,123.67");
  from 100,000 up they are abbreviated ("$845.2K", "1.23M", "$3.17B") with two decimals
  when the abbreviated figure is below 10 and one above, so about three significant digits
  survive either way. A model's ``abbreviation: compact`` abbreviates from 1,000 and its
  ``decimal_places`` then set the abbreviated decimals; ``abbreviation: none`` never
  abbreviates; ``scientific`` writes numbers as "1.23E6".
- Percentages: the stored value is a fraction (0.2017 reads "20.2%", one decimal unless
  the model says otherwise).
- Bytes use SI units, 1,000 apart, as storage vendors and Databricks bill them ("1.5 GB").
- Dates are ISO ("1995-03-01") unless ``date_format`` names another Databricks style;
  times are on the 24-hour clock ("1995-03-01 14:00"), the wall-clock time of the value,
  with no zone conversion.
- Booleans read "yes"/"no"; strings come back unchanged.
- Halves round up (2.345 -> "2.35"), as people round by hand, not to even.

Full form (``compact=False``, for table cells) never abbreviates and honours
``decimal_places``: "$3,172,345,678.12".

``vega_format`` gives the matching d3-format / d3-time-format strings for Vega-Lite, and
``format_fraction`` writes the fractions that calculations return (share of total,
growth).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal, assert_never

from babel.dates import format_date
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
    format_scientific,
    get_currency_precision,
)
from babel.units import format_unit

from lakechat.semantic.model import DecimalPlaces, Format

LOCALE = "en_US"
#: What a missing value reads as, in sentences and table cells alike.
NO_VALUE = "no value"
#: Below this, sentences keep every digit: "15,000" is easier to read than "15K".
COMPACT_FROM = Decimal(100_000)
#: A model that asks for ``abbreviation: compact`` gets it from here on.
MODEL_COMPACT_FROM = Decimal(1_000)
#: Currency the model left without a ``currency_code`` (the Databricks default).
DEFAULT_CURRENCY = "USD"

_DEFAULT_NUMBER_PLACES = DecimalPlaces(type="max", places=2)
_DEFAULT_PERCENT_PLACES = DecimalPlaces(type="exact", places=1)
_BYTE_UNITS = ("kilobyte", "megabyte", "gigabyte", "terabyte", "petabyte")
#: babel's compact patterns stop at trillions ("1200T" beyond).
_LARGEST_COMPACT_EXPONENT = 12


def format_value(value: Any, fmt: Format | None, *, compact: bool = True) -> str:
    """``value`` as a person reads it: compact for sentences, full for table cells.

    The value's own type wins over a mismatched format (a date with a number format is
    still written as a date); anything unrecognised is written with ``str``.
    """
    if _is_missing(value):
        return NO_VALUE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return _datetime(value, fmt)
    if isinstance(value, dt.date):
        return _date(value, fmt.date_format if fmt else None)
    if isinstance(value, int | float | Decimal):
        with localcontext(rounding=ROUND_HALF_UP):  # babel rounds with the context's mode
            return _numeric(_decimal(value), fmt, compact=compact)
    return str(value)


def format_fraction(value: float | Decimal | None, *, signed: bool = False) -> str:
    """A fraction from a calculation as a percentage with one decimal: 0.2017 -> "20.2%".

    ``signed=True`` is for growth, where the direction is the news: "+2.8%", "-1.9%".
    Shares stay unsigned. A value that rounds to zero reads "0.0%" either way, so a flat
    period never shows as "+0.0%" or "-0.0%".
    """
    if _is_missing(value):
        return NO_VALUE
    assert value is not None  # _is_missing ruled it out; narrows the type for mypy
    number = _round(_decimal(value), 3)
    if number.is_zero():
        return format_percent(Decimal(0), format="0.0%", locale=LOCALE)
    pattern = "+#,##0.0%;-#,##0.0%" if signed else "#,##0.0%"
    return format_percent(number, format=pattern, locale=LOCALE)


def vega_format(fmt: Format | None, *, compact: bool = True) -> dict[str, str]:
    """The Vega-Lite ``format`` for a field with this model format ({} when none applies).

    ``compact=True`` suits axis labels (SI-abbreviated: d3 writes billions as "G", which a
    chart may relabel); ``compact=False`` suits tooltips, matching ``format_value``'s full
    form. Date formats are d3 time formats and apply to temporal fields. Only USD gets a
    "$": d3's default locale knows no other symbol, so other currencies show bare numbers
    and the chart names the currency in its title.
    """
    if fmt is None:
        return {}
    group = "" if fmt.hide_group_separator else ","
    match fmt.type:
        case "number":
            if compact and fmt.abbreviation == "scientific":
                return {"format": ".3~e"}
            if compact and fmt.abbreviation != "none":
                return {"format": ".3~s"}
            places = fmt.decimal_places or _DEFAULT_NUMBER_PLACES
            return {"format": group + _d3_places(places, "f", default=2)}
        case "currency":
            symbol = "$" if (fmt.currency_code or DEFAULT_CURRENCY) == "USD" else ""
            if compact and fmt.abbreviation != "none":
                return {"format": symbol + ".3~s"}
            return {"format": symbol + group + _d3_places(_currency_places(fmt), "f", default=2)}
        case "percentage":
            places = fmt.decimal_places or _DEFAULT_PERCENT_PLACES
            if compact and places.type == "exact":
                places = DecimalPlaces(type="max", places=places.places)  # "20%", not "20.0%"
            return {"format": group + _d3_places(places, "%", default=1)}
        case "byte":
            return {"format": ".3~s" if compact else ",.0f"}
        case "date":
            return {"format": _d3_date(fmt.date_format) or "%Y-%m-%d"}
        case "date_time":
            parts = [_d3_date(fmt.date_format), _d3_time(fmt.time_format)]
            return {"format": " ".join(p for p in parts if p) or "%Y-%m-%d %H:%M"}
        case _:
            assert_never(fmt.type)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_nan()
    return False


def _decimal(value: int | float | Decimal) -> Decimal:
    # str() first: Decimal(0.1) would keep the binary float's 55 stray digits
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _numeric(number: Decimal, fmt: Format | None, *, compact: bool) -> str:
    kind = fmt.type if fmt else "number"
    match kind:
        case "number" | "date" | "date_time":  # a number with a date format stays a number
            return _number(number, fmt, compact=compact)
        case "currency":
            assert fmt is not None
            return _currency(number, fmt, compact=compact)
        case "percentage":
            assert fmt is not None
            return _percentage(number, fmt)
        case "byte":
            assert fmt is not None
            return _bytes(number, fmt, compact=compact)
        case _:
            assert_never(kind)


def _number(number: Decimal, fmt: Format | None, *, compact: bool) -> str:
    abbreviation = fmt.abbreviation if fmt else None
    places = fmt.decimal_places if fmt else None
    group = not (fmt and fmt.hide_group_separator)
    if not number.is_finite():
        return format_decimal(number, locale=LOCALE)
    if compact and abbreviation == "scientific":
        return format_scientific(number, format="0.##E0", locale=LOCALE)
    if _abbreviates(number, abbreviation, compact=compact):
        rounded, digits = _compact_parts(number, _compact_places(fmt))
        return format_compact_decimal(rounded, fraction_digits=digits, locale=LOCALE)
    places = places or _DEFAULT_NUMBER_PLACES
    return format_decimal(
        number,
        format="#,##0" + _pattern_fraction(places),
        decimal_quantization=places.type != "all",
        group_separator=group,
        locale=LOCALE,
    )


def _currency(number: Decimal, fmt: Format, *, compact: bool) -> str:
    code = fmt.currency_code or DEFAULT_CURRENCY
    if number.is_finite() and _abbreviates(number, fmt.abbreviation, compact=compact):
        rounded, digits = _compact_parts(number, _compact_places(fmt))
        return format_compact_currency(rounded, code, fraction_digits=digits, locale=LOCALE)
    places = _currency_places(fmt)
    return format_currency(
        number,
        code,
        format="¤#,##0" + _pattern_fraction(places),
        currency_digits=False,
        decimal_quantization=places.type != "all",
        group_separator=not fmt.hide_group_separator,
        locale=LOCALE,
    )


def _percentage(number: Decimal, fmt: Format) -> str:
    places = fmt.decimal_places or _DEFAULT_PERCENT_PLACES
    return format_percent(
        number,
        format="#,##0" + _pattern_fraction(places, default=1) + "%",
        decimal_quantization=places.type != "all",
        group_separator=not fmt.hide_group_separator,
        locale=LOCALE,
    )


def _bytes(number: Decimal, fmt: Format, *, compact: bool) -> str:
    places = fmt.decimal_places or DecimalPlaces(type="max", places=1 if compact else 2)
    if places.type == "all":  # units are rounded by nature; three decimals keep bytes exact
        places = DecimalPlaces(type="max", places=3)
    pattern = "#,##0" + _pattern_fraction(places, default=1)
    if not number.is_finite() or abs(number) < 1000:
        # long: CLDR's short English form is the odd "512 byte"
        return format_unit(number, "digital-byte", length="long", format=pattern, locale=LOCALE)
    digits = 1 if places.places is None else places.places
    exponent = 3
    for unit in _BYTE_UNITS:
        scaled = abs(number).scaleb(-exponent)
        if _round(scaled, digits) < 1000 or unit == _BYTE_UNITS[-1]:
            break  # 999,999 bytes is "1 MB", not "1,000 kB"
        exponent += 3
    return format_unit(
        scaled.copy_sign(number), f"digital-{unit}", length="short", format=pattern, locale=LOCALE
    )


def _abbreviates(
    number: Decimal, abbreviation: Literal["none", "compact", "scientific"] | None, *, compact: bool
) -> bool:
    if not compact or abbreviation == "none":
        return False
    threshold = MODEL_COMPACT_FROM if abbreviation == "compact" else COMPACT_FROM
    return abs(number) >= threshold


def _compact_places(fmt: Format | None) -> int | None:
    """The model's decimals for an abbreviated figure, when it asked for abbreviation."""
    if fmt is None or fmt.abbreviation != "compact" or fmt.decimal_places is None:
        return None
    return fmt.decimal_places.places


def _compact_parts(number: Decimal, places: int | None) -> tuple[Decimal, int]:
    """``number`` rounded the way it will be abbreviated, and the decimals to show.

    Rounding here rather than in babel moves 999,999 up to "1M": babel rounds after
    choosing the unit and writes "1000K".
    """
    exponent = min(number.adjusted() // 3 * 3, _LARGEST_COMPACT_EXPONENT)
    for _ in range(2):
        scaled = abs(number).scaleb(-exponent)
        digits = places if places is not None else (2 if scaled < 10 else 1)
        rounded = _round(scaled, digits)
        if rounded < 1000 or exponent >= _LARGEST_COMPACT_EXPONENT:
            break
        exponent += 3
    return rounded.scaleb(exponent).copy_sign(number), digits


def _round(number: Decimal, digits: int) -> Decimal:
    return number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _pattern_fraction(places: DecimalPlaces, *, default: int = 2) -> str:
    """The fraction part of a CLDR number pattern: exact pads with zeros, max trims them."""
    count = default if places.places is None else places.places
    match places.type:
        case "exact":
            return "." + "0" * count if count else ""
        case "max":
            return "." + "#" * count if count else ""
        case "all":
            return ""  # with decimal_quantization off, babel keeps every digit
        case _:
            assert_never(places.type)


def _currency_places(fmt: Format) -> DecimalPlaces:
    """The model's decimals, else the currency's own minor units ($12.50, ¥1,234)."""
    places = fmt.decimal_places
    if places is not None and (places.places is not None or places.type == "all"):
        return places
    digits = get_currency_precision(fmt.currency_code or DEFAULT_CURRENCY)
    return DecimalPlaces(type=places.type if places else "exact", places=digits)


def _d3_places(places: DecimalPlaces, kind: Literal["f", "%"], *, default: int) -> str:
    """A d3-format precision and type: exact pads with zeros, max trims them (``~``)."""
    count = default if places.places is None else places.places
    match places.type:
        case "exact":
            return f".{count}{kind}"
        case "max":
            return f".{count}~{kind}"
        case "all":
            return "~%" if kind == "%" else ".12~g"  # d3's own "every digit" precision
        case _:
            assert_never(places.type)


#: Databricks ``date_format`` names -> (babel pattern or None for ISO, d3 time format)
_DATE_STYLES: dict[str, tuple[str | None, str]] = {
    "year_month_day": (None, "%Y-%m-%d"),
    "locale_short_month": ("medium", "%b %-d, %Y"),
    "locale_long_month": ("long", "%B %-d, %Y"),
    "locale_number_month": ("M/d/yyyy", "%-m/%-d/%Y"),
    "year_week": ("week", "%G-W%V"),
}
#: Databricks ``time_format`` names -> (strftime, d3 time format); 24-hour in both
_TIME_STYLES: dict[str, tuple[str, str]] = {
    "locale_hour_minute": ("%H:%M", "%H:%M"),
    "locale_hour_minute_second": ("%H:%M:%S", "%H:%M:%S"),
}


def _date(value: dt.date, date_format: str | None) -> str:
    style = _DATE_STYLES.get(date_format or "year_month_day", (None, ""))[0]
    if style is None:
        return value.isoformat()
    if style == "week":
        year, week, _ = value.isocalendar()
        return f"{year}-W{week:02d}"
    return format_date(value, style, locale=LOCALE)


def _datetime(value: dt.datetime, fmt: Format | None) -> str:
    if fmt is not None and fmt.type == "date":
        return _date(value.date(), fmt.date_format)
    date_format = fmt.date_format if fmt else None
    time_format = fmt.time_format if fmt else None
    parts = []
    if date_format != "no_date":
        parts.append(_date(value.date(), date_format))
    if time_format != "no_time":
        parts.append(value.strftime(_TIME_STYLES.get(time_format or "", ("%H:%M", ""))[0]))
    # a format that hides both would print nothing; a date and time beats a blank cell
    return " ".join(parts) or value.strftime("%Y-%m-%d %H:%M")


def _d3_date(date_format: str | None) -> str:
    if date_format == "no_date":
        return ""
    return _DATE_STYLES.get(date_format or "year_month_day", (None, "%Y-%m-%d"))[1]


def _d3_time(time_format: str | None) -> str:
    if time_format == "no_time":
        return ""
    return _TIME_STYLES.get(time_format or "", ("", "%H:%M"))[1]
