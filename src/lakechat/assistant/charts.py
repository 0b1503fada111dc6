"""The chart for an answer, chosen from the result's shape, as a Vega-Lite spec.

The spec is plain JSON (no code is generated or run): the rows travel inline as records
keyed by column name, and the browser renders them with vega-embed. The choice:

- a time dimension -> a line over time (one line per measure, or one per category when a
  second dimension has at most ``MAX_SERIES`` values);
- one category dimension with at most ``MAX_BARS`` values -> bars sorted by the first
  measure, largest first (numbers and dates keep their own order); horizontal when a label
  is longer than ``LONG_LABEL`` characters or there are more than ``MAX_VERTICAL_BARS``
  (bars over time, when asked for, stay vertical);
- two category dimensions -> grouped bars, the dimension with fewer values as colour, when
  that one has at most ``MAX_GROUPS`` values and the other at most ``MAX_BARS``;
- anything else (one value, no measure, no dimension, three dimensions, too many
  categories, several measures beside two dimensions) -> no chart: the table says it better.

Several measures share one axis, folded into a colour legend, when they are in the same
unit; measures in different units (dollars beside a percentage) get one panel each,
stacked, so no axis mixes units. ``prefer`` is what the user asked for: "table" turns the
chart off, "bar" lifts the category limit, "line" draws a line over categories in the
order the rows came.

Temporal values are written as UTC instants of their wall-clock time and read back with
UTC time units, so a browser in any time zone shows the dates and hours the table shows.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from lakechat.assistant.formatting import DEFAULT_CURRENCY, vega_format
from lakechat.semantic.model import Format

#: The Vega-Lite release whose schema the tests validate against (altair's bundled copy).
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
MAX_BARS = 20
MAX_VERTICAL_BARS = 10
MAX_SERIES = 12
MAX_GROUPS = 6
MAX_DOTS = 60
LONG_LABEL = 12
#: Axes abbreviate ("$3.2B") once values reach this; smaller ones are written in full.
AXIS_COMPACT_FROM = 1000

Prefer = Literal["line", "bar", "table"]

#: grain -> (Vega-Lite UTC time unit, d3 time format for that grain)
_GRAINS: dict[str, tuple[str, str]] = {
    "hour": ("utcyearmonthdatehours", "%Y-%m-%d %H:00"),
    # weeks arrive already truncated to their first day; Vega's own weeks start on Sunday
    "week": ("utcyearmonthdate", "%Y-%m-%d"),
    "day": ("utcyearmonthdate", "%Y-%m-%d"),
    "month": ("utcyearmonth", "%b %Y"),
    "quarter": ("utcyearquarter", "Q%q %Y"),
    "year": ("utcyear", "%Y"),
}
#: calculations whose values are fractions -> (tooltip format, axis format)
_FRACTIONS = {"share_of_total": (".1%", ".1~%"), "growth": ("+.1%", ".1~%")}  # no "+0%" tick
# the d3 SI prefixes people do not say: G(iga) for billions, lowercase k
_SI_RELABEL = "replace(replace(datum.label, 'G', 'B'), 'k', 'K')"
_SERIES, _KEY, _VALUE = "__series", "__measure", "__value"


@dataclass(frozen=True)
class ChartColumn:
    """One result column as the chart sees it."""

    name: str
    role: Literal["dimension", "metric"]
    #: the display name for axis titles ("Net revenue")
    title: str
    #: hour/day/week/month/quarter/year when a time dimension is bucketed
    time_grain: str | None = None
    #: a date or date_time dimension, bucketed or not
    is_time: bool = False
    format: Format | None = None
    #: share_of_total | previous_period | growth; shares and growth are fractions
    calculation: str | None = None


def chart_for(
    columns: Sequence[ChartColumn],
    rows: Sequence[Sequence[Any]],
    *,
    title: str,
    prefer: Prefer | None = None,
) -> dict[str, Any] | None:
    """A Vega-Lite spec for these rows, or None when a table (or the sentence) is better.

    ``rows`` hold one value per column, in ``columns`` order; the spec is
    ``json.dumps``-able (Decimals become floats, dates ISO strings, NaN null).
    """
    if any(len(row) != len(columns) for row in rows):
        raise ValueError(f"every row needs {len(columns)} values, one per column")
    metrics = [c for c in columns if c.role == "metric"]
    dims = [c for c in columns if c.role == "dimension"]
    if prefer == "table" or len(rows) < 2 or not metrics or not dims or len(dims) > 2:
        return None
    records = [
        {c.name: _json_value(v, time=_is_time(c)) for c, v in zip(columns, row, strict=True)}
        for row in rows
    ]
    if all(r[m.name] is None for r in records for m in metrics):
        return None
    chart = _Chart(records, metrics)
    if len(dims) == 1:
        body = _one_dimension(chart, dims[0], prefer)
    else:
        body = _two_dimensions(chart, dims[0], dims[1], prefer)
    if body is None:
        return None
    return {"$schema": VEGA_LITE_SCHEMA, "title": title, "data": {"values": records}, **body}


@dataclass(frozen=True)
class _Chart:
    records: list[dict[str, Any]]
    metrics: list[ChartColumn]

    def values(self, column: ChartColumn) -> list[Any]:
        return [r[column.name] for r in self.records]

    def distinct(self, column: ChartColumn) -> int:
        return len(set(self.values(column)))

    def time_unit(self, dim: ChartColumn) -> tuple[str, str]:
        """The UTC time unit and label format: by grain, else by format, else by value."""
        if dim.time_grain in _GRAINS:
            return _GRAINS[dim.time_grain]
        fmt = dim.format
        if fmt is None or fmt.type not in ("date", "date_time"):
            # ISO dates are the 10-character strings; datetimes carry a time part
            is_date = all(isinstance(v, str) and len(v) == 10 for v in self.values(dim))
            fmt = Format(type="date" if is_date else "date_time")
        unit = "utcyearmonthdate" if fmt.type == "date" else "utcyearmonthdatehoursminutes"
        return unit, vega_format(fmt)["format"]


def _one_dimension(chart: _Chart, dim: ChartColumn, prefer: Prefer | None) -> dict[str, Any] | None:
    if prefer == "line" or (_is_time(dim) and prefer != "bar"):
        return _per_unit(chart, lambda metrics: _line(chart, dim, metrics))
    if chart.distinct(dim) > MAX_BARS and prefer != "bar":
        return None
    return _per_unit(chart, lambda metrics: _bars(chart, dim, metrics, group=None))


def _two_dimensions(
    chart: _Chart, first: ChartColumn, second: ChartColumn, prefer: Prefer | None
) -> dict[str, Any] | None:
    if len(chart.metrics) > 1 or (_is_time(first) and _is_time(second)):
        return None
    if _is_time(second) and not _is_time(first):
        first, second = second, first  # time goes along the x axis
    elif not _is_time(first) and chart.distinct(second) > chart.distinct(first):
        first, second = second, first  # the dimension with fewer values is the colour
    if prefer == "line" or (_is_time(first) and prefer != "bar"):
        if chart.distinct(second) > MAX_SERIES:
            return None
        return _line(chart, first, chart.metrics, series=second)
    if chart.distinct(second) > MAX_GROUPS:
        return None
    if chart.distinct(first) > MAX_BARS and prefer != "bar":
        return None
    return _bars(chart, first, chart.metrics, group=second)


def _per_unit(
    chart: _Chart, panel: Callable[[list[ChartColumn]], dict[str, Any]]
) -> dict[str, Any]:
    """One panel for measures that share a unit; stacked panels when the units differ."""
    units: dict[tuple[str, str | None], list[ChartColumn]] = {}
    for metric in chart.metrics:
        units.setdefault(_unit(metric), []).append(metric)
    panels: list[dict[str, Any]] = [panel(group) for group in units.values()]
    return panels[0] if len(panels) == 1 else {"vconcat": panels}


def _line(
    chart: _Chart,
    dim: ChartColumn,
    metrics: list[ChartColumn],
    *,
    series: ChartColumn | None = None,
) -> dict[str, Any]:
    if _is_time(dim):
        x = _time_axis(chart, dim, "temporal")
    else:  # a line over categories keeps the order the rows came in
        x = _category_axis(dim, chart, sort=None)
    encoding: dict[str, Any] = {"x": x}
    tooltip = [_tooltip_dimension(chart, dim)]
    if series is not None:
        encoding["color"] = {"field": _field(series.name), "type": "nominal", "title": series.title}
        tooltip.append(_tooltip_dimension(chart, series))
    spec = _measures(chart, metrics, encoding, tooltip, value_channel="y")
    # dots carry the tooltips, but a dot per day for a year is noise
    spec["mark"] = {"type": "line", "point": chart.distinct(dim) <= MAX_DOTS}
    return spec


def _bars(
    chart: _Chart, dim: ChartColumn, metrics: list[ChartColumn], *, group: ChartColumn | None
) -> dict[str, Any]:
    labels = [str(v) for v in chart.values(dim)]
    # time always runs left to right; names read best level, so many or long ones go down
    horizontal = not _is_time(dim) and (
        max(len(label) for label in labels) > LONG_LABEL or chart.distinct(dim) > MAX_VERTICAL_BARS
    )
    category, value = ("y", "x") if horizontal else ("x", "y")
    if _is_time(dim):
        axis = _time_axis(chart, dim, "ordinal")
    elif _is_ordered(chart.values(dim)):
        axis = _category_axis(dim, chart, sort="ascending")
    else:  # largest first, by the first measure (summed over groups)
        order = {"field": _field(chart.metrics[0].name), "op": "sum", "order": "descending"}
        axis = _category_axis(dim, chart, sort=order)
    encoding: dict[str, Any] = {category: axis}
    tooltip = [_tooltip_dimension(chart, dim)]
    if group is not None:
        encoding["color"] = {"field": _field(group.name), "type": "nominal", "title": group.title}
        encoding[f"{category}Offset"] = {"field": _field(group.name), "type": "nominal"}
        tooltip.append(_tooltip_dimension(chart, group))
    spec = _measures(chart, metrics, encoding, tooltip, value_channel=value)
    if len(metrics) > 1:  # side by side per measure, like groups
        encoding[f"{category}Offset"] = {"field": _SERIES, "type": "nominal"}
    spec["mark"] = {"type": "bar"}
    return spec


def _measures(
    chart: _Chart,
    metrics: list[ChartColumn],
    encoding: dict[str, Any],
    tooltip: list[dict[str, Any]],
    *,
    value_channel: str,
) -> dict[str, Any]:
    """The value axis for measures of one unit; several are folded into a legend."""
    spec: dict[str, Any] = {"encoding": encoding}
    values = [v for m in metrics for v in chart.values(m)]
    axis = _value_axis(metrics[0], values)
    if len(metrics) == 1:
        (metric,) = metrics
        encoding[value_channel] = {
            "field": _field(metric.name),
            "type": "quantitative",
            "title": _axis_title(metric),
            "axis": axis,
        }
        encoding["tooltip"] = [*tooltip, _tooltip_metric(metric, metric.name)]
        return spec
    titles = [m.title for m in metrics]
    spec["transform"] = [
        {"fold": [_field(m.name) for m in metrics], "as": [_KEY, _VALUE]},
        {"calculate": _title_lookup(metrics), "as": _SERIES},
    ]
    encoding[value_channel] = {
        "field": _VALUE,
        "type": "quantitative",
        "title": _axis_title(metrics[0], ", ".join(titles)),
        "axis": axis,
    }
    encoding["color"] = {"field": _SERIES, "type": "nominal", "title": None, "sort": titles}
    encoding["tooltip"] = [
        *tooltip,
        {"field": _SERIES, "type": "nominal", "title": "Measure"},
        _tooltip_metric(metrics[0], _VALUE, title="Value"),
    ]
    return spec


def _time_axis(
    chart: _Chart, dim: ChartColumn, kind: Literal["temporal", "ordinal"]
) -> dict[str, Any]:
    unit, time_format = chart.time_unit(dim)
    return {
        "field": _field(dim.name),
        "type": kind,
        "timeUnit": unit,
        "title": dim.title,
        "axis": {"format": time_format},
    }


def _category_axis(dim: ChartColumn, chart: _Chart, *, sort: Any) -> dict[str, Any]:
    kind = "ordinal" if sort is None or _is_ordered(chart.values(dim)) else "nominal"
    encoding: dict[str, Any] = {
        "field": _field(dim.name),
        "type": kind,
        "title": dim.title,
        "sort": sort,
    }
    if dim.format is not None and dim.format.type not in ("date", "date_time"):
        encoding["axis"] = vega_format(dim.format, compact=False)
    return encoding


def _value_axis(metric: ChartColumn, values: list[Any]) -> dict[str, Any]:
    """Axis labels: abbreviated for large values, with the words people say for them."""
    if metric.calculation in _FRACTIONS:
        return {"format": _FRACTIONS[metric.calculation][1]}
    fmt = metric.format or Format(type="number")
    if fmt.type == "byte":
        return {"format": ".3~s", "labelExpr": "datum.label + 'B'"}
    numbers = [abs(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    compact = max(numbers, default=0) >= AXIS_COMPACT_FROM
    axis = dict(vega_format(fmt, compact=compact))
    if axis.get("format", "").endswith("s"):
        axis["labelExpr"] = _SI_RELABEL
    return axis


def _tooltip_dimension(chart: _Chart, dim: ChartColumn) -> dict[str, Any]:
    if _is_time(dim):
        unit, time_format = chart.time_unit(dim)
        return {
            "field": _field(dim.name),
            "type": "temporal",
            "timeUnit": unit,
            "title": dim.title,
            "format": time_format,
        }
    return {"field": _field(dim.name), "type": "nominal", "title": dim.title}


def _tooltip_metric(metric: ChartColumn, field: str, *, title: str | None = None) -> dict[str, Any]:
    tip: dict[str, Any] = {
        "field": _field(field),
        "type": "quantitative",
        "title": title or _axis_title(metric),
    }
    if metric.calculation in _FRACTIONS:
        tip["format"] = _FRACTIONS[metric.calculation][0]
    else:
        tip.update(vega_format(metric.format or Format(type="number"), compact=False))
    return tip


def _axis_title(metric: ChartColumn, title: str | None = None) -> str:
    """The title, naming what the labels leave out: a currency other than USD, or bytes."""
    text = title or metric.title
    fmt = metric.format
    if fmt is None or metric.calculation in _FRACTIONS:
        return text
    if fmt.type == "currency" and (fmt.currency_code or DEFAULT_CURRENCY) != "USD":
        return f"{text} ({fmt.currency_code})"
    if fmt.type == "byte":
        return f"{text} (bytes)"
    return text


def _unit(metric: ChartColumn) -> tuple[str, str | None]:
    """What a measure is counted in; measures in the same unit can share an axis."""
    if metric.calculation in _FRACTIONS:
        return ("percentage", None)
    fmt = metric.format
    if fmt is None:
        return ("number", None)
    if fmt.type == "currency":
        return ("currency", fmt.currency_code or DEFAULT_CURRENCY)
    return (fmt.type, None)


def _title_lookup(metrics: list[ChartColumn]) -> str:
    """A Vega expression from a folded measure's name to its display title."""
    expression = json.dumps(metrics[-1].title)
    for metric in reversed(metrics[:-1]):
        expression = (
            f"datum.{_KEY} === {json.dumps(metric.name)} ? {json.dumps(metric.title)} : "
            + expression
        )
    return expression


def _is_time(column: ChartColumn) -> bool:
    return column.is_time or column.time_grain is not None


def _is_ordered(values: list[Any]) -> bool:
    """Numbers (years, priorities, sizes) have an order of their own; names do not."""
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in present
    )


def _field(name: str) -> str:
    # Vega-Lite reads "a.b" as a nested field and "a[0]" as an index; result columns are flat
    return name.replace("\\", "\\\\").replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")


def _json_value(value: Any, *, time: bool) -> Any:
    """A cell as JSON. In time columns, datetimes become UTC instants of their wall time."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, dt.datetime):
        if time:
            wall = value.replace(tzinfo=None).isoformat(timespec="milliseconds")
            return wall + "Z"
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
