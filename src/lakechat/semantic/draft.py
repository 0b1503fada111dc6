"""A starter model drafted from a table's columns, and writing model files safely.

``lakechat models draft`` reads a table's typed columns through the SQL guard (``SELECT *
... LIMIT 0``, which every warehouse answers with types and no rows) and turns them into a
metric view: text, boolean and date columns become dimensions, numbers become SUM and AVG
measures, identifier columns (``*_id``, ``*_key``) become COUNT(DISTINCT) measures, and a
row count is always there. Comments come from ``system.information_schema`` (Databricks'
governed metadata) when the warehouse has it. The draft is a start to review, not a
finished model: names and measures are guesses from column names and types.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from lakechat.errors import BadRequest, Conflict, LakechatError, NotFound, QueryFailed
from lakechat.semantic.model import (
    DecimalPlaces,
    Dimension,
    Format,
    LakechatExtras,
    Measure,
    MetricView,
)
from lakechat.sqlguard.errors import GuardTableNotAllowed
from lakechat.warehouse.base import QueryResult, Warehouse

T = exp.DataType.Type
DATE_TYPES = frozenset({T.DATE, T.DATE32})
TIMESTAMP_TYPES = frozenset({T.DATETIME, T.DATETIME2, T.DATETIME64, T.SMALLDATETIME, T.TIMESTAMP,
                             T.TIMESTAMPTZ, T.TIMESTAMPLTZ, T.TIMESTAMPNTZ, T.TIMESTAMP_S,
                             T.TIMESTAMP_MS, T.TIMESTAMP_NS})  # fmt: skip
TEXT_TYPES = frozenset({*exp.DataType.TEXT_TYPES, T.CHAR, T.BPCHAR, T.NCHAR, T.UUID, T.BOOLEAN,
                        T.TIME, T.TIMETZ})  # fmt: skip
DATE_FORMAT = Format(type="date", date_format="year_month_day")
DATE_TIME_FORMAT = Format(
    type="date_time", date_format="year_month_day", time_format="locale_hour_minute_second"
)
WHOLE_NUMBER = Format(type="number", decimal_places=DecimalPlaces(type="exact", places=0))
#: Identifier columns: id, key, *_id, *_key (and _uuid, _pk, _fk, _sk), camelCase fooId,
#: and TPC-H's o_orderkey style.
_IDENTIFIER = re.compile(
    r"^(?:id|key|uuid|guid)$|_(?:id|key|uuid|guid|pk|fk|sk)$|^[a-z]{1,3}_[a-z]*key$|[a-z](?:Id|Key)$"
)
_KEYWORDS = frozenset(
    word.split()[0] for word in Dialect.get_or_raise("databricks").tokenizer_class.KEYWORDS
)


@dataclass(frozen=True)
class TableName:
    """A validated three-part name: catalog.schema.table."""

    catalog: str
    schema: str
    table: str

    def expression(self) -> exp.Table:
        return exp.table_(self.table, db=self.schema, catalog=self.catalog, quoted=None)

    def __str__(self) -> str:
        return self.expression().sql(dialect="databricks")


@dataclass(frozen=True)
class TableColumn:
    """A column as the warehouse reports it, with its comment when one is known."""

    name: str
    type: str
    comment: str | None = None


@dataclass(frozen=True)
class ModelDraft:
    """A drafted model and what the draft could not use (one note per skipped column)."""

    table: TableName
    view: MetricView
    notes: tuple[str, ...]


def parse_table_name(text: str) -> TableName:
    """``catalog.schema.table`` (backticks allowed), or BadRequest saying what is wrong."""
    try:
        table = sqlglot.parse_one(text.strip(), into=exp.Table, read="databricks")
    except sqlglot.errors.ParseError:
        table = None
    parts = [table.args.get(key) for key in ("catalog", "db", "this")] if table else []
    if not parts or not all(isinstance(p, exp.Identifier) and p.name for p in parts):
        raise BadRequest(
            f"--table {text!r}: name the table as catalog.schema.table, for example main.sales.orders"
        )
    return TableName(*(str(p.name) for p in parts if p is not None))


def read_table(
    warehouse: Warehouse, table: TableName, *, timeout_seconds: float
) -> tuple[tuple[TableColumn, ...], str | None]:
    """The table's columns and comment, read through the SQL guard."""
    from lakechat.warehouse.guarded import lakehouse_allow_list, run_sql

    catalogs = warehouse.catalogs()
    if table.catalog.lower() not in {c.lower() for c in catalogs}:
        raise NotFound(
            f"the warehouse has no catalog {table.catalog!r} (it has: {', '.join(catalogs)})"
        )
    allowed = lakehouse_allow_list(warehouse)

    def run(query: exp.Query, max_rows: int) -> QueryResult:
        sql = query.sql(dialect=warehouse.dialect)
        return run_sql(
            warehouse, sql, allowed_tables=allowed, max_rows=max_rows,
            timeout_seconds=timeout_seconds,
        ).result  # fmt: skip

    try:
        result = run(exp.select("*").from_(table.expression()).limit(0), 1)
    except QueryFailed as exc:
        raise QueryFailed(f"cannot read the columns of {table}: {exc.message}") from None
    table_comment: str | None = None
    comments: dict[str, str] = {}
    if "system" in catalogs:  # Databricks' governed metadata holds table and column comments
        where = exp.and_(*(exp.column(name).eq(exp.Literal.string(value)) for name, value in (
            ("table_catalog", table.catalog), ("table_schema", table.schema),
            ("table_name", table.table))))  # fmt: skip
        metadata = exp.table_("tables", db="information_schema", catalog="system")
        try:
            rows = run(exp.select("comment").from_(metadata.copy()).where(where), 1).rows
            table_comment = str(rows[0][0]) if rows and rows[0][0] else None
            metadata.set("this", exp.to_identifier("columns"))
            query = exp.select("column_name", "comment").from_(metadata).where(where.copy())
            comments = {str(name): str(text) for name, text in run(query, 10_000).rows if text}
        except (QueryFailed, GuardTableNotAllowed):
            pass  # this warehouse keeps no comments there: the draft simply has none
    columns = tuple(TableColumn(c.name, c.type, comments.get(c.name)) for c in result.columns)
    return columns, table_comment


