"""The records rel2rev stores and models: contacts, interactions, leads and deals.

These are the resolved, stored views every analysis reads (funnel, survival, attribution, the
job). Ingestion turns each source's webhooks into events that update them; see
`rel2rev.ingest` for the event side. All datetimes are timezone-aware UTC; money is `Money`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from rel2rev.money import Money

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Moments outside [EARLIEST, LATEST) are refused: no CRM records those, keys cannot sort them."""
MAX_KEY_CHARS = 200
"""Ids of records and accounts: a key `{clock}#{kind}#{id}` must stay under DynamoDB's 1,024
bytes even when every character takes four bytes in UTF-8."""
MAX_IDENTIFIER_CHARS = 320
"""Identifier values (an e-mail address has at most 254 characters)."""
MAX_LABEL_CHARS = 256
"""Names, owners, campaigns, stages, statuses, roles."""
MAX_CHANNEL_CHARS = 64
MAX_TEXT_CHARS = 2000
"""Free text (an interaction's content) is kept up to this length, then cut with a marker;
the whole text stays in the raw archive."""
TRUNCATED = " …[truncated]"


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must carry a timezone (naive datetimes are ambiguous)")
    value = value.astimezone(UTC)
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"datetime must lie between {EARLIEST.year} and {LATEST.year}")
    return value


def _truncated(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        if len(value) > MAX_TEXT_CHARS:
            return value[: MAX_TEXT_CHARS - len(TRUNCATED)] + TRUNCATED
    return value


UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime in [1970, 2100), normalised to UTC; naive values are rejected."""
Key = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_KEY_CHARS)
]
"""A record or account id: stripped, non-empty, at most `MAX_KEY_CHARS`."""
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LABEL_CHARS)
]
"""A name, owner, campaign, stage, status or role: stripped, non-empty, bounded."""
Channel = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHANNEL_CHARS)
]
FreeText = Annotated[str, BeforeValidator(_truncated), StringConstraints(min_length=1)]
"""Free text, cut at `MAX_TEXT_CHARS` with the `TRUNCATED` marker."""


class Direction(StrEnum):
    """Who spoke: the contact (inbound) or the company (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InteractionType(StrEnum):
    """What kind of exchange took place; weights per type live in the qualification config."""

    VIEW = "view"
    LIKE = "like"
    FOLLOW = "follow"
    SHARE = "share"
    COMMENT = "comment"
    POST = "post"
    EMAIL = "email"
    EMAIL_REPLY = "email_reply"
    DM = "dm"
    FORM_SUBMISSION = "form_submission"
    AD_CLICK = "ad_click"
    EVENT_REGISTERED = "event_registered"
    EVENT_ATTENDED = "event_attended"
    CALL = "call"
    MEETING = "meeting"
    REFERRAL = "referral"
    OTHER = "other"


REACTION_TYPES = frozenset(
    {InteractionType.VIEW, InteractionType.LIKE, InteractionType.FOLLOW, InteractionType.SHARE}
)
"""Reactions: one-way and passive, the "vanity" side of the vanity vs relationship split."""

CONVERSATIONAL_TYPES = frozenset(
    {
        InteractionType.COMMENT,
        InteractionType.EMAIL,
        InteractionType.EMAIL_REPLY,
        InteractionType.DM,
        InteractionType.CALL,
        InteractionType.MEETING,
        InteractionType.EVENT_ATTENDED,
    }
)
"""Conversation: an exchange the other side can answer (docs/definitions.md, "Two-way").

Every other type that is not a reaction (a post, a form submission, an ad click, an event
registration, a referral, other) is a *signal*: it counts towards the score but is neither
conversation nor reaction. Reciprocity, response times, the engagement split and the survival
features all read these two sets and nothing else.
"""


def interaction_class(kind: InteractionType) -> str:
    """`reaction`, `conversation` or `signal`: the one classification of interaction types."""
    if kind in REACTION_TYPES:
        return "reaction"
    if kind in CONVERSATIONAL_TYPES:
        return "conversation"
    return "signal"


class StakeholderType(StrEnum):
    """What the person is to the company; metrics can be split by it."""

    CUSTOMER = "customer"
    PARTNER = "partner"
    SUPPLIER = "supplier"
    EMPLOYEE = "employee"
    OTHER = "other"


class DealStatus(StrEnum):
    """Whether a deal is still open or closed won/lost."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class IdentifierKind(StrEnum):
    """Namespaces a person can be known by; CRM ids are namespaced by their source."""

    EMAIL = "email"
    PHONE = "phone"
    HUBSPOT = "hubspot"
    SALESFORCE = "salesforce"
    PIPEDRIVE = "pipedrive"
    LINKEDIN = "linkedin"
    TWITTER = "twitter"
    EXTERNAL = "external"


class Identifier(BaseModel):
    """One way of recognising a person, e.g. (email, ada@example.com) or (hubspot, 501).

    The value is stripped before it is checked: whitespace alone is no identifier.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: IdentifierKind
    value: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_IDENTIFIER_CHARS),
    ]

    def normalised(self) -> Identifier:
        """Case-folded where case carries no meaning (emails, social handles)."""
        if self.kind in {IdentifierKind.EMAIL, IdentifierKind.LINKEDIN, IdentifierKind.TWITTER}:
            return Identifier(kind=self.kind, value=self.value.lower())
        return self

    @property
    def key(self) -> str:
        """Stable text form `kind:value`, used for lookups and ids."""
        n = self.normalised()
        return f"{n.kind.value}:{n.value}"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: str
    source: str = Field(description="Where the latest state came from: generic, hubspot, ...")
    updated_at: UtcDatetime = Field(description="Source clock of the latest applied change")


