"""RecordRepository: contacts, interactions, leads and deals in the records table (DynamoDB).

Applying an event is read-merge-write with optimistic concurrency: read the event's marker,
the identifiers it names and the records it touches (consistently), merge with `rel2rev.apply`
(per-field versions by source clock), then write every changed item with a conditional
PutItem (on the revision read, or on not existing), the applied-event markers last. A lost
race retries from the read; a marker that already exists means the event was stored before (a
duplicate delivery). Events are applied in groups (a queue message) to share the reads and
the writes of records they have in common. Every write is one whole record, and re-applying
an event is a no-op, so an interruption between writes is repaired by the redelivery.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from rel2rev import apply
from rel2rev.apply import Change, Record, RecordKind, RecordState
from rel2rev.erasure import identifier_hash, without_erased
from rel2rev.errors import ConflictError
from rel2rev.identity import Resolution, canonical, resolve, unique_identifiers
from rel2rev.ingest.events import (
    ContactMerge,
    ContactUpsert,
    DealContactRemoved,
    DealUpsert,
    Event,
    InteractionEvent,
    LeadUpsert,
)
from rel2rev.records import Contact, Deal, Identifier, Interaction, Lead, WorkspaceRecords
from rel2rev.storage import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MARKER_TTL = timedelta(days=35)
"""How long applied-event markers live; longer than any source's redelivery window."""
MAX_ATTEMPTS = 8
MAX_BATCH_GET = 100
MAX_BATCH_WRITE = 25

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


class Outcome(StrEnum):
    """What applying one event did."""

    STORED = "stored"
    UNCHANGED = "unchanged"
    """Nothing new: an older update, or a replay after the marker expired."""
    DUPLICATE = "duplicate"
    """The event id was applied before."""
    ERASED = "erased"
    """It is about a person erased after it happened: suppressed (`rel2rev.erasure`)."""


class _Conflict(Exception):
    """A concurrent writer changed what we read; apply again from the read."""


@dataclass
class _Plan:
    """What one event does: record changes, identifiers to attach, contacts to merge."""

    changes: list[Change] = field(default_factory=list)
    attach: list[tuple[Identifier, str]] = field(default_factory=list)
    merges: list[tuple[str, str]] = field(default_factory=list)
    """(survivor, merged) contact ids."""


def _dump(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _SERIALIZER.serialize(v) for k, v in item.items() if v is not None}


def _load(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}


