"""Merge normalised events into stored record state, field by field (pure logic).

Every stored record keeps, beside its field values, the *version* that last wrote each field:
the source clock of the change (`occurred_at`) with the event id as a tie-breaker. A change
overwrites a field only with a newer version, so updates arriving out of order never overwrite
newer state, and applying the same event twice changes nothing. Three field policies exist:
`latest` (newest version wins), `earliest` (the smallest value wins: capture moments) and
`fill` (set only while absent: an interaction's account never overrides the CRM's).
Identifiers only ever accumulate; deal contact roles are versioned one by one so a removal and
a re-add resolve by source clock too. A deal also keeps the history of its stage, status,
amount and close date (every version that sent them), so a run as of a past date reads the
deal as it stood then (`rel2rev.records.Deal.revisions`, `rel2rev.cutoff`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from rel2rev.errors import UnapplicableError
from rel2rev.identity import unique_identifiers
from rel2rev.ingest.events import (
    ContactUpsert,
    DealContactRemoved,
    DealUpsert,
    Event,
    InteractionEvent,
    LeadUpsert,
)
from rel2rev.records import Contact, ContactRole, Deal, DealRevision, Identifier, Interaction, Lead

Record = Contact | Interaction | Lead | Deal


class RecordKind(StrEnum):
    """The stored record types."""

    CONTACT = "contact"
    INTERACTION = "interaction"
    LEAD = "lead"
    DEAL = "deal"


_MODELS: dict[RecordKind, type[Record]] = {
    RecordKind.CONTACT: Contact,
    RecordKind.INTERACTION: Interaction,
    RecordKind.LEAD: Lead,
    RecordKind.DEAL: Deal,
}
_ID_FIELDS = {
    RecordKind.CONTACT: "contact_id",
    RecordKind.INTERACTION: "interaction_id",
    RecordKind.LEAD: "lead_id",
    RecordKind.DEAL: "deal_id",
}
_DATETIME = TypeAdapter(datetime)
DEAL_HISTORY = ("stage", "status", "amount", "closed_at")
"""Deal fields whose every version is kept, to read a deal as it stood on a past date."""
MAX_HISTORY = 200
"""Versions kept per field (the oldest go first): bounds the item size of a busy deal."""


DOC_BUDGET = 350_000
"""Bytes a stored record's document may take: DynamoDB ends an item at 400 KB, and keys,
index attributes and the revision take the rest."""


def version_of(event: Event) -> str:
    """The event's version: fixed-width UTC source clock, then the event id (sorts as text)."""
    clock = event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{clock}|{event.event_id}"


def version_time(version: str) -> datetime:
    """The source clock part of a version."""
    return datetime.strptime(version.split("|", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class RoleState(BaseModel):
    """One buying-committee member of a deal, with the version that last changed it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: str | None = None
    version: str
    removed: bool = False


class RecordState(BaseModel):
    """A stored record: JSON field values plus the version that wrote each one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: RecordKind
    workspace: str
    record_id: str
    fields: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=dict)
    identifiers: list[Identifier] = Field(default_factory=list)
    roles: dict[str, RoleState] = Field(default_factory=dict)
    history: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Deals: field -> {version: value} of DEAL_HISTORY"
    )
    merged_into: str | None = Field(
        None, description="Contacts: the contact this one was merged into (the same person)"
    )
    merged_from: list[str] = Field(
        default_factory=list, description="Contacts: the contacts merged into this one"
    )
    version: str = Field("", description="Highest version applied so far")
    source: str = Field("", description="Source of the highest version applied")


