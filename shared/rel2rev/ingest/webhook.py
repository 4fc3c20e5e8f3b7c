"""The ingest logic: check, verify, parse, then archive and enqueue a webhook delivery.

Nothing is archived or enqueued unless the request passed every check, so a rejected
sender leaves no trace beyond the caller's log line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from rel2rev.errors import (
    InputError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import Event
from rel2rev.ingest.request import RawRequest, WebhookResponse
from rel2rev.ingest.sources import ADAPTERS, SourceAdapter

MAX_BODY_BYTES = 1024 * 1024
"""Largest accepted body (1 MiB); larger bodies get 413."""

__all__ = [
    "MAX_BODY_BYTES",
    "ConnectionLookup",
    "WebhookResponse",
    "WebhookSink",
    "adapter_for",
    "archive_key",
    "receive_webhook",
    "replay_request",
]


class ConnectionLookup(Protocol):
    """Finds the connection of (workspace, source), or None if there is none."""

    def __call__(self, workspace: str, source: str) -> Connection | None: ...


class WebhookSink(Protocol):
    """Where accepted deliveries go: the raw archive and the event queue."""

    def archive(self, request: RawRequest) -> str:
        """Store `request.to_archive()` under `archive_key(request)`; return the key."""
        ...

    def enqueue(self, events: Sequence[Event]) -> None:
        """Send the events to the processor."""
        ...


def archive_key(request: RawRequest) -> str:
    """`raw/{workspace}/{source}/{yyyy}/{mm}/{dd}/{request_id}` (UTC date of receipt)."""
    day = request.received_at
    return (
        f"raw/{request.workspace}/{request.source}/"
        f"{day.year:04d}/{day.month:02d}/{day.day:02d}/{request.request_id}"
    )


def adapter_for(source: str) -> SourceAdapter:
    """The adapter of a source name; NotFoundError for an unknown source."""
    adapter = ADAPTERS.get(source)
    if adapter is None:
        raise NotFoundError(f"unknown source {source!r}")
    return adapter


def receive_webhook(
    request: RawRequest, connections: ConnectionLookup, sink: WebhookSink, now: datetime
) -> WebhookResponse:
    """Handle one delivery; raises a `Rel2revError` (status < 500) for anything rejected."""
    adapter = adapter_for(request.source)
    connection = connections(request.workspace, request.source)
    if connection is None:
        raise NotFoundError(f"no {request.source} connection for workspace {request.workspace!r}")
    if len(request.body) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"body is larger than {MAX_BODY_BYTES} bytes")
    if request.media_type not in adapter.content_types:
        accepted = ", ".join(sorted(adapter.content_types))
        raise UnsupportedMediaTypeError(
            f"content type {request.media_type or '(none)'!r} not accepted; send {accepted}"
        )
    adapter.verify(request, connection, now)
    events = _parse(adapter, request, connection)
    sink.archive(request)
    if events:
        sink.enqueue(events)
    return adapter.acknowledge(request, events)


def replay_request(archived: RawRequest, connection: Connection) -> list[Event]:
    """Re-parse an archived request without verifying it again (same event ids)."""
    return _parse(adapter_for(archived.source), archived, connection)


def _parse(adapter: SourceAdapter, request: RawRequest, connection: Connection) -> list[Event]:
    """The adapter's parse; a value it could not interpret is the sender's error (400)."""
    try:
        return adapter.parse(request, connection)
    except (ValueError, ArithmeticError) as exc:
        raise InputError(
            f"could not interpret the {adapter.name} payload",
            details=[{"path": "", "message": str(exc)[:500]}],
        ) from None
