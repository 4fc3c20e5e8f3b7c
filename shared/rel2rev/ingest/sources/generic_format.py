"""The `generic` source's JSON format: one event, or a batch `{"events": [...]}`.

These models are the contract for engagement tools and automation platforms; the JSON
schema in `docs/generic-event.schema.json` is generated from them (`delivery_schema()`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, model_validator

from rel2rev.money import CurrencyCode, is_known_currency, minor_exponent
from rel2rev.records import (
    MAX_IDENTIFIER_CHARS,
    Channel,
    DealStatus,
    Direction,
    FreeText,
    IdentifierKind,
    InteractionType,
    Key,
    Label,
    StakeholderType,
    UtcDatetime,
)

MAX_BATCH = 500

Text = Label
Ref = Annotated[Key, Field(description="Your id for the record")]
IdentifierValue = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_IDENTIFIER_CHARS),
]
IdentifierMap = Annotated[
    dict[IdentifierKind, IdentifierValue],
    Field(
        min_length=1,
        description="How the person is known: at least one of email, phone, linkedin, ...",
        examples=[{"email": "ada@example.com", "linkedin": "ada-lovelace"}],
    ),
]
Account = Annotated[Key, Field(description="Account key, normally the company domain")]


class GenericMoney(BaseModel):
    """An amount as a decimal string (never a JSON number) in an ISO 4217 currency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: str = Field(
        pattern=r"^-?[0-9]{1,15}(\.[0-9]{1,4})?$",
        description="Decimal string with at most the currency's minor-unit decimals",
        examples=["1250.00"],
    )
    currency: CurrencyCode = Field(description="ISO 4217 code, upper case")

    @model_validator(mode="after")
    def _valid_for_currency(self) -> Self:
        if not is_known_currency(self.currency):
            raise ValueError(f"unknown ISO 4217 currency {self.currency!r}")
        decimals = len(self.amount.partition(".")[2])
        if decimals > minor_exponent(self.currency):
            raise ValueError(
                f"{self.currency} amounts have at most {minor_exponent(self.currency)} decimals"
            )
        return self


class _GenericEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Ref | None = Field(
        None,
        description="Your unique id for this event; redeliveries with the same id are stored "
        "once. Without it the event's content is its identity.",
    )
    occurred_at: UtcDatetime | None = Field(
        None,
        description="When the change happened at the sender (ISO 8601 with offset); orders "
        "updates. Defaults to the time rel2rev received the request.",
    )


class GenericInteraction(_GenericEvent):
    """One touch with a person (a comment, an email reply, a meeting, ...)."""

    event: Literal["interaction"]
    occurred_at: UtcDatetime = Field(description="When the interaction took place")
    interaction_id: Ref | None = Field(None, description="Defaults to the event's identity")
    type: InteractionType
    direction: Direction = Field(description="inbound: the person spoke; outbound: you did")
    channel: Annotated[Channel, Field(examples=["linkedin"])]
    contact: IdentifierMap
    account: Account | None = None
    owner: Text | None = Field(None, description="The employee who holds the relationship")
    campaign: Text | None = None
    content: FreeText | None = Field(
        None, description="Free text; kept up to 2,000 characters, then cut with a marker"
    )
    cost: GenericMoney | None = None


class GenericContact(_GenericEvent):
    """Create or update a person."""

    event: Literal["contact"]
    identifiers: IdentifierMap
    name: Text | None = None
    account: Account | None = None
    stakeholder_type: StakeholderType | None = None
    owner: Text | None = None
    created_at: UtcDatetime | None = None


class GenericLead(_GenericEvent):
    """Create or update a lead."""

    event: Literal["lead"]
    lead_id: Ref
    contact: IdentifierMap | None = None
    account: Account | None = None
    created_at: UtcDatetime | None = None
    status: Text | None = None
    owner: Text | None = None
    channel: Channel | None = None


class GenericContactRole(BaseModel):
    """A buying-committee member of a deal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact: IdentifierMap
    role: Text | None = None


class GenericDeal(_GenericEvent):
    """Create or update a deal (opportunity), open or closed won/lost."""

    event: Literal["deal"]
    deal_id: Ref
    name: Text | None = None
    account: Account | None = None
    amount: GenericMoney | None = None
    stage: Text | None = None
    status: DealStatus | None = None
    created_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    owner: Text | None = None
    contact_roles: list[GenericContactRole] = Field(default_factory=list, max_length=200)


GenericEvent = Annotated[
    GenericInteraction | GenericContact | GenericLead | GenericDeal,
    Field(discriminator="event"),
]

EVENT_MODELS: dict[str, type[_GenericEvent]] = {
    "interaction": GenericInteraction,
    "contact": GenericContact,
    "lead": GenericLead,
    "deal": GenericDeal,
}


class GenericBatch(BaseModel):
    """Several events in one request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: list[GenericEvent] = Field(min_length=1, max_length=MAX_BATCH)


def delivery_schema() -> dict[str, Any]:
    """JSON schema of a generic delivery body (one event or a batch)."""
    schema = TypeAdapter(GenericEvent | GenericBatch).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "rel2rev generic webhook delivery",
        "description": 'One event, or a batch {"events": [...]}, POSTed to '
        "/v1/hooks/{workspace}/generic with an X-Rel2rev-Signature header.",
        **schema,
    }