def draft_model(
    table: TableName,
    columns: Sequence[TableColumn],
    *,
    dialect: str,
    table_comment: str | None = None,
) -> ModelDraft:
    """A metric view over ``table`` built from its columns' names and types."""
    prefix = _shared_prefix([c.name for c in columns])
    dimensions: list[Dimension] = []
    measures: list[Measure] = []
    notes: list[str] = []
    names: set[str] = set()
    first_date: str | None = None
    first_timestamp: str | None = None

    def unique(name: str) -> str:
        found, n = name, 2
        while found in names:
            found, n = f"{name}_{n}", n + 1
        names.add(found)
        return found

    for column in columns:
        base = snake_name(column.name.removeprefix(prefix)) or snake_name(column.name) or "column"
        expr = column_sql(column.name)
        kind = _kind(column.type, dialect)
        if _IDENTIFIER.search(column.name) and kind in {"number", "text"}:
            stem = re.sub(r"_?(?:id|key|uuid|guid|pk|fk|sk)$", "", base, flags=re.IGNORECASE)
            name = unique(f"{stem}_count" if stem else f"distinct_{base}")
            shown = f"{words(stem)} count" if stem else f"Distinct {base}"
            measures.append(Measure(name=name, expr=f"COUNT(DISTINCT {expr})", display_name=shown,
                                    comment=column.comment or f"Distinct values of {column.name}",
                                    format=WHOLE_NUMBER))  # fmt: skip
        elif kind == "number":
            whole = WHOLE_NUMBER if _is_integer(column.type, dialect) else None
            for label, func, fmt in (("Total", "SUM", whole), ("Average", "AVG", None)):
                name = unique(f"{'total' if func == 'SUM' else 'avg'}_{base}")
                measures.append(Measure(name=name, expr=f"{func}({expr})", format=fmt,
                                        display_name=f"{label} {words(base).lower()}",
                                        comment=column.comment))  # fmt: skip
        elif kind in {"text", "date", "timestamp"}:
            name = unique(base)
            fmt = {"date": DATE_FORMAT, "timestamp": DATE_TIME_FORMAT}.get(kind)
            dimensions.append(Dimension(name=name, expr=expr, display_name=words(base),
                                        comment=column.comment, format=fmt))  # fmt: skip
            if kind == "date" and first_date is None:
                first_date = name
            if kind == "timestamp" and first_timestamp is None:
                first_timestamp = name
        else:
            notes.append(f"skipped column {column.name} ({column.type}): "
                         "no dimension or measure fits this type")  # fmt: skip
    measures.insert(0, Measure(name=unique("row_count"), expr="COUNT(*)", display_name="Rows",
                               comment=f"Rows in {table}", format=WHOLE_NUMBER))  # fmt: skip
    view = MetricView(
        version="1.1",
        source=str(table),
        comment=table_comment,
        dimensions=tuple(dimensions),
        measures=tuple(measures),
        extras=LakechatExtras(default_time_dimension=first_date or first_timestamp),
    )
    return ModelDraft(table, view, tuple(notes))


