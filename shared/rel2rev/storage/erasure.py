"""Carrying out an erasure over every store (the rules are in `rel2rev.erasure`).

`Eraser.erase` (ErasureFunction, `rel2rev erase`) finds the person (every contact they were
stored as), suppresses their identifiers, removes their records, quarantined events and past
relationship rows, deletes or rewrites their raw requests, and writes the receipt. Running it
again is safe: each step removes what is left. `ErasureReceipts` keeps receipts in the records
table (`W#{workspace}#ERASURE`, sort key the erasure id); `ErasureQueue` is how the API asks.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from rel2rev.erasure import (
    ArchiveAction,
    ErasureCounts,
    ErasureReceipt,
    ErasureRequest,
    ErasureStatus,
    Person,
    archive_action,
)
from rel2rev.errors import InputError, NotFoundError
from rel2rev.identity import unique_identifiers
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.webhook import replay_request
from rel2rev.storage import keys
from rel2rev.storage.archive import RawArchive
from rel2rev.storage.quarantine import QuarantineStore
from rel2rev.storage.record_erasure import RecordEraser
from rel2rev.storage.results import ResultsStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()
Connections = Callable[[str, str], Connection | None]
Progress = Callable[[str], None]


class ErasureReceipts:
    """Erasure receipts: put and get."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def put(self, receipt: ErasureReceipt) -> None:
        """Store (or replace) a receipt."""
        item = {
            "PK": keys.erasure_pk(receipt.workspace),
            "SK": receipt.erasure_id,
            "type": "erasure",
            "doc": receipt.model_dump_json(),
        }
        self._db.put_item(
            TableName=self._table,
            Item={k: _SERIALIZER.serialize(v) for k, v in item.items()},  # type: ignore[misc]
        )

    def get(self, workspace: str, erasure_id: str) -> ErasureReceipt:
        """One receipt of the workspace; NotFoundError when unknown."""
        item = self._db.get_item(
            TableName=self._table,
            Key={"PK": {"S": keys.erasure_pk(workspace)}, "SK": {"S": erasure_id}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            raise NotFoundError(f"erasure {erasure_id!r} not found")
        doc: Any = _DESERIALIZER.deserialize(item["doc"])
        return ErasureReceipt.model_validate_json(doc)


class ErasureQueue:
    """The queue of erasure requests ErasureFunction carries out (one message each)."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def request(self, request: ErasureRequest) -> None:
        """Queue an erasure."""
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=request.model_dump_json())


class Eraser:
    """Forgets people: records, quarantine, past results and the raw archive."""

    def __init__(
        self,
        *,
        records: RecordEraser,
        archive: RawArchive,
        quarantine: QuarantineStore,
        results: ResultsStore,
        receipts: ErasureReceipts,
        connections: Connections,
        max_workers: int = 8,
    ) -> None:
        self._records = records
        self._archive = archive
        self._quarantine = quarantine
        self._results = results
        self._receipts = receipts
        self._connections = connections
        self._workers = max_workers

    def erase(
        self, request: ErasureRequest, now: datetime, progress: Progress | None = None
    ) -> ErasureReceipt:
        """Carry out `request` (see the module docstring); the receipt, stored."""
        say = progress or (lambda _: None)
        ws = request.workspace
        contacts = self._records.person(ws, request.identifiers)
        names = {str(c.fields["name"]) for c in contacts if c.fields.get("name")}
        person = Person(
            workspace=ws,
            identifiers=unique_identifiers(
                [*request.identifiers, *(i for c in contacts for i in c.identifiers)]
            ),
            names=sorted(names | {part for n in names for part in n.split() if len(part) > 1}),
        )
        say(f"found {len(contacts)} contact record(s), {len(person.identifiers)} identifiers")
        self._records.suppress(ws, dict.fromkeys(person.hashes(), now))
        forgotten = self._records.forget(ws, contacts)
        say(
            f"removed {forgotten.interactions} interactions, {forgotten.leads} leads, "
            f"{forgotten.deal_roles} deal roles"
        )
        quarantined = [
            e.event_id
            for e in self._quarantine.entries(ws)
            if e.event is not None and person.named_in(e.event)
        ]
        self._quarantine.remove(ws, quarantined)
        relationships = self._results.forget_relationships(ws, forgotten.contact_ids)
        deleted, rewritten = self._erase_archive(person, say)
        receipt = ErasureReceipt(
            workspace=ws,
            erasure_id=request.erasure_id,
            status=ErasureStatus.DONE,
            requested_at=request.requested_at,
            requested_by=request.requested_by,
            completed_at=now,
            identifier_hashes=person.hashes(),
            counts=ErasureCounts(
                contacts=forgotten.contacts,
                identifiers=forgotten.identifiers,
                interactions=forgotten.interactions,
                leads=forgotten.leads,
                deal_roles=forgotten.deal_roles,
                quarantined=len(quarantined),
                relationships=relationships,
                archive_deleted=deleted,
                archive_rewritten=rewritten,
            ),
        )
        self._receipts.put(receipt)
        return receipt

    def _erase_archive(self, person: Person, say: Progress) -> tuple[int, int]:
        """Delete or rewrite every archived request that concerns the person; the counts."""

        def parse(request: RawRequest) -> list[Any]:
            connection = self._connections(request.workspace, request.source)
            if connection is None:  # read as unreadable: deleted if it mentions the person
                raise InputError(f"no {request.source} connection to read the request with")
            return replay_request(request, connection)

        def one(key: str) -> ArchiveAction:
            action, rewritten = archive_action(person, self._archive.load(key), parse)
            if action is ArchiveAction.DELETE:
                self._archive.delete(key)
            elif action is ArchiveAction.REWRITE and rewritten is not None:
                self._archive.replace(key, rewritten)
            return action

        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            actions = list(pool.map(one, self._archive.keys(person.workspace)))
        deleted = actions.count(ArchiveAction.DELETE)
        rewritten = actions.count(ArchiveAction.REWRITE)
        say(f"archive: {len(actions)} requests read, {deleted} deleted, {rewritten} rewritten")
        return deleted, rewritten
