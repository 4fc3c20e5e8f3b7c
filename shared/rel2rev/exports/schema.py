"""Export table schemas, derived from typed row models so docs, files and DDL cannot drift.

A table is a pydantic row model: each field is a column, its annotation the column type and its
`description` the documented meaning. Money columns are `Decimal` beside a `currency` column and
are written as `decimal(38, 4)` (4 is the largest ISO 4217 minor-unit exponent), so no amount is
ever rounded on the way out.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict

MONEY_PRECISION = 38
MONEY_SCALE = 4


class ColumnType(StrEnum):
    """The logical type of an export column."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    DECIMAL = "decimal"
    TIMESTAMP = "timestamp"
    DATE = "date"
    BOOLEAN = "boolean"


class ExportRow(BaseModel):
    """Base of every export row model; subclasses set `TABLE` and `DESCRIPTION`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TABLE: ClassVar[str]
    DESCRIPTION: ClassVar[str]


class Column(BaseModel):
    """One documented column of an export table."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: ColumnType
    nullable: bool
    description: str


class TableSchema(BaseModel):
    """The name, purpose and ordered columns of one export table."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        """Column names in file order."""
        return [c.name for c in self.columns]


_SCALARS: dict[type, ColumnType] = {
    str: ColumnType.STRING,
    bool: ColumnType.BOOLEAN,
    int: ColumnType.INTEGER,
    float: ColumnType.FLOAT,
    Decimal: ColumnType.DECIMAL,
    datetime: ColumnType.TIMESTAMP,
    date: ColumnType.DATE,
}


def _column_type(annotation: Any) -> tuple[ColumnType, bool]:
    """Map a field annotation (optionally `X | None`) to (column type, nullable)."""
    nullable = False
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(get_args(annotation))
        if len(args) != 1:
            raise TypeError(f"export columns hold one type, not {annotation!r}")
        annotation = args[0]
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return ColumnType.STRING, nullable
    for python_type, column_type in _SCALARS.items():
        if annotation is python_type:
            return column_type, nullable
    raise TypeError(f"no export column type for {annotation!r}")


@cache
def schema_of(row_model: type[ExportRow]) -> TableSchema:
    """The table schema a row model describes (every field needs a description)."""
    columns = []
    for name, field in row_model.model_fields.items():
        if not field.description:
            raise TypeError(f"{row_model.__name__}.{name} has no description")
        column_type, nullable = _column_type(field.annotation)
        columns.append(
            Column(name=name, type=column_type, nullable=nullable, description=field.description)
        )
    return TableSchema(
        name=row_model.TABLE, description=row_model.DESCRIPTION, columns=tuple(columns)
    )


class Table:
    """One export table's data held column-wise (cheap for millions of credit lines).

    Checked on construction against the row model: exactly its columns, equal lengths, and no
    null where the column is not nullable; the writers then check each value's type.
    """

    __slots__ = ("columns", "row_model")

    def __init__(self, row_model: type[ExportRow], **columns: Sequence[Any]) -> None:
        schema = schema_of(row_model)
        if set(columns) != set(schema.column_names):
            raise ValueError(
                f"{schema.name}: columns {sorted(columns)} are not {sorted(schema.column_names)}"
            )
        if len({len(values) for values in columns.values()}) > 1:
            raise ValueError(f"{schema.name}: columns of different lengths")
        for column in schema.columns:
            if not column.nullable and None in columns[column.name]:
                raise ValueError(f"{schema.name}.{column.name} is not nullable")
        self.row_model = row_model
        self.columns: dict[str, list[Any]] = {n: list(columns[n]) for n in schema.column_names}

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Row tuples in column order."""
        return zip(*self.columns.values(), strict=True)

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts (column name -> value)."""
        names = list(self.columns)
        return [dict(zip(names, row, strict=True)) for row in self.rows()]
