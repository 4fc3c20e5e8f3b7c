"""EventQueue: normalised events to the processor's SQS queue, packed into few messages.

Each message carries an `EventMessage`: up to 25 events of one delivery, at most 256 KiB of
JSON. Packing keeps the message count (and the queue's cost and backlog) low; the processor
applies every event of a message and fails the message if any event failed, which is safe
because applying an event twice changes nothing. SendMessageBatch calls carry at most 10
messages and 256 KiB.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rel2rev.errors import PayloadTooLargeError
from rel2rev.ingest.events import Event, QuarantinedEvent

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
"""SQS limits: 10 messages and 256 KiB of payload per SendMessageBatch (and per message)."""
MAX_EVENTS_PER_MESSAGE = 25
_ENVELOPE = len(b'{"events":[]}')


class EventMessage(BaseModel):
    """The body of one queue message: events of one delivery, applied together."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    events: list[Event] = Field(min_length=1, max_length=MAX_EVENTS_PER_MESSAGE)


class _Envelope(BaseModel):
    events: list[Any] = Field(min_length=1, max_length=MAX_EVENTS_PER_MESSAGE)


def read_message(
    body: str, message_id: str, at: datetime, attempts: int
) -> tuple[list[Event], list[QuarantinedEvent]]:
    """The events of a message body, each read alone: the valid ones, and the ones that are
    no valid event as quarantine entries (so one bad event never holds up the others).
    `ValueError` when the body is no event message at all."""
    envelope = _Envelope.model_validate_json(body)
    events: list[Event] = []
    unreadable: list[QuarantinedEvent] = []
    for index, raw in enumerate(envelope.events):
        try:
            events.append(Event.model_validate(raw))
        except ValidationError as exc:
            reason = f"unreadable event: {exc}"
            unreadable.append(
                QuarantinedEvent.unreadable_event(
                    message_id, index, raw, reason=reason, at=at, attempts=attempts
                )
            )
    return events, unreadable


class EnqueueError(RuntimeError):
    """SQS refused some messages after a retry; the sender should redeliver."""


def pack(events: Sequence[Event]) -> list[str]:
    """Message bodies holding `events` in order: at most 25 events and 256 KiB each."""
    bodies: list[str] = []
    current: list[str] = []
    size = _ENVELOPE
    for event in events:
        text = event.model_dump_json()
        length = len(text.encode()) + 1
        if _ENVELOPE + length > MAX_BATCH_BYTES:
            raise PayloadTooLargeError(f"one event is {length} bytes; SQS accepts 256 KiB")
        if current and (len(current) == MAX_EVENTS_PER_MESSAGE or size + length > MAX_BATCH_BYTES):
            bodies.append('{"events":[' + ",".join(current) + "]}")
            current, size = [], _ENVELOPE
        current.append(text)
        size += length
    if current:
        bodies.append('{"events":[' + ",".join(current) + "]}")
    return bodies


def batches(bodies: Sequence[str]) -> list[list[str]]:
    """Group message bodies into SendMessageBatch calls within SQS's limits."""
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if length > MAX_BATCH_BYTES:
            raise PayloadTooLargeError(f"one message is {length} bytes; SQS accepts 256 KiB")
        if current and (len(current) == MAX_BATCH_ENTRIES or size + length > MAX_BATCH_BYTES):
            groups.append(current)
            current, size = [], 0
        current.append(body)
        size += length
    if current:
        groups.append(current)
    return groups


class EventQueue:
    """The ingest sink's `enqueue`: events packed into `EventMessage`s."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def enqueue(self, events: Sequence[Event]) -> None:
        """Send every event (see `pack` and `batches` for the limits kept)."""
        for batch in batches(pack(events)):
            self._send(batch)

    def _send(self, bodies: list[str], retried: bool = False) -> None:
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)
        ]
        response = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
        failed = [bodies[int(f["Id"])] for f in response.get("Failed", [])]
        if failed and retried:
            raise EnqueueError(f"SQS refused {len(failed)} event messages")
        if failed:
            self._send(failed, retried=True)
