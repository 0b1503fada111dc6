"""Import a SetuPranali ``catalog.yaml`` (the seed BI gateway's) as lakechat models.

SetuPranali's catalog lists datasets; each becomes one metric view. Three shapes appear in
its repository (github.com/setupranali/setupranali.github.io) and all are read:

- the engine's (``catalog.yaml``, ``app/catalog.py``, ``app/models.py``, ``app/rls.py``):
  ``datasets`` as a list with ``id`` or a map id -> dataset; ``source: {engine, sourceId,
  type, reference}``; ``fields: [{name, type, semanticType}]``; ``dimensions: [{name,
  field, label}]``; ``metrics: [{name, label, expression: {type: aggregation, agg, field}
  or {type: raw, sql}, returnType, format}]``; ``rls: {enabled, column, mode,
  allowAdminBypass}``; ``incremental: {enabled, column, type, mode, maxWindowDays}``;
- its guide's (``docs/guides/datasets.md``): ``source: <name>`` with ``table`` or ``sql``,
  ``dimensions``/``metrics`` with ``expr``, ``rls: {tenant_column}``,
  ``incremental: {date_column, min_date}``;
- its per-source examples': ``sql`` with an aggregation ``type`` (sum, count,
  count_distinct, avg, ...) and a top-level ``rls: {<dataset>: {field, operator}}``.

What a metric view cannot hold becomes one warning per item; nothing is dropped silently.
Keys whose meaning the model keeps in another form are read, not warned about: ``type``,
``semanticType`` and ``returnType`` (types come from the warehouse) and ``enabled``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from pydantic import ValidationError
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel

from lakechat.errors import BadRequest
from lakechat.semantic.draft import DATE_FORMAT, DATE_TIME_FORMAT, column_sql, snake_name
from lakechat.semantic.model import (
    DecimalPlaces,
    Dimension,
    Format,
    LakechatExtras,
    Measure,
    MetricView,
    RowLevelSecurity,
)

AGGREGATES: dict[str, Callable[[exp.Expr], exp.Expr]] = {
    "sum": lambda e: exp.Sum(this=e),
    "avg": lambda e: exp.Avg(this=e),
    "min": lambda e: exp.Min(this=e),
    "max": lambda e: exp.Max(this=e),
    "count": lambda e: exp.Count(this=e),
    "count_distinct": lambda e: exp.Count(this=exp.Distinct(expressions=[e])),
    "stddev": lambda e: exp.Stddev(this=e),
    "variance": lambda e: exp.Variance(this=e),
}
#: SetuPranali engine names that are not sqlglot dialect names; the others are the same.
_ENGINE_DIALECTS = {"postgresql": "postgres", "cockroachdb": "postgres",
                    "timescaledb": "postgres", "sqlserver": "tsql"}  # fmt: skip
_TOP_LEVEL_HINTS = {
    "sources": "connections are not models; lakechat reads the warehouse WAREHOUSE_URL names",
    "api_keys": "keys are not imported; issue them with `lakechat keys create --tenant T`",
}
_DATASET_KEYS = {"id", "name", "description", "source", "table", "sql", "fields", "dimensions",
                 "metrics", "rls", "incremental"}  # fmt: skip
_SOURCE_KEYS = {"engine", "sourceId", "type", "reference", "table", "sql"}
_DIMENSION_KEYS = {"name", "field", "expr", "sql", "label", "description", "type"}
_FIELD_KEYS = {"name", "type", "semanticType", "description", "label"}
_METRIC_KEYS = {"name", "label", "description", "expression", "expr", "sql", "field", "type",
                "agg", "returnType", "format"}  # fmt: skip
_RLS_KEYS = {"enabled", "column", "tenant_column", "field", "mode", "operator",
             "allowAdminBypass", "admin_bypass"}  # fmt: skip
#: A metric's ``type`` that names its value's type rather than an aggregation.
_VALUE_TYPES = {"number", "string", "integer", "int32", "int64", "float", "double", "decimal"}
_TIME_TYPES = {"date": DATE_FORMAT, "datetime": DATE_TIME_FORMAT, "timestamp": DATE_TIME_FORMAT}
_MODEL_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
Warn = Callable[[str, str], None]


@dataclass(frozen=True)
class ImportWarning:
    """Something in the catalog that the models do not carry, and why."""

    dataset: str | None  # None: the catalog's top level
    item: str
    message: str

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.dataset, self.item) if part)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportedModel:
    """A converted dataset: ``key`` is its id in the catalog, ``id`` the model's (file name)."""

    key: str
    id: str
    view: MetricView


