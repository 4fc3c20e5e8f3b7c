"""EventQueue: normalised events to the processor's SQS queue, in batches SQS accepts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rel2rev.errors import PayloadTooLargeError
from rel2rev.ingest.events import Event

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
"""SQS limits: 10 messages and 256 KiB of payload per SendMessageBatch (and per message)."""


class EnqueueError(RuntimeError):
    """SQS refused some messages after a retry; the sender should redeliver."""


class EventQueue:
    """The ingest sink's `enqueue`: one SQS message per event (its JSON)."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def enqueue(self, events: Sequence[Event]) -> None:
        """Send every event; batches never exceed 10 entries or 256 KiB."""
        for batch in batches([e.model_dump_json() for e in events]):
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


def batches(bodies: Sequence[str]) -> list[list[str]]:
    """Group message bodies into SendMessageBatch calls within SQS's limits."""
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if length > MAX_BATCH_BYTES:
            raise PayloadTooLargeError(f"one event is {length} bytes; SQS accepts 256 KiB")
        if current and (len(current) == MAX_BATCH_ENTRIES or size + length > MAX_BATCH_BYTES):
            groups.append(current)
            current, size = [], 0
        current.append(body)
        size += length
    if current:
        groups.append(current)
    return groups