def _key(pk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": keys.RECORD_SK}}


def _state_key(state: RecordState | Change) -> str:
    return keys.record_pk(state.workspace, state.kind, state.record_id)


def _moment(value: object) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _anchor(state: RecordState) -> datetime:
    """The moment that places a record in a month shard: when it happened or was created; a
    closed deal when it closed (so a run finds the deals won or lost in its window)."""
    fields = state.fields
    closed = fields.get("closed_at")
    if state.kind is RecordKind.DEAL and fields.get("status") in {"won", "lost"} and closed:
        return _moment(closed)
    moment = fields.get("occurred_at") or fields.get("created_at")
    if moment is not None:
        return _moment(moment)
    return min(apply.version_time(v) for v in [state.version, *state.versions.values()] if v)


class RecordRepository:
    """The records table: apply events, resolve identities, and serve every access pattern."""

    def __init__(self, client: DynamoDBClient, table_name: str, max_workers: int = 8) -> None:
        self._db = client
        self._table = table_name
        self._workers = max_workers

    # --- writing -----------------------------------------------------------------------------
    def apply_event(self, event: Event) -> Outcome:
        """Store one event idempotently (see `apply_events`)."""
        return self.apply_events([event])[0]

    def apply_events(self, events: Sequence[Event]) -> list[Outcome]:
        """Store events idempotently, in order; one outcome per event.

        The events are read, merged and written together (one read of every marker and
        identifier, one of every record, one write per changed record), which is what makes
        a queue message of 25 events cheap. Lost races retry the whole group (re-applying is
        a no-op); ConflictError after too many.
        """
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._apply_once(events)
            except _Conflict:
                time.sleep(min(0.5, 0.01 * 2**attempt))
        raise ConflictError(f"{len(events)} events kept conflicting with concurrent writers")

    def _apply_once(self, events: Sequence[Event]) -> list[Outcome]:
        markers = [keys.event_pk(e.workspace, e.event_id) for e in events]
        wanted = {
            keys.identifier_pk(e.workspace, i.key): (e.workspace, i.key)
            for e in events
            for ids in e.people()
            for i in unique_identifiers(ids)
        }
        shards = {
            keys.erased_pk(e.workspace, identifier_hash(e.workspace, i)): e.workspace
            for e in events
            for ids in e.people()
            for i in ids
        }
        found = self._get_items(list(dict.fromkeys([*markers, *wanted, *shards])))
        known: dict[str, dict[str, str]] = {e.workspace: {} for e in events}
        for pk, (workspace, key) in wanted.items():
            if pk in found:
                known[workspace][key] = str(_load(found[pk])["contact_id"])
        erased: dict[str, dict[str, datetime]] = {e.workspace: {} for e in events}
        for pk, workspace in shards.items():
            if pk in found:
                hashes = _load(found[pk]).get("hashes", {})
                erased[workspace].update({h: _moment(at) for h, at in hashes.items()})
        fresh: list[tuple[Event, str, _Plan]] = []
        attach: list[tuple[str, Identifier, str]] = []
        outcomes = [Outcome.DUPLICATE] * len(events)
        slots: dict[str, int] = {}
        for index, (event, marker) in enumerate(zip(events, markers, strict=True)):
            if marker in found or marker in slots:
                continue
            slots[marker] = index
            kept = without_erased(event, erased[event.workspace])
            plan = _Plan() if kept is None else self._changes(kept, known[event.workspace])
            fresh.append((event, marker, plan))
            if kept is None:
                outcomes[index] = Outcome.ERASED
            attach += [(event.workspace, i, cid) for i, cid in plan.attach]
        pks = list(
            dict.fromkeys(
                [
                    *(_state_key(c) for _, _, plan in fresh for c in plan.changes),
                    *(
                        keys.record_pk(event.workspace, RecordKind.CONTACT, contact_id)
                        for event, _, plan in fresh
                        for pair in plan.merges
                        for contact_id in pair
                    ),
                ]
            )
        )
        stored = {pk: _load(item) for pk, item in self._get_items(pks).items()}
        states = {pk: RecordState.model_validate_json(i["doc"]) for pk, i in stored.items()}
        merged = dict(states)
        repoint: dict[tuple[str, str], tuple[Identifier, str, str]] = {}
        for event, marker, plan in fresh:
            changed = False
            for change in plan.changes:
                pk = _state_key(change)
                after = apply.apply_change(merged.get(pk), change)
                changed = changed or after != merged.get(pk)
                merged[pk] = after
            for survivor_id, loser_id in plan.merges:
                ws = event.workspace
                spk = keys.record_pk(ws, RecordKind.CONTACT, survivor_id)
                lpk = keys.record_pk(ws, RecordKind.CONTACT, loser_id)
                survivor, loser = apply.merge_states(
                    merged.get(spk),
                    merged.get(lpk),
                    survivor_id=survivor_id,
                    loser_id=loser_id,
                    workspace=ws,
                    version=apply.version_of(event),
                    source=event.source,
                )
                changed = changed or survivor != merged.get(spk) or loser != merged.get(lpk)
                merged[spk], merged[lpk] = survivor, loser
                for identifier in loser.identifiers:
                    repoint[(ws, identifier.key)] = (identifier, loser_id, survivor_id)
            if outcomes[slots[marker]] is not Outcome.ERASED:
                outcomes[slots[marker]] = Outcome.STORED if changed else Outcome.UNCHANGED
        # Identifiers first (in key order, so racing captures of one person meet on the same
        # first item), then the records, then the identifiers of merged contacts (after the
        # merge is recorded: a crash in between is repaired by the redelivery, which still
        # finds both contacts), then the markers: a crash or a lost race anywhere leaves
        # nothing that applying the events again would not repair.
        unique_attach = {(w, i.key): (w, i, cid) for w, i, cid in attach}
        for _, (workspace, identifier, contact_id) in sorted(unique_attach.items()):
            self._put(self._put_identifier(workspace, identifier, contact_id))
        for pk, state in merged.items():
            if state != states.get(pk):
                self._put(self._put_record(state, stored.get(pk)))
        for (workspace, _), (identifier, old, new) in sorted(repoint.items()):
            self._put(self._put_identifier(workspace, identifier, new, replacing=old))
        self._write_markers([self._marker(event, marker) for event, marker, _ in fresh])
        return outcomes

    def _changes(self, event: Event, known: dict[str, str]) -> _Plan:
        """The record changes an event makes, the identifiers to attach to contacts and the
        contacts found to be one person (survivor, merged)."""
        payload = event.payload
        plan = _Plan()

        def person(
            ids: Sequence[Identifier], at: datetime | None, account: str | None = None
        ) -> str:
            found = resolve(event.workspace, ids, known)
            plan.attach.extend((i, found.contact_id) for i in found.attach)
            known.update({i.key: found.contact_id for i in found.attach})
            for loser in found.merged:
                plan.merges.append((found.contact_id, loser))
                known.update({k: found.contact_id for k, c in known.items() if c == loser})
            plan.changes.append(
                apply.capture_change(
                    event,
                    found.contact_id,
                    unique_identifiers(ids),
                    captured_at=at,
                    account_id=account,
                )
            )
            return found.contact_id

        if isinstance(payload, ContactUpsert):
            contact_id = person(payload.identifiers, payload.created_at)
            plan.changes.append(apply.contact_change(event, payload, contact_id, []))
        elif isinstance(payload, InteractionEvent):
            contact_id = person(payload.contact, payload.occurred_at, payload.account_id)
            plan.changes.append(apply.interaction_change(event, payload, contact_id))
        elif isinstance(payload, LeadUpsert):
            lead_contact = person(payload.contact, payload.created_at) if payload.contact else None
            plan.changes.append(apply.lead_change(event, payload, lead_contact))
        elif isinstance(payload, DealUpsert):
            roles = {person(r.contact, None): r.role for r in payload.contact_roles}
            plan.changes.append(apply.deal_change(event, payload, roles))
        elif isinstance(payload, DealContactRemoved):
            found = resolve(event.workspace, payload.contact, known)
            if not found.created:
                plan.changes.append(apply.deal_removal_change(event, payload, found.contact_id))
        elif isinstance(payload, ContactMerge):
            person([i for ids in payload.people for i in ids], None)
        return plan

    def _put_record(self, state: RecordState, stored: dict[str, Any] | None) -> dict[str, Any]:
        revision = int(stored["rev"]) if stored else 0
        state, doc = apply.within_budget(state)
        item: dict[str, Any] = {
            "PK": _state_key(state),
            "SK": keys.RECORD_SK,
            "type": state.kind.value,
            "rev": revision + 1,
            "doc": doc,
        }
        anchor = _anchor(state)
        item["GSI3PK"] = keys.month_partition(state.workspace, anchor.year, anchor.month)
        item["GSI3SK"] = f"{keys.clock(anchor)}#{state.kind.value}#{state.record_id}"
        contact_id, account_id = state.fields.get("contact_id"), state.fields.get("account_id")
        if state.kind is RecordKind.INTERACTION and contact_id:
            item["GSI1PK"] = keys.contact_partition(state.workspace, contact_id)
            item["GSI1SK"] = f"{keys.clock(anchor)}#{state.record_id}"
        if state.kind is not RecordKind.INTERACTION and account_id:
            item["GSI2PK"] = keys.account_partition(state.workspace, account_id)
            item["GSI2SK"] = f"{state.kind.value}#{state.record_id}"
        put: dict[str, Any] = {"TableName": self._table, "Item": _dump(item)}
        if stored:
            put["ConditionExpression"] = "rev = :rev"
            put["ExpressionAttributeValues"] = {":rev": {"N": str(revision)}}
        else:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        return put

    def _put_identifier(
        self, workspace: str, identifier: Identifier, contact_id: str, replacing: str | None = None
    ) -> Any:
        """A new identifier item, or (`replacing`) one moved from a merged contact."""
        item = {
            "PK": keys.identifier_pk(workspace, identifier.key),
            "SK": keys.RECORD_SK,
            "type": "identifier",
            "contact_id": contact_id,
        }
        put: dict[str, Any] = {"TableName": self._table, "Item": _dump(item)}
        if replacing is None:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put["ConditionExpression"] = "attribute_not_exists(PK) OR contact_id IN (:old, :new)"
            put["ExpressionAttributeValues"] = {
                ":old": {"S": replacing},
                ":new": {"S": contact_id},
            }
        return put

    def _marker(self, event: Event, marker: str) -> dict[str, Any]:
        expires = int((datetime.now(UTC) + MARKER_TTL).timestamp())
        return _dump(
            {
                "PK": marker,
                "SK": keys.RECORD_SK,
                "type": "event",
                "source": event.source,
                "request_id": event.request_id,
                keys.TTL_ATTRIBUTE: expires,
            }
        )

    def _write_markers(self, items: list[dict[str, Any]]) -> None:
        """Applied-event markers in BatchWriteItem calls of 25, unprocessed items retried."""
        for start in range(0, len(items), MAX_BATCH_WRITE):
            request: Any = {
                self._table: [
                    {"PutRequest": {"Item": item}}
                    for item in items[start : start + MAX_BATCH_WRITE]
                ]
            }
            while request:
                response = self._db.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or None

    def _put(self, put: dict[str, Any]) -> None:
        """One conditional PutItem; a failed condition means a concurrent writer won."""
        try:
            self._db.put_item(**put)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise _Conflict from exc

    # --- identities --------------------------------------------------------------------------
    def resolve(self, workspace: str, identifiers: Sequence[Identifier]) -> Resolution:
        """Which contact these identifiers name (a deterministic new id when none is known)."""
        unique = unique_identifiers(identifiers)
        return resolve(workspace, unique, self.contact_ids(workspace, unique))

    def contact_ids(self, workspace: str, identifiers: Sequence[Identifier]) -> dict[str, str]:
        """The contact each known identifier points at (identifier key -> contact id)."""
        pks = {keys.identifier_pk(workspace, i.key): i.key for i in identifiers}
        items = self._get_items(list(pks))
        return {pks[pk]: str(_load(item)["contact_id"]) for pk, item in items.items()}

    def contact_by_identifier(self, workspace: str, identifier: Identifier) -> Contact | None:
        """The contact an identifier points at, or None."""
        found = self.resolve(workspace, [identifier])
        if found.created:
            return None
        record = self.get(workspace, RecordKind.CONTACT, found.contact_id)
        return record if isinstance(record, Contact) else None

    # --- reading -----------------------------------------------------------------------------
    def _get_items(self, pks: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Items by partition key (strongly consistent), in batches of 100, unprocessed retried."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(pks), MAX_BATCH_GET):
            request: Any = {
                self._table: {
                    "Keys": [_key(pk) for pk in pks[start : start + MAX_BATCH_GET]],
                    "ConsistentRead": True,
                }
            }
            while request:
                response = self._db.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self._table, []):
                    found[item["PK"]["S"]] = item  # type: ignore[index]
                request = response.get("UnprocessedKeys") or None
        return found

    def get(self, workspace: str, kind: RecordKind, record_id: str) -> Record | None:
        """One record by id, or None (a merged contact: the contact it was merged into)."""
        items = self._get_items([keys.record_pk(workspace, kind, record_id)])
        state = next((_state(item) for item in items.values()), None)
        if state is not None and state.merged_into is not None:
            return self.get(workspace, kind, state.merged_into)
        return None if state is None else apply.to_record(state)

    def states(
        self, workspace: str, refs: Sequence[tuple[RecordKind, str]]
    ) -> dict[tuple[RecordKind, str], RecordState]:
        """The stored state of each (kind, record id) that exists, as stored (a merged
        contact is not followed)."""
        pks = {keys.record_pk(workspace, kind, rid): (kind, rid) for kind, rid in refs}
        return {pks[pk]: _state(item) for pk, item in self._get_items(list(pks)).items()}

    def _query(
        self, index: str, partition: str, condition: str = "", **values: str
    ) -> Iterator[RecordState]:
        return (_state(item) for item in self._query_items(index, partition, condition, **values))

    def _query_items(
        self, index: str, partition: str, condition: str = "", **values: str
    ) -> Iterator[dict[str, Any]]:
        """Items of one index partition, `condition` on its sort key (`{sk}`), paginated."""
        pk_name, sk_name = keys.INDEX_KEYS[index]
        expression = f"{pk_name} = :pk" + (
            f" AND {condition.format(sk=sk_name)}" if condition else ""
        )
        paginator = self._db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            IndexName=index,
            KeyConditionExpression=expression,
            ExpressionAttributeValues={
                ":pk": {"S": partition},
                **{f":{k}": {"S": v} for k, v in values.items()},
            },
        )
        for page in pages:
            yield from page.get("Items", [])

    def interactions_of_contact(
        self,
        workspace: str,
        contact_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[Interaction]:
        """A person's interactions in time order, optionally within [start, end]: those of the
        contact and of every contact merged into it, all under the contact's id."""
        contact = self.get(workspace, RecordKind.CONTACT, contact_id)
        own = contact.contact_id if isinstance(contact, Contact) else contact_id
        states = self._contacts(workspace, [own])
        ids = [own, *(states[0].merged_from if states else [])]
        lo = keys.clock(start) if start else "0"
        hi = keys.clock(end) + "~" if end else "~"
        found = [
            apply.to_record(st)
            for cid in ids
            for st in self._query(
                keys.BY_CONTACT,
                keys.contact_partition(workspace, cid),
                "{sk} BETWEEN :lo AND :hi",
                lo=lo,
                hi=hi,
            )
        ]
        return sorted(
            (r.model_copy(update={"contact_id": own}) for r in found if isinstance(r, Interaction)),
            key=lambda i: (i.occurred_at, i.interaction_id),
        )

    def contacts_of_account(self, workspace: str, account_id: str) -> list[Contact]:
        """The contacts of an account (merged ones read as the contact they were merged into)."""
        return [
            r
            for r in self._of_account(workspace, account_id, RecordKind.CONTACT)
            if isinstance(r, Contact)
        ]

    def leads_of_account(self, workspace: str, account_id: str) -> list[Lead]:
        """The leads of an account."""
        return [
            r
            for r in self._of_account(workspace, account_id, RecordKind.LEAD)
            if isinstance(r, Lead)
        ]

    def deals_of_account(self, workspace: str, account_id: str) -> list[Deal]:
        """The deals of an account."""
        return [
            r
            for r in self._of_account(workspace, account_id, RecordKind.DEAL)
            if isinstance(r, Deal)
        ]

    def _of_account(self, workspace: str, account_id: str, kind: RecordKind) -> Iterator[Record]:
        partition = keys.account_partition(workspace, account_id)
        states = self._query(
            keys.BY_ACCOUNT, partition, "begins_with({sk}, :kind)", kind=f"{kind.value}#"
        )
        return (apply.to_record(st) for st in states if st.merged_into is None)

    def records_for_run(
        self, workspace: str, start: datetime, end: datetime, lookback: timedelta
    ) -> WorkspaceRecords:
        """What a run of the window [start, end) reads: every record anchored in
        [start - lookback, end) (the lookback keeps the touches before the window's first
        conversions), then everything linked to them that is anchored earlier: the contacts,
        leads and deals of every account they name (ByAccount queries, in parallel) and the
        contacts they name by id (batch reads). A deal won in the window is anchored at its
        close, so it is found however long ago it was created. Merged contacts are read as
        the contact they were merged into (`rel2rev.identity.canonical`).
        """
        window = _Read(self._window(workspace, start - lookback, end))
        accounts = {
            a
            for a in (
                *(c.account_id for c in window.contacts.values()),
                *(i.account_id for i in window.interactions),
                *(lead.account_id for lead in window.leads.values()),
                *(d.account_id for d in window.deals.values()),
            )
            if a
        }

        def linked(account_id: str) -> list[RecordState]:
            return list(self._query(keys.BY_ACCOUNT, keys.account_partition(workspace, account_id)))

        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            for found in pool.map(linked, sorted(accounts)):
                window.add(found, keep_first=True)
        window.add(self._contacts(workspace, window.named() - window.contacts.keys()))
        self._close_merges(workspace, window)
        return window.records(workspace)

    def records_in_window(self, workspace: str, start: datetime, end: datetime) -> WorkspaceRecords:
        """Every record anchored in [start, end): month shards queried in parallel, paginated;
        merged contacts read as the contact they were merged into.

        The sort key `{anchor}#{kind}#{id}` makes `BETWEEN start AND end` exactly [start, end).

        A record's anchor is when it happened (interactions), closed (won or lost deals) or was
        created (contacts, leads, open deals; the first source clock seen when the source sent
        no creation time).
        """
        window = _Read(self._window(workspace, start, end))
        self._close_merges(workspace, window)
        return window.records(workspace)

    def _window(self, workspace: str, start: datetime, end: datetime) -> list[RecordState]:
        lo, hi = keys.clock(start), keys.clock(end)

        def shard(month: tuple[int, int]) -> list[RecordState]:
            partition = keys.month_partition(workspace, *month)
            return list(
                self._query(
                    keys.BY_WORKSPACE_MONTH, partition, "{sk} BETWEEN :lo AND :hi", lo=lo, hi=hi
                )
            )

        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            return [st for found in pool.map(shard, keys.months(start, end)) for st in found]

    def _contacts(self, workspace: str, contact_ids: Iterable[str]) -> list[RecordState]:
        pks = [keys.record_pk(workspace, RecordKind.CONTACT, c) for c in sorted(contact_ids)]
        return [_state(item) for item in self._get_items(pks).values()]

    def _close_merges(self, workspace: str, read: _Read) -> None:
        """Read the contacts merged contacts point at, following chains, until none is missing."""
        asked: set[str] = set()
        while missing := read.survivors_missing() - asked:
            asked |= missing
            read.add(self._contacts(workspace, missing))


class _Read:
    """Records read for a run, by id, with the merge pointers of merged contacts."""

    def __init__(self, states: Iterable[RecordState]) -> None:
        self.contacts: dict[str, Contact] = {}
        self.leads: dict[str, Lead] = {}
        self.deals: dict[str, Deal] = {}
        self.interactions: list[Interaction] = []
        self.merged_into: dict[str, str] = {}
        self.add(states)

    def add(self, states: Iterable[RecordState], *, keep_first: bool = False) -> None:
        for state in states:
            if state.merged_into is not None:
                self.merged_into[state.record_id] = state.merged_into
                continue
            record = apply.to_record(state)
            if isinstance(record, Contact):
                if not keep_first or record.contact_id not in self.contacts:
                    self.contacts[record.contact_id] = record
            elif isinstance(record, Lead):
                self.leads.setdefault(record.lead_id, record)
            elif isinstance(record, Deal):
                self.deals.setdefault(record.deal_id, record)
            elif not keep_first:
                self.interactions.append(record)

    def named(self) -> set[str]:
        """Contact ids the interactions, leads and deal roles name."""
        return {
            *(i.contact_id for i in self.interactions),
            *(lead.contact_id for lead in self.leads.values() if lead.contact_id),
            *(r.contact_id for d in self.deals.values() for r in d.contact_roles),
        }

    def survivors_missing(self) -> set[str]:
        """Contacts merge pointers name that are not read yet."""
        return {
            target
            for target in self.merged_into.values()
            if target not in self.contacts and target not in self.merged_into
        }

    def records(self, workspace: str) -> WorkspaceRecords:
        """The records, merged contacts read as their survivor."""
        read = WorkspaceRecords(
            workspace=workspace,
            contacts=list(self.contacts.values()),
            interactions=sorted(self.interactions, key=lambda i: (i.occurred_at, i.interaction_id)),
            leads=list(self.leads.values()),
            deals=list(self.deals.values()),
        )
        return canonical(read, self.merged_into)


def _state(item: dict[str, Any]) -> RecordState:
    return RecordState.model_validate_json(item["doc"]["S"])