@dataclass(frozen=True)
class CatalogImport:
    models: tuple[ImportedModel, ...]
    warnings: tuple[ImportWarning, ...]


def read_catalog(path: Path) -> CatalogImport:
    """Read and convert a catalog file; BadRequest when it is not a SetuPranali catalog."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise BadRequest(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return convert_catalog(data, origin=str(path))


def convert_catalog(data: Any, *, origin: str) -> CatalogImport:
    """One model per dataset of a parsed catalog, and a warning per unmappable item."""
    if not isinstance(data, dict) or not isinstance(data.get("datasets"), list | dict):
        raise BadRequest(f"{origin} is not a SetuPranali catalog: it needs a top-level "
                         "`datasets` list (or map of id -> dataset)")  # fmt: skip
    raw = data["datasets"]
    entries: list[tuple[Any, Any]] = list(raw.items()) if isinstance(raw, dict) else [
        (item.get("id") or item.get("name") if isinstance(item, dict) else None, item)
        for item in raw
    ]  # fmt: skip
    problems, seen = [], set()
    for i, (key, dataset) in enumerate(entries):
        at = f"datasets[{i}]" + (f" ({key})" if key else "")
        if not isinstance(dataset, dict):
            problems.append(f"{at} is not a mapping")
        elif not key or not isinstance(key, str):
            problems.append(f"{at} has no id or name")
        elif not _reference(dataset):
            problems.append(f"{at} names no table (source.reference, table or sql)")
        elif key in seen:
            problems.append(f"{at}: the id {key!r} is used twice")
        seen.add(key)
    if problems:
        raise BadRequest(f"{origin} is not a valid SetuPranali catalog: {'; '.join(problems)}")
    warnings: list[ImportWarning] = []
    for key in data:
        if key not in {"datasets", "rls"}:
            hint = _TOP_LEVEL_HINTS.get(key, "not part of a model; not imported")
            warnings.append(ImportWarning(None, f"top-level {key}", hint))
    shared_rls = data["rls"] if isinstance(data.get("rls"), dict) else {}
    sources = data["sources"] if isinstance(data.get("sources"), dict) else {}
    models = []
    for key, dataset in entries:
        model = _MutableDataset(key, dataset, sources, warnings).model(shared_rls.get(key))
        if model is not None:
            models.append(model)
    if not models:
        reasons = "; ".join(str(w) for w in warnings)
        raise BadRequest(f"no dataset of {origin} could be imported: {reasons}")
    return CatalogImport(tuple(models), tuple(warnings))


class _MutableDataset:
    """One dataset on its way to a model; every item it cannot carry becomes a warning."""

    def __init__(
        self, key: str, ds: dict[str, Any], sources: dict[str, Any], warnings: list[ImportWarning]
    ) -> None:
        self.key, self.ds, self.warnings = key, ds, warnings
        self.dialect = _dialect(ds, sources, self.warn)
        self.dimensions: dict[str, Dimension] = {}
        self.measures: dict[str, Measure] = {}
        self.columns: dict[str, str] = {}  # column (lower case) -> the dimension exposing it
        self.times: list[str] = []  # dimensions holding dates or times, in catalog order

    def warn(self, item: str, message: str) -> None:
        self.warnings.append(ImportWarning(self.key, item, message))

    def model(self, shared_rls: Any) -> ImportedModel | None:
        source = _source(self.ds, self.dialect, self.warn)
        fields = {
            str(f["name"]): f
            for f in self.ds.get("fields") or []
            if isinstance(f, dict) and "name" in f
        }
        self.read_dimensions(fields)
        metric_fields = self.read_fields(fields)
        used = self.read_metrics()
        for name in metric_fields:
            if name.lower() not in used:
                self.warn(f"field {name}", "a metric field no metric aggregates; add a measure")
        rls = _rls(self.ds.get("rls", shared_rls), self.warn)
        known = {**{name.lower(): name for name in self.dimensions}, **self.columns}
        time = _time_dimension(self.ds.get("incremental"), known, self.warn)
        _extra(self.ds, _DATASET_KEYS, "", self.warn)
        label, description = _text(self.ds.get("name")), _text(self.ds.get("description"))
        label = None if label and snake_name(label) == snake_name(self.key) else label
        comment = f"{label}: {description}" if label and description else description or label
        if source is None or not (self.dimensions or self.measures):
            self.warn("", "nothing could be imported; no model written")
            return None
        model_id = self.key if _MODEL_ID.fullmatch(self.key) else snake_name(self.key) or "dataset"
        if model_id != self.key:
            self.warn("id", f"not a file name; the model is {model_id!r}")
        try:
            extras = LakechatExtras(
                row_level_security=rls, default_time_dimension=time or next(iter(self.times), None)
            )
            view = MetricView(
                version="1.1",
                source=source,
                comment=comment,
                dimensions=tuple(self.dimensions.values()),
                measures=tuple(self.measures.values()),
                extras=extras,
            )
        except ValidationError as exc:
            self.warn("", f"not a valid model ({exc.errors()[0]['msg']}); no model written")
            return None
        return ImportedModel(self.key, model_id, view)

    def read_dimensions(self, fields: dict[str, Any]) -> None:
        for i, item in enumerate(self.ds.get("dimensions") or []):
            if not isinstance(item, dict) or not item.get("name"):
                self.warn(f"dimensions[{i}]", "has no name; skipped")
                continue
            where = f"dimension {item['name']}"
            if "field" in item:  # the engine's shape: a field of the dataset, by name
                column = str(item["field"])
                kind = item.get("type") or (fields.get(column) or {}).get("type")
                self.add_dimension(item, where, column_sql(column), column, kind, _DIMENSION_KEYS)
                continue
            node = _parse(item.get("expr", item.get("sql", item["name"])), self.dialect)
            expr = _databricks(node)
            if node is None or expr is None:
                self.warn(where, f"the expression does not parse as {self.dialect} SQL; skipped")
                continue
            bare = node.name if isinstance(node, exp.Column) else None
            self.add_dimension(item, where, expr, bare, item.get("type"), _DIMENSION_KEYS)

    def read_fields(self, fields: dict[str, Any]) -> list[str]:
        """Fields no dimension exposes stay groupable, as in SetuPranali; metric fields do not."""
        metric_fields = []
        for name, field in fields.items():
            if str(field.get("semanticType", "")).lower() == "metric":
                metric_fields.append(name)
                _extra(field, _FIELD_KEYS, f"field {name}", self.warn)
            elif name.lower() not in self.columns:
                kind = field.get("type")
                self.add_dimension(
                    field, f"field {name}", column_sql(name), name, kind, _FIELD_KEYS
                )
        return metric_fields

    def add_dimension(
        self, item: dict[str, Any], where: str, expr: str, column: str | None, kind: Any,
        known: set[str],
    ) -> None:  # fmt: skip
        name = str(item["name"])
        if name in self.dimensions:
            self.warn(where, "defined twice; the first is kept")
            return
        fmt = _TIME_TYPES.get(str(kind).lower())
        self.dimensions[name] = Dimension(
            name=name,
            expr=expr,
            display_name=_text(item.get("label")),
            comment=_text(item.get("description")),
            format=fmt,
        )
        if column:
            self.columns.setdefault(column.lower(), name)
        if fmt is not None or str(item.get("semanticType", "")).lower() == "time":
            self.times.append(name)
        _extra(item, known, where, self.warn)

    def read_metrics(self) -> set[str]:
        """Measures from the metrics; returns the columns they aggregate (lower case)."""
        used: set[str] = set()
        for i, item in enumerate(self.ds.get("metrics") or []):
            if not isinstance(item, dict) or not item.get("name"):
                self.warn(f"metrics[{i}]", "has no name; skipped")
                continue
            name, where = str(item["name"]), f"metric {item['name']}"
            node, problem = _metric(item, self.dialect)
            expr = _databricks(node)
            if name in self.measures:
                problem = "defined twice; the first is kept"
            if node is None or expr is None or problem:
                self.warn(where, problem or "cannot be written as Databricks SQL; skipped")
                continue
            used |= {column.name.lower() for column in node.find_all(exp.Column)}
            fmt, note = _number_format(item.get("format"))
            if note:
                self.warn(f"{where}.format", note)
            label, comment = _text(item.get("label")), _text(item.get("description"))
            self.measures[name] = Measure(
                name=name, expr=expr, display_name=label, comment=comment, format=fmt
            )
            _extra(item, _METRIC_KEYS, where, self.warn)
        return used


def _reference(ds: dict[str, Any]) -> Any:
    spec = ds.get("source")
    if isinstance(spec, dict):
        return spec.get("reference") or spec.get("table") or spec.get("sql")
    return ds.get("table") or ds.get("sql")


def _dialect(ds: dict[str, Any], sources: dict[str, Any], warn: Warn) -> str:
    """The SQL dialect of the dataset's engine, so raw SQL is translated, not copied."""
    spec = ds.get("source")
    connection = sources.get(spec) if isinstance(spec, str) else None
    engine = spec.get("engine") if isinstance(spec, dict) else None
    if isinstance(connection, dict):
        engine = connection.get("type")
    name = _ENGINE_DIALECTS.get(str(engine).lower(), str(engine).lower())
    if engine and Dialect.get(name) is None:
        warn("source.engine", f"{engine} is unknown here; its SQL is read as Databricks SQL")
    return name if engine and Dialect.get(name) is not None else "databricks"


