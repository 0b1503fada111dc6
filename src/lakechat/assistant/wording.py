"""The answer in words: the number with its format, what was filtered, the time range, and
every assumption, so a reader can check the reading without opening the SQL."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from lakechat.assistant.formatting import format_fraction, format_value
from lakechat.semantic.loader import LoadedModel
from lakechat.semantic.model import Format
from lakechat.semantic.query import SemanticQuery

_NAMED = {
    "today": "today", "yesterday": "yesterday", "this_week": "this week",
    "last_week": "last week", "this_month": "this month", "last_month": "last month",
    "this_quarter": "this quarter", "last_quarter": "last quarter", "this_year": "this year",
    "last_year": "last year", "wtd": "this week so far", "mtd": "this month so far",
    "qtd": "this quarter so far", "ytd": "this year so far",
}  # fmt: skip


def period_label(time_range: dict[str, Any] | None) -> str:
    """ "in 1995", "in Q3 1996", "in March 1997", "in the last 30 days (2026-10-24 to
    2026-11-22)", "from 1995-06-01 to 1998-08-02" for the answer's resolved range."""
    if not time_range:
        return ""
    first = date.fromisoformat(time_range["first_day"])
    last = date.fromisoformat(time_range["last_day"])
    name = str(time_range["range"])
    days = f"{first.isoformat()} to {last.isoformat()}"
    if name in _NAMED:
        return f"{_NAMED[name]} ({days})" if name not in ("today", "yesterday") else name
    if name.startswith("last_") and name.count("_") == 2:
        _, count, unit = name.split("_")
        return f"in the last {count} {unit} ({days})"
    return f"in {_calendar_label(first, last)}" if _calendar_label(first, last) else f"from {days}"


def _calendar_label(first: date, last: date) -> str:
    end_of_month = calendar.monthrange(last.year, last.month)[1] == last.day
    if first.day != 1 or not end_of_month:
        return ""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months == 12 and first.month == 1:
        return str(first.year)
    if months == 3 and first.month in (1, 4, 7, 10):
        return f"Q{(first.month - 1) // 3 + 1} {first.year}"
    if months == 1:
        return f"{calendar.month_name[first.month]} {first.year}"
    if first.month == 1 and last.month == 12:
        return f"{first.year} to {last.year}"
    return ""


def describe(
    model: LoadedModel,
    query: SemanticQuery,
    columns: list[dict[str, Any]],
    rows: list[list[Any]],
    time_range: dict[str, Any] | None,
    assumptions: tuple[str, ...],
) -> str:
    """The answer's sentence(s) for a semantic result."""
    view = model.view
    titles = {d.name: d.display_name or d.name for d in view.dimensions}
    titles |= {m.name: m.display_name or m.name for m in view.measures}
    formats: dict[str, Format | None] = {c["name"]: _format(c) for c in columns}
    metrics = [c for c in columns if c.get("semanticType") == "metric"]
    dims = [c for c in columns if c.get("semanticType") in ("dimension", "time")]
    when = period_label(time_range)
    scope = " ".join(p for p in (_filters(query, titles), when) if p)
    if not rows or all(v is None for row in rows for v in row):
        text = (
            f"No data matched{(' ' + scope) if scope else ''}; try a wider range or fewer filters."
        )
        return _with(text, assumptions)
    if not metrics:
        return _with(_values_listed(query, dims, rows, titles), assumptions)
    base = [c for c in metrics if not c.get("calculation")] or metrics
    if not dims:
        text = _totals(query, columns, metrics, base, rows[0], formats, titles, scope)
        return _with(text, assumptions)
    subject = titles.get(_field(query, base[0]["name"]), base[0]["name"])
    by = " and ".join(_dimension_title(query, c["name"], titles) for c in dims)
    headline = f"{subject} by {by}{(' ' + scope) if scope else ''}"
    return _with(
        _breakdown(query, columns, metrics, dims, base, rows, formats, headline), assumptions
    )


def _values_listed(
    query: SemanticQuery,
    dims: list[dict[str, Any]],
    rows: list[list[Any]],
    titles: dict[str, str],
) -> str:
    """A list of values with no measure: "3 region values: AFRICA, AMERICA, ASIA"."""
    listed = ", ".join(str(r[0]) for r in rows[:12])
    more = f" and {len(rows) - 12} more" if len(rows) > 12 else ""
    by = " and ".join(_dimension_title(query, c["name"], titles) for c in dims)
    return f"{len(rows)} {by} value{'s' if len(rows) != 1 else ''}: {listed}{more}"


