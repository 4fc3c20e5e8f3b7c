"""Historical backfill: rows of the generic event format, from CSV or JSONL, into rel2rev.

Rows go through the same path as live webhooks: every row is checked by the generic
adapter's own parser first (nothing is sent if any row is invalid; errors name the row and
the field), then rows are posted in signed batches to the generic webhook endpoint, where
they are verified, archived, queued and stored exactly like a live delivery. Rows carrying an
`id` (or identical rows) are stored once, so re-running an import changes nothing.

File formats:
- JSONL (`.jsonl`, `.ndjson`): one generic event object per line.
- CSV (`.csv`): one event per row; nested fields are dotted column names (`contact.email`,
  `cost.amount`, `amount.currency`), empty cells are absent, and list fields
  (`contact_roles`) hold JSON text.

Both are read as UTF-8 unless told otherwise; bytes that are not text in the file's encoding
are an error naming the file, the byte offset and the line.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rel2rev.dataset import decoding_error
from rel2rev.errors import InputError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import hook_url
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.generic import ADAPTER, signature_header
from rel2rev.ingest.sources.generic_format import MAX_BATCH
from rel2rev.transport import Delivery, OutgoingRequest, Transport

BATCH_ROWS = 200
BATCH_BYTES = 512 * 1024
MAX_REPORTED_ERRORS = 5
LIST_COLUMNS = frozenset({"contact_roles"})


@dataclass(frozen=True)
class Row:
    """One event of the file and the line (JSONL) or record line (CSV) it came from."""

    line: int
    event: dict[str, Any]


@dataclass(frozen=True)
class Batch:
    """Rows sent together as one generic batch request."""

    rows: tuple[Row, ...]

    def body(self) -> bytes:
        """The request body: `{"events": [...]}`."""
        document = {"events": [row.event for row in self.rows]}
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()

    @property
    def label(self) -> str:
        """Which rows this batch holds."""
        return f"rows {self.rows[0].line}-{self.rows[-1].line}"


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    rows: int
    batches: int
    accepted: int


def read_rows(path: Path, encoding: str = "utf-8") -> list[Row]:
    """The file's events; `InputError` naming the line for anything unreadable."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix not in {".jsonl", ".ndjson", ".csv"}:
        raise InputError(f"{path}: unsupported file type {suffix!r} (use .csv or .jsonl)")
    try:
        rows = list(_csv_rows(path, encoding) if suffix == ".csv" else _jsonl_rows(path, encoding))
    except UnicodeDecodeError:
        raise decoding_error(path, encoding) from None
    if not rows:
        raise InputError(f"{path}: no rows")
    return rows


def _jsonl_rows(path: Path, encoding: str) -> Iterator[Row]:
    with path.open(encoding=encoding) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError as exc:
                raise InputError(f"{path.name} line {number}: not valid JSON ({exc})") from None
            if not isinstance(event, dict):
                raise InputError(f"{path.name} line {number}: expected a JSON object")
            yield Row(number, event)


def _csv_rows(path: Path, encoding: str) -> Iterator[Row]:
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            return
        for record in reader:
            line = reader.line_num
            if None in record:
                raise InputError(f"{path.name} line {line}: more cells than header columns")
            yield Row(line, _nest(record, path.name, line))


def _nest(record: dict[str, str], name: str, line: int) -> dict[str, Any]:
    event: dict[str, Any] = {}
    for column, cell in record.items():
        if cell is None or cell.strip() == "":
            continue
        value: Any = cell.strip()
        if column in LIST_COLUMNS:
            try:
                value = json.loads(value)
            except ValueError:
                raise InputError(f"{name} line {line}: {column} must be JSON text") from None
        *parents, leaf = column.strip().split(".")
        target = event
        for part in parents:
            child = target.setdefault(part, {})
            if not isinstance(child, dict):
                raise InputError(f"{name}: column {column!r} clashes with column {part!r}")
            target = child
        target[leaf] = value
    return event