class Change(BaseModel):
    """What one event changes on one record, with the policy of each field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: RecordKind
    workspace: str
    record_id: str
    source: str
    version: str
    latest: dict[str, Any] = Field(default_factory=dict)
    earliest: dict[str, Any] = Field(default_factory=dict)
    fill: dict[str, Any] = Field(default_factory=dict)
    identifiers: list[Identifier] = Field(default_factory=list)
    add_roles: dict[str, str | None] = Field(default_factory=dict)
    remove_roles: list[str] = Field(default_factory=list)


def _earlier(new: Any, old: Any) -> bool:
    if old is None:
        return True
    return bool(_DATETIME.validate_python(new) < _DATETIME.validate_python(old))


def apply_change(state: RecordState | None, change: Change) -> RecordState:
    """The state after `change`; equal to `state` when the change brings nothing new."""
    if state is None:
        state = RecordState(
            kind=change.kind, workspace=change.workspace, record_id=change.record_id
        )
    if (state.kind, state.workspace, state.record_id) != (
        change.kind,
        change.workspace,
        change.record_id,
    ):
        raise ValueError("a change applies only to the record it names")
    fields = dict(state.fields)
    versions = dict(state.versions)
    for name, value in change.latest.items():
        if value is not None and change.version > versions.get(name, ""):
            fields[name], versions[name] = value, change.version
    for name, value in change.earliest.items():
        if value is not None and _earlier(value, fields.get(name)):
            fields[name], versions[name] = value, change.version
    for name, value in change.fill.items():
        if value is not None and fields.get(name) is None:
            fields[name], versions[name] = value, change.version
    history = dict(state.history)
    if change.kind is RecordKind.DEAL:
        for name in DEAL_HISTORY:
            value = change.latest.get(name)
            if value is None or history.get(name, {}).get(change.version) == value:
                continue
            kept = {**history.get(name, {}), change.version: value}
            history[name] = dict(sorted(kept.items())[-MAX_HISTORY:])
    identifiers = unique_identifiers([*state.identifiers, *change.identifiers])
    roles = dict(state.roles)
    for contact_id, role in change.add_roles.items():
        current = roles.get(contact_id)
        if current is None or change.version > current.version:
            keep = role if role is not None else (current.role if current else None)
            roles[contact_id] = RoleState(role=keep, version=change.version)
    for contact_id in change.remove_roles:
        current = roles.get(contact_id)
        if current is None or change.version > current.version:
            roles[contact_id] = RoleState(
                role=current.role if current else None, version=change.version, removed=True
            )
    updated = state.model_copy(
        update={
            "fields": fields,
            "versions": versions,
            "identifiers": identifiers,
            "roles": roles,
            "history": history,
        }
    )
    if updated == state and state.version:
        return state
    if change.version > state.version:
        updated = updated.model_copy(update={"version": change.version, "source": change.source})
    return updated


def within_budget(state: RecordState, budget: int = DOC_BUDGET) -> tuple[RecordState, str]:
    """`state` and its JSON document, dropping the oldest half of each field's history until
    the document fits `budget` bytes; `UnapplicableError` when it cannot fit."""
    doc = state.model_dump_json()
    while len(doc.encode()) > budget and any(len(v) > 1 for v in state.history.values()):
        history = {n: dict(sorted(v.items())[len(v) // 2 :]) for n, v in state.history.items()}
        state = state.model_copy(update={"history": history})
        doc = state.model_dump_json()
    if len(doc.encode()) > budget:
        raise UnapplicableError(
            f"{state.kind.value} {state.record_id} would take {len(doc.encode())} bytes, "
            f"over the {budget}-byte record budget"
        )
    return state, doc


def merge_states(
    survivor: RecordState | None,
    loser: RecordState | None,
    *,
    survivor_id: str,
    loser_id: str,
    workspace: str,
    version: str,
    source: str,
) -> tuple[RecordState, RecordState]:
    """Two stored contacts found to be one person: the survivor takes the loser's fields where
    the loser's version is newer (its capture time where earlier), its identifiers and its
    merged contacts; the loser keeps everything and points at the survivor. Merging the same
    pair again changes nothing."""
    empty = {"kind": RecordKind.CONTACT, "workspace": workspace}
    survivor = survivor or RecordState(**empty, record_id=survivor_id)
    loser = loser or RecordState(**empty, record_id=loser_id)
    fields, versions = dict(survivor.fields), dict(survivor.versions)
    for name, value in loser.fields.items():
        theirs = loser.versions.get(name, "")
        if name == "created_at":
            if value is not None and _earlier(value, fields.get(name)):
                fields[name], versions[name] = value, theirs
        elif value is not None and (fields.get(name) is None or theirs > versions.get(name, "")):
            fields[name], versions[name] = value, theirs
    absorbed = sorted({*survivor.merged_from, loser_id, *loser.merged_from} - {survivor_id})
    merged = survivor.model_copy(
        update={
            "fields": fields,
            "versions": versions,
            "identifiers": unique_identifiers([*survivor.identifiers, *loser.identifiers]),
            "merged_from": absorbed,
            "version": max(survivor.version, loser.version),
            "source": survivor.source or loser.source,
        }
    )
    pointed = loser.model_copy(update={"merged_into": survivor_id})
    if merged != survivor or pointed != loser:
        if version > merged.version:
            merged = merged.model_copy(update={"version": version, "source": source})
        if version > pointed.version:
            pointed = pointed.model_copy(update={"version": version, "source": source})
    return merged, pointed


def to_record(state: RecordState) -> Record:
    """The stored record model of a state."""
    data: dict[str, Any] = {
        **state.fields,
        _ID_FIELDS[state.kind]: state.record_id,
        "workspace": state.workspace,
        "source": state.source,
        "updated_at": version_time(state.version),
    }
    if state.kind is RecordKind.CONTACT:
        data["identifiers"] = state.identifiers
    if state.kind is RecordKind.DEAL:
        data["contact_roles"] = [
            ContactRole(contact_id=cid, role=r.role)
            for cid, r in sorted(state.roles.items())
            if not r.removed
        ]
        data["revisions"] = deal_revisions(state)
    return _MODELS[state.kind].model_validate(data)


def deal_revisions(state: RecordState) -> list[DealRevision]:
    """A deal's dated states: at every version that changed a `DEAL_HISTORY` field, each field's
    latest value up to then. Empty when a field's value predates its history."""
    history = state.history
    if any(state.fields.get(n) is not None and not history.get(n) for n in DEAL_HISTORY):
        return []
    versions = sorted({v for values in history.values() for v in values})
    revisions: list[DealRevision] = []
    current: dict[str, Any] = {}
    for version in versions:
        for name in DEAL_HISTORY:
            if version in history.get(name, {}):
                current[name] = history[name][version]
        at = version_time(version)
        revision = DealRevision.model_validate({**current, "at": at})
        if revisions and revisions[-1].at == at:
            revisions[-1] = revision
        elif not revisions or revision.model_copy(update={"at": revisions[-1].at}) != revisions[-1]:
            revisions.append(revision)
    return revisions


