"""The cells of an analyst's file, parsed a column at a time (Arrow and numpy).

Every parser works on a column's *distinct* values (Arrow's dictionary encoding), so its Python
work grows with the distinct values, not with the rows: a 4M-row file whose channel column has
12 values parses 12 strings. Validation is vectorised too, and an error names the first bad data
row and the field (rows are 0-based here; messages say `row + 1`), exactly as a row-by-row
reader would: the first row flagged is re-checked on its own to word the message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rel2rev.attribution.table import BoolArray, FloatArray, IntArray
from rel2rev.errors import InputError
from rel2rev.money import is_known_currency, minor_exponent

Column: TypeAlias = "pa.Array | pa.ChunkedArray"
T = TypeVar("T")
TRUE = frozenset({"1", "true", "yes", "y", "t"})
FALSE = frozenset({"0", "false", "no", "n", "f", ""})


def bad(row: int, field: str, why: str) -> InputError:
    """The error for data row `row` (0-based) of `field`."""
    return InputError(f"row {row + 1}, field {field}: {why}")


class MissingCurrencyError(InputError):
    """An amount with no currency in its row and no default currency."""

    def __init__(self, row: int, field: str, *, has_column: bool) -> None:
        where = "its currency cell is empty" if has_column else "the file has no currency column"
        super().__init__(f"row {row + 1}, field {field}: an amount without a currency ({where})")
        self.has_column = has_column


def cell(value: object) -> str:
    """A cell as trimmed text; missing (None, NaN, NaT, NA) is empty."""
    missing = value is None or value is pd.NA or value is pd.NaT
    if missing or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


@dataclass(frozen=True)
class Categories:
    """A column as codes into its distinct non-empty texts (trimmed, in order of first
    appearance); code -1 is an empty or missing cell."""

    codes: IntArray
    labels: list[str]

    def text(self, row: int) -> str:
        """The trimmed text of one row ("" when empty)."""
        code = int(self.codes[row])
        return self.labels[code] if code >= 0 else ""

    def texts(self) -> list[str]:
        """Every row's trimmed text ("" when empty)."""
        labels = np.array([*self.labels, ""], dtype=object)
        return list(labels[self.codes])

    def first(self, where: BoolArray) -> int | None:
        """The first row flagged in a per-label mask (None when no row is)."""
        flagged = np.flatnonzero(np.append(where, False)[self.codes])
        return int(flagged[0]) if len(flagged) else None

    def relabel(self, labels: Sequence[str]) -> Categories:
        """The same rows under new texts per label; labels that become equal merge (first
        appearance kept) and an empty text becomes an empty cell."""
        numbering: dict[str, int] = {}
        remap = np.full(len(labels) + 1, -1, dtype=np.int64)
        for code, text in enumerate(labels):
            if text:
                remap[code] = numbering.setdefault(text, len(numbering))
        return Categories(remap[self.codes], list(numbering))


def _dictionary(column: Column) -> pa.DictionaryArray:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        return array
    try:
        encoded: pa.DictionaryArray = pc.dictionary_encode(array)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
        texts = pa.array([cell(v) for v in array.to_pylist()], type=pa.large_string())
        encoded = pc.dictionary_encode(texts)
    return encoded


def categories(column: Column) -> Categories:
    """The column's cells as trimmed texts, by distinct value (see `Categories`).

    Text whose distinct values need no trimming (the usual case) skips Python entirely but
    for listing them; anything else is trimmed value by value, exactly as `cell` does. A
    mostly empty column (a per-journey value on few journeys) encodes its filled cells only."""
    if column.null_count > len(column) // 2:
        filled = pc.is_valid(column).to_numpy(zero_copy_only=False)
        dense = categories(column.filter(filled))
        codes = np.full(len(column), -1, dtype=np.int64)
        codes[filled] = dense.codes
        return Categories(codes, dense.labels)
    encoded = _dictionary(column)
    dictionary, indices = encoded.dictionary, encoded.indices
    text = pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)
    if text and not dictionary.null_count:
        padded = pc.match_substring_regex(dictionary, _EDGE_SPACE)
        labels = dictionary.to_pylist()
        given = pa.types.is_dictionary(column.type)  # a file's dictionary may repeat values
        if not pc.any(padded).as_py() and (not given or len(set(labels)) == len(labels)):
            codes = np.asarray(indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
            empty = pc.index(dictionary, "").as_py()
            if empty >= 0:  # an empty text is an empty cell; later labels move down one
                del labels[empty]
                codes = np.where(codes == empty, -1, codes - (codes > empty))
            return Categories(codes, labels)
    raw = [cell(v) for v in dictionary.to_pylist()]
    codes = np.asarray(indices.fill_null(len(raw)).to_numpy(zero_copy_only=False), np.int64)
    return Categories(codes, raw).relabel(raw)


_EDGE_SPACE = "^[{0}]|[{0}]$".format(
    "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace())
)
"""A text starting or ending with a character `str.strip` removes (RE2 syntax)."""


def per_label(labels: Sequence[str], fn: Callable[[str], T]) -> list[T]:
    """`fn` of each distinct text."""
    return [fn(text) for text in labels]


def seconds(column: Column, field: str, *, required: bool) -> FloatArray:
    """Seconds since the epoch per row (NaN where empty and allowed). Text is read as ISO 8601
    (UTC when it has no offset); date and timestamp columns are read as they are (UTC)."""
    kind = column.type
    if pa.types.is_dictionary(kind) and not pa.types.is_string(kind.value_type):
        column, kind = column.cast(kind.value_type), kind.value_type
    if pa.types.is_date(kind):
        column, kind = column.cast(pa.timestamp("s")), pa.timestamp("s")
    if is_text(kind) and (stamped := _iso_timestamps(column)) is not None:
        column, kind = stamped, stamped.type
    if pa.types.is_timestamp(kind):
        ticks = column.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        to_ns = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}[kind.unit]
        values = np.asarray(ticks, dtype=np.int64) * to_ns / 1_000_000_000  # as pandas does
        values[pc.is_null(column).to_numpy(zero_copy_only=False)] = np.nan
    else:
        cats = categories(column)
        at = _iso_seconds(cats.labels)
        row = cats.first(np.isnan(at))
        if row is not None:
            raise bad(row, field, f"cannot parse {cats.text(row)!r} as a date")
        values = np.append(at, np.nan)[cats.codes]
    if required and np.isnan(values).any():
        raise bad(int(np.flatnonzero(np.isnan(values))[0]), field, "missing")
    return values


