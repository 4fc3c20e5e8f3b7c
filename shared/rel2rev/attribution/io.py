"""Reading analysts' files: `touches` and `paths`, as CSV, JSONL or Parquet.

`touches`: one row per touch with `journey_id`, `ts`, `channel`; optional per-journey
`converted`, `revenue`, `conversion_ts`, `currency`, `lead_ts`, `opportunity_ts`, `closed_ts`;
every other column is a dimension a model can credit. Without a `converted` column a journey
converts when it has a `conversion_ts` or a `revenue`; when the file has none of the three,
every journey converts. Touches after a journey's `conversion_ts` are dropped. Times without
an offset are read as UTC. A row with neither `ts` nor `channel` is a journey row, not a touch
(it may carry the per-journey columns; its dimensions are not read): a journey with only such
rows has no touches.

`paths`: ChannelAttribution's aggregated format: `path` (`a > b > c`), `total_conversions`,
optional `total_conversion_value`, `total_null`, `currency`. Each row is one journey row
whose outcome counts are the totals; its value is split like a deal's amount. An empty path
is the journeys without touches.

An amount (`revenue`, `total_conversion_value`) needs a currency: the row's `currency`, else
the default the caller passes (`--currency`); with neither it is an error, never a guess.

CSV may be comma or semicolon separated; CSV and JSONL are read as UTF-8 unless told otherwise
(`encoding`). Every error names the data row (1 = the first row after the header / the first
line) and the field, and is raised as `InputError`.

Files are read as columns, never a Python object per row: Arrow reads CSV (in threads) and
Parquet (low-cardinality text as the dictionaries it is stored as), `cells` parses each column
by its distinct values, and one stable sort orders the touches (docs/analyst-files.md).
"""

from __future__ import annotations

import codecs
import csv
import gc
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rel2rev.attribution.cells import (
    Categories,
    JourneyRows,
    MissingCurrencyError,
    amounts,
    bad,
    categories,
    cell,
    counts,
    currencies,
    flags,
    is_text,
    seconds,
)
from rel2rev.attribution.table import (
    NONE_LABEL,
    BoolArray,
    FloatArray,
    IntArray,
    JourneyTable,
    RowIds,
)
from rel2rev.dataset import decoding_error
from rel2rev.errors import InputError
from rel2rev.money import Money

FORMATS = ("touches", "paths")
_PARSE_CHUNK = 20_000
"""Paths tokenized per Arrow call: smaller buffers, reused, lower peak memory (a bit slower)."""
PATH_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null", "currency")
PATH_REQUIRED = ("path", "total_conversions")
TOUCH_COLUMNS = ("journey_id", "ts", "channel")
"""The required columns of `touches`."""
JOURNEY_COLUMNS = (
    "converted", "revenue", "conversion_ts", "currency", "lead_ts", "opportunity_ts", "closed_ts",
)  # fmt: skip
"""The optional per-journey columns of `touches`; any other column is a dimension."""
STAGE_COLUMNS = ("lead_ts", "opportunity_ts", "closed_ts")
_DATETIME = "datetime, ISO 8601 (UTC if no offset)"
COLUMN_TYPES: dict[str, str] = {
    "journey_id": "text: the journey (deal) the touch belongs to",
    "ts": f"{_DATETIME}: when the touch happened",
    "channel": "text: the channel touched (the dimension credited by default); empty, with "
    "ts empty too: a journey row, no touch",
    "converted": "yes/no (1/0, true/false, yes/no, y/n, t/f), per journey",
    "revenue": "decimal amount >= 0, at most the currency's decimals, per journey",
    "conversion_ts": f"{_DATETIME}, per journey; later touches are dropped",
    "currency": "ISO 4217 code of the amounts (EUR, USD, ...); default --currency",
    "lead_ts": f"{_DATETIME}, per journey: became a lead",
    "opportunity_ts": f"{_DATETIME}, per journey: became an opportunity",
    "closed_ts": f"{_DATETIME}, per journey: closed",
    "path": "text: the channels in order, joined by ' > '; empty: no touches",
    "total_conversions": "count >= 0 (a number): journeys of this path that converted",
    "total_conversion_value": "decimal amount >= 0: the value of those conversions",
    "total_null": "count >= 0 (a number): journeys of this path that did not convert",
}
"""What each column of `touches` and `paths` holds (the help of `rel2rev attribute`)."""


