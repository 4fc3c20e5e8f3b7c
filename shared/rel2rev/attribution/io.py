"""Reading analysts' files: `touches` and `paths`, as CSV, JSONL or Parquet.

`touches`: one row per touch with `journey_id`, `ts`, `channel`; optional per-journey
`converted`, `revenue`, `conversion_ts`, `currency`, `lead_ts`, `opportunity_ts`, `closed_ts`;
every other column is a dimension a model can credit. Without a `converted` column a journey
converts when it has a `conversion_ts` or a `revenue`; when the file has none of the three,
every journey converts. Touches after a journey's `conversion_ts` are dropped. Times without
an offset are read as UTC.

`paths`: ChannelAttribution's aggregated format: `path` (`a > b > c`), `total_conversions`,
optional `total_conversion_value`, `total_null`, `currency`. Each row is one journey row
whose outcome counts are the totals; its value is split like a deal's amount.

An amount (`revenue`, `total_conversion_value`) needs a currency: the row's `currency`, else
the default the caller passes (`--currency`); with neither it is an error, never a guess.

CSV may be comma or semicolon separated; CSV and JSONL are read as UTF-8 unless told otherwise
(`encoding`). Every error names the data row (1 = the first row after the header / the first
line) and the field, and is raised as `InputError`.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from itertools import count
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rel2rev.attribution.table import NONE_LABEL, FloatArray, IntArray, JourneyTable, RowIds, encode
from rel2rev.dataset import decoding_error
from rel2rev.errors import InputError
from rel2rev.money import Money, is_known_currency, quantum

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
_DATETIME = "datetime, ISO 8601 (UTC if no offset)"
COLUMN_TYPES: dict[str, str] = {
    "journey_id": "text: the journey (deal) the touch belongs to",
    "ts": f"{_DATETIME}: when the touch happened",
    "channel": "text: the channel touched (the dimension credited by default)",
    "converted": "yes/no (1/0, true/false, yes/no, y/n, t/f), per journey",
    "revenue": "decimal amount >= 0, at most the currency's decimals, per journey",
    "conversion_ts": f"{_DATETIME}, per journey; later touches are dropped",
    "currency": "ISO 4217 code of the amounts (EUR, USD, ...); default --currency",
    "lead_ts": f"{_DATETIME}, per journey: became a lead",
    "opportunity_ts": f"{_DATETIME}, per journey: became an opportunity",
    "closed_ts": f"{_DATETIME}, per journey: closed",
    "path": "text: the channels in order, joined by ' > '",
    "total_conversions": "count >= 0 (a number): journeys of this path that converted",
    "total_conversion_value": "decimal amount >= 0: the value of those conversions",
    "total_null": "count >= 0 (a number): journeys of this path that did not convert",
}
"""What each column of `touches` and `paths` holds (the help of `rel2rev attribute`)."""
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


class MissingCurrencyError(InputError):
    """An amount with no currency in its row and no default currency."""

    def __init__(self, row: int, field: str, *, has_column: bool) -> None:
        where = "its currency cell is empty" if has_column else "the file has no currency column"
        super().__init__(f"row {row + 1}, field {field}: an amount without a currency ({where})")
        self.has_column = has_column


def read_frame(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    """The file as a frame of strings (Parquet keeps its types), by extension.

    CSV and JSONL are decoded with `encoding` (a UTF-8 byte order mark is skipped in CSV); bytes
    that are not text in it are an `InputError` naming the file, byte offset and line.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from exc
    else:
        try:
            if suffix in {".jsonl", ".ndjson", ".json"}:
                frame = _read_jsonl(path, encoding)
            else:
                frame = _read_csv(path, encoding)
        except UnicodeDecodeError:
            raise decoding_error(path, encoding) from None
    if frame.empty:
        raise InputError(f"{path}: empty file (no data rows)")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_csv(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
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
    return pd.DataFrame(body, columns=columns, dtype=object)


def _read_jsonl(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
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
    return pd.DataFrame.from_records(records)


def _text(frame: pd.DataFrame, column: str) -> pd.Series[str]:
    return frame[column].map(_cell)


def _cell(value: object) -> str:
    """A cell as trimmed text; missing (None, NaN, NaT, NA) is empty."""
    missing = value is None or value is pd.NA or value is pd.NaT
    if missing or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _bad(row: int, field: str, why: str) -> InputError:
    return InputError(f"row {row + 1}, field {field}: {why}")


def _times(frame: pd.DataFrame, column: str, *, required: bool) -> FloatArray:
    """Seconds since the epoch (NaN where empty and allowed)."""
    raw = frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = pd.to_datetime(raw, utc=True)
    else:
        text = _text(frame, column)
        parsed = pd.to_datetime(text.replace("", None), utc=True, errors="coerce", format="ISO8601")
        failed = parsed.isna() & (text != "")
        if failed.any():
            row = int(np.flatnonzero(failed.to_numpy())[0])
            raise _bad(row, column, f"cannot parse {text.iloc[row]!r} as a date")
    missing = parsed.isna().to_numpy()
    if required and missing.any():
        raise _bad(int(np.flatnonzero(missing)[0]), column, "missing")
    seconds = (parsed - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype=np.float64)
    return np.where(missing, np.nan, seconds)


def _amounts(
    frame: pd.DataFrame, column: str, currencies: Sequence[str | None]
) -> list[Decimal | None]:
    """Exact amounts per row; digits finer than the row currency's minor unit are an error, and
    so is an amount without a currency (`MissingCurrencyError`)."""
    out: list[Decimal | None] = []
    for row, (text, code) in enumerate(zip(_text(frame, column), currencies, strict=True)):
        if not text:
            out.append(None)
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise _bad(row, column, f"cannot parse {text!r} as an amount") from None
        if not value.is_finite() or value < 0:
            raise _bad(row, column, f"{text!r} is not a non-negative amount")
        if code is None:
            raise MissingCurrencyError(row, column, has_column="currency" in frame.columns)
        if value != value.quantize(quantum(code)):
            raise _bad(row, column, f"{text!r} is finer than the {code} minor unit")
        out.append(value)
    return out


def _counts(frame: pd.DataFrame, column: str) -> FloatArray:
    values = np.zeros(len(frame))
    for row, text in enumerate(_text(frame, column)):
        try:
            values[row] = float(text) if text else 0.0
        except ValueError:
            raise _bad(row, column, f"cannot parse {text!r} as a count") from None
        if not np.isfinite(values[row]) or values[row] < 0:
            raise _bad(row, column, f"{text!r} is not a non-negative count")
    return values


def _currencies(frame: pd.DataFrame, default: str | None) -> list[str | None]:
    """Each row's currency: its own, else `default`; None where neither is given."""
    if "currency" not in frame.columns:
        return [default] * len(frame)
    out: list[str | None] = []
    for row, text in enumerate(_text(frame, "currency")):
        code = text.upper() or default
        if code is not None and not is_known_currency(code):
            raise _bad(row, "currency", f"unknown ISO 4217 currency {text!r}")
        out.append(code)
    return out


def table_from_paths(
    paths: Sequence[str] | pd.Series[str],
    conversions: FloatArray,
    nulls: FloatArray,
    amounts: Sequence[Money | None] | None = None,
) -> JourneyTable:
    """Aggregated paths (`a > b > c`) to a table, vectorised; an empty channel is an error.

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
        split = pc.split_pattern(_arrow_text(values[start : start + _PARSE_CHUNK], start), ">")
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
        raise _bad(row, "path", "a path with an empty channel (or no channels)")
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
            raise _bad(row, "path", "missing or not text")
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            raise _bad(row, "path", "not valid Unicode text") from None
    return pa.array(paths, type=pa.large_string())  # raises Arrow's own error


def read_paths(frame: pd.DataFrame, currency: str | None = None) -> JourneyTable:
    """A `paths` frame to a table; rows with no conversions and no nulls are kept (weight 0)."""
    for column in frame.columns:
        if column not in PATH_COLUMNS:
            raise InputError(
                f"field {column}: unknown column (paths format: {', '.join(PATH_COLUMNS)})"
            )
    for column in PATH_REQUIRED:
        if column not in frame.columns:
            raise InputError(f"field {column}: required column missing")
    paths = _text(frame, "path")
    for row, path in enumerate(paths):
        if not path.replace(">", "").strip():
            raise _bad(row, "path", "a path with no channels")
    conversions = _counts(frame, "total_conversions")
    nulls = _counts(frame, "total_null") if "total_null" in frame.columns else np.zeros(len(frame))
    amounts: list[Money | None] = [None] * len(frame)
    if "total_conversion_value" in frame.columns:
        currencies = _currencies(frame, currency)
        for row, value in enumerate(_amounts(frame, "total_conversion_value", currencies)):
            code = currencies[row]
            if value is not None and code is not None and conversions[row] > 0:
                amounts[row] = Money(amount=value, currency=code)
    return table_from_paths(list(paths), conversions, nulls, amounts)


def _one_per_journey(
    journey: FloatArray, values: Sequence[object], field: str, n: int
) -> list[object]:
    """The single non-empty value of a per-journey column (conflicts are an error)."""
    out: list[object] = [None] * n
    for row, (j, value) in enumerate(zip(journey, values, strict=True)):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        known = out[int(j)]
        if known is not None and known != value:
            raise _bad(row, field, f"conflicts with an earlier row of the same journey ({known})")
        out[int(j)] = value
    return out


def read_touches(frame: pd.DataFrame, currency: str | None = None) -> JourneyTable:
    """A `touches` frame to a table; see the module docstring for the columns."""
    for column in TOUCH_COLUMNS:
        if column not in frame.columns:
            raise InputError(f"field {column}: required column missing")
    journey_text = _text(frame, "journey_id")
    channel_text = _text(frame, "channel")
    for column, text in (("journey_id", journey_text), ("channel", channel_text)):
        empty = np.flatnonzero((text == "").to_numpy())
        if len(empty):
            raise _bad(int(empty[0]), column, "missing")
    ts = _times(frame, "ts", required=True)
    journey_codes, ids = pd.factorize(journey_text)
    n = len(ids)
    jf = journey_codes.astype(np.float64)
    has = set(frame.columns)
    conversion = _times(frame, "conversion_ts", required=False) if "conversion_ts" in has else None
    conv_at = np.array(
        [
            np.nan if v is None else v
            for v in _one_per_journey(jf, _nan_none(conversion, len(frame)), "conversion_ts", n)
        ],
        dtype=np.float64,
    )
    row_currencies = _currencies(frame, currency)
    revenue = _one_per_journey(
        jf,
        _amounts(frame, "revenue", row_currencies) if "revenue" in has else [None] * len(frame),
        "revenue",
        n,
    )
    currencies = _one_per_journey(jf, row_currencies, "currency", n)
    if "converted" in has:
        flags: list[object] = []
        for row, flag in enumerate(_text(frame, "converted")):
            if flag.lower() not in _TRUE | _FALSE:
                raise _bad(row, "converted", f"{flag!r} is not a yes/no value")
            flags.append(flag.lower() in _TRUE)
        converted = np.array([bool(v) for v in _one_per_journey(jf, flags, "converted", n)])
    elif "conversion_ts" in has or "revenue" in has:
        converted = ~np.isnan(conv_at) | np.array([r is not None for r in revenue])
    else:
        converted = np.ones(n, dtype=bool)
    stages = np.full((n, 3), np.nan)
    for k, column in enumerate(("lead_ts", "opportunity_ts", "closed_ts")):
        if column in has:
            got = _one_per_journey(
                jf, _nan_none(_times(frame, column, required=False), len(frame)), column, n
            )
            stages[:, k] = [np.nan if v is None else v for v in got]
    keep = ~(ts > conv_at[journey_codes])  # touches after the conversion are dropped
    order = np.lexsort((np.arange(len(frame)), ts, journey_codes))
    order = order[keep[order]]
    touch_journey = journey_codes[order]
    lengths = np.bincount(touch_journey, minlength=n)
    last_touch = np.full(n, np.nan)
    np.fmax.at(last_touch, touch_journey, ts[order])
    end = np.where(np.isnan(conv_at) & converted, last_touch, conv_at)
    dimensions = {}
    for column in frame.columns:
        if column in JOURNEY_COLUMNS or column in ("journey_id", "ts"):
            continue
        values = _text(frame, column).to_numpy()[order]
        dimensions[column] = encode([v or NONE_LABEL for v in values])
    amounts: list[Money | None] = []
    for j in range(n):
        value = revenue[j]
        amounts.append(
            Money(amount=value, currency=str(currencies[j] or currency))
            if isinstance(value, Decimal) and converted[j]
            else None
        )
    return JourneyTable(
        ids=[str(i) for i in ids],
        conversions=converted.astype(np.float64),
        nulls=(~converted).astype(np.float64),
        amounts=amounts,
        end_s=end,
        stage_s=stages,
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        touch_s=ts[order],
        dimensions=dimensions,
    )


def _nan_none(values: FloatArray | None, n: int) -> list[object]:
    if values is None:
        return [None] * n
    return [None if np.isnan(v) else float(v) for v in values]


def read_input(
    path: Path, fmt: str, currency: str | None = None, *, encoding: str = "utf-8"
) -> JourneyTable:
    """Read `path` in format `touches` or `paths` (CSV, JSONL or Parquet by extension).

    `currency` is the currency of amounts whose row has none; an amount with neither is an
    `InputError` naming the file and asking for a currency column or `--currency`.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use touches or paths")
    frame = read_frame(path, encoding)
    try:
        return read_paths(frame, currency) if fmt == "paths" else read_touches(frame, currency)
    except MissingCurrencyError as exc:
        fix = "fill in its currency cell" if exc.has_column else "add a currency column"
        raise InputError(
            f"{path}: {exc.message}: {fix} or pass --currency XXX (an ISO 4217 code, "
            "e.g. --currency EUR)"
        ) from None