def batches(rows: Sequence[Row]) -> list[Batch]:
    """Rows grouped into request-sized batches (by count and by body size)."""
    result: list[Batch] = []
    current: list[Row] = []
    size = 0
    for row in rows:
        row_size = len(json.dumps(row.event, ensure_ascii=False)) + 1
        limit = min(BATCH_ROWS, MAX_BATCH)
        if current and (len(current) >= limit or size + row_size > BATCH_BYTES):
            result.append(Batch(tuple(current)))
            current, size = [], 0
        current.append(row)
        size += row_size
    if current:
        result.append(Batch(tuple(current)))
    return result


def validate(batch_list: Sequence[Batch], workspace: str) -> None:
    """Parse every batch with the generic adapter; `InputError` naming row and field if bad."""
    connection = Connection(workspace=workspace, source="generic")
    problems: list[str] = []
    for batch in batch_list:
        request = RawRequest(
            workspace=workspace,
            source="generic",
            request_id=f"import-check-{uuid.uuid4()}",
            received_at=datetime.now(UTC),
            url=f"file:///v1/hooks/{workspace}/generic",
            headers={"content-type": "application/json"},
            body=batch.body(),
        )
        try:
            ADAPTER.parse(request, connection)
        except InputError as exc:
            problems.extend(_row_messages(batch, exc))
    if problems:
        shown = "; ".join(problems[:MAX_REPORTED_ERRORS])
        more = len(problems) - MAX_REPORTED_ERRORS
        suffix = f"; and {more} more" if more > 0 else ""
        raise InputError(f"{len(problems)} invalid field(s), nothing sent: {shown}{suffix}")


def _row_messages(batch: Batch, exc: InputError) -> list[str]:
    if not exc.details:
        return [f"{batch.label}: {exc.message}"]
    messages = []
    for detail in exc.details:
        path = str(detail.get("path", ""))
        index_text, _, rest = path.removeprefix("events[").partition("]")
        if index_text.isdigit() and int(index_text) < len(batch.rows):
            where = f"line {batch.rows[int(index_text)].line}"
            field_name = rest.removeprefix(".") or "(row)"
        else:
            where, field_name = batch.label, path or "(body)"
        messages.append(f"{where} {field_name}: {detail.get('message', exc.message)}")
    return messages


def signed_request(
    batch: Batch, api_url: str, workspace: str, secret: str
) -> tuple[str, dict[str, str], bytes]:
    """URL, headers and body of the signed generic webhook request for a batch."""
    body = batch.body()
    timestamp = int(datetime.now(UTC).timestamp())
    headers = {
        "Content-Type": "application/json",
        "X-Rel2rev-Signature": signature_header(secret.encode(), body, timestamp),
        "User-Agent": "rel2rev-import",
    }
    return hook_url(api_url, workspace, "generic"), headers, body


def import_rows(
    rows: Sequence[Row],
    send: Callable[[Batch], int],
    *,
    workers: int = 4,
    on_batch: Callable[[Batch], None] | None = None,
) -> ImportResult:
    """Send the rows' batches with `send` (returns the accepted count), several at a time."""
    batch_list = batches(rows)
    accepted = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(send, batch): batch for batch in batch_list}
        try:
            for future in as_completed(futures):
                accepted += future.result()
                if on_batch is not None:
                    on_batch(futures[future])
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return ImportResult(rows=len(rows), batches=len(batch_list), accepted=accepted)


def http_sender(api: str, workspace: str, secret: str, label: str) -> Callable[[Batch], int]:
    """Send a batch as a signed request to the API, with retries; the accepted count."""
    transport = Transport()

    def send(batch: Batch) -> int:
        def build() -> OutgoingRequest:
            url, headers, body = signed_request(batch, api, workspace, secret)
            return OutgoingRequest(url, headers, body)

        sent = transport.send(Delivery(f"{label} {batch.label}", build))
        accepted: int = json.loads(sent.body).get("accepted", 0)
        return accepted

    return send
