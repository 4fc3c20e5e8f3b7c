"""Normalised events: what every source adapter produces and the processor applies.

An event is a *patch*: a field left `None` was not sent and leaves stored state alone. Each
event carries the source's own clock (`occurred_at`), which orders updates to the same record
so an older update never overwrites newer state, and a deterministic `event_id` derived from
the source's delivery, so a redelivered webhook is stored once.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from rel2rev.money import Money
from rel2rev.records import (
    DealStatus,
    Direction,
    Identifier,
    InteractionType,
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
    name: str | None = None
    account_id: str | None = None
    stakeholder_type: StakeholderType | None = None
    owner: str | None = None
    created_at: UtcDatetime | None = None


class InteractionEvent(_Patch):
    """One touch with a person; the person is created (captured) if unknown."""

    kind: Literal["interaction"] = "interaction"
    interaction_id: str
    contact: Identifiers
    account_id: str | None = None
    type: InteractionType
    direction: Direction
    channel: Annotated[str, Field(min_length=1, max_length=64)]
    occurred_at: UtcDatetime
    owner: str | None = None
    campaign: str | None = None
    content: str | None = None
    cost: Money | None = None


class LeadUpsert(_Patch):
    """Create or update a lead, linked to a person when one is known."""

    kind: Literal["lead"] = "lead"
    lead_id: str
    contact: list[Identifier] = Field(default_factory=list, max_length=20)
    account_id: str | None = None
    created_at: UtcDatetime | None = None
    status: str | None = None
    owner: str | None = None
    channel: str | None = None


class ContactRoleRef(_Patch):
    """A buying-committee member of a deal, by identifiers (resolved by the processor)."""

    contact: Identifiers
    role: str | None = None


class DealUpsert(_Patch):
    """Create or update a deal (opportunity); `contact_roles` add members, never remove."""

    kind: Literal["deal"] = "deal"
    deal_id: str
    name: str | None = None
    account_id: str | None = None
    amount: Money | None = None
    stage: str | None = None
    status: DealStatus | None = None
    created_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    owner: str | None = None
    contact_roles: list[ContactRoleRef] = Field(default_factory=list, max_length=200)


class DealContactRemoved(_Patch):
    """A person was removed from a deal (association deleted in the CRM)."""

    kind: Literal["deal_contact_removed"] = "deal_contact_removed"
    deal_id: str
    contact: Identifiers


Payload = Annotated[
    ContactUpsert | InteractionEvent | LeadUpsert | DealUpsert | DealContactRemoved,
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


def event_id_for(source: str, *parts: object) -> str:
    """Deterministic event id from the source and its own delivery identity."""
    digest = hashlib.sha256("\x1f".join([source, *map(str, parts)]).encode()).hexdigest()
    return f"{source}-{digest[:32]}"
