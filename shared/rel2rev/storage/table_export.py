"""A workspace's records from a point-in-time export of the records table (DynamoDB JSON).

For a workspace too big to page through with queries, DynamoDB itself writes the whole table
to S3 (`ExportTableToPointInTime`): no read capacity used, a consistent snapshot of one
moment, gzipped DynamoDB JSON lines (`{"Item": {...}}`) under
`{prefix}/AWSDynamoDB/{export id}/data/`. `TableExports` starts one, waits for it and reads
it back; `records_of_export` keeps one workspace's records from those items, merged contacts
read as their survivor, exactly as the table's queries would serve them (docs/data-model.md,
"Reading a table export").
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rel2rev.apply import RecordKind, RecordState
from rel2rev.records import WorkspaceRecords
from rel2rev.storage.records import _Read

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

RECORD_TYPES = frozenset(kind.value for kind in RecordKind)


class ExportFailedError(RuntimeError):
    """DynamoDB reported the export as failed."""


class TableExports:
    """Point-in-time exports of one table into one bucket."""

    def __init__(self, db: DynamoDBClient, s3: S3Client, table_arn: str, bucket: str) -> None:
        self._db = db
        self._s3 = s3
        self._table_arn = table_arn
        self._bucket = bucket

    def start(self, prefix: str, at: datetime | None = None, token: str | None = None) -> str:
        """Start an export of the table (as of `at`, default now) under `prefix`; its ARN.

        With `token`, DynamoDB answers every start with the same token (for 8 hours) with
        the first export instead of starting another."""
        extra: dict[str, Any] = {"ExportTime": at} if at else {}
        if token is not None:
            extra["ClientToken"] = token
        answer = self._db.export_table_to_point_in_time(
            TableArn=self._table_arn,
            S3Bucket=self._bucket,
            S3Prefix=prefix,
            ExportFormat="DYNAMODB_JSON",
            **extra,
        )
        return answer["ExportDescription"]["ExportArn"]

    def wait(self, export_arn: str, *, timeout: float = 3600, poll: float = 5) -> None:
        """Wait until the export has completed; `ExportFailedError` if it failed."""
        deadline = time.monotonic() + timeout
        while True:
            described = self._db.describe_export(ExportArn=export_arn)["ExportDescription"]
            status = described["ExportStatus"]
            if status == "COMPLETED":
                return
            if status == "FAILED":
                raise ExportFailedError(
                    f"{described.get('FailureCode')}: {described.get('FailureMessage')}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"export {export_arn} not done after {timeout} s")
            time.sleep(poll)

    def items(self, prefix: str) -> Iterator[dict[str, Any]]:
        """Every item of the export under `prefix`, as DynamoDB JSON.

        A prefix holds one export when every start for it uses one client token; should it
        hold more (a start repeated after the token expired), the first by folder name (the
        earliest: DynamoDB names them by start time) is read, never two."""
        paginator = self._s3.get_paginator("list_objects_v2")
        keys: dict[str, list[str]] = {}
        for page in paginator.paginate(Bucket=self._bucket, Prefix=f"{prefix}/AWSDynamoDB/"):
            for entry in page.get("Contents", []):
                key = entry["Key"]
                if "/data/" in key and key.endswith(".gz"):
                    keys.setdefault(key.split("/data/", 1)[0], []).append(key)
        for key in keys[min(keys)] if keys else []:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
            for line in gzip.decompress(body.read()).splitlines():
                if line.strip():
                    yield json.loads(line)["Item"]


def records_of_export(items: Iterable[dict[str, Any]], workspace: str) -> WorkspaceRecords:
    """One workspace's contacts, interactions, leads and deals from exported items."""
    prefix = f"W#{workspace}#"

    def states() -> Iterator[RecordState]:
        for item in items:
            if not item.get("PK", {}).get("S", "").startswith(prefix):
                continue
            if item.get("type", {}).get("S") not in RECORD_TYPES or "doc" not in item:
                continue
            yield RecordState.model_validate_json(item["doc"]["S"])

    return _Read(states()).records(workspace)