def column_sql(name: str) -> str:
    """A column reference in Databricks SQL, quoted only when it has to be."""
    plain = exp.column(exp.to_identifier(name)).sql(dialect="databricks")
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name.upper() not in _KEYWORDS:
        return plain
    return exp.column(exp.to_identifier(name, quoted=True)).sql(dialect="databricks")


def snake_name(text: str) -> str:
    """``Unit Price`` and ``unitPrice`` -> ``unit_price``: a tidy model name."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text.strip())
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def words(name: str) -> str:
    """``order_date`` -> ``Order date``: a display name."""
    text = " ".join(snake_name(name).split("_"))
    return text[:1].upper() + text[1:]


class _FlowMapping(dict[str, Any]):
    """A mapping written on one line, as the shipped models write ``format``."""


class _ModelDumper(yaml.SafeDumper):
    """Indents list items under their key, as the shipped models do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_ModelDumper.add_representer(
    _FlowMapping,
    lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True),
)


def model_yaml(view: MetricView, header: Sequence[str] = ()) -> str:
    """The model as tidy YAML in the shipped files' key order; ``version`` reads back as 1.1."""
    data = view.model_dump(by_alias=True, exclude_defaults=True, exclude_none=True, mode="json")
    for kind in ("dimensions", "measures"):
        for item in data.get(kind, []):
            if "format" in item:
                item["format"] = _FlowMapping(item["format"])
    order = ("version", "comment", "source", "filter", "joins", "dimensions", "measures")
    ordered = {key: data[key] for key in order if key in data}
    ordered.update({key: value for key, value in data.items() if key not in ordered})
    ordered["version"] = float(view.version)  # unquoted 1.1, as Databricks writes it
    body = yaml.dump(ordered, Dumper=_ModelDumper, sort_keys=False, allow_unicode=True, width=100)
    return "".join(f"# {line}\n".replace("# \n", "#\n") for line in header) + body


def write_model_files(files: Sequence[tuple[Path, str]], *, force: bool) -> None:
    """Write every file or none: each must load without problems, none may exist unless
    ``force``. Files are written next to their target and renamed into place."""
    from lakechat.semantic.loader import load_model_file

    existing = [str(path) for path, _ in files if path.exists()]
    if existing and not force:
        verb = "exists" if len(existing) == 1 else "exist"
        raise Conflict(f"{', '.join(existing)} already {verb}; pass --force to replace it")
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.partial")
            temporary.write_text(text, encoding="utf-8")
            staged.append((temporary, path))
            _, problems = load_model_file(temporary)
            if problems:  # a bug in the drafting code, never the user's doing
                raise LakechatError(f"the generated {path.name} does not load: {problems[0]}")
        for temporary, path in staged:
            os.replace(temporary, path)
    except OSError as exc:
        raise BadRequest(f"cannot write {exc.filename}: {exc.strerror}") from None
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


def _kind(type_name: str, dialect: str) -> str:
    try:
        data_type = exp.DataType.build(type_name, dialect=dialect)
    except (sqlglot.errors.ParseError, ValueError):
        return "other"
    if data_type.is_type(*DATE_TYPES):
        return "date"
    if data_type.is_type(*TIMESTAMP_TYPES):
        return "timestamp"
    if data_type.is_type(*exp.DataType.NUMERIC_TYPES):
        return "number"
    return "text" if data_type.is_type(*TEXT_TYPES) else "other"


def _is_integer(type_name: str, dialect: str) -> bool:
    data_type = exp.DataType.build(type_name, dialect=dialect)
    return data_type.is_type(*exp.DataType.INTEGER_TYPES)


def _shared_prefix(names: Sequence[str]) -> str:
    """TPC-H's ``o_`` on every column of orders: dropped from the model's names."""
    found = {match.group(0) for name in names if (match := re.match(r"[a-z]{1,2}_", name))}
    prefixed = all(re.match(r"[a-z]{1,2}_.", name) for name in names)
    return found.pop() if len(names) > 1 and prefixed and len(found) == 1 else ""