class Contact(_Record):
    """A person the company has a relationship with (captured at `created_at`)."""

    contact_id: Key
    identifiers: list[Identifier] = Field(default_factory=list)
    name: Label | None = None
    account_id: Key | None = Field(None, description="Account key, normally the domain")
    stakeholder_type: StakeholderType = StakeholderType.CUSTOMER
    owner: Label | None = Field(None, description="Employee who owns the relationship")
    created_at: UtcDatetime | None = None


class Interaction(_Record):
    """One touch: who, which way, through which channel, when, and what it cost."""

    interaction_id: Key
    contact_id: Key
    account_id: Key | None = None
    type: InteractionType
    direction: Direction
    channel: Channel = Field(description="Lower-case channel name, e.g. linkedin, email, webinar")
    occurred_at: UtcDatetime
    owner: Label | None = None
    campaign: Label | None = None
    content: FreeText | None = None
    cost: Money | None = None


class Lead(_Record):
    """A contact (or a CRM lead not yet a contact) marked as a lead."""

    lead_id: Key
    contact_id: Key | None = None
    account_id: Key | None = None
    created_at: UtcDatetime | None = None
    status: Label | None = None
    owner: Label | None = None
    channel: Channel | None = None


class ContactRole(BaseModel):
    """A contact's role on a deal (buying committee member)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_id: Key
    role: Label | None = None


class DealRevision(BaseModel):
    """A deal's dated state: stage, status, amount and close date after a change at `at`.

    `at` is the source clock of the change (when the CRM changed it), so a run as of a date
    reads the last revision at or before it, whatever order the changes arrived in.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: UtcDatetime
    stage: Label | None = None
    status: DealStatus = DealStatus.OPEN
    amount: Money | None = None
    closed_at: UtcDatetime | None = None


class Deal(_Record):
    """An opportunity and, once closed, its outcome and revenue.

    `revisions`, when the store kept them, are the deal's dated states in time order (the
    last one equals the deal's current stage, status, amount and close date).
    """

    deal_id: Key
    name: Label | None = None
    account_id: Key | None = None
    amount: Money | None = None
    stage: Label | None = None
    status: DealStatus = DealStatus.OPEN
    created_at: UtcDatetime | None = Field(None, description="Opportunity creation")
    closed_at: UtcDatetime | None = None
    owner: Label | None = None
    contact_roles: list[ContactRole] = Field(default_factory=list)
    revisions: list[DealRevision] = Field(default_factory=list)


class WorkspaceRecords(BaseModel):
    """Everything stored for one workspace in a window: the input of every analysis."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: str
    contacts: list[Contact] = Field(default_factory=list)
    interactions: list[Interaction] = Field(default_factory=list)
    leads: list[Lead] = Field(default_factory=list)
    deals: list[Deal] = Field(default_factory=list)
