"""Data access: one small repository per store, created once per container.

The factories below are cached, so a Lambda container (or a local process) builds each
repository, and its boto3 client, once. Domain code never imports boto3; only this package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rel2rev.settings import ErasureSettings
from rel2rev.storage.archive import RawArchive
from rel2rev.storage.checkpoints import DynamoCheckpointStore
from rel2rev.storage.clients import dynamodb_client, s3_client, sqs_client, ssm_client
from rel2rev.storage.connections import ConnectionStore
from rel2rev.storage.erasure import Eraser, ErasureQueue, ErasureReceipts
from rel2rev.storage.quarantine import QuarantineStore
from rel2rev.storage.queue import EventQueue
from rel2rev.storage.record_erasure import RecordEraser
from rel2rev.storage.records import Outcome, RecordRepository
from rel2rev.storage.results import results_store_of

__all__ = [
    "ConnectionStore",
    "DynamoCheckpointStore",
    "Eraser",
    "ErasureQueue",
    "ErasureReceipts",
    "EventQueue",
    "Outcome",
    "QuarantineStore",
    "RawArchive",
    "RecordRepository",
    "checkpoint_store",
    "connection_store",
    "eraser",
    "erasure_queue",
    "erasure_receipts",
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


@cache
def checkpoint_store(table_name: str) -> DynamoCheckpointStore:
    """Backfill checkpoints (in the records table)."""
    return DynamoCheckpointStore(dynamodb_client(), table_name)


@cache
def erasure_receipts(table_name: str) -> ErasureReceipts:
    """Erasure receipts (in the records table)."""
    return ErasureReceipts(dynamodb_client(), table_name)


@cache
def erasure_queue(queue_url: str) -> ErasureQueue:
    """The queue of erasure requests."""
    return ErasureQueue(sqs_client(), queue_url)


@cache
def eraser(settings: ErasureSettings) -> Eraser:
    """The erasure over every store: ErasureFunction's and `rel2rev erase`'s composition root."""
    return Eraser(
        records=RecordEraser(dynamodb_client(), settings.table_name),
        archive=raw_archive(settings.archive_bucket),
        quarantine=quarantine_store(settings.table_name),
        results=results_store_of(settings.results_table),
        receipts=erasure_receipts(settings.table_name),
        connections=connection_store(
            settings.connections_prefix, settings.connections, settings.connections_file
        ),
    )