def is_text(kind: pa.DataType) -> bool:
    """A string column (not a dictionary of strings)."""
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _iso_timestamps(column: Column) -> Column | None:
    """Arrow's own parse of an ISO 8601 text column whose cells all carry an offset, or none
    does (UTC); None when Arrow cannot read every cell, and the exact per-value path decides
    (mixed forms, a bad date: its error names the row)."""
    trimmed = pc.utf8_trim_whitespace(column)
    trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, trimmed.type), trimmed)
    for kind in (pa.timestamp("ns", "UTC"), pa.timestamp("ns")):
        try:
            return pc.cast(trimmed, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return None


_ZONED = re.compile(r":.*(?:[zZ]|[+-]\d\d(?::?\d\d)?)$")
"""An ISO 8601 time of day followed by a zone: `Z`, `+02`, `+0200` or `+02:00`."""


def _iso_seconds(texts: list[str]) -> FloatArray:
    """ISO 8601 texts to seconds since the epoch (NaN where unreadable), those with a zone
    apart from those without: pandas' parser, given both at once, can read a time without a
    zone in the zone of the one before it (pandas-dev/pandas#61389)."""
    zoned = np.array([bool(_ZONED.search(text)) for text in texts], dtype=bool)
    out = np.full(len(texts), np.nan)
    for part in (np.flatnonzero(zoned), np.flatnonzero(~zoned)):
        if len(part):
            chosen = pd.Series([texts[i] for i in part], dtype=object)
            times = pd.to_datetime(chosen, utc=True, errors="coerce", format="ISO8601")
            since = times - pd.Timestamp(0, tz="UTC")
            out[part] = since.dt.total_seconds().to_numpy(dtype=np.float64)
    return out


def counts(column: Column, field: str) -> FloatArray:
    """Non-negative counts per row (0 where empty)."""
    cats = categories(column)
    parsed = per_label(cats.labels, _float)
    values = np.array([math.nan if v is None else v for v in parsed] + [0.0], dtype=np.float64)
    row = cats.first(~(np.isfinite(values[:-1]) & (values[:-1] >= 0)))
    if row is not None:
        text = cats.text(row)
        if _float(text) is None:
            raise bad(row, field, f"cannot parse {text!r} as a count")
        raise bad(row, field, f"{text!r} is not a non-negative count")
    return values[cats.codes]


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def currencies(column: Column | None, rows: int, default: str | None) -> Categories:
    """Each row's currency: its own (upper-cased), else `default`; -1 where neither is given.
    An unknown code is an error."""
    if column is None:
        codes = np.full(rows, -1 if default is None else 0, dtype=np.int64)
        return Categories(codes, [] if default is None else [default])
    cats = categories(column)
    row = cats.first(np.array([not is_known_currency(t.upper()) for t in cats.labels], bool))
    if row is not None:
        raise bad(row, "currency", f"unknown ISO 4217 currency {cats.text(row)!r}")
    labels = [t.upper() for t in cats.labels]
    if default is None:
        return cats.relabel(labels)
    with_default = Categories(np.where(cats.codes < 0, len(labels), cats.codes), labels)
    return with_default.relabel([*labels, default])


def _amount(text: str, code: str | None, row: int, field: str, has_column: bool) -> Decimal:
    """One amount, checked as the module docstring says (the scalar wording of errors)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise bad(row, field, f"cannot parse {text!r} as an amount") from None
    if not value.is_finite() or value < 0:
        raise bad(row, field, f"{text!r} is not a non-negative amount")
    if code is None:
        raise MissingCurrencyError(row, field, has_column=has_column)
    if _decimals(value) > minor_exponent(code):
        raise bad(row, field, f"{text!r} is finer than the {code} minor unit")
    return value


def _decimals(value: Decimal) -> int:
    """Digits after the point that are not trailing zeros (0 for whole numbers)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class Amounts:
    """Exact amounts: per row a code into `values` (-1 where empty); equal amounts share a
    code whatever their digits (`100` and `100.00`); `cells` keeps each row's own text."""

    codes: IntArray
    values: list[Decimal]
    cells: Categories

    def written(self, row: int) -> str:
        """The amount of `row` as the file wrote it (as a decimal)."""
        return str(Decimal(self.cells.text(row)))


def amounts(column: Column, field: str, currency: Categories, *, has_column: bool) -> Amounts:
    """Exact non-negative amounts, each with a currency and no digits finer than its minor
    unit (`MissingCurrencyError` for an amount without a currency)."""
    cats = categories(column)
    parsed: list[Decimal | None] = []
    for text in cats.labels:
        try:
            value: Decimal | None = Decimal(text)
        except InvalidOperation:
            value = None
        parsed.append(value if value is not None and value.is_finite() and value >= 0 else None)
    decimals = np.array([*(-1 if v is None else _decimals(v) for v in parsed), 0], dtype=np.int64)
    minor = np.array([*(minor_exponent(c) for c in currency.labels), -1], dtype=np.int64)
    rows = np.flatnonzero(cats.codes >= 0)
    row_decimals = decimals[cats.codes[rows]]
    row_minor = minor[currency.codes[rows]]  # -1 (no currency) reads the last entry: -1
    flagged = (row_decimals < 0) | (row_minor < 0) | (row_decimals > row_minor)
    if flagged.any():
        row = int(rows[np.argmax(flagged)])
        code = currency.text(row) or None
        _amount(cats.text(row), code, row, field, has_column)
        raise AssertionError(f"row {row + 1}: flagged, yet valid")  # the two checks disagree
    numbering: dict[Decimal, int] = {}
    remap = np.full(len(parsed) + 1, -1, dtype=np.int64)
    for label, value in enumerate(parsed):
        if value is not None:
            remap[label] = numbering.setdefault(value, len(numbering))
    return Amounts(remap[cats.codes], list(numbering), cats)


def flags(column: Column, field: str) -> BoolArray:
    """Yes/no per row (an empty cell is no)."""
    if pa.types.is_boolean(column.type):
        return np.asarray(column.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    cats = categories(column)
    lowered = [t.lower() for t in cats.labels]
    row = cats.first(np.array([t not in TRUE | FALSE for t in lowered], dtype=bool))
    if row is not None:
        raise bad(row, field, f"{cats.text(row)!r} is not a yes/no value")
    return np.array([*(t in TRUE for t in lowered), False], dtype=bool)[cats.codes]


@dataclass(frozen=True)
class JourneyRows:
    """The rows of each journey, ordered by journey, then time, then row: journey `j`'s rows
    are `order[starts[j]:starts[j + 1]]`; every journey has a row."""

    journey: IntArray
    order: IntArray
    starts: IntArray

    @classmethod
    def of(cls, journey: IntArray, ts: FloatArray, n: int) -> JourneyRows:
        """Order rows by their journey code (0..n-1, each used) and time `ts`, stably: one
        Arrow sort, none when the rows already come so (a sorted export)."""
        grouped = bool(np.all(journey[1:] >= journey[:-1]))
        same = journey[1:] == journey[:-1]
        if grouped and not np.any(same & (ts[1:] < ts[:-1])):
            order = np.arange(len(journey), dtype=np.int64)
        else:
            narrow = journey.astype(np.int32) if n < 2**31 else journey  # sorts faster
            keys = pa.table({"journey": narrow, "ts": ts})
            sort = [("journey", "ascending"), ("ts", "ascending")]  # Arrow's sort is stable
            order = np.asarray(pc.sort_indices(keys, sort_keys=sort).to_numpy(), np.int64)
        starts = np.concatenate([[0], np.cumsum(np.bincount(journey, minlength=n))])
        return cls(journey, order, starts.astype(np.int64))

    def first(self, present: BoolArray) -> IntArray:
        """Per journey, its first row (in row order, not time) where `present` holds; -1 for
        none."""
        rows = len(self.journey)
        flagged = np.where(present[self.order], self.order, rows)
        first = np.minimum.reduceat(flagged, self.starts[:-1]) if rows else flagged
        return np.where(first < rows, first, -1)

    def single(
        self, values: npt.NDArray[Any], present: BoolArray, *, field: str,
        show: Callable[[int], str],
    ) -> IntArray:  # fmt: skip
        """Per journey, the first row holding its value of a per-journey column (-1: none).

        Rows of one journey with different present values are an error at the first row that
        differs from an earlier one; `show(row)` words that earlier value."""
        first = self.first(present)
        rows = np.flatnonzero(present)
        differs = values[rows] != values[first[self.journey[rows]]]
        if differs.any():
            row = int(rows[np.argmax(differs)])
            earlier = int(first[self.journey[row]])
            why = f"conflicts with an earlier row of the same journey ({show(earlier)})"
            raise bad(row, field, why)
        return first
