"""Nightly reconciliation: the incremental backfill of every connection that reads a CRM's API.

For each connection with API credentials (`api_token`, or Salesforce's `client_id`) whose
source has a backfill client, each object type's incremental pass runs (`run_backfill`: from
the last finished pass's high-water mark, or resuming an interrupted pass), so changes whose
webhook was lost still arrive. A failing (workspace, source) is reported and the others go
on. Near the deadline the run stops between two pages, the checkpoint saved: the next run
resumes there.

*Missed* is measured before a page's events are queued, against the records table: a record
(contact, lead, deal or interaction) the events name is missed when it is not stored, or when
merging the events into the stored record (`rel2rev.apply`, as the processor will) changes a
value or adds an identifier. A change the webhooks delivered leaves the record as it is, so
it is not counted, whatever the ids of its events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from rel2rev import apply
from rel2rev.apply import Change, RecordKind, RecordState
from rel2rev.backfill.checkpoints import CheckpointStore
from rel2rev.backfill.run import BackfillSink, Page, VendorClient, run_backfill
from rel2rev.identity import unique_identifiers
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import ContactUpsert, DealUpsert, Event, InteractionEvent, LeadUpsert
from rel2rev.ingest.request import RawRequest
from rel2rev.records import Identifier

Ref = tuple[RecordKind, str]
"""A stored record: its kind and id."""
VendorFactory = Callable[[Connection], VendorClient]


class RecordLookup(Protocol):
    """Reads of the records table the measure needs (`RecordRepository` has them)."""

    def contact_ids(self, workspace: str, identifiers: Sequence[Identifier]) -> dict[str, str]:
        """Identifier key -> the contact it points at, for the known identifiers."""
        ...

    def states(self, workspace: str, refs: Sequence[Ref]) -> dict[Ref, RecordState]:
        """The stored state of each record that exists."""
        ...


class TypeTally(BaseModel):
    """One object type of one connection: CRM objects read, records their events name, and
    of those the records missed (absent, or changed by the CRM's version)."""

    model_config = ConfigDict(extra="forbid")

    object_type: str
    objects: int = 0
    records: int = 0
    missed: int = 0


class Outcome(BaseModel):
    """How one connection's reconciliation went.

    `done`: every object type is up to date. `failed`: an error stopped it (`error`; the types
    read before it are kept, the failing one resumes next time). `stopped`: the deadline came
    mid-way (checkpointed). `skipped`: not started, the deadline had come.
    """

    model_config = ConfigDict(extra="forbid")

    workspace: str
    source: str
    status: Literal["done", "failed", "stopped", "skipped"]
    types: list[TypeTally] = Field(default_factory=list)
    error: str | None = None


class ReconcileReport(BaseModel):
    """Every connection's outcome, and the connection parameters that could not be read."""

    model_config = ConfigDict(extra="forbid")

    outcomes: list[Outcome]
    unreadable: list[str] = Field(default_factory=list)

    @property
    def failures(self) -> int:
        """Failed connections plus unreadable parameters."""
        return sum(o.status == "failed" for o in self.outcomes) + len(self.unreadable)


@dataclass(frozen=True)
class Deadline:
    """When to stop: once `remaining()` seconds are at most `margin` (time for one page)."""

    remaining: Callable[[], float]
    margin: float

    def near(self) -> bool:
        """No time for another page."""
        return self.remaining() <= self.margin


class OutOfTime(Exception):
    """The deadline came between two pages (the last one is checkpointed)."""


def reads_api(connection: Connection) -> bool:
    """The connection holds credentials for the CRM's API."""
    return connection.api_token is not None or connection.client_id is not None


def reconcile_all(
    connections: Sequence[Connection],
    vendors: Mapping[str, VendorFactory],
    sink: BackfillSink,
    checkpoints: CheckpointStore,
    records: RecordLookup,
    *,
    now: Callable[[], datetime],
    deadline: Deadline,
    unreadable: Sequence[str] = (),
) -> ReconcileReport:
    """Reconcile each connection that reads an API with a client (see the module docstring)."""
    outcomes = []
    for connection in connections:
        if connection.source not in vendors or not reads_api(connection):
            continue
        outcome = Outcome(workspace=connection.workspace, source=connection.source, status="done")
        if deadline.near():
            outcomes.append(outcome.model_copy(update={"status": "skipped"}))
            continue
        try:
            client = vendors[connection.source](connection)
            for object_type in client.object_types:
                if deadline.near():
                    raise OutOfTime(f"stopped before {object_type}")
                tally = TypeTally(object_type=object_type)
                outcome.types.append(tally)
                checked = _CheckedSink(sink, records, connection.workspace, tally)
                watched = _Watched(client, deadline, tally)
                run_backfill(
                    watched, checked, checkpoints, connection.workspace,
                    now=now, object_types=[object_type],
                )  # fmt: skip
        except OutOfTime:
            outcome.status = "stopped"
        except Exception as exc:  # one connection's failure must not stop the others
            outcome.status, outcome.error = "failed", f"{type(exc).__name__}: {exc}"
        outcomes.append(outcome)
    return ReconcileReport(outcomes=outcomes, unreadable=list(unreadable))


@dataclass
class _Watched:
    """A vendor client that counts the objects read and stops near the deadline, between two
    pages (after `run_backfill` has checkpointed the last one)."""

    client: VendorClient
    deadline: Deadline
    tally: TypeTally

    @property
    def source(self) -> str:
        return self.client.source

    @property
    def object_types(self) -> tuple[str, ...]:
        return self.client.object_types

    def count(self, object_type: str, since: datetime | None) -> int | None:
        return self.client.count(object_type, since)

    def pages(self, object_type: str, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        for page in self.client.pages(object_type, since, cursor):
            self.tally.objects += page.objects
            yield page
            if self.deadline.near():
                raise OutOfTime(f"stopped before the next {object_type} page")


@dataclass
class _CheckedSink:
    """Measures what each answer's events bring to the records table, then delivers it."""

    sink: BackfillSink
    records: RecordLookup
    workspace: str
    tally: TypeTally
    named: set[Ref] = field(default_factory=set)
    missed: set[Ref] = field(default_factory=set)

    def deliver(self, request: RawRequest, events: Sequence[Event]) -> None:
        named, missed = missed_records(self.records, self.workspace, events)
        self.named |= named
        self.missed |= missed
        self.tally.records, self.tally.missed = len(self.named), len(self.missed)
        self.sink.deliver(request, events)


def missed_records(
    records: RecordLookup, workspace: str, events: Sequence[Event]
) -> tuple[set[Ref], set[Ref]]:
    """The records the events name, and those among them the records table lacks or that the
    events would change (see the module docstring). A contact not stored yet is named by its
    identifiers (`RecordKind.CONTACT`, `new:<keys>`)."""
    people = [
        i for e in events if isinstance(e.payload, ContactUpsert) for i in e.payload.identifiers
    ]
    known = records.contact_ids(workspace, unique_identifiers(people)) if people else {}
    targets: dict[Ref, list[Event]] = defaultdict(list)
    for event in events:
        ref = _target(event, known)
        if ref is not None:
            targets[ref].append(event)
    stored = records.states(workspace, [r for r in targets if not r[1].startswith("new:")])
    missed = set()
    for ref, named in targets.items():
        state = stored.get(ref)
        if state is None or _changes(state, named):
            missed.add(ref)
    return set(targets), missed


def _target(event: Event, known: Mapping[str, str]) -> Ref | None:
    payload = event.payload
    if isinstance(payload, ContactUpsert):
        keys = [i.key for i in unique_identifiers(payload.identifiers)]
        found = next((known[k] for k in keys if k in known), None)
        return RecordKind.CONTACT, found or "new:" + "|".join(sorted(keys))
    if isinstance(payload, InteractionEvent):
        return RecordKind.INTERACTION, payload.interaction_id
    if isinstance(payload, LeadUpsert):
        return RecordKind.LEAD, payload.lead_id
    if isinstance(payload, DealUpsert):
        return RecordKind.DEAL, payload.deal_id
    return None  # merges and removals name no record of their own


def _changes(state: RecordState, events: Sequence[Event]) -> bool:
    """Merging the events changes a value of the record or adds an identifier to it."""
    after = state
    for event in events:
        after = apply.apply_change(after, _change(event, state))
    keys = {i.key for i in state.identifiers}
    return after.fields != state.fields or {i.key for i in after.identifiers} != keys


def _change(event: Event, state: RecordState) -> Change:
    """The change an event makes to a stored record (its contact as stored)."""
    payload = event.payload
    contact = state.fields.get("contact_id")
    if isinstance(payload, ContactUpsert):
        ids = unique_identifiers(payload.identifiers)
        return apply.contact_change(event, payload, state.record_id, ids)
    if isinstance(payload, InteractionEvent):
        return apply.interaction_change(event, payload, str(contact or ""))
    if isinstance(payload, LeadUpsert):
        return apply.lead_change(event, payload, str(contact) if contact else None)
    assert isinstance(payload, DealUpsert)
    return apply.deal_change(event, payload, {})
