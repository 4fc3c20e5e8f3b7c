"""The columnar `touches` reader gives what the row-by-row reader it replaced gave.

The oracle below is that reader (`git show ab0a80d:shared/rel2rev/attribution/io.py`), cut
down to `touches` and fed a pandas frame read the old way: CSV as strings, JSONL through
`DataFrame.from_records`, Parquet through `pandas.read_parquet`. Every input must give the
same `JourneyTable`, or the same `InputError` naming the same first bad row and field; only a
time column's "conflicts with an earlier row" may word the earlier value differently (float
seconds then, an ISO datetime now).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rel2rev.attribution.cells import JourneyRows
from rel2rev.attribution.io import read_input
from rel2rev.attribution.table import NONE_LABEL, JourneyTable, encode
from rel2rev.errors import InputError
from rel2rev.money import Money, is_known_currency, quantum

# --- The oracle: the row-by-row reader of ab0a80d ---------------------------------------------

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}
_PER_JOURNEY = ("converted", "revenue", "conversion_ts", "currency")
_STAGES = ("lead_ts", "opportunity_ts", "closed_ts")


def old_frame(path: Path) -> pd.DataFrame:
    """The file read the old way (comma-separated CSV only: the tests write no other)."""
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif path.suffix == ".jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        frame = pd.DataFrame.from_records([json.loads(line) for line in lines if line.strip()])
    else:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
        assert all(len(r) == len(rows[0]) for r in body)
        frame = pd.DataFrame(body, columns=rows[0], dtype=object)
    if frame.empty:
        raise InputError(f"{path}: empty file (no data rows)")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _cell(value: object) -> str:
    missing = value is None or value is pd.NA or value is pd.NaT
    if missing or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _text(frame: pd.DataFrame, column: str) -> pd.Series[str]:
    return frame[column].map(_cell)


def _bad(row: int, field: str, why: str) -> InputError:
    return InputError(f"row {row + 1}, field {field}: {why}")


def _times(frame: pd.DataFrame, column: str, *, required: bool) -> np.ndarray:
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


def _currencies(frame: pd.DataFrame, default: str | None) -> list[str | None]:
    if "currency" not in frame.columns:
        return [default] * len(frame)
    out: list[str | None] = []
    for row, text in enumerate(_text(frame, "currency")):
        code = text.upper() or default
        if code is not None and not is_known_currency(code):
            raise _bad(row, "currency", f"unknown ISO 4217 currency {text!r}")
        out.append(code)
    return out


def _amounts(
    frame: pd.DataFrame, currencies: Sequence[str | None], path: Path
) -> list[Decimal | None]:
    out: list[Decimal | None] = []
    for row, (text, code) in enumerate(zip(_text(frame, "revenue"), currencies, strict=True)):
        if not text:
            out.append(None)
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise _bad(row, "revenue", f"cannot parse {text!r} as an amount") from None
        if not value.is_finite() or value < 0:
            raise _bad(row, "revenue", f"{text!r} is not a non-negative amount")
        if code is None:  # MissingCurrencyError, as `read_input` worded it
            has = "currency" in frame.columns
            where = "its currency cell is empty" if has else "the file has no currency column"
            fix = "fill in its currency cell" if has else "add a currency column"
            raise InputError(
                f"{path}: row {row + 1}, field revenue: an amount without a currency ({where}): "
                f"{fix} or pass --currency XXX (an ISO 4217 code, e.g. --currency EUR)"
            )
        if value != value.quantize(quantum(code)):
            raise _bad(row, "revenue", f"{text!r} is finer than the {code} minor unit")
        out.append(value)
    return out


def _one_per_journey(
    journey: np.ndarray, values: Sequence[object], field: str, n: int
) -> list[object]:
    out: list[object] = [None] * n
    for row, (j, value) in enumerate(zip(journey, values, strict=True)):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        known = out[int(j)]
        if known is not None and known != value:
            raise _bad(row, field, f"conflicts with an earlier row of the same journey ({known})")
        out[int(j)] = value
    return out


def old_read(path: Path, currency: str | None = None) -> JourneyTable:
    """`read_input(path, "touches", currency)` as it was."""
    frame = old_frame(path)
    for column in ("journey_id", "ts", "channel"):
        if column not in frame.columns:
            raise InputError(f"field {column}: required column missing")
    for column in ("journey_id", "channel"):
        empty = np.flatnonzero((_text(frame, column) == "").to_numpy())
        if len(empty):
            raise _bad(int(empty[0]), column, "missing")
    ts = _times(frame, "ts", required=True)
    codes, ids = pd.factorize(_text(frame, "journey_id"))
    n, rows, has = len(ids), len(frame), set(frame.columns)

    def single(values: Sequence[object], column: str) -> list[object]:
        return _one_per_journey(codes, values, column, n)

    def times(column: str) -> np.ndarray:
        if column not in has:
            return np.full(n, np.nan)
        at = _times(frame, column, required=False)
        got = single([None if np.isnan(v) else float(v) for v in at], column)
        return np.array([np.nan if v is None else v for v in got], dtype=np.float64)

    conv_at = times("conversion_ts")
    row_currencies = _currencies(frame, currency)
    revenue = single(
        _amounts(frame, row_currencies, path) if "revenue" in has else [None] * rows, "revenue"
    )
    currencies = single(row_currencies, "currency")
    if "converted" in has:
        flags: list[object] = []
        for row, flag in enumerate(_text(frame, "converted")):
            if flag.lower() not in _TRUE | _FALSE:
                raise _bad(row, "converted", f"{flag!r} is not a yes/no value")
            flags.append(flag.lower() in _TRUE)
        converted = np.array([bool(v) for v in single(flags, "converted")])
    elif "conversion_ts" in has or "revenue" in has:
        converted = ~np.isnan(conv_at) | np.array([r is not None for r in revenue])
    else:
        converted = np.ones(n, dtype=bool)
    stages = np.stack([times(column) for column in _STAGES], axis=1)
    keep = ~(ts > conv_at[codes])  # touches after the conversion are dropped
    order = np.lexsort((np.arange(rows), ts, codes))
    order = order[keep[order]]
    lengths = np.bincount(codes[order], minlength=n)
    last_touch = np.full(n, np.nan)
    np.fmax.at(last_touch, codes[order], ts[order])
    skip = {*_PER_JOURNEY, *_STAGES, "journey_id", "ts"}
    return JourneyTable(
        ids=[str(i) for i in ids],
        conversions=converted.astype(np.float64),
        nulls=(~converted).astype(np.float64),
        amounts=[
            Money(amount=value, currency=str(currencies[j] or currency))
            if isinstance(value, Decimal) and converted[j]
            else None
            for j, value in enumerate(revenue)
        ],
        end_s=np.where(np.isnan(conv_at) & converted, last_touch, conv_at),
        stage_s=stages,
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        touch_s=ts[order],
        dimensions={
            column: encode([v or NONE_LABEL for v in _text(frame, column).to_numpy()[order]])
            for column in frame.columns
            if column not in skip
        },
    )


# --- Comparing the two ------------------------------------------------------------------------


def _same_array(got: np.ndarray, want: np.ndarray, name: str) -> None:
    assert (got.dtype, got.shape) == (want.dtype, want.shape), name
    if got.dtype.kind == "f":  # bit for bit, NaN equal to NaN
        nan = np.isnan(want)
        assert np.array_equal(np.isnan(got), nan), name
        assert got[~nan].tobytes() == want[~nan].tobytes(), name
    else:
        assert np.array_equal(got, want), name


def assert_same(got: JourneyTable, want: JourneyTable) -> None:
    """Equal field by field: ids in order, amounts, bit-identical times, dimensions in order."""
    assert list(got.ids) == list(want.ids)
    assert got.amounts == want.amounts
    for name in ("conversions", "nulls", "end_s", "stage_s", "offsets", "touch_s"):
        _same_array(np.asarray(getattr(got, name)), np.asarray(getattr(want, name)), name)
    assert list(got.dimensions) == list(want.dimensions)
    for name, (codes, labels) in want.dimensions.items():
        assert got.dimensions[name][1] == labels, name
        _same_array(got.dimensions[name][0], codes, name)
    assert got.reasons is None
    assert want.reasons is None


_TIME_CONFLICT = re.compile(
    r"(?P<where>row \d+, field (?:conversion_ts|lead_ts|opportunity_ts|closed_ts): conflicts "
    r"with an earlier row of the same journey) \((?P<earlier>[^)]*)\)"
)


def check(path: Path, currency: str | None = None) -> JourneyTable | str:
    """The new reader's table (or error message), asserted equal to the oracle's."""
    outcomes: list[JourneyTable | str] = []
    readers: list[Callable[[], JourneyTable]] = [
        lambda: read_input(path, "touches", currency),
        lambda: old_read(path, currency),
    ]
    for read in readers:
        try:
            outcomes.append(read())
        except InputError as exc:
            outcomes.append(exc.message)
    got, want = outcomes
    if isinstance(want, JourneyTable):
        assert isinstance(got, JourneyTable), f"expected a table, got the error {got!r}"
        assert_same(got, want)
        return got
    assert isinstance(got, str), f"expected the error {want!r}, got a table"
    old, new = _TIME_CONFLICT.fullmatch(want), _TIME_CONFLICT.fullmatch(got)
    if old and new:  # the earlier time, shown as float seconds then, as the file wrote it now
        assert new["where"] == old["where"]
        shown = pd.Timestamp(new["earlier"])
        shown = shown.tz_localize("UTC") if shown.tzinfo is None else shown
        assert abs(shown.timestamp() - float(old["earlier"])) < 1e-6
    else:
        assert got == want
    return got


# --- Writing a table as CSV, JSONL and Parquet ------------------------------------------------

Cell = str | bool | None
TIME_COLUMNS = ("ts", "conversion_ts", "lead_ts")


@dataclass
class Touches:
    """A `touches` table as cells (text, or yes/no for a boolean `converted`)."""

    columns: list[str]
    rows: list[dict[str, Cell]]
    currency: str | None = None
    """The default currency (`--currency`)."""
    parquet: dict[str, str] = field(default_factory=dict)
    """How Parquet stores a column: `time` (timestamp[us, UTC]), `bool`, `decimal`,
    `dictionary`; text otherwise."""


def _instant(text: Cell) -> pd.Timestamp | None:
    try:
        moment = pd.Timestamp(text) if isinstance(text, str) and text.strip() else None
    except ValueError:
        return None
    if moment is None or pd.isna(moment):
        return None
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _decimal(text: Cell) -> Decimal | None:
    try:
        return Decimal(text) if isinstance(text, str) and text.strip() else None
    except InvalidOperation:
        return None


def _arrow(values: list[Cell], kind: str | None) -> pa.Array:
    if kind == "time":
        return pa.array([_instant(v) for v in values], pa.timestamp("us", tz="UTC"))
    if kind == "bool":
        return pa.array(values, pa.bool_())
    if kind == "decimal":
        return pa.array([_decimal(v) for v in values], pa.decimal128(14, 4))
    text = pa.array([None if v is None else str(v) for v in values], pa.string())
    return text.dictionary_encode() if kind == "dictionary" else text


def write(table: Touches, path: Path) -> Path:
    """`table` as `path` (CSV, JSONL or Parquet by its suffix)."""
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(table.columns)
            writer.writerows(
                [["" if r[c] is None else r[c] for c in table.columns] for r in table.rows]
            )
    elif path.suffix == ".jsonl":
        lines = [json.dumps({c: r[c] for c in table.columns}) for r in table.rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        columns = [_arrow([r[c] for r in table.rows], table.parquet.get(c)) for c in table.columns]
        pq.write_table(pa.table(columns, names=table.columns), path)
    return path


def check_all(tmp_path: Path, table: Touches, name: str = "touches") -> list[JourneyTable | str]:
    """`check` on the table written as CSV, JSONL and Parquet."""
    return [
        check(write(table, tmp_path / f"{name}.{suffix}"), table.currency)
        for suffix in ("csv", "jsonl", "parquet")
    ]


def errors(tmp_path: Path, table: Touches) -> set[str]:
    """The error messages `check_all` gives (the file's path written `FILE`)."""
    messages = check_all(tmp_path, table)
    assert all(isinstance(m, str) for m in messages), messages
    return {
        re.sub(rf"^{re.escape(str(tmp_path))}/touches\.\w+:", "FILE:", str(m)) for m in messages
    }


def touches(header: str, *rows: str, currency: str | None = None) -> Touches:
    """A table from comma-separated lines (an empty cell is missing)."""
    columns = header.split(",")
    cells: list[dict[str, Cell]] = [
        dict(zip(columns, (c or None for c in r.split(",")), strict=True)) for r in rows
    ]
    return Touches(columns, cells, currency)


# --- The property -----------------------------------------------------------------------------

IDS = ["j9", "j10", "a", "B"]  # first appearance is neither sorted order nor number order
CHANNELS = ["email", "ads", "direct", "Email"]
PADS = ["", "", " ", "\t", "\u00a0", "\u3000"]  # none breaks a CSV line (as "\x1c" would)
UTC_TIMES = [
    "2026-01-01T00:00:00Z",
    "2026-01-02T12:30:00.123457Z",
    "2026-01-02",
    "2025-12-31T23:59:59.999999Z",
]
OFFSET_TIMES = ["2026-01-01T01:00:00+01:00", "2026-01-05T08:00:00-05:00"]  # a tie, and not
NAIVE_TIMES = ["2026-01-01 00:00:00", "2026-01-03T06:00:00.5"]  # a tie (read as UTC), and not
"""A table has offset or naive times, never both: see `test_a_naive_time_after_an_offset_one`."""
BAD_TIMES = ["", " ", "not a date", "2026-13-01"]
REVENUES = {"100": ["100", "100.00", "1e2"], "12.5": ["12.5", "12.50"], "0": ["0", "0.0"]}
BAD_REVENUES = ["-1", "abc", "0.005", "7"]  # "7": another amount, a conflict
FIELDS = ["journey_id", "ts", "channel", "campaign", *_PER_JOURNEY, "lead_ts"]
YES, NO = ["yes", "1", "True", "Y", " t"], ["no", "0", "false", "n", ""]
CURRENCIES = {"EUR": ["EUR", "eur", " Eur "], "JPY": ["JPY"], "USD": ["usd", "USD"]}


@st.composite
def tables(draw: st.DrawFn) -> Touches:
    """A few journeys of a few touches, in random row and column order. Half the tables have
    one column whose cells may be bad or conflict within a journey; the others have none (but
    for amounts their currency cannot hold, or without a currency)."""
    broken = draw(st.sampled_from([None] * 8 + [c for c in FIELDS if c != "campaign"]))

    def pick(options: Sequence[Any], bad: Sequence[Any] = (), column: str | None = None) -> Any:
        if column is not None and column == broken and draw(st.integers(0, 3)) == 0:
            return draw(st.sampled_from(bad))
        return draw(st.sampled_from(options))

    def padded(text: str) -> str:
        return f"{pick(PADS)}{text}{pick(PADS)}"

    has = {c: draw(st.booleans()) for c in FIELDS[3:]} | {broken: True}
    times = UTC_TIMES + (OFFSET_TIMES if draw(st.booleans()) else NAIVE_TIMES)
    bool_converted = draw(st.booleans())
    rows: list[dict[str, Cell]] = []
    for k in range(draw(st.integers(1, 4))):
        converted = draw(st.booleans())
        revenue = pick([None, *REVENUES])
        currency = pick(list(CURRENCIES))
        conversion, lead = pick([None, *times]), pick([None, *times])
        for _ in range(draw(st.integers(1, 4))):
            flag = converted != pick([False], [True], "converted")  # flipped: a conflict
            amount = None if revenue is None else pick([None, *REVENUES[revenue]])
            if broken == "revenue" and amount is not None:  # one text per amount: see
                amount = pick([revenue], BAD_REVENUES, "revenue")  # the xfail test below
            row: dict[str, Cell] = {
                "journey_id": padded(pick([IDS[k]], [""], "journey_id")),
                "ts": pick(times, BAD_TIMES, "ts"),
                "channel": padded(pick(CHANNELS, [""], "channel")),
                "campaign": padded(pick(["spring", "x", ""])),
                "converted": (
                    pick([flag], [None], "converted")
                    if bool_converted
                    else pick(YES if flag else NO, ["maybe"], "converted")
                ),
                "revenue": amount,
                "currency": pick(CURRENCIES[currency], [None, "XYZ", "USD"], "currency"),
                "conversion_ts": pick([None, conversion], [times[-1], "soon"], "conversion_ts"),
                "lead_ts": pick([None, lead], [times[1], "later"], "lead_ts"),
            }
            rows.append(row)
    if draw(st.booleans()):  # sorted by journey and time, as an export comes
        rows.sort(key=lambda r: (IDS.index(str(r["journey_id"]).strip() or "j9"), _seconds(r)))
    else:
        rows = draw(st.permutations(rows))
    columns = draw(st.permutations([c for c in rows[0] if has.get(c, True)]))
    parquet = dict.fromkeys(TIME_COLUMNS, "time")
    parquet["converted"] = "bool" if bool_converted else "text"
    parquet["revenue"] = draw(st.sampled_from(["decimal", "text"]))
    parquet["channel"] = draw(st.sampled_from(["dictionary", "text"]))
    return Touches(
        columns=list(columns),
        rows=[{c: r[c] for c in columns} for r in rows],
        currency=draw(st.sampled_from(["EUR", "JPY", None])),
        parquet=parquet,
    )


def _seconds(row: dict[str, Cell]) -> float:
    moment = _instant(row["ts"])
    return math.nan if moment is None else moment.timestamp()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(table=tables())
def test_same_table_or_error_as_the_row_by_row_reader(tmp_path: Path, table: Touches) -> None:
    for outcome in check_all(tmp_path, table):
        event("a table" if isinstance(outcome, JourneyTable) else re.sub(r"^.*field ", "", outcome))


# --- Targeted cases ---------------------------------------------------------------------------

T = ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]


