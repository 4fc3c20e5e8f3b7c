"""Data access: one small repository per store, created once per container.

The factories below are cached, so a Lambda container (or a local process) builds each
repository, and its boto3 client, once. Domain code never imports boto3; only this package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rel2rev.storage.archive import RawArchive
from rel2rev.storage.clients import dynamodb_client, s3_client, sqs_client, ssm_client
from rel2rev.storage.connections import ConnectionStore
from rel2rev.storage.quarantine import QuarantineStore
from rel2rev.storage.queue import EventQueue
from rel2rev.storage.records import Outcome, RecordRepository

__all__ = [
    "ConnectionStore",
    "EventQueue",
    "Outcome",
    "QuarantineStore",
    "RawArchive",
    "RecordRepository",
    "connection_store",
    "event_queue",
    "quarantine_store",
    "raw_archive",
    "record_repository",
]


@cache
def record_repository(table_name: str) -> RecordRepository:
    """The records table repository."""
    return RecordRepository(dynamodb_client(), table_name)


@cache
def raw_archive(bucket: str) -> RawArchive:
    """The raw request archive."""
    return RawArchive(s3_client(), bucket)


@cache
def event_queue(queue_url: str) -> EventQueue:
    """The processor's event queue."""
    return EventQueue(sqs_client(), queue_url)


@cache
def connection_store(
    prefix: str, inline: str | None = None, file: Path | None = None
) -> ConnectionStore:
    """Connections from SSM under `prefix`, or the local inline JSON / file when given."""
    return ConnectionStore.from_config(prefix, inline, file, client=ssm_client())


@cache
def quarantine_store(table_name: str) -> QuarantineStore:
    """The quarantine of events the processor could not apply (in the records table)."""
    return QuarantineStore(dynamodb_client(), table_name)