def _source(ds: dict[str, Any], dialect: str, warn: Warn) -> str | None:
    spec, reference = ds.get("source"), str(_reference(ds)).strip()
    if isinstance(spec, dict):
        kind = str(spec.get("type", "table")).lower()
        query = kind in {"sql", "query"} or not (spec.get("reference") or spec.get("table"))
        connection = spec.get("sourceId")
        _extra(spec, _SOURCE_KEYS, "source", warn)
    else:
        query, connection = not ds.get("table"), spec
    if connection:
        warn("source", f"{connection}: lakechat reads the one warehouse WAREHOUSE_URL names; "
             "the connection is not imported")  # fmt: skip
    if query:
        node = _parse(reference, dialect)
        sql = _databricks(node) if isinstance(node, exp.Query) else None
        if sql is None:
            warn("source", f"the query does not parse as {dialect} SQL")
        return sql
    try:
        table = sqlglot.parse_one(reference, into=exp.Table, read=dialect)
    except sqlglot.errors.ParseError:
        table = None
    parts = [table.args.get(key) for key in ("catalog", "db", "this")] if table else []
    if not parts or not all(isinstance(part, exp.Identifier) for part in parts):
        warn("source", f"{reference} is not catalog.schema.table; qualify it so it names "
             "the table in your lakehouse")  # fmt: skip
        return reference
    return table.sql(dialect="databricks") if table else reference


