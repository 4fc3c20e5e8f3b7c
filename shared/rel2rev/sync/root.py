"""The CRM API side's composition root: what a backfill or a reconciliation reads and writes.

`sync_root()` builds, once per container from the environment, the connections (SSM, or the
local inline/file list), the checkpoint store and the records table (one table), the sink that
archives each API answer and queues its events exactly as an accepted webhook delivery, and
the vendor clients (`rel2rev.backfill.VENDORS`). ReconcileFunction and the demo run through
it, and so does `rel2rev backfill`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from rel2rev.backfill import VENDORS
from rel2rev.backfill.checkpoints import Checkpoint, CheckpointStore
from rel2rev.backfill.run import BackfillSink, Progress, VendorClient, run_backfill
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import Event
from rel2rev.ingest.request import RawRequest
from rel2rev.settings import sync_settings
from rel2rev.storage import (
    checkpoint_store,
    connection_store,
    event_queue,
    raw_archive,
    record_repository,
)
from rel2rev.storage.archive import RawArchive
from rel2rev.storage.connections import ConnectionStore
from rel2rev.storage.queue import EventQueue
from rel2rev.storage.sink import AwsWebhookSink
from rel2rev.sync.reconcile import Deadline, ReconcileReport, RecordLookup, reconcile_all


class ArchiveQueueSink:
    """`BackfillSink` on the archive and the events queue: each answer is archived, then its
    events are queued, as the ingest function does (one `AwsWebhookSink` per answer)."""

    def __init__(self, archive: RawArchive, queue: EventQueue) -> None:
        self._archive = archive
        self._queue = queue

    def deliver(self, request: RawRequest, events: Sequence[Event]) -> None:
        sink = AwsWebhookSink(self._archive, self._queue)
        sink.archive(request)
        if events:
            sink.enqueue(events)
        else:
            sink.flush()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SyncRoot:
    """Connections, checkpoints, sink, records and vendor clients, wired once."""

    connections: ConnectionStore
    checkpoints: CheckpointStore
    sink: BackfillSink
    records: RecordLookup
    margin_seconds: float
    vendors: Mapping[str, Callable[..., VendorClient]] = field(default_factory=lambda: VENDORS)

    def client(self, connection: Connection) -> VendorClient:
        """The backfill client of a connection (its source must have one)."""
        return self.vendors[connection.source](connection, now=_now)

    def backfill(
        self,
        connection: Connection,
        *,
        since: datetime | None = None,
        object_types: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> list[Checkpoint]:
        """Backfill one connection (`rel2rev.backfill.run.run_backfill`)."""
        return run_backfill(
            self.client(connection),
            self.sink,
            self.checkpoints,
            connection.workspace,
            now=_now,
            object_types=object_types,
            since=since,
            progress=progress,
        )

    def reconcile(self, remaining_seconds: Callable[[], float]) -> ReconcileReport:
        """Reconcile every listed connection (`rel2rev.sync.reconcile.reconcile_all`),
        stopping `margin_seconds` before `remaining_seconds()` runs out."""
        listing = self.connections.listing()
        return reconcile_all(
            listing.connections,
            dict.fromkeys(self.vendors, self.client),
            self.sink,
            self.checkpoints,
            self.records,
            now=_now,
            deadline=Deadline(remaining_seconds, self.margin_seconds),
            unreadable=listing.unreadable,
        )


@cache
def sync_root() -> SyncRoot:
    """The root of the environment's stack (`rel2rev.settings.SyncSettings`), built once per
    container; `InputError` naming what the environment lacks."""
    settings = sync_settings()
    return SyncRoot(
        connections=connection_store(
            settings.connections_prefix, settings.connections, settings.connections_file
        ),
        checkpoints=checkpoint_store(settings.table_name),
        sink=ArchiveQueueSink(
            raw_archive(settings.archive_bucket), event_queue(settings.events_queue_url)
        ),
        records=record_repository(settings.table_name),
        margin_seconds=settings.reconcile_margin_seconds,
    )
