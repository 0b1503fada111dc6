"""`lakechat query DATASET ...`: a semantic query from the terminal, as POST /v1/query."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from lakechat.cli.output import console, print_json, print_table

#: "field op value": ops as in the API, or their symbols.
_CONDITION = re.compile(
    r"^\s*(?P<field>[\w.]+)\s*(?P<op>>=|<=|!=|=|>|<|\b(?:eq|ne|gt|gte|lt|lte|in|not_in|between|contains|starts_with|ends_with|is_null|is_not_null)\b)\s*(?P<value>.*)$"
)
_SYMBOLS = {"=": "eq", "!=": "ne", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
#: Calculations whose values are fractions, shown as percentages in the table.
_FRACTIONS = ("share_of_total", "growth")


def query(
    dataset: str = typer.Argument(..., help="The model's id (see `lakechat models list`)."),
    metric: list[str] = typer.Option(
        [],
        "--metric",
        "-m",
        help="A metric, or metric:calculation (revenue:share_of_total, revenue:growth, "
        "revenue:previous_period); repeat for more.",
    ),
    dimension: list[str] = typer.Option(
        [], "--dimension", "-d", help="A dimension, or dimension:grain (order_date:month)."
    ),
    where: list[str] = typer.Option(
        [],
        "--where",
        "-w",
        help='A condition such as "ship_mode = AIR" or "revenue > 1000"; repeat to AND.',
    ),
    order: list[str] = typer.Option([], "--order", help="field or field:desc; repeat for more."),
    limit: int | None = typer.Option(None, "--limit", help="Rows at most."),
    time_range: str | None = typer.Option(
        None,
        "--time-range",
        "-t",
        help="A named range (last_7_days, last_month, this_quarter, ytd, ...) or "
        "FIRST,LAST days (1995-01-01,1995-12-31), on the default time dimension.",
    ),
    time_dimension: str | None = typer.Option(
        None, "--time-dimension", help="The time dimension --time-range limits."
    ),
    timezone: str | None = typer.Option(
        None, "--timezone", help="IANA time zone the range and hours are counted in."
    ),
    body: Path | None = typer.Option(
        None, "--body", help="A full /v1/query JSON body from a file, or - for stdin."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the /v1/query response as JSON."),
) -> None:
    """Ask a semantic model for metrics by dimensions, as the local operator (an admin)."""
    from lakechat.security.principals import LOCAL_ADMIN
    from lakechat.semantic.cache import build_result_cache
    from lakechat.semantic.loader import model_folders
    from lakechat.semantic.query import parse_query
    from lakechat.semantic.registry import ModelRegistry
    from lakechat.semantic.service import answer
    from lakechat.settings import load_settings
    from lakechat.warehouse.factory import build_warehouse
    from lakechat.warehouse.state_provider import StateStoreWarehouse

    request = (
        _body_from(body)
        if body is not None
        else _flags(dataset, metric, dimension, where, order, limit)
    )
    request.update(_time_flags(time_range, time_dimension, timezone))
    request.setdefault("dataset", dataset)
    asked = parse_query(request)
    settings = load_settings()
    registry = ModelRegistry(
        model_folders(settings.models_path, settings.home),
        {"state": StateStoreWarehouse(settings.state_url)},  # the request log's models
    )
    warehouse = build_warehouse(settings)
    try:
        result = answer(
            registry, warehouse, asked, LOCAL_ADMIN, settings, build_result_cache(settings)
        )
    finally:
        warehouse.close()
        registry.close()
    if as_json:
        print_json(result)
        return
    names = [c["name"] for c in result["columns"]]
    percent = {c["name"] for c in result["columns"] if c.get("calculation") in _FRACTIONS}
    rows = [[_shown(row[n], n in percent) for n in names] for row in result["rows"]]
    print_table(_range_title(result.get("time_range")), names, rows)
    for warning in result["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(warning)}")


def _body_from(path: Path) -> dict[str, Any]:
    from lakechat.errors import BadRequest

    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadRequest(f"--body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("--body must be a JSON object")
    return data


def _flags(
    dataset: str,
    metrics: list[str],
    dimensions: list[str],
    where: list[str],
    order: list[str],
    limit: int | None,
) -> dict[str, Any]:
    from lakechat.errors import BadRequest

    conditions = []
    for text in where:
        match = _CONDITION.match(text)
        if match is None:
            raise BadRequest(
                f"--where {text!r}: write it as 'field op value', e.g. 'ship_mode = AIR'"
            )
        op = _SYMBOLS.get(match["op"], match["op"])
        conditions.append({"field": match["field"], "op": op, **_value(op, match["value"].strip())})
    request: dict[str, Any] = {
        "dataset": dataset,
        "metrics": [
            {
                "name": m.split(":", 1)[0],
                **({"calculation": m.split(":", 1)[1]} if ":" in m else {}),
            }
            for m in metrics
        ],
        "dimensions": [
            {"name": d.split(":", 1)[0], **({"timeGrain": d.split(":", 1)[1]} if ":" in d else {})}
            for d in dimensions
        ],
        "orderBy": [
            {"field": o.split(":", 1)[0], "direction": o.split(":", 1)[1] if ":" in o else "asc"}
            for o in order
        ],
    }
    if conditions:
        request["filters"] = {"and": conditions} if len(conditions) > 1 else conditions[0]
    if limit is not None:
        request["limit"] = limit
    return request


def _time_flags(
    time_range: str | None, dimension: str | None, timezone: str | None
) -> dict[str, Any]:
    from lakechat.errors import BadRequest

    flags: dict[str, Any] = {}
    if time_range is not None:
        days = [part.strip() for part in time_range.split(",")]
        if len(days) > 2:
            raise BadRequest(f"--time-range {time_range!r}: give a range name or FIRST,LAST")
        flags["timeRange"] = {
            "range": days if len(days) == 2 else days[0],
            **({"dimension": dimension} if dimension else {}),
        }
    elif dimension is not None:
        raise BadRequest("--time-dimension needs --time-range")
    if timezone is not None:
        flags["timezone"] = timezone
    return flags


def _shown(value: Any, percent: bool) -> Any:
    if percent and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.1f}%"
    return value


def _range_title(time_range: dict[str, Any] | None) -> str:
    if not time_range:
        return ""
    days = f"{time_range['first_day']} to {time_range['last_day']}"
    named = "" if time_range["range"] == days else f"{time_range['range']}, "
    return f"{time_range['dimension']}: {named}{days} ({time_range['timezone']})"


def _value(op: str, text: str) -> dict[str, Any]:
    if op in ("is_null", "is_not_null"):
        return {}
    if op in ("in", "not_in", "between"):
        return {"value": [_scalar(part.strip()) for part in text.split(",")]}
    return {"value": _scalar(text)}


def _scalar(text: str) -> Any:
    text = text.strip().strip("'\"")
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return {"true": True, "false": False}.get(text.lower(), text)