def _metric(item: dict[str, Any], dialect: str) -> tuple[exp.Expr | None, str]:
    """The measure's expression, or why there is none."""
    spec = item.get("expression")
    if isinstance(spec, dict):  # the engine's shape
        kind = str(spec.get("type", "aggregation")).lower()
        if kind == "aggregation":
            field = spec.get("field")
            node = None if field in (None, "*") else _parse(column_sql(str(field)), "databricks")
            return _aggregate(str(spec.get("agg")).lower(), node)
        if kind in {"raw", "sql"}:
            return _raw(spec.get("sql") or spec.get("expr"), dialect)
        return None, f"expression type {kind!r} cannot be imported (aggregation and raw can)"
    if isinstance(spec, str):
        return _raw(spec, dialect)
    agg = str(item.get("agg") or item.get("type") or "").lower()
    if agg in AGGREGATES:  # the per-source examples' shape: type: sum, sql: amount
        text = item.get("field", item.get("sql"))
        node = None if text in (None, "*") else _parse(text, dialect)
        if node is None and text not in (None, "*"):
            node = _parse(column_sql(str(text)), "databricks")
        return _aggregate(agg, node)
    if agg and agg not in _VALUE_TYPES:
        return None, f"aggregation {agg!r} is unknown ({', '.join(AGGREGATES)} are)"
    return _raw(item.get("expr", item.get("sql")), dialect)  # the guide's shape: expr: SUM(x)


