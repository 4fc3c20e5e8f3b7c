"""Write export rows as CSV (exact decimal strings) and Parquet (decimal128 money columns)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import pyarrow as pa
import pyarrow.parquet as pq

from rel2rev.exports.schema import (
    MONEY_PRECISION,
    MONEY_SCALE,
    ColumnType,
    ExportRow,
    TableSchema,
    schema_of,
)

_ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.STRING: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.FLOAT: pa.float64(),
    ColumnType.DECIMAL: pa.decimal128(MONEY_PRECISION, MONEY_SCALE),
    ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ColumnType.DATE: pa.date32(),
    ColumnType.BOOLEAN: pa.bool_(),
}


def arrow_schema(schema: TableSchema) -> pa.Schema:
    """The Parquet schema of a table, with each column's description as field metadata."""
    fields = [
        pa.field(
            c.name,
            _ARROW_TYPES[c.type],
            nullable=c.nullable,
            metadata={"description": c.description},
        )
        for c in schema.columns
    ]
    return pa.schema(fields, metadata={"table": schema.name, "description": schema.description})


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _arrow_value(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def to_csv(row_model: type[ExportRow], rows: Sequence[ExportRow]) -> bytes:
    """UTF-8 CSV with a header row; decimals exact, empty cell for null, ISO 8601 times."""
    names = schema_of(row_model).column_names
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_csv_cell(getattr(row, name)) for name in names])
    return buffer.getvalue().encode("utf-8")


def to_parquet(row_model: type[ExportRow], rows: Sequence[ExportRow]) -> bytes:
    """A Parquet file (zstd) typed by the row model; decimals that would lose digits raise."""
    schema = arrow_schema(schema_of(row_model))
    columns = {
        field.name: pa.array(
            [_arrow_value(getattr(row, field.name)) for row in rows], type=field.type
        )
        for field in schema
    }
    table = pa.Table.from_pydict(columns, schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()
