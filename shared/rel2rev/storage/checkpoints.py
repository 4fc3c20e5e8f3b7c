"""DynamoCheckpointStore: backfill checkpoints, in the records table.

One partition per workspace (`W#{workspace}#BACKFILL`, sort key `{source}#{object type}`), so
a workspace's backfill progress is one query and each object type has one item, replaced
after every page. Items carry the `Checkpoint` as JSON (`doc`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer

from rel2rev.backfill.checkpoints import Checkpoint

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_DESERIALIZER = TypeDeserializer()


def backfill_pk(workspace: str) -> str:
    """Partition of a workspace's backfill checkpoints."""
    return f"W#{workspace}#BACKFILL"


def checkpoint_sk(source: str, object_type: str) -> str:
    """Sort key of one (source, object type) checkpoint."""
    return f"{source}#{object_type}"


class DynamoCheckpointStore:
    """`rel2rev.backfill.checkpoints.CheckpointStore` on the records table."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def get(self, workspace: str, source: str, object_type: str) -> Checkpoint | None:
        """The saved checkpoint, or None."""
        item = self._db.get_item(
            TableName=self._table,
            Key={
                "PK": {"S": backfill_pk(workspace)},
                "SK": {"S": checkpoint_sk(source, object_type)},
            },
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        doc: Any = _DESERIALIZER.deserialize(item["doc"])
        return Checkpoint.model_validate_json(doc)

    def put(self, checkpoint: Checkpoint) -> None:
        """Save (replace) a checkpoint."""
        self._db.put_item(
            TableName=self._table,
            Item={
                "PK": {"S": backfill_pk(checkpoint.workspace)},
                "SK": {"S": checkpoint_sk(checkpoint.source, checkpoint.object_type)},
                "type": {"S": "backfill"},
                "doc": {"S": checkpoint.model_dump_json()},
            },
        )