def test_trims_exactly_what_str_strip_trims(tmp_path: Path) -> None:
    """`str.strip` trims "\\x1c" (file separator), which Unicode does not call whitespace, and
    keeps "\\u200b", which neither does. CSV cannot hold "\\x1c": both readers split lines on it."""
    assert "\x1c".isspace()
    assert not "\u200b".isspace()
    channels = ["\x1cemail", "email\x1c", " email\u3000", "\u200bemail", "\x85ads\t", "ads"]
    table = Touches(
        ["journey_id", "ts", "channel"],
        [
            {"journey_id": f"\x1c d{k % 2}\u2029", "ts": UTC_TIMES[k % 4], "channel": c}
            for k, c in enumerate(channels)
        ],
    )
    for kind in ("text", "dictionary"):
        table.parquet["channel"] = kind
        for suffix in ("jsonl", "parquet"):
            got = check(write(table, tmp_path / f"t.{suffix}"))
            assert isinstance(got, JourneyTable)
            assert list(got.ids) == ["d0", "d1"]
            assert got.dimensions["channel"][1] == ["ads", "email", "\u200bemail"]


def test_a_parquet_dictionary_repeating_a_value_reads_as_merged_labels(tmp_path: Path) -> None:
    def dictionary(indices: list[int | None], values: list[str]) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(values))

    table = pa.table(
        {
            "journey_id": ["d1", "d1", "d2", "d2", "d2"],
            "ts": [T[0], T[1], T[0], T[1], T[2]],
            "channel": dictionary([0, 1, 2, 1, 0], ["a", "a ", "b"]),
            "campaign": dictionary([2, None, 0, 1, 3], ["x", " x", "", "y"]),
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    assert pq.read_schema(path).field("channel").type == pa.dictionary(pa.int32(), pa.string())
    got = check(path)
    assert isinstance(got, JourneyTable)
    codes, labels = got.dimensions["channel"]
    assert labels == ["a", "b"]
    assert codes.tolist() == [0, 0, 1, 0, 0]  # d1: a, "a "; d2: b, "a ", a
    codes, labels = got.dimensions["campaign"]
    assert labels == [NONE_LABEL, "x", "y"]
    assert [labels[c] for c in codes] == [NONE_LABEL, NONE_LABEL, "x", "x", "y"]


SORTED = [
    f"d1,{T[0]},email,spring",
    f"d1,{T[1]},ads,",
    f"d1,{T[2]},direct,x",
    "d2,2026-01-01T12:00:00Z,ads,x",
    "d2,2026-01-04T00:00:00Z,email,",
    "d3,2025-12-30T00:00:00Z,email,spring",
]


def test_sorted_and_shuffled_rows_give_the_same_table(tmp_path: Path) -> None:
    header = "journey_id,ts,channel,campaign"
    shuffled = [SORTED[k] for k in (2, 4, 0, 5, 3, 1)]  # journeys first appear in the same order
    in_order = check_all(tmp_path, touches(header, *SORTED), "sorted")
    mixed = check_all(tmp_path, touches(header, *shuffled), "shuffled")
    for one, other in zip(in_order, mixed, strict=True):
        assert isinstance(one, JourneyTable)
        assert isinstance(other, JourneyTable)
        assert_same(one, other)
        assert list(one.ids) == ["d1", "d2", "d3"]
    ts = pd.to_datetime([r.split(",")[1] for r in SORTED], utc=True).asi8 / 1e9
    groups = JourneyRows.of(np.array([0, 0, 0, 1, 1, 2]), ts, 3)  # a sorted export: no sort
    assert np.array_equal(groups.order, np.arange(6))


@pytest.mark.parametrize("presorted", [True, False])
def test_equal_times_keep_the_file_row_order(tmp_path: Path, presorted: bool) -> None:
    ties = [  # one instant, written three ways (no naive way: see the last test)
        "d1,2026-01-01T01:00:00Z,b",
        "d1,2026-01-01T02:00:00+01:00,a",
        "d1,2026-01-01T01:00:00.000+00:00,d",
    ]
    rows = ["d1,2026-01-01T00:00:00Z,c", *ties, "d2,2026-01-01T00:00:00Z,e"]
    if not presorted:
        rows = [ties[0], "d2,2026-01-01T00:00:00Z,e", ties[1], rows[0], ties[2]]
    for got in check_all(tmp_path, touches("journey_id,ts,channel", *rows)):
        assert isinstance(got, JourneyTable)
        codes, labels = got.dimensions["channel"]
        assert [labels[c] for c in codes] == ["c", "b", "a", "d", "e"]


REVENUE = "journey_id,ts,channel,revenue,currency"


def test_the_same_amount_in_other_digits_is_no_conflict(tmp_path: Path) -> None:
    same = touches(REVENUE, f"d1,{T[0]},email,100,EUR", f"d1,{T[1]},ads,100.00,EUR")
    for got in check_all(tmp_path, same):
        assert isinstance(got, JourneyTable)
        assert got.amounts == [Money.of("100", "EUR")]
    other = touches(REVENUE, f"d1,{T[0]},email,100,EUR", f"d1,{T[1]},ads,101,EUR")
    assert errors(tmp_path, other) == {
        "row 2, field revenue: conflicts with an earlier row of the same journey (100)"
    }


def test_a_revenue_conflict_shows_the_journeys_own_earlier_amount(tmp_path: Path) -> None:
    """The earlier amount is shown as the journey's earlier row wrote it, even when another
    journey wrote the same amount first in other digits."""
    table = touches(
        REVENUE,
        f"d0,{T[0]},email,100.00,EUR",
        f"d1,{T[0]},email,100,EUR",
        f"d1,{T[1]},ads,101,EUR",
    )
    check_all(tmp_path, table)


MISSING = "or pass --currency XXX (an ISO 4217 code, e.g. --currency EUR)"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            touches(REVENUE, f"d1,{T[0]},a,12,JPY", f"d2,{T[0]},a,12.5,JPY", f"d3,{T[0]},a,.5,JPY"),
            "row 2, field revenue: '12.5' is finer than the JPY minor unit",
        ),
        (
            touches(REVENUE, f"d1,{T[0]},a,12,EUR", f"d2,{T[0]},a,,", f"d3,{T[0]},a,3,"),
            "FILE: row 3, field revenue: an amount without a currency (its currency cell is "
            f"empty): fill in its currency cell {MISSING}",
        ),
        (
            touches("journey_id,ts,channel,revenue", f"d1,{T[0]},a,", f"d2,{T[0]},a,12"),
            "FILE: row 2, field revenue: an amount without a currency (the file has no currency "
            f"column): add a currency column {MISSING}",
        ),
        (
            touches(
                REVENUE,
                f"d1,{T[0]},a,1,EUR",
                f"d2,{T[0]},a,,eur",
                f"d3,{T[0]},a,,XYZ",
                f"d4,{T[0]},a,,ABC",
            ),
            "row 3, field currency: unknown ISO 4217 currency 'XYZ'",
        ),
    ],
    ids=["finer-than-jpy", "empty-currency-cell", "no-currency-column", "unknown-currency"],
)
def test_amount_errors_name_the_first_bad_row(tmp_path: Path, table: Touches, message: str) -> None:
    assert errors(tmp_path, table) == {message}


