"""`rel2rev import FILE --workspace W`: backfill history through the generic webhook path.

Two ways in, both the webhook path: over HTTP to the API (`--api`, the default), or
`--direct`, calling the ingest logic itself (verify, parse, archive, enqueue) against the AWS
resources named by the ingest function's environment, as `rel2rev local up` prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rel2rev.cli.args import add_encoding
from rel2rev.cli.formats import import_epilog
from rel2rev.errors import InputError, Rel2revError
from rel2rev.importer import Batch, batches, http_sender, import_rows, read_rows, validate
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.generic import signature_header
from rel2rev.ingest.webhook import receive_webhook
from rel2rev.storage.connections import ConnectionStore
from rel2rev.transport import DeliveryError

HELP = "Import a CSV/JSONL file of generic events through the webhook path (backfill)"
DEFAULT_API = "http://127.0.0.1:8787"


def configure(parser: argparse.ArgumentParser) -> None:
    """Flags of `rel2rev import` (and the input format, as the help's epilog)."""
    parser.epilog = import_epilog()
    parser.add_argument("file", type=Path, help="CSV or JSONL file of generic events")
    add_encoding(parser, "file")
    parser.add_argument("--workspace", required=True, help="workspace to import into")
    way = parser.add_mutually_exclusive_group()
    way.add_argument(
        "--api",
        default=os.environ.get("REL2REV_API_URL", DEFAULT_API),
        help=f"API base URL (default $REL2REV_API_URL or {DEFAULT_API})",
    )
    way.add_argument(
        "--direct",
        action="store_true",
        help="call the ingest logic itself, with the ingest function's environment "
        "(REL2REV_ARCHIVE_BUCKET, REL2REV_EVENTS_QUEUE_URL, connections) instead of HTTP",
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


def direct_sender(workspace: str) -> Callable[[Batch], int]:
    """Send a batch through the ingest logic with the ingest function's own resources."""
    from rel2rev.settings import ingest_settings
    from rel2rev.storage import connection_store, event_queue, raw_archive
    from rel2rev.storage.sink import AwsWebhookSink

    try:
        settings = ingest_settings()
    except ValidationError as exc:
        missing = ", ".join(f"REL2REV_{str(e['loc'][0]).upper()}" for e in exc.errors())
        raise InputError(f"--direct needs the ingest environment: set {missing}") from None
    connections = connection_store(
        settings.connections_prefix, settings.connections, settings.connections_file
    )
    connection = connections(workspace, "generic")
    if connection is None or connection.signing_secret is None:
        raise InputError(f"no generic connection for workspace {workspace!r}")
    secret = connection.signing_secret.get_secret_value().encode()
    archive, queue = raw_archive(settings.archive_bucket), event_queue(settings.events_queue_url)

    def send(batch: Batch) -> int:
        body, now = batch.body(), datetime.now(UTC)
        request = RawRequest(
            workspace=workspace,
            source="generic",
            request_id=f"import-{uuid.uuid4()}",
            received_at=now,
            url=f"rel2rev-import:///v1/hooks/{workspace}/generic",
            headers={
                "content-type": "application/json",
                "x-rel2rev-signature": signature_header(secret, body, int(now.timestamp())),
                "user-agent": "rel2rev-import",
            },
            body=body,
        )
        sink = AwsWebhookSink(archive, queue)
        answer = receive_webhook(request, connections, sink, now)
        sink.flush()
        accepted: int = json.loads(answer.body).get("accepted", 0)
        return accepted

    return send


def run(args: argparse.Namespace) -> int:
    """Check every row, then send them in signed batches with a progress bar."""
    rows = read_rows(args.file, args.encoding)
    validate(batches(rows), args.workspace)
    if args.dry_run:
        print(f"{args.file}: {len(rows)} rows are valid (dry run, nothing sent)")
        return 0
    if args.direct:
        send = direct_sender(args.workspace)
    else:
        secret = signing_secret(args.workspace, args.secret)
        send = http_sender(args.api, args.workspace, secret, args.file.name)
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
