"""Write export rows as CSV (exact decimal strings) and Parquet (decimal128 money columns)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from rel2rev.exports.schema import (
    MONEY_PRECISION,
    MONEY_SCALE,
    ColumnType,
    Table,
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
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def to_csv(table: Table) -> bytes:
    """UTF-8 CSV with a header row; decimals exact, empty cell for null, ISO 8601 times."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows())
    return buffer.getvalue().encode("utf-8")


def to_parquet(table: Table) -> bytes:
    """A Parquet file (zstd) typed by the row model; wrong types and lossy decimals raise."""
    schema = arrow_schema(schema_of(table.row_model))
    arrays = [pa.array(table.columns[field.name], type=field.type) for field in schema]
    data = pa.Table.from_arrays(arrays, schema=schema)
    sink = io.BytesIO()
    pq.write_table(data, sink, compression="zstd")
    return sink.getvalue()
