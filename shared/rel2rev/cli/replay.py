"""`rel2rev replay`: re-feed archived webhook requests through the processor's queue.

Each archived request is parsed again by its source adapter (same deterministic event ids, no
re-verification: it was verified when it arrived) and its events are enqueued exactly like a
live delivery. The processor stores each event once, so replaying changes nothing that was
already stored and restores anything that was lost. Reads the ingest function's settings
(`REL2REV_ARCHIVE_BUCKET`, `REL2REV_EVENTS_QUEUE_URL`, connections) from the environment.
"""

from __future__ import annotations

import argparse
from datetime import date

from rel2rev.cli.args import day
from rel2rev.errors import InputError, NotFoundError
from rel2rev.ingest.webhook import replay_request
from rel2rev.settings import ingest_settings
from rel2rev.storage import connection_store, event_queue, raw_archive

HELP = "Replay archived webhook requests of a workspace through the processor"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev replay`."""
    parser.add_argument("--workspace", required=True, help="Workspace whose archive to replay")
    parser.add_argument("--source", help="Only this source (default: every archived source)")
    parser.add_argument("--from", dest="start", type=day, help="First day received (UTC)")
    parser.add_argument("--to", dest="end", type=day, help="Last day received (UTC)")


def replay(workspace: str, source: str | None, start: date | None, end: date | None) -> int:
    """Re-enqueue the events of every archived request in range; the number of events."""
    if start and end and end < start:
        raise InputError("--to is before --from")
    settings = ingest_settings()
    archive = raw_archive(settings.archive_bucket)
    queue = event_queue(settings.events_queue_url)
    connections = connection_store(
        settings.connections_prefix, settings.connections, settings.connections_file
    )
    total = 0
    for request in archive.iter_archived(workspace, source, start, end):
        connection = connections(request.workspace, request.source)
        if connection is None:
            raise NotFoundError(f"no {request.source} connection for workspace {workspace!r}")
        events = replay_request(request, connection)
        if events:
            queue.enqueue(events)
        total += len(events)
    return total


def run(args: argparse.Namespace) -> int:
    """Replay and report how many events were re-enqueued."""
    count = replay(args.workspace, args.source, args.start, args.end)
    print(f"replayed {count} events of workspace {args.workspace}")
    return 0
