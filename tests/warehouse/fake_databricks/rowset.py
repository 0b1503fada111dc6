"""DuckDB results in the Thrift shapes a Databricks SQL warehouse answers with.

The fake answers in COLUMN_BASED_SET form: one typed ``TColumn`` per column, with a null
bitmap, and the Hive type of each column (``DECIMAL`` carries its precision and scale as
type qualifiers). The connector decodes this form with or without pyarrow installed.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from databricks.sql.thrift_api.TCLIService import ttypes

INT64 = range(-(2**63), 2**63)
DECIMAL_TYPE = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


@dataclass(frozen=True)
class WireType:
    """How one column travels: its Hive type, its TColumn field, its value encoder."""

    type_id: int
    field: str
    column_class: type
    encode: Callable[[Any], Any]
    filler: Any
    precision: int | None = None
    scale: int | None = None


def _text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:  # an instant, shown in UTC as the warehouse shows it
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


T = ttypes.TTypeId
SIMPLE: dict[str, WireType] = {
    "BOOLEAN": WireType(T.BOOLEAN_TYPE, "boolVal", ttypes.TBoolColumn, bool, False),
    "TINYINT": WireType(T.TINYINT_TYPE, "byteVal", ttypes.TByteColumn, int, 0),
    "SMALLINT": WireType(T.SMALLINT_TYPE, "i16Val", ttypes.TI16Column, int, 0),
    "INTEGER": WireType(T.INT_TYPE, "i32Val", ttypes.TI32Column, int, 0),
    "BIGINT": WireType(T.BIGINT_TYPE, "i64Val", ttypes.TI64Column, int, 0),
    "FLOAT": WireType(T.FLOAT_TYPE, "doubleVal", ttypes.TDoubleColumn, float, 0.0),
    "DOUBLE": WireType(T.DOUBLE_TYPE, "doubleVal", ttypes.TDoubleColumn, float, 0.0),
    "DATE": WireType(T.DATE_TYPE, "stringVal", ttypes.TStringColumn, _text, ""),
    "TIMESTAMP": WireType(T.TIMESTAMP_TYPE, "stringVal", ttypes.TStringColumn, _text, ""),
    "BLOB": WireType(T.BINARY_TYPE, "binaryVal", ttypes.TBinaryColumn, bytes, b""),
}
for _variant in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"):
    SIMPLE[_variant] = SIMPLE["TIMESTAMP"]
STRING = WireType(T.STRING_TYPE, "stringVal", ttypes.TStringColumn, _text, "")
WIDE_INTEGERS = {"HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"}


def wire_type(duck_type: str, values: list[Any]) -> WireType:
    """The Databricks type for a DuckDB column (SUM of integers is BIGINT there, HUGEINT here)."""
    if duck_type in WIDE_INTEGERS:
        if all(v is None or v in INT64 for v in values):
            return SIMPLE["BIGINT"]
        duck_type = "DECIMAL(38,0)"
    decimal = DECIMAL_TYPE.fullmatch(duck_type)
    if decimal:
        precision, scale = int(decimal[1]), int(decimal[2])
        return WireType(
            T.DECIMAL_TYPE, "stringVal", ttypes.TStringColumn, _text, "", precision, scale
        )
    return SIMPLE.get(duck_type, STRING)


def wire_types(columns: tuple[tuple[str, str], ...], rows: list[tuple[Any, ...]]) -> list[WireType]:
    return [
        wire_type(duck_type, [row[position] for row in rows])
        for position, (_, duck_type) in enumerate(columns)
    ]


def table_schema(columns: tuple[tuple[str, str], ...], wires: list[WireType]) -> Any:
    described = []
    for position, ((name, _), wire) in enumerate(zip(columns, wires, strict=True)):
        qualifiers = None
        if wire.precision is not None:
            qualifiers = ttypes.TTypeQualifiers(
                {
                    "precision": ttypes.TTypeQualifierValue(i32Value=wire.precision),
                    "scale": ttypes.TTypeQualifierValue(i32Value=wire.scale),
                }
            )
        entry = ttypes.TTypeEntry(
            primitiveEntry=ttypes.TPrimitiveTypeEntry(wire.type_id, qualifiers)
        )
        described.append(ttypes.TColumnDesc(name, ttypes.TTypeDesc([entry]), position + 1))
    return ttypes.TTableSchema(described)


def row_set(wires: list[WireType], start: int, page: list[tuple[Any, ...]]) -> Any:
    """One page of rows, column by column, each with its null bitmap."""
    encoded = []
    for position, wire in enumerate(wires):
        nulls = bytearray((len(page) + 7) // 8)
        values = []
        for index, row in enumerate(page):
            value = row[position]
            if value is None:
                nulls[index >> 3] |= 1 << (index & 7)
                values.append(wire.filler)
            else:
                values.append(wire.encode(value))
        encoded.append(ttypes.TColumn(**{wire.field: wire.column_class(values, bytes(nulls))}))
    return ttypes.TRowSet(startRowOffset=start, rows=[], columns=encoded)
