"""QuarantineStore: events the processor could not apply, in the records table.

One partition per workspace (`W#{workspace}#QUARANTINE`, sort key the event id), so a
workspace's quarantine is listed with one query and an event quarantined twice is kept once.
Items carry the whole event (it can be sent through the queue again), the reason, the request
it came from and how many deliveries failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from rel2rev.ingest.events import QuarantinedEvent
from rel2rev.storage import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


class QuarantineStore:
    """A workspace's quarantined events: put, list, remove."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def put(self, entries: Sequence[QuarantinedEvent]) -> None:
        """Keep each entry (a second quarantine of the same event replaces the first)."""
        for entry in entries:
            item = {
                "PK": keys.quarantine_pk(entry.workspace),
                "SK": entry.event_id,
                "type": "quarantine",
                "doc": entry.model_dump_json(),
            }
            self._db.put_item(
                TableName=self._table,
                Item={k: _SERIALIZER.serialize(v) for k, v in item.items()},  # type: ignore[misc]
            )

    def entries(self, workspace: str) -> Iterator[QuarantinedEvent]:
        """Every quarantined event of the workspace, by event id."""
        paginator = self._db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.quarantine_pk(workspace)}},
            ConsistentRead=True,
        )
        for page in pages:
            for item in page.get("Items", []):
                doc: Any = _DESERIALIZER.deserialize(item["doc"])
                yield QuarantinedEvent.model_validate_json(doc)

    def remove(self, workspace: str, event_ids: Sequence[str]) -> None:
        """Forget these entries (after they were sent through the queue again)."""
        for event_id in event_ids:
            self._db.delete_item(
                TableName=self._table,
                Key={"PK": {"S": keys.quarantine_pk(workspace)}, "SK": {"S": event_id}},
            )
