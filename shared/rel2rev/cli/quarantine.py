"""`rel2rev quarantine list|retry --workspace W`: events the processor could not apply.

`list` shows each quarantined event with the reason and the request it came from (the raw
request is in the archive under that id). `retry` sends the chosen events (`--event-id`, or
`--all`) through the events queue again, to the deployed processor, and removes them from the
quarantine; an event that still fails comes back after its deliveries, with the new reason.
Reads `REL2REV_TABLE_NAME`, `REL2REV_EVENTS_QUEUE_URL` and `REL2REV_ARCHIVE_BUCKET`.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from rel2rev.errors import InputError
from rel2rev.ingest.events import Event, QuarantinedEvent
from rel2rev.settings import operator_settings
from rel2rev.storage import event_queue, quarantine_store

HELP = "List quarantined events of a workspace, or send them through the queue again"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev quarantine`."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="Quarantined events, with reason and request")
    listing.add_argument("--workspace", required=True)
    listing.add_argument("--json", action="store_true", help="One JSON object per line")
    retry = actions.add_parser("retry", help="Re-enqueue events and take them out of quarantine")
    retry.add_argument("--workspace", required=True)
    chosen = retry.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--event-id", nargs="+", action="extend", metavar="ID", help="These")
    chosen.add_argument("--all", action="store_true", help="Every quarantined event")


def _revalidated(entry: QuarantinedEvent) -> QuarantinedEvent:
    """An unreadable event whose JSON is a valid event now (after a fix) can be retried."""
    if entry.event is not None or entry.body is None:
        return entry
    try:
        event = Event.model_validate_json(entry.body)
    except ValueError:
        return entry
    return entry.model_copy(update={"event": event}) if event.event_id == entry.event_id else entry


def run(args: argparse.Namespace) -> int:
    """Execute `rel2rev quarantine ACTION`."""
    settings = operator_settings()
    store = quarantine_store(settings.table_name)
    entries = list(store.entries(args.workspace))
    if args.action == "list":
        if args.json:
            for entry in entries:
                sys.stdout.write(entry.model_dump_json() + "\n")
            return 0
        table = Table(title=f"Quarantined events of {args.workspace}: {len(entries)}")
        for column in ("event id", "source", "kind", "request", "quarantined", "reason"):
            table.add_column(column, overflow="fold")
        for entry in entries:
            event = entry.event
            table.add_row(
                entry.event_id,
                event.source if event else "—",
                event.payload.kind if event else "unreadable",
                event.request_id if event else "—",
                entry.quarantined_at.strftime("%Y-%m-%d %H:%M:%S"),
                entry.reason,
            )
        Console(width=max(Console().width, 140)).print(table)
        return 0
    retryable = {e.event_id: e.event for e in map(_revalidated, entries) if e.event is not None}
    wanted = set(retryable) if args.all else set(args.event_id)
    unknown = sorted(wanted - {e.event_id for e in entries})
    if unknown:
        raise InputError(f"not in the quarantine of {args.workspace}: {', '.join(unknown)}")
    unreadable = sorted(wanted - set(retryable))
    if unreadable:
        raise InputError(
            f"these do not read as events (see their body with --json): {', '.join(unreadable)}"
        )
    chosen = sorted(wanted)
    if chosen:
        event_queue(settings.events_queue_url).enqueue([retryable[i] for i in chosen])
        store.remove(args.workspace, chosen)
    print(json.dumps({"requeued": len(chosen), "left": len(entries) - len(chosen)}))
    return 0
