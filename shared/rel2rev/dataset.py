"""A folder of exports <-> `WorkspaceRecords`: contacts, interactions, leads and deals.

Layout: `DIR/contacts.<ext>`, `DIR/interactions.<ext>`, `DIR/leads.<ext>`, `DIR/deals.<ext>`
with `<ext>` one of `jsonl`, `csv`, `parquet` (a missing file means no records of that kind).
JSONL rows are the records as JSON. CSV and Parquet rows are flat: a money field `x` becomes
`x` (decimal text, exact) and `x_currency`; list fields (`identifiers`, `contact_roles`) are JSON
text; in Parquet the datetimes are UTC timestamps and everything else is text. Reading reports
every invalid row and field (`InputError.details`: file, row, field, message). JSONL and CSV
are read as UTF-8 unless told otherwise (`encoding`); bytes that are not text in that encoding
are an `InputError` naming the file, the byte offset and the line (`decoding_error`).
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from rel2rev.errors import InputError
from rel2rev.records import Contact, Deal, Interaction, Lead, WorkspaceRecords

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet")
KINDS: dict[str, type[BaseModel]] = {
    "contacts": Contact,
    "interactions": Interaction,
    "leads": Lead,
    "deals": Deal,
}
_IDS = {"contacts": "contact_id", "interactions": "interaction_id", "leads": "lead_id",
        "deals": "deal_id"}  # fmt: skip
_MONEY = {"interactions": ("cost",), "deals": ("amount",)}
_LISTS = {"contacts": ("identifiers",), "deals": ("contact_roles", "revisions")}
_TIMES = frozenset({"updated_at", "created_at", "occurred_at", "closed_at"})
MAX_DETAILS = 50
_SCAN_CHUNK = 1 << 20


def columns(kind: str) -> list[str]:
    """Flat column names of a kind, in model order."""
    names: list[str] = []
    for name in KINDS[kind].model_fields:
        names.append(name)
        if name in _MONEY.get(kind, ()):
            names.append(f"{name}_currency")
    return names


def flatten(kind: str, record: BaseModel) -> dict[str, Any]:
    """A record as one flat row (text and datetimes only)."""
    data = record.model_dump(mode="json")
    row: dict[str, Any] = {}
    for name in KINDS[kind].model_fields:
        value = data[name]
        if name in _MONEY.get(kind, ()):
            row[name] = value["amount"] if value else None
            row[f"{name}_currency"] = value["currency"] if value else None
        elif name in _LISTS.get(kind, ()):
            row[name] = json.dumps(value, separators=(",", ":"))
        elif name in _TIMES and value is not None:
            row[name] = getattr(record, name)
        else:
            row[name] = value
    return row


def unflatten(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """A flat row back into model input; empty cells are absent values."""
    data = {k: v for k, v in row.items() if v is not None and v != ""}
    for name in _MONEY.get(kind, ()):
        currency = data.pop(f"{name}_currency", None)
        if name in data:
            data[name] = {"amount": data[name], "currency": currency}
    for name in _LISTS.get(kind, ()):
        if isinstance(data.get(name), str):
            try:
                data[name] = json.loads(data[name])
            except json.JSONDecodeError as exc:
                raise _FieldError(name, f"not valid JSON: {exc.msg}") from exc
    return data


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _find(directory: Path, kind: str) -> Path | None:
    found = [
        directory / f"{kind}.{ext}" for ext in FORMATS if (directory / f"{kind}.{ext}").is_file()
    ]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InputError(f"{directory}: more than one export of {kind} ({names})")
    return found[0] if found else None


def decoding_error(path: Path, encoding: str, *, hint: str | None = None) -> InputError:
    """The error for a file that is not text in `encoding`: the file, the offset of the first
    bad byte in the file (0-based), its line (1-based) and `hint` (default: use --encoding).

    Call it on a `UnicodeDecodeError` while reading `path`: that error's offset is relative to
    the chunk being decoded, so the file is scanned again, a chunk at a time, to find it.
    """
    name = codecs.lookup(encoding).name
    scan = "utf-8" if name == "utf-8-sig" else name  # same offsets; -sig would hide its BOM
    decoder = codecs.getincrementaldecoder(scan)()
    offset, newlines = 0, 0
    found: tuple[int, bytes, int] | None = None
    with path.open("rb") as handle:
        while found is None:
            chunk = handle.read(_SCAN_CHUNK)
            pending = decoder.getstate()[0]
            try:
                newlines += decoder.decode(chunk, final=not chunk).count("\n")
            except UnicodeDecodeError as exc:
                before = codecs.decode(exc.object[: exc.start], scan, errors="replace")
                bad = exc.object[exc.start : exc.end]
                found = (offset - len(pending) + exc.start, bad, newlines + before.count("\n"))
            if not chunk:
                break
            offset += len(chunk)
    if hint is None:
        hint = "pass --encoding with the file's encoding (e.g. --encoding latin-1)"
    if found is None:  # the reader saw what a scan does not: report without a position
        return InputError(f"{path}: not valid {encoding} text; {hint}")
    start, bad, newlines = found
    return InputError(
        f"{path}: not valid {encoding} text: byte 0x{bad[:1].hex()} at byte offset {start} "
        f"(line {newlines + 1}); {hint}"
    )


def _rows(
    path: Path, kind: str, encoding: str = "utf-8"
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(row number, row or a parse error message) for every data row of a file."""
    if path.suffix in {".jsonl", ".csv"}:
        try:
            yield from _text_rows(path, kind, encoding)
        except UnicodeDecodeError:
            raise decoding_error(path, encoding) from None
    else:
        import pyarrow.parquet as pq

        for number, row in enumerate(pq.read_table(path).to_pylist(), start=1):
            yield number, _flat_row(kind, row)


