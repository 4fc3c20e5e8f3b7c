"""AwsWebhookSink: the ingest logic's sink, writing to the S3 archive and the SQS queue.

Nothing is written until everything can be: the archive write waits until the events have
been checked against SQS's limits, so a delivery refused at that point (one event over
256 KiB: 413) leaves no archive object behind. A delivery without events is archived when
the handler calls `flush()`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rel2rev.ingest.events import Event
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.webhook import archive_key
from rel2rev.storage.archive import RawArchive
from rel2rev.storage.queue import EventQueue, batches, pack


class AwsWebhookSink:
    """One delivery's sink (`rel2rev.ingest.webhook.WebhookSink`); create one per request."""

    def __init__(self, archive: RawArchive, queue: EventQueue) -> None:
        self._archive = archive
        self._queue = queue
        self._pending: RawRequest | None = None
        self.enqueued = 0

    def archive(self, request: RawRequest) -> str:
        """Remember the request; it is written before its events are sent (or on flush)."""
        self._pending = request
        return archive_key(request)

    def enqueue(self, events: Sequence[Event]) -> None:
        """Check the events fit SQS, write the archive, then send them."""
        batches(pack(events))
        self.flush()
        self._queue.enqueue(events)
        self.enqueued += len(events)

    def flush(self) -> None:
        """Write the remembered request to the archive (once)."""
        if self._pending is not None:
            self._archive.archive(self._pending)
            self._pending = None
