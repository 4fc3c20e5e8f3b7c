"""Line tables: many small records of one kind held as columns, read as a sequence of models.

A run publishes millions of credit lines. Held as one pydantic object (and one `Money`) per
line, they cost about a kilobyte each; held as columns (a list per field, the labels shared),
a few hundred bytes, and building them costs no validation. `LineTable[T]` stores the fields
of model `T` as columns (a `Money` field as two: `<name>` Decimal and `<name>_currency`), reads
as a `Sequence[T]` (items built on access), compares by content, and validates and serialises
exactly as `list[T]` does, so JSON, API and storage shapes do not change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Generic, Self, TypeVar, overload

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from rel2rev.money import Money

T = TypeVar("T", bound=BaseModel)


class LineTable(Sequence[T], Generic[T]):
    """Records of `item` as columns; subclasses set `item` and `money` (their Money fields)."""

    item: ClassVar[type[BaseModel]]
    money: ClassVar[tuple[str, ...]] = ()

    __slots__ = ("_columns",)

    def __init__(self, columns: dict[str, list[Any]] | None = None) -> None:
        names = self.column_names()
        given = columns or {}
        unknown = set(given) - set(names)
        if unknown:
            raise ValueError(f"unknown columns {sorted(unknown)} (known: {names})")
        sizes = {len(given[n]) for n in given}
        if len(sizes) > 1:
            raise ValueError(f"columns of different lengths: {sorted(sizes)}")
        size = sizes.pop() if sizes else 0
        self._columns: dict[str, list[Any]] = {
            n: given[n] if n in given else [None] * size for n in names
        }

    @classmethod
    def column_names(cls) -> list[str]:
        """Every column: the item's fields, each Money field followed by its currency."""
        return list(_columns_of(cls.item, cls.money))

    @classmethod
    def of(cls, items: Iterable[T]) -> Self:
        """A table of these items."""
        columns: dict[str, list[Any]] = {n: [] for n in cls.column_names()}
        for item in items:
            for name in cls.item.model_fields:
                value = getattr(item, name)
                if name in cls.money:
                    columns[name].append(None if value is None else value.amount)
                    columns[f"{name}_currency"].append(None if value is None else value.currency)
                else:
                    columns[name].append(value)
        return cls(columns)

    @classmethod
    def concat(cls, parts: Iterable[LineTable[T]]) -> Self:
        """One table of several, in order."""
        columns: dict[str, list[Any]] = {n: [] for n in cls.column_names()}
        for part in parts:
            for name, values in part._columns.items():
                columns[name].extend(values)
        return cls(columns)

    def take(self, rows: Iterable[int]) -> Self:
        """The lines at `rows`, in that order."""
        picked = list(rows)
        return type(self)({n: [v[i] for i in picked] for n, v in self._columns.items()})

    def column(self, name: str) -> list[Any]:
        """One column's values (the table's own list: do not change it)."""
        return self._columns[name]

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()), []))

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Self: ...
    def __getitem__(self, index: int | slice) -> T | Self:
        if isinstance(index, slice):
            return type(self)({n: v[index] for n, v in self._columns.items()})
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._item(index)

    def __iter__(self) -> Iterator[T]:
        for index in range(len(self)):
            yield self._item(index)

    def _item(self, index: int) -> T:
        values: dict[str, Any] = {}
        for name in self.item.model_fields:
            value: Any = self._columns[name][index]
            if name in self.money and value is not None:
                currency: str = self._columns[f"{name}_currency"][index]
                value = Money.model_construct(amount=value, currency=currency)
            values[name] = value
        built: T = self.item.model_construct(**values)  # type: ignore[assignment]
        return built

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LineTable):
            return type(other) is type(self) and other._columns == self._columns
        if isinstance(other, list):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} lines)"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        as_list = handler.generate_schema(list[cls.item])  # type: ignore[name-defined]
        from_list = core_schema.no_info_after_validator_function(cls.of, as_list)
        return core_schema.json_or_python_schema(
            json_schema=from_list,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_list]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls._dump,
                info_arg=True,
                return_schema=core_schema.list_schema(core_schema.any_schema()),
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The JSON schema of `list[item]`, for reading and for writing."""
        return handler(schema["json_schema"])  # type: ignore[typeddict-item]

    @classmethod
    def _dump(cls, value: LineTable[T] | list[T], info: core_schema.SerializationInfo) -> list[Any]:
        """The rows as `list[item]` dumps them, built from the columns (no model objects):
        money as `{"amount", "currency"}`; in JSON mode Decimals as text and datetimes in
        ISO 8601 with `Z`."""
        if not isinstance(value, LineTable):  # a plain list set by `model_copy(update=...)`
            value = cls.of(value)
        json = info.mode == "json"
        names = list(cls.item.model_fields)
        columns = [value._columns[n] for n in names]
        money = [value._columns[f"{n}_currency"] if n in cls.money else None for n in names]
        rows = []
        for index in range(len(value)):
            row: dict[str, Any] = {}
            for name, column, currency in zip(names, columns, money, strict=True):
                cell = column[index]
                if currency is not None and cell is not None:
                    cell = {"amount": str(cell) if json else cell, "currency": currency[index]}
                elif json and isinstance(cell, datetime):
                    cell = _iso(cell)
                elif json and isinstance(cell, Decimal):
                    cell = str(cell)
                row[name] = cell
            rows.append(row)
        return rows


@cache
def _columns_of(item: type[BaseModel], money: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for name in item.model_fields:
        out.append(name)
        if name in money:
            out.append(f"{name}_currency")
    return tuple(out)


def _iso(moment: datetime) -> str:
    """A datetime as pydantic writes it in JSON (UTC as `Z`)."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def decimal_of(units: int, exponent: int) -> Decimal:
    """`units` minor units as a Decimal with `exponent` decimals."""
    return Decimal(units).scaleb(-exponent)