def _text_rows(path: Path, kind: str, encoding: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    if path.suffix == ".jsonl":
        with path.open(encoding=encoding) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, f"not valid JSON: {exc.msg}"
                    continue
                yield number, value if isinstance(value, dict) else "not a JSON object"
    else:
        with path.open(encoding=encoding, newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=1):
                yield number, _flat_row(kind, row)


def _flat_row(kind: str, row: dict[str, Any]) -> dict[str, Any] | str:
    try:
        return unflatten(kind, row)
    except _FieldError as exc:
        return f"{exc.field}: {exc.message}"


def read_dataset(
    directory: Path | str, *, workspace: str | None = None, encoding: str = "utf-8"
) -> WorkspaceRecords:
    """Read a folder of exports; raise `InputError` naming every bad row and field.

    `encoding` is the text encoding of the JSONL and CSV files (Parquet carries its own).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory} is not a folder")
    loaded: dict[str, list[Any]] = {}
    details: list[dict[str, Any]] = []
    for kind, model in KINDS.items():
        path = _find(directory, kind)
        loaded[kind] = []
        if path is None:
            continue
        first_row: dict[str, int] = {}
        for number, row in _rows(path, kind, encoding):
            if isinstance(row, str):
                details.append({"file": path.name, "row": number, "field": None, "message": row})
                continue
            try:
                record = model.model_validate(row)
                key = getattr(record, _IDS[kind])
                if key in first_row:
                    details.append(
                        {
                            "file": path.name,
                            "row": number,
                            "field": _IDS[kind],
                            "message": f"{key!r} repeats row {first_row[key]}: one row per id",
                        }
                    )
                    continue
                first_row[key] = number
                loaded[kind].append(record)
            except ValidationError as exc:
                details.extend(
                    {
                        "file": path.name,
                        "row": number,
                        "field": ".".join(str(p) for p in err["loc"]) or None,
                        "message": err["msg"],
                    }
                    for err in exc.errors()
                )
    if details:
        raise InputError(
            f"{len(details)} invalid field(s) in {directory}, first: "
            f"{details[0]['file']} row {details[0]['row']} {details[0]['field'] or ''}: "
            f"{details[0]['message']}",
            details=details[:MAX_DETAILS],
        )
    spaces = {r.workspace for rows in loaded.values() for r in rows}
    if workspace is not None:
        spaces.add(workspace)
    if len(spaces) > 1:
        raise InputError(f"{directory} mixes workspaces: {', '.join(sorted(spaces))}")
    if not spaces:
        raise InputError(f"{directory} holds no records and no workspace was given")
    return WorkspaceRecords(workspace=spaces.pop(), **loaded)


def write_dataset(
    records: WorkspaceRecords, directory: Path | str, *, fmt: Format = "jsonl"
) -> list[Path]:
    """Write the four exports of `records` into `directory` in one format; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = directory / f"{kind}.{fmt}"
        items: list[BaseModel] = list(getattr(records, kind))
        if fmt == "jsonl":
            with path.open("w", encoding="utf-8") as handle:
                handle.writelines(item.model_dump_json() + "\n" for item in items)
        elif fmt == "csv":
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=columns(kind))
                writer.writeheader()
                for item in items:
                    row = flatten(kind, item)
                    writer.writerow(
                        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
                    )
        else:
            _write_parquet(kind, items, path)
        written.append(path)
    return written


def _write_parquet(kind: str, items: list[BaseModel], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = columns(kind)
    rows = [flatten(kind, item) for item in items]
    schema = pa.schema(
        [(n, pa.timestamp("us", tz="UTC") if n in _TIMES else pa.string()) for n in names]
    )
    arrays = {n: [r[n] for r in rows] for n in names}
    pq.write_table(pa.table(arrays, schema=schema), path)