def _totals(
    query: SemanticQuery,
    columns: list[dict[str, Any]],
    metrics: list[dict[str, Any]],
    base: list[dict[str, Any]],
    row: list[Any],
    formats: dict[str, Format | None],
    titles: dict[str, str],
    scope: str,
) -> str:
    """One row of numbers, nothing grouped: each measure, then its growth or previous period."""
    parts = []
    index = {c["name"]: i for i, c in enumerate(columns)}
    for c in base:
        name = titles.get(_field(query, c["name"]), c["name"])
        verb = "were" if name.endswith("s") and not name.endswith("ss") else "was"
        shown = format_value(row[index[c["name"]]], formats[c["name"]])
        parts.append(f"{name} {scope + ' ' if scope else ''}{verb} {shown}")
    for c in metrics:
        calc = c.get("calculation")
        value = row[index[c["name"]]]
        if calc == "growth":
            parts.append(f"{format_fraction(value, signed=True)} on the period before")
        elif calc == "previous_period":
            parts.append(f"against {format_value(value, formats[c['name']])} the period before")
    return _sentence("; ".join(parts))


def _breakdown(
    query: SemanticQuery,
    columns: list[dict[str, Any]],
    metrics: list[dict[str, Any]],
    dims: list[dict[str, Any]],
    base: list[dict[str, Any]],
    rows: list[list[Any]],
    formats: dict[str, Format | None],
    headline: str,
) -> str:
    """A measure by dimensions: the one row, the top or bottom rows of a ranking, or the
    highest and lowest; then the highest row's share and the last row's growth."""
    first_metric = columns.index(base[0])
    key_columns = [columns.index(c) for c in dims]

    grains = {d.output: d.time_grain for d in query.dimensions}

    def label(row: list[Any]) -> str:
        return ", ".join(
            _period_of(row[i], grains.get(columns[i]["name"]))
            or format_value(row[i], formats[columns[i]["name"]])
            for i in key_columns
        )

    shown = [r for r in rows if r[first_metric] is not None]
    if not shown:
        return f"{headline}: no values."
    high = max(shown, key=lambda r: r[first_metric])
    low = min(shown, key=lambda r: r[first_metric])
    fmt = formats[base[0]["name"]]
    count = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    if len(rows) == 1:
        text = f"{headline}: {label(high)} at {format_value(high[first_metric], fmt)}."
    elif query.limit is not None and query.order_by:
        listed = "; ".join(f"{label(r)} {format_value(r[first_metric], fmt)}" for r in rows[:5])
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        side = "Top" if query.order_by[0].direction.lower() == "desc" else "Bottom"
        text = f"{side} {len(rows)}: {headline[0].lower()}{headline[1:]}: {listed}{more}."
    else:
        text = (
            f"{headline}: highest {label(high)} at {format_value(high[first_metric], fmt)}, "
            f"lowest {label(low)} at {format_value(low[first_metric], fmt)} ({count})."
        )
    share = next((c for c in metrics if c.get("calculation") == "share_of_total"), None)
    if share is not None:
        i = columns.index(share)
        text += f" {label(high)} is {format_fraction(high[i])} of the total."
    growth = next((c for c in metrics if c.get("calculation") == "growth"), None)
    if growth is not None:
        i = columns.index(growth)
        last = rows[-1]
        if last[i] is not None:
            text += f" {label(last)}: {format_fraction(last[i], signed=True)} on the period before."
    return text


def _format(column: dict[str, Any]) -> Format | None:
    raw = column.get("format")
    return Format.model_validate(raw) if raw else None


def _field(query: SemanticQuery, output: str) -> str:
    for m in query.metrics:
        if m.output == output:
            return m.name
    return output


def _dimension_title(query: SemanticQuery, output: str, titles: dict[str, str]) -> str:
    for d in query.dimensions:
        if d.output == output:
            title = titles.get(d.name, d.name).lower()
            return f"{d.time_grain} of {title}" if d.time_grain else title
    return output


def _filters(query: SemanticQuery, titles: dict[str, str]) -> str:
    from lakechat.assistant.draft import conditions_of

    parts = []
    words = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
    for c in conditions_of(query):
        title = titles.get(c.field, c.field).lower()
        if c.op == "is_not_null":
            continue  # blanks left out of a ranking: not a filter the reader asked for
        if c.op in ("in", "eq"):
            values = c.value if isinstance(c.value, list) else [c.value]
            parts.append(f"{title} {' or '.join(str(v) for v in values)}")
        elif c.op in ("not_in", "ne"):
            values = c.value if isinstance(c.value, list) else [c.value]
            parts.append(f"{title} other than {', '.join(str(v) for v in values)}")
        elif c.op in words:
            parts.append(f"{title} {words[c.op]} {c.value}")
        else:
            parts.append(f"{title} {c.op.replace('_', ' ')} {c.value}")
    return ("for " + ", ".join(parts)) if parts else ""


def _period_of(value: Any, grain: str | None) -> str | None:
    """A time bucket as people say it: "1995", "Q3 1995", "Jul 1995", "week of 1995-07-03"."""
    if grain is None or value is None:
        return None
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
    if grain == "year":
        return str(day.year)
    if grain == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if grain == "month":
        return f"{calendar.month_abbr[day.month]} {day.year}"
    if grain == "week":
        return f"week of {day.isoformat()}"
    return str(value) if grain == "hour" else day.isoformat()


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else text


def _with(text: str, assumptions: tuple[str, ...]) -> str:
    text = _sentence(text)
    if assumptions:
        text += " Assumed: " + "; ".join(assumptions) + "."
    return text
