"""Column types as Unity Catalog reports them: ``type_text``, ``type_name`` and ``type_json``.

A ``ColumnInfo`` carries a type three ways: ``type_text`` as Databricks SQL spells it in
lower case (``decimal(12,2)``, ``array<string>``, ``struct<a:int,b:string>``), ``type_name``
from the SDK's ``ColumnTypeName`` enum (``bigint`` is ``LONG``, ``int`` is ``INT``), and
``type_json``, the Spark ``StructField`` as JSON. Types come in as sqlglot ``DataType``
trees, parsed from a DuckDB file's column types (seeding) or from a ``CREATE TABLE``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

T = exp.DataType.Type

#: simple types: sqlglot type -> (type_name, type_text, Spark JSON type)
_SIMPLE: dict[Any, tuple[str, str, str]] = {
    T.BIGINT: ("LONG", "bigint", "long"),
    T.INT: ("INT", "int", "integer"),
    T.SMALLINT: ("SHORT", "smallint", "short"),
    T.TINYINT: ("BYTE", "tinyint", "byte"),
    T.UTINYINT: ("SHORT", "smallint", "short"),
    T.USMALLINT: ("INT", "int", "integer"),
    T.UINT: ("LONG", "bigint", "long"),
    T.TEXT: ("STRING", "string", "string"),
    T.UUID: ("STRING", "string", "string"),
    T.JSON: ("STRING", "string", "string"),
    T.DOUBLE: ("DOUBLE", "double", "double"),
    T.FLOAT: ("FLOAT", "float", "float"),
    T.BOOLEAN: ("BOOLEAN", "boolean", "boolean"),
    T.DATE: ("DATE", "date", "date"),
    # Databricks' TIMESTAMP is an instant; DuckDB's plain TIMESTAMP has no time zone
    T.TIMESTAMPTZ: ("TIMESTAMP", "timestamp", "timestamp"),
    T.TIMESTAMP: ("TIMESTAMP_NTZ", "timestamp_ntz", "timestamp_ntz"),
    T.TIMESTAMPNTZ: ("TIMESTAMP_NTZ", "timestamp_ntz", "timestamp_ntz"),
    T.BINARY: ("BINARY", "binary", "binary"),
    T.VARBINARY: ("BINARY", "binary", "binary"),
    T.BLOB: ("BINARY", "binary", "binary"),
    T.VARIANT: ("VARIANT", "variant", "variant"),
}
#: integers wider than Databricks' BIGINT become DECIMAL(38,0)
_WIDE = {T.INT128, T.UINT128, T.UBIGINT, T.INT256, T.UINT256}


class UnsupportedType(ValueError):
    """A type Unity Catalog has no column type for."""


@dataclass(frozen=True)
class ColumnType:
    type_name: str
    type_text: str
    spark: Any  # the Spark JSON type: a string, or an object for nested types
    precision: int = 0
    scale: int = 0


def from_duckdb(type_text: str) -> ColumnType:
    """A DuckDB column type (``information_schema.columns.data_type``)."""
    return describe(exp.DataType.build(type_text, dialect="duckdb"))


def from_databricks(type_text: str) -> ColumnType:
    return describe(exp.DataType.build(type_text, dialect="databricks"))


def describe(data_type: exp.DataType) -> ColumnType:
    kind = data_type.this
    params = [int(p.name) for p in data_type.expressions if isinstance(p, exp.DataTypeParam)]
    if kind in _SIMPLE:
        return ColumnType(*_SIMPLE[kind])
    if kind in (T.VARCHAR, T.NVARCHAR, T.CHAR, T.NCHAR):
        if not params:
            return ColumnType(*_SIMPLE[T.TEXT])
        word = "char" if kind in (T.CHAR, T.NCHAR) else "varchar"
        return ColumnType("CHAR" if word == "char" else "STRING", f"{word}({params[0]})", "string")
    if kind in (T.DECIMAL, *_WIDE):
        precision, scale = 38, 0
        if kind == T.DECIMAL:  # Databricks' DECIMAL alone is DECIMAL(10,0)
            precision = params[0] if params else 10
            scale = params[1] if len(params) > 1 else 0
        text = f"decimal({precision},{scale})"
        return ColumnType("DECIMAL", text, text, precision, scale)
    if kind == T.ARRAY:
        element = describe(_nested(data_type, 0))
        return ColumnType(
            "ARRAY",
            f"array<{element.type_text}>",
            {"type": "array", "elementType": element.spark, "containsNull": True},
        )
    if kind == T.MAP:
        key, value = describe(_nested(data_type, 0)), describe(_nested(data_type, 1))
        return ColumnType(
            "MAP",
            f"map<{key.type_text},{value.type_text}>",
            {
                "type": "map",
                "keyType": key.spark,
                "valueType": value.spark,
                "valueContainsNull": True,
            },
        )
    if kind == T.STRUCT:
        fields = []
        texts = []
        for field in data_type.expressions:
            if not isinstance(field, exp.ColumnDef) or not isinstance(field.kind, exp.DataType):
                raise UnsupportedType(data_type.sql(dialect="databricks"))
            inner = describe(field.kind)
            fields.append(
                {"name": field.name, "type": inner.spark, "nullable": True, "metadata": {}}
            )
            texts.append(f"{field.name}:{inner.type_text}")
        return ColumnType(
            "STRUCT", f"struct<{','.join(texts)}>", {"type": "struct", "fields": fields}
        )
    raise UnsupportedType(data_type.sql(dialect="databricks"))


def _nested(data_type: exp.DataType, index: int) -> exp.DataType:
    found = data_type.expressions[index]
    if not isinstance(found, exp.DataType):
        raise UnsupportedType(data_type.sql(dialect="databricks"))
    return found


def type_json(name: str, column_type: ColumnType, nullable: bool, comment: str | None) -> str:
    """The column as a Spark ``StructField`` in JSON, which is what ``type_json`` holds."""
    metadata = {"comment": comment} if comment else {}
    field = {"name": name, "type": column_type.spark, "nullable": nullable, "metadata": metadata}
    return json.dumps(field, separators=(",", ":"))