def _json(model: BaseModel, *names: str) -> dict[str, Any]:
    dumped = model.model_dump(mode="json", include=set(names))
    return {name: dumped.get(name) for name in names}


def _base(event: Event, kind: RecordKind, record_id: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "workspace": event.workspace,
        "record_id": record_id,
        "source": event.source,
        "version": version_of(event),
    }


def capture_change(
    event: Event,
    contact_id: str,
    identifiers: list[Identifier],
    *,
    captured_at: datetime | None,
    account_id: str | None = None,
) -> Change:
    """A person named by an event: attach identifiers, record the capture moment if earlier."""
    return Change(
        **_base(event, RecordKind.CONTACT, contact_id),
        identifiers=identifiers,
        earliest={"created_at": captured_at.isoformat() if captured_at else None},
        fill={"account_id": account_id},
    )


def contact_change(
    event: Event, payload: ContactUpsert, contact_id: str, identifiers: list[Identifier]
) -> Change:
    """A contact upsert applied to the resolved contact, with the identifiers it may take."""
    return Change(
        **_base(event, RecordKind.CONTACT, contact_id),
        identifiers=identifiers,
        latest=_json(payload, "name", "account_id", "stakeholder_type", "owner"),
        earliest=_json(payload, "created_at"),
    )


def interaction_change(event: Event, payload: InteractionEvent, contact_id: str) -> Change:
    """An interaction with its resolved contact."""
    fields = _json(
        payload,
        "account_id",
        "type",
        "direction",
        "channel",
        "occurred_at",
        "owner",
        "campaign",
        "content",
        "cost",
    )
    fields["channel"] = payload.channel.lower()
    return Change(
        **_base(event, RecordKind.INTERACTION, payload.interaction_id),
        latest={**fields, "contact_id": contact_id},
    )


def lead_change(event: Event, payload: LeadUpsert, contact_id: str | None) -> Change:
    """A lead upsert, linked to its resolved contact when it names one."""
    fields = _json(payload, "account_id", "created_at", "status", "owner", "channel")
    return Change(
        **_base(event, RecordKind.LEAD, payload.lead_id),
        latest={**fields, "contact_id": contact_id},
    )


def deal_change(event: Event, payload: DealUpsert, roles: dict[str, str | None]) -> Change:
    """A deal upsert; `roles` maps each resolved contact role's contact id to its role."""
    fields = _json(
        payload, "name", "account_id", "amount", "stage", "status", "created_at", "closed_at"
    )
    fields["owner"] = payload.owner
    return Change(**_base(event, RecordKind.DEAL, payload.deal_id), latest=fields, add_roles=roles)


def deal_removal_change(event: Event, payload: DealContactRemoved, contact_id: str) -> Change:
    """A contact removed from a deal's buying committee."""
    return Change(**_base(event, RecordKind.DEAL, payload.deal_id), remove_roles=[contact_id])
