"""`rel2rev import FILE --workspace W`: backfill history through the generic webhook path."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rel2rev.demo.transport import Delivery, DeliveryError, OutgoingRequest, Transport
from rel2rev.errors import InputError, Rel2revError
from rel2rev.importer import Batch, batches, import_rows, read_rows, signed_request, validate
from rel2rev.storage.connections import ConnectionStore

HELP = "Import a CSV/JSONL file of generic events through the webhook path (backfill)"
DEFAULT_API = "http://127.0.0.1:8787"


def configure(parser: argparse.ArgumentParser) -> None:
    """Flags of `rel2rev import`."""
    parser.add_argument("file", type=Path, help="CSV or JSONL file of generic events")
    parser.add_argument("--workspace", required=True, help="workspace to import into")
    parser.add_argument(
        "--api",
        default=os.environ.get("REL2REV_API_URL", DEFAULT_API),
        help=f"API base URL (default $REL2REV_API_URL or {DEFAULT_API})",
    )
    parser.add_argument(
        "--secret",
        help="the workspace's generic signing secret (default $REL2REV_SIGNING_SECRET, else "
        "the local connections config $REL2REV_CONNECTIONS / $REL2REV_CONNECTIONS_FILE)",
    )
    parser.add_argument("--workers", type=int, default=4, help="concurrent requests (default 4)")
    parser.add_argument("--dry-run", action="store_true", help="check every row, send nothing")


def signing_secret(workspace: str, given: str | None) -> str:
    """The generic signing secret: flag, environment, or the local connections config."""
    if given:
        return given
    env = os.environ.get("REL2REV_SIGNING_SECRET")
    if env:
        return env
    inline = os.environ.get("REL2REV_CONNECTIONS")
    file = os.environ.get("REL2REV_CONNECTIONS_FILE")
    if inline or file:
        store = ConnectionStore.from_config("/rel2rev", inline, Path(file) if file else None)
        connection = store(workspace, "generic")
        if connection is not None and connection.signing_secret is not None:
            return connection.signing_secret.get_secret_value()
    raise InputError(
        f"no generic signing secret for workspace {workspace!r}: pass --secret or set "
        "REL2REV_SIGNING_SECRET"
    )


def run(args: argparse.Namespace) -> int:
    """Check every row, then send them in signed batches with a progress bar."""
    rows = read_rows(args.file)
    validate(batches(rows), args.workspace)
    if args.dry_run:
        print(f"{args.file}: {len(rows)} rows are valid (dry run, nothing sent)")
        return 0
    secret = signing_secret(args.workspace, args.secret)
    transport = Transport()

    def send(batch: Batch) -> int:
        def build() -> OutgoingRequest:
            url, headers, body = signed_request(batch, args.api, args.workspace, secret)
            return OutgoingRequest(url, headers, body)

        sent = transport.send(Delivery(f"{args.file.name} {batch.label}", build))
        accepted: int = json.loads(sent.body).get("accepted", 0)
        return accepted

    columns = (
        TextColumn("importing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task(args.file.name, total=len(rows))
        try:
            result = import_rows(
                rows,
                send,
                workers=args.workers,
                on_batch=lambda batch: progress.advance(task, len(batch.rows)),
            )
        except DeliveryError as exc:
            raise Rel2revError(f"import stopped: {exc}") from None
    print(
        f"{args.file}: {result.rows} rows in {result.batches} requests, "
        f"{result.accepted} events accepted"
    )
    return 0