def _aggregate(agg: str, node: exp.Expr | None) -> tuple[exp.Expr | None, str]:
    if agg not in AGGREGATES:
        return None, f"aggregation {agg!r} is unknown ({', '.join(AGGREGATES)} are)"
    if node is None and agg != "count":
        return None, f"{agg} names no field"
    return (AGGREGATES[agg](node) if node else exp.Count(this=exp.Star())), ""


def _raw(text: Any, dialect: str) -> tuple[exp.Expr | None, str]:
    node = _parse(text, dialect)
    if node is None:
        problem = "has no expression" if text is None else f"does not parse as {dialect} SQL"
        return None, f"{problem}; skipped"
    if node.find(exp.AggFunc) is None:
        return None, f"{text} aggregates nothing, and a measure must (SUM(...)); skipped"
    return node, ""


def _rls(spec: Any, warn: Warn) -> RowLevelSecurity | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or spec.get("enabled") is False:
        warn("rls", "disabled in the catalog; not carried over" if isinstance(spec, dict)
             else "not a mapping; not imported")  # fmt: skip
        return None
    _extra(spec, _RLS_KEYS, "rls", warn)
    column = spec.get("column") or spec.get("tenant_column") or spec.get("field")
    if not column:
        warn("rls", "names no tenant column; add row_level_security to the model by hand")
        return None
    mode = str(spec.get("mode", spec.get("operator", "equals"))).lower()
    if mode not in {"equals", "=", "==", "eq"}:
        warn("rls.mode", f"{mode}: lakechat matches the tenant column by equality only")
    bypass = spec.get("allowAdminBypass", spec.get("admin_bypass")) is True
    return RowLevelSecurity(tenant_column=column_sql(str(column)), admin_bypass=bypass)


def _time_dimension(spec: Any, columns: dict[str, str], warn: Warn) -> str | None:
    if not isinstance(spec, dict):
        if spec is not None:
            warn("incremental", "not a mapping; not imported")
        return None
    extra = sorted(str(key) for key in set(spec) - {"enabled", "column", "date_column", "type"})
    if extra:
        warn("incremental", f"{', '.join(extra)}: refresh settings have no place in a metric "
             "view; not imported")  # fmt: skip
    column = str(spec.get("column") or spec.get("date_column") or "")
    if column and str(spec.get("type")).lower() == "int":
        warn("incremental.column", f"{column} is a number, not the default time dimension")
    elif column and column.lower() not in columns:
        warn("incremental.column", f"{column} is no dimension, so not the default time dimension")
    else:
        return columns.get(column.lower())
    return None


def _number_format(value: Any) -> tuple[Format | None, str | None]:
    """SetuPranali's ``currency``/``percent`` or d3-style ``$,.2f`` as a metric view format."""
    if value is None:
        return None, None
    text = str(value).strip().lower()
    digits = re.search(r"\.(\d+)", text)
    places = DecimalPlaces(type="exact", places=int(digits.group(1))) if digits else None
    if text.startswith("$"):
        return Format(type="currency", currency_code="USD", decimal_places=places), None
    if text == "currency":
        return Format(type="currency", currency_code="USD"), "names no currency; USD assumed"
    if text in {"percent", "percentage"} or text.endswith("%"):
        return Format(type="percentage", decimal_places=places), None
    if text in {"number", "integer", "decimal"} or re.fullmatch(r",?(?:\.\d+)?[df]?", text):
        return Format(type="number", decimal_places=places), None
    return None, f"{value!r} has no metric view equivalent; not imported"


def _extra(item: dict[str, Any], known: set[str], where: str, warn: Warn) -> None:
    for key in item:
        if key not in known:
            warn(f"{where}.{key}" if where else str(key), "no metric view equivalent; not imported")


def _parse(text: Any, dialect: str) -> exp.Expr | None:
    if not isinstance(text, str | int | float) or not str(text).strip():
        return None
    try:
        return sqlglot.parse_one(str(text), read=dialect)
    except sqlglot.errors.ParseError:
        return None


def _databricks(node: exp.Expr | None) -> str | None:
    try:
        return node.sql(dialect="databricks", unsupported_level=ErrorLevel.RAISE) if node else None
    except sqlglot.errors.UnsupportedError:
        return None


def _text(value: Any) -> str | None:
    return (str(value).strip() or None) if value is not None else None