def read_frame(path: Path, encoding: str = "utf-8") -> pa.Table:
    """The file as an Arrow table, by extension: CSV as text, JSONL as its JSON values (text
    where a column mixes kinds), Parquet with its own types.

    CSV and JSONL are decoded with `encoding` (a UTF-8 byte order mark is skipped in CSV); bytes
    that are not text in it are an `InputError` naming the file, byte offset and line.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            schema = pq.read_schema(path)
            few = [f.name for f in schema if is_text(f.type) and f.name.strip() not in _MANY]
            table = pq.read_table(path, read_dictionary=few)
        except Exception as exc:
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from exc
    else:
        try:
            if suffix in {".jsonl", ".ndjson", ".json"}:
                table = _read_jsonl(path, encoding)
            else:
                table = _read_csv(path, encoding)
        except UnicodeDecodeError:
            raise decoding_error(path, encoding) from None
    if not table.num_rows:
        raise InputError(f"{path}: empty file (no data rows)")
    return table.rename_columns([str(c).strip() for c in table.column_names])


_MANY = frozenset(
    {"journey_id", "path", "ts", "conversion_ts", "lead_ts", "opportunity_ts", "closed_ts",
     "revenue", "total_conversion_value", "total_conversions", "total_null"}
)  # fmt: skip
"""Columns whose values are mostly distinct; Parquet's other text columns (channels,
campaigns, currencies) are read as the dictionaries they are stored as, not as strings."""


def _read_csv(path: Path, encoding: str = "utf-8") -> pa.Table:
    """Arrow's multi-threaded CSV reader, every column as text; any file it refuses (ragged
    rows, bytes that are not text in `encoding`) is read again by `_read_csv_rows` for the
    exact error."""
    is_utf8 = codecs.lookup(encoding).name == "utf-8"
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        header = first.decode("utf-8-sig" if is_utf8 else encoding)
    except UnicodeDecodeError:
        return _read_csv_rows(path, encoding)
    delimiter = ";" if header.count(";") > header.count(",") else ","
    names = next(csv.reader([header.rstrip("\r\n")], delimiter=delimiter), [])
    if not header.strip() or len(set(names)) != len(names):
        return _read_csv_rows(path, encoding)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="utf8" if is_utf8 else encoding),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return _read_csv_rows(path, encoding)
    blank = np.ones(table.num_rows, dtype=bool)  # rows of empty cells are skipped
    for column in table.columns:
        filled = pc.invert(pc.equal(pc.utf8_trim_whitespace(column), "").fill_null(True))
        blank &= ~filled.to_numpy(zero_copy_only=False)
    return table.filter(pa.array(~blank)) if blank.any() else table


def _read_csv_rows(path: Path, encoding: str = "utf-8") -> pa.Table:
    """Python's CSV reader, row by row: what `_read_csv` falls back to, for its errors."""
    is_utf8 = codecs.lookup(encoding).name == "utf-8"
    text = path.read_text(encoding="utf-8-sig" if is_utf8 else encoding)
    if not text.strip():
        raise InputError(f"{path}: empty file")
    header = text.splitlines()[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    columns, body = rows[0], [r for r in rows[1:] if any(cell.strip() for cell in r)]
    for number, row in enumerate(body, start=1):
        if len(row) != len(columns):
            raise InputError(f"row {number}: {len(row)} fields where the header has {len(columns)}")
    cells = list(zip(*body, strict=True)) if body else [()] * len(columns)
    return pa.table([pa.array(values, type=pa.large_string()) for values in cells], names=columns)


def _read_jsonl(path: Path, encoding: str = "utf-8") -> pa.Table:
    records = []
    for number, line in enumerate(path.read_text(encoding=encoding).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"row {number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise InputError(f"row {number}: expected a JSON object")
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    arrays = [
        pa.array([cell(v) for v in frame[c]], type=pa.large_string())
        if frame[c].dtype == object
        else pa.array(frame[c], from_pandas=True)
        for c in frame.columns
    ]
    return pa.table(arrays, names=[str(c) for c in frame.columns])


def table_from_paths(
    paths: Sequence[str] | pd.Series[str],
    conversions: FloatArray,
    nulls: FloatArray,
    amounts: Sequence[Money | None] | None = None,
) -> JourneyTable:
    """Aggregated paths (`a > b > c`) to a table, vectorised; an empty path (or blank) has no
    touches, an empty channel in a path is an error.

    Arrow splits the paths on `>` and numbers the distinct raw tokens in C, a chunk of paths
    at a time (which keeps Arrow's buffers small); only the few distinct tokens are stripped
    and sorted in Python.
    """
    values = paths.to_numpy(dtype=object) if isinstance(paths, pd.Series) else paths
    n = len(values)
    numbering: defaultdict[str, int] = defaultdict(count().__next__)
    lengths = np.empty(n, dtype=np.int64)
    chunks: list[IntArray] = []
    for start in range(0, n, _PARSE_CHUNK):
        text = _arrow_text(values[start : start + _PARSE_CHUNK], start)
        blank = pc.equal(pc.utf8_trim_whitespace(text), "")
        if pc.any(blank).as_py():
            kept = pc.invert(blank).to_numpy(zero_copy_only=False)
            split = pc.split_pattern(text.filter(pc.invert(blank)), ">")
            chunk = np.zeros(len(text), dtype=np.int64)
            chunk[kept] = np.diff(split.offsets.to_numpy())
            lengths[start : start + len(text)] = chunk
        else:
            split = pc.split_pattern(text, ">")
            lengths[start : start + len(split)] = np.diff(split.offsets.to_numpy())
        tokens = pc.dictionary_encode(split.flatten())
        renumber = [numbering[token] for token in tokens.dictionary.to_pylist()]
        chunks.append(np.array(renumber, dtype=np.int64)[tokens.indices.to_numpy()])
    raw_codes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    stripped = [label.strip() for label in numbering]
    if "" in stripped:
        empty = [code for code, label in enumerate(stripped) if not label]
        token = int(np.flatnonzero(np.isin(raw_codes, empty))[0])
        row = int(np.searchsorted(np.cumsum(lengths), token, side="right"))
        raise bad(row, "path", "a path with an empty channel (or no channels)")
    labels = sorted(set(stripped))
    remap = np.array([labels.index(s) for s in stripped], dtype=np.int64)
    codes = remap[raw_codes]
    return JourneyTable(
        ids=RowIds(n),
        conversions=np.asarray(conversions, dtype=np.float64),
        nulls=np.asarray(nulls, dtype=np.float64),
        amounts=list(amounts) if amounts is not None else [None] * n,
        end_s=np.full(n, np.nan),
        stage_s=np.full((n, 3), np.nan),
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        touch_s=np.broadcast_to(np.float64(np.nan), (int(lengths.sum()),)),  # no times: no memory
        dimensions={"channel": (codes, labels)},
    )


def _arrow_text(paths: Sequence[str] | npt.NDArray[np.object_], first_row: int) -> pa.Array:
    """Paths as an Arrow string array; a missing or non-Unicode path names its row."""
    try:
        text = pa.array(paths, type=pa.large_string())
    except (UnicodeEncodeError, pa.ArrowTypeError, pa.ArrowInvalid):
        text = None
    if text is not None and not text.null_count:
        return text
    for row, path in enumerate(paths, start=first_row):
        if not isinstance(path, str):
            raise bad(row, "path", "missing or not text")
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            raise bad(row, "path", "not valid Unicode text") from None
    return pa.array(paths, type=pa.large_string())  # raises Arrow's own error


def read_paths(frame: pa.Table, currency: str | None = None) -> JourneyTable:
    """A `paths` table to a journey table; rows with no conversions and no nulls are kept
    (weight 0)."""
    for column in frame.column_names:
        if column not in PATH_COLUMNS:
            raise InputError(
                f"field {column}: unknown column (paths format: {', '.join(PATH_COLUMNS)})"
            )
    for column in PATH_REQUIRED:
        if column not in frame.column_names:
            raise InputError(f"field {column}: required column missing")
    paths = categories(frame["path"])
    empty = [not path.replace(">", "").strip() for path in paths.labels]
    flagged = np.append(np.array(empty, dtype=bool), False)[paths.codes]  # empty: no touches
    if flagged.any():
        raise bad(int(np.argmax(flagged)), "path", "a path with no channels")
    conversions = counts(frame["total_conversions"], "total_conversions")
    has = set(frame.column_names)
    nulls = counts(frame["total_null"], "total_null") if "total_null" in has else None
    money: list[Money | None] = [None] * frame.num_rows
    if "total_conversion_value" in has:
        codes = currencies(frame["currency"] if "currency" in has else None, len(money), currency)
        values = amounts(
            frame["total_conversion_value"], "total_conversion_value", codes,
            has_column="currency" in has,
        )  # fmt: skip
        for k in np.flatnonzero((values.codes >= 0) & (conversions > 0)):
            amount = values.values[values.codes[k]]
            money[k] = Money(amount=amount, currency=codes.labels[codes.codes[k]])
    return table_from_paths(
        paths.texts(), conversions, np.zeros(len(money)) if nulls is None else nulls, money
    )


def read_touches(frame: pa.Table, currency: str | None = None) -> JourneyTable:
    """A `touches` table to a journey table; see the module docstring for the columns.

    Columnar throughout: each column is parsed by its distinct values (`cells`), per-journey
    values are checked for conflicts with numpy, and touches are ordered by one sort. Each
    column is let go once parsed (pass the table without keeping it, and its memory goes)."""
    columns = dict(zip(frame.column_names, frame.columns, strict=True))
    position = {name: k for k, name in enumerate(frame.column_names)}
    del frame
    for column in TOUCH_COLUMNS:
        if column not in columns:
            raise InputError(f"field {column}: required column missing")
    rows = len(columns["ts"])
    journeys = categories(columns.pop("journey_id"))
    channel = categories(columns.pop("channel"))
    empty = np.flatnonzero(journeys.codes < 0)
    if len(empty):
        raise bad(int(empty[0]), "journey_id", "missing")
    is_touch = channel.codes >= 0
    journey_rows = np.flatnonzero(~is_touch)
    if len(journey_rows):  # no channel: a journey row if its ts is empty too
        stamped = [cell(v) != "" for v in columns["ts"].take(journey_rows).to_pylist()]
        if any(stamped):
            raise bad(int(journey_rows[stamped.index(True)]), "channel", "missing")
    ts = seconds(columns.pop("ts"), "ts", required=False)
    untimed = np.flatnonzero(np.isnan(ts) & is_touch)
    if len(untimed):
        raise bad(int(untimed[0]), "ts", "missing")
    ts[journey_rows] = -np.inf  # first in their journey, then left out
    n = len(journeys.labels)
    groups = JourneyRows.of(journeys.codes, ts, n)
    outcome = _outcomes(columns, groups, rows, currency)
    after = ts[groups.order] > outcome.conversion_s[groups.journey[groups.order]]
    order = groups.order[~after & is_touch[groups.order]]
    touch_s = ts[order]  # journey rows and touches after their journey's conversion dropped
    del ts
    lengths = np.bincount(groups.journey[order], minlength=n)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    last_touch = np.full(n, np.nan)
    with_touches = lengths > 0
    last_touch[with_touches] = touch_s[offsets[1:][with_touches] - 1]
    converted = outcome.converted
    end = np.where(np.isnan(outcome.conversion_s) & converted, last_touch, outcome.conversion_s)
    dimensions = {"channel": _dimension(channel, order)}
    for column in list(columns):
        if column not in JOURNEY_COLUMNS:
            dimensions[column] = _dimension(categories(columns.pop(column)), order)
    return JourneyTable(
        ids=journeys.labels,
        conversions=converted.astype(np.float64),
        nulls=(~converted).astype(np.float64),
        amounts=outcome.amounts,
        end_s=end,
        stage_s=outcome.stage_s,
        offsets=offsets,
        touch_s=touch_s,
        dimensions=dict(sorted(dimensions.items(), key=lambda kv: position[kv[0]])),
    )


@dataclass(frozen=True)
class _Outcome:
    """What the per-journey columns say of each journey."""

    converted: BoolArray
    conversion_s: FloatArray
    amounts: list[Money | None]
    stage_s: FloatArray


def _outcomes(
    columns: dict[str, pa.ChunkedArray], groups: JourneyRows, rows: int, currency: str | None
) -> _Outcome:
    """Parse (and let go of) the per-journey columns, in the order their errors are reported."""
    n = len(groups.starts) - 1
    has = set(columns)
    conv_at = np.full(n, np.nan)
    if "conversion_ts" in has:
        conv_at = _per_journey_times(columns.pop("conversion_ts"), "conversion_ts", groups)
    row_currency = currencies(columns.pop("currency", None), rows, currency)
    revenue = np.full(n, -1, dtype=np.int64)
    values: list[Decimal] = []
    if "revenue" in has:
        parsed = amounts(
            columns.pop("revenue"), "revenue", row_currency, has_column="currency" in has
        )
        values = parsed.values
        first = groups.single(
            parsed.codes, parsed.codes >= 0,
            field="revenue", show=parsed.written,
        )  # fmt: skip
        revenue = np.where(first >= 0, parsed.codes[first], -1)
    journey_currency = np.full(n, -1 if currency is None else 0, np.int64)  # the default
    if "currency" in has:
        first = groups.single(
            row_currency.codes, row_currency.codes >= 0,
            field="currency", show=lambda row: row_currency.labels[row_currency.codes[row]],
        )  # fmt: skip
        journey_currency = np.where(first >= 0, row_currency.codes[first], -1)
    if "converted" in has:
        flag = flags(columns.pop("converted"), "converted")
        first = groups.single(
            flag, np.ones(rows, dtype=bool), field="converted", show=lambda row: str(flag[row])
        )
        converted = flag[first]
    elif "conversion_ts" in has or "revenue" in has:
        converted = ~np.isnan(conv_at) | (revenue >= 0)
    else:
        converted = np.ones(n, dtype=bool)
    stages = np.full((n, 3), np.nan)
    for k, column in enumerate(STAGE_COLUMNS):
        if column in has:
            stages[:, k] = _per_journey_times(columns.pop(column), column, groups)
    money = _money(revenue, journey_currency, converted, values, row_currency.labels)
    return _Outcome(converted, conv_at, money, stages)


def _money(
    revenue: IntArray,
    currency: IntArray,
    converted: BoolArray,
    values: list[Decimal],
    codes: list[str],
) -> list[Money | None]:
    """Each journey's amount when it converted with a revenue: one `Money` per distinct
    (amount, currency), shared (money is immutable)."""
    money: list[Money | None] = [None] * len(revenue)
    made: dict[tuple[int, int], Money] = {}
    for j in np.flatnonzero((revenue >= 0) & converted).tolist():
        key = (int(revenue[j]), int(currency[j]))
        if key not in made:
            made[key] = Money(amount=values[key[0]], currency=codes[key[1]])
        money[j] = made[key]
    return money


def _per_journey_times(column: pa.ChunkedArray, field: str, groups: JourneyRows) -> FloatArray:
    """A per-journey time column: each journey's value (NaN when it has none)."""
    at = seconds(column, field, required=False)
    first = groups.single(
        at, ~np.isnan(at), field=field, show=lambda row: cell(column[row].as_py())
    )
    return np.where(first >= 0, at[first], np.nan)


def _dimension(cats: Categories, order: IntArray) -> tuple[IntArray, list[str]]:
    """Codes per touch (in `order`) and sorted labels; an empty cell is `NONE_LABEL`."""
    labels = [*cats.labels, NONE_LABEL]
    touch = np.where(cats.codes < 0, len(labels) - 1, cats.codes)[order]
    used = np.bincount(touch, minlength=len(labels)) > 0
    ranked = sorted({label for label, u in zip(labels, used, strict=True) if u})
    position = {label: k for k, label in enumerate(ranked)}
    remap = np.array([position.get(label, -1) for label in labels], dtype=np.int64)
    return remap[touch], ranked


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a file is parsed: parsing builds a few very large
    lists (a million journey ids) that each collection would walk again (a second per
    million journeys, measured), and creates no reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_input(
    path: Path, fmt: str, currency: str | None = None, *, encoding: str = "utf-8"
) -> JourneyTable:
    """Read `path` in format `touches` or `paths` (CSV, JSONL or Parquet by extension).

    `currency` is the currency of amounts whose row has none; an amount with neither is an
    `InputError` naming the file and asking for a currency column or `--currency`.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use touches or paths")
    try:
        with _collector_paused():
            if fmt == "paths":
                return read_paths(read_frame(path, encoding), currency)
            return read_touches(read_frame(path, encoding), currency)  # the table is let go
    except MissingCurrencyError as exc:
        fix = "fill in its currency cell" if exc.has_column else "add a currency column"
        raise InputError(
            f"{path}: {exc.message}: {fix} or pass --currency XXX (an ISO 4217 code, "
            "e.g. --currency EUR)"
        ) from None
