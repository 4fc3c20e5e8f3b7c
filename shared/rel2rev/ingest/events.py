"""Normalised events: what every source adapter produces and the processor applies.

An event is a *patch*: a field left `None` was not sent and leaves stored state alone. Each
event carries the source's own clock (`occurred_at`), which orders updates to the same record
so an older update never overwrites newer state, and a deterministic `event_id` derived from
the source's delivery, so a redelivered webhook is stored once.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from rel2rev.money import Money
from rel2rev.records import (
    Channel,
    DealStatus,
    Direction,
    FreeText,
    Identifier,
    InteractionType,
    Key,
    Label,
    StakeholderType,
    UtcDatetime,
)

Identifiers = Annotated[list[Identifier], Field(min_length=1, max_length=20)]


class _Patch(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ContactUpsert(_Patch):
    """Create or update a person, known by one or more identifiers."""

    kind: Literal["contact"] = "contact"
    identifiers: Identifiers
    name: Label | None = None
    account_id: Key | None = None
    stakeholder_type: StakeholderType | None = None
    owner: Label | None = None
    created_at: UtcDatetime | None = None


class InteractionEvent(_Patch):
    """One touch with a person; the person is created (captured) if unknown."""

    kind: Literal["interaction"] = "interaction"
    interaction_id: Key
    contact: Identifiers
    account_id: Key | None = None
    type: InteractionType
    direction: Direction
    channel: Channel
    occurred_at: UtcDatetime
    owner: Label | None = None
    campaign: Label | None = None
    content: FreeText | None = None
    cost: Money | None = None


class LeadUpsert(_Patch):
    """Create or update a lead, linked to a person when one is known."""

    kind: Literal["lead"] = "lead"
    lead_id: Key
    contact: list[Identifier] = Field(default_factory=list, max_length=20)
    account_id: Key | None = None
    created_at: UtcDatetime | None = None
    status: Label | None = None
    owner: Label | None = None
    channel: Channel | None = None


class ContactRoleRef(_Patch):
    """A buying-committee member of a deal, by identifiers (resolved by the processor)."""

    contact: Identifiers
    role: Label | None = None


class DealUpsert(_Patch):
    """Create or update a deal (opportunity); `contact_roles` add members, never remove."""

    kind: Literal["deal"] = "deal"
    deal_id: Key
    name: Label | None = None
    account_id: Key | None = None
    amount: Money | None = None
    stage: Label | None = None
    status: DealStatus | None = None
    created_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    owner: Label | None = None
    contact_roles: list[ContactRoleRef] = Field(default_factory=list, max_length=200)


class DealContactRemoved(_Patch):
    """A person was removed from a deal (association deleted in the CRM)."""

    kind: Literal["deal_contact_removed"] = "deal_contact_removed"
    deal_id: Key
    contact: Identifiers


class ContactMerge(_Patch):
    """The source merged these people into one (a CRM's merge): their identifiers, together,
    are one person from now on."""

    kind: Literal["contact_merge"] = "contact_merge"
    people: Annotated[list[Identifiers], Field(min_length=2, max_length=20)]


Payload = Annotated[
    ContactUpsert | InteractionEvent | LeadUpsert | DealUpsert | DealContactRemoved | ContactMerge,
    Field(discriminator="kind"),
]


class Event(BaseModel):
    """A normalised event, as sent to the queue and applied by the processor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(description="Deterministic id of this delivery: duplicates share it")
    workspace: str
    source: str
    request_id: str = Field(description="Id of the HTTP request (archive key) it came from")
    received_at: UtcDatetime
    occurred_at: UtcDatetime = Field(description="Source clock of the change: orders updates")
    payload: Payload

    def people(self) -> list[list[Identifier]]:
        """The identifier sets of every person the event names."""
        payload = self.payload
        if isinstance(payload, ContactUpsert):
            return [payload.identifiers]
        if isinstance(payload, InteractionEvent | DealContactRemoved):
            return [payload.contact]
        if isinstance(payload, LeadUpsert):
            return [payload.contact] if payload.contact else []
        if isinstance(payload, ContactMerge):
            return list(payload.people)
        return [role.contact for role in payload.contact_roles]


def event_id_for(source: str, *parts: object) -> str:
    """Deterministic event id from the source and its own delivery identity."""
    digest = hashlib.sha256("\x1f".join([source, *map(str, parts)]).encode()).hexdigest()
    return f"{source}-{digest[:32]}"


MAX_REASON_CHARS = 1000
MAX_BODY_BYTES = 300_000
"""What a quarantine entry keeps of an unreadable body (its item stays under 400 KB)."""
UNKNOWN_WORKSPACE = "unknown"
"""Where a queue message that names no readable workspace is quarantined."""


class QuarantinedEvent(BaseModel):
    """An event that could not be applied after every delivery, kept to be seen and retried;
    or a queue message that could not even be read (`event` None, `body` its text)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: str
    event_id: str = Field(description="The event's id, or `message-{id}` for an unreadable one")
    event: Event | None = Field(None, description="The event, to send through the queue again")
    body: str | None = Field(None, description="An unreadable message's text (cut)")
    reason: str = Field(max_length=MAX_REASON_CHARS, description="Why it could not be applied")
    quarantined_at: UtcDatetime
    attempts: int = Field(ge=1, description="Deliveries of its queue message")

    @classmethod
    def of(cls, event: Event, reason: str, at: datetime, attempts: int) -> QuarantinedEvent:
        """An event that failed."""
        return cls(
            workspace=event.workspace,
            event_id=event.event_id,
            event=event,
            reason=reason[:MAX_REASON_CHARS],
            quarantined_at=at,
            attempts=attempts,
        )

    @classmethod
    def unreadable(
        cls, message_id: str, body: str, reason: str, at: datetime, attempts: int
    ) -> QuarantinedEvent:
        """A queue message that is no event message; kept under the workspace it names, if
        any can be read from it."""
        try:
            workspace = json.loads(body)["events"][0]["workspace"]
        except (ValueError, KeyError, IndexError, TypeError):
            workspace = None
        return cls._unreadable(
            workspace, f"message-{message_id}", body, reason=reason, at=at, attempts=attempts
        )

    @classmethod
    def unreadable_event(
        cls, message_id: str, index: int, raw: object, *, reason: str, at: datetime, attempts: int
    ) -> QuarantinedEvent:
        """One event of a message that is no valid event (its neighbours are applied); kept
        with its JSON, so `rel2rev quarantine retry` can send it again once it validates."""
        fields = raw if isinstance(raw, dict) else {}
        event_id = fields.get("event_id")
        if not isinstance(event_id, str) or not 0 < len(event_id) <= 256:
            event_id = f"message-{message_id}-{index}"
        body = json.dumps(raw, default=str)
        return cls._unreadable(
            fields.get("workspace"), event_id, body, reason=reason, at=at, attempts=attempts
        )

    @classmethod
    def _unreadable(
        cls,
        workspace: object,
        event_id: str,
        body: str,
        *,
        reason: str,
        at: datetime,
        attempts: int,
    ) -> QuarantinedEvent:
        if not isinstance(workspace, str) or not 0 < len(workspace) <= 128:
            workspace = UNKNOWN_WORKSPACE
        return cls(
            workspace=workspace,
            event_id=event_id,
            body=body.encode()[:MAX_BODY_BYTES].decode(errors="ignore"),
            reason=reason[:MAX_REASON_CHARS],
            quarantined_at=at,
            attempts=attempts,
        )
