"""RecordEraser: a person's records out of the records table (see `rel2rev.erasure`).

The order makes an interrupted erasure safe to run again: the erased identifier hashes are
written first (so the processor suppresses the person's older events from then on), then the
interactions, leads and deal roles go, and the contacts and identifier items last (they are
how a second run finds the person again).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from rel2rev.apply import RecordKind, RecordState
from rel2rev.identity import unique_identifiers
from rel2rev.records import Identifier
from rel2rev.storage import keys
from rel2rev.storage.records import (
    MAX_ATTEMPTS,
    MAX_BATCH_WRITE,
    RecordRepository,
    _Conflict,
    _load,
    _state,
)

FIRST_MONTH = datetime(1970, 1, 1, tzinfo=UTC)
LAST_MONTH = datetime(2099, 12, 1, tzinfo=UTC)
"""The month shards a record can be anchored in (records' times lie in [1970, 2100))."""


@dataclass
class Forgotten:
    """What was removed from the records table."""

    contacts: int = 0
    identifiers: int = 0
    interactions: int = 0
    leads: int = 0
    deal_roles: int = 0
    contact_ids: list[str] = field(default_factory=list)


class RecordEraser(RecordRepository):
    """The records table, seen by an erasure."""

    def person(self, workspace: str, identifiers: Sequence[Identifier]) -> list[RecordState]:
        """Every contact record of the person these identifiers name: the contacts they
        point at, and every contact merged into or from those, transitively."""
        pks = [keys.identifier_pk(workspace, i.key) for i in unique_identifiers(identifiers)]
        frontier = {str(_load(item)["contact_id"]) for item in self._get_items(pks).values()}
        found: dict[str, RecordState] = {}
        while frontier:
            states = self._contacts(workspace, frontier)
            found.update({s.record_id: s for s in states})
            linked = {c for s in states for c in [s.merged_into, *s.merged_from] if c}
            frontier = linked - found.keys() - frontier
        return sorted(found.values(), key=lambda s: s.record_id)

    def suppress(self, workspace: str, hashes: dict[str, datetime]) -> None:
        """Record erased identifier hashes (hash -> erased at) in their shards."""
        for hash_value, at in sorted(hashes.items()):
            key = {"PK": {"S": keys.erased_pk(workspace, hash_value)}, "SK": {"S": keys.RECORD_SK}}
            self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET hashes = if_not_exists(hashes, :empty), #t = :t",
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues={":empty": {"M": {}}, ":t": {"S": "erased"}},
            )
            self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET hashes.#h = :at",
                ExpressionAttributeNames={"#h": hash_value},
                ExpressionAttributeValues={":at": {"S": keys.clock(at)}},
            )

    def forget(self, workspace: str, contacts: Sequence[RecordState]) -> Forgotten:
        """Remove the person's interactions, leads, deal roles, contacts and identifiers."""
        ids = {c.record_id for c in contacts}
        forgotten = Forgotten(contact_ids=sorted(ids))
        for contact_id in sorted(ids):
            partition = keys.contact_partition(workspace, contact_id)
            found = [item["PK"]["S"] for item in self._query_items(keys.BY_CONTACT, partition)]
            self._delete(found)
            forgotten.interactions += len(found)
        for item in self._leads_and_deals(workspace):
            state = _state(item)
            if state.kind is RecordKind.LEAD and state.fields.get("contact_id") in ids:
                self._delete([item["PK"]["S"]])
                forgotten.leads += 1
            elif state.kind is RecordKind.DEAL and ids & state.roles.keys():
                forgotten.deal_roles += self._drop_roles(state, _load(item), ids)
        for contact in contacts:
            for identifier in contact.identifiers:
                forgotten.identifiers += self._delete_identifier(
                    workspace, identifier.key, contact.record_id
                )
        self._delete([keys.record_pk(workspace, RecordKind.CONTACT, c) for c in sorted(ids)])
        forgotten.contacts = len(ids)
        return forgotten

    def _leads_and_deals(self, workspace: str) -> Iterator[dict[str, Any]]:
        """Every lead and deal item of the workspace (all month shards, in parallel)."""

        def shard(month: tuple[int, int]) -> list[dict[str, Any]]:
            paginator = self._db.get_paginator("query")
            pages = paginator.paginate(
                TableName=self._table,
                IndexName=keys.BY_WORKSPACE_MONTH,
                KeyConditionExpression="GSI3PK = :pk",
                FilterExpression="#t IN (:lead, :deal)",
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues={
                    ":pk": {"S": keys.month_partition(workspace, *month)},
                    ":lead": {"S": RecordKind.LEAD.value},
                    ":deal": {"S": RecordKind.DEAL.value},
                },
            )
            return [item for page in pages for item in page.get("Items", [])]

        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            for items in pool.map(shard, keys.months(FIRST_MONTH, LAST_MONTH)):
                yield from items

    def _drop_roles(self, state: RecordState, stored: dict[str, Any], ids: set[str]) -> int:
        """Take the person's roles off a deal (re-read on a concurrent change); roles dropped."""
        for _ in range(MAX_ATTEMPTS):
            dropped = ids & state.roles.keys()
            if not dropped:
                return 0
            roles = {c: r for c, r in state.roles.items() if c not in ids}
            try:
                self._put(self._put_record(state.model_copy(update={"roles": roles}), stored))
            except _Conflict:
                pk = keys.record_pk(state.workspace, state.kind, state.record_id)
                item = self._get_items([pk]).get(pk)
                if item is None:
                    return 0
                state, stored = _state(item), _load(item)
                continue
            return len(dropped)
        raise _Conflict(f"deal {state.record_id} kept changing during the erasure")

    def _delete_identifier(self, workspace: str, identifier_key: str, contact_id: str) -> int:
        """Delete an identifier item if it still points at `contact_id`; 1 if deleted."""
        try:
            self._db.delete_item(
                TableName=self._table,
                Key={
                    "PK": {"S": keys.identifier_pk(workspace, identifier_key)},
                    "SK": {"S": keys.RECORD_SK},
                },
                ConditionExpression="contact_id = :c",
                ExpressionAttributeValues={":c": {"S": contact_id}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return 0  # gone already, or it names another contact now
        return 1

    def _delete(self, pks: Sequence[str]) -> None:
        """Delete record items by partition key, 25 per BatchWriteItem, unprocessed retried."""
        for start in range(0, len(pks), MAX_BATCH_WRITE):
            request: Any = {
                self._table: [
                    {"DeleteRequest": {"Key": {"PK": {"S": pk}, "SK": {"S": keys.RECORD_SK}}}}
                    for pk in pks[start : start + MAX_BATCH_WRITE]
                ]
            }
            while request:
                response = self._db.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or None