def test_a_default_currency_fills_in_missing_ones(tmp_path: Path) -> None:
    table = touches(
        "journey_id,ts,channel,revenue", f"d1,{T[0]},a,", f"d2,{T[0]},a,12", currency="EUR"
    )
    for got in check_all(tmp_path, table):
        assert isinstance(got, JourneyTable)
        assert got.amounts == [None, Money.of("12", "EUR")]


def test_typed_parquet_columns_read_like_the_oracle(tmp_path: Path) -> None:
    none8: list[Any] = [None] * 8
    table = pa.table(
        {
            "journey_id": pa.array([10, 2, 10, 2, 33, 10, 2, 33], pa.int64()),
            "ts": pa.array([date(2026, 1, d) for d in (3, 1, 1, 2, 5, 2, 2, 4)], pa.date32()),
            "channel": ["email", "ads", " email", "direct", "ads", "ads", "email", "direct"],
            "converted": pa.array([True, False, True, False, None, True, None, False]),
            "revenue": pa.array(
                [Decimal("250.50"), None, None, None, Decimal("0"), Decimal("250.5"), None, None],
                pa.decimal128(12, 2),
            ),
            "conversion_ts": pa.array(
                [None, None, datetime(2026, 1, 2, 12, tzinfo=UTC), *none8[3:]],
                pa.timestamp("us", tz="UTC"),
            ),
            "lead_ts": pa.array([*none8[:6], "2025-12-01T09:00:00+02:00", None]),
            "campaign": pa.array([None, "x", *none8[2:5], " y", None, None]),
        }
    )
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    got = check(path, "EUR")
    assert isinstance(got, JourneyTable)
    assert list(got.ids) == ["10", "2", "33"]
    assert got.conversions.tolist() == [1.0, 0.0, 0.0]
    assert got.amounts == [Money.of("250.50", "EUR"), None, None]
    assert got.lengths.tolist() == [2, 3, 2]  # journey 10's touch of 3 January came after
    assert got.dimensions["campaign"][1] == [NONE_LABEL, "x", "y"]


def test_jsonl_numbers_and_booleans_read_like_the_oracle(tmp_path: Path) -> None:
    records = [
        {"journey_id": 7, "ts": T[0], "channel": "a", "converted": True, "revenue": 100},
        {"journey_id": 7, "ts": T[1], "channel": "b", "converted": True, "revenue": 100.0},
        {"journey_id": 8, "ts": T[0], "channel": "b", "converted": False, "revenue": 12.5},
        {"journey_id": 9, "ts": T[2], "channel": "a", "converted": True, "revenue": None},
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    got = check(path, "EUR")
    assert isinstance(got, JourneyTable)
    assert list(got.ids) == ["7", "8", "9"]
    assert got.amounts == [Money.of("100", "EUR"), None, None]


@pytest.mark.parametrize("first", ["naive", "offset"])
def test_a_naive_time_is_utc_whatever_comes_before_it(tmp_path: Path, first: str) -> None:
    """pandas-dev/pandas#61389: pandas' ISO 8601 parser, given times with and without a zone
    at once, can read a time without one in the zone of the time before it (the old reader
    did: row 3 an hour early). Times with a zone and times without are parsed apart now, so a
    time without a zone is UTC in every order, in every format."""
    naive, offset = "2026-01-01T00:00:00", "2026-01-01T01:00:00+01:00"  # the same instant
    rows = [f"d1,{naive},a", f"d1,{offset},b", f"d2,{naive},c"]
    if first == "offset":
        rows = [rows[1], rows[0], rows[2]]
    table = touches("journey_id,ts,channel", *rows)
    midnight = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    for suffix in ("csv", "jsonl", "parquet"):
        got = read_input(write(table, tmp_path / f"mixed.{suffix}"), "touches")
        assert got.touch_s.tolist() == [midnight] * 3, suffix
