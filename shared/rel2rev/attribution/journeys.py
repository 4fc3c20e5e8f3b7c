"""Journeys: a conversion (or not) and its ordered touches, built from stored records.

Records are first read as they stood before `as_of` (`rel2rev.cutoff.known_at`): a deal won
after `as_of` is open at `as_of`, and no touch at or after `as_of` is seen. A deal's journey
is the union of the touches of its contact roles and of the contacts of its account (plus
interactions logged against the account itself), inside the lookback window before the deal's
end: its close for won deals (the conversion) and lost deals, `as_of` for open ones
(non-converting, censored there). Touches after the end are excluded; ties in time keep the
order of `records.interactions`. With `since`, deals closed before it (outside the run's
window) make no journey. A won deal without touches keeps its journey, with the reason:
`no_linked_contact` (no contact role, no contact on its account, no account touch at all) or
`no_touch_in_lookback`.

Accounts (or lone contacts) that never reached a deal also yield one non-converting journey
each, ending at `as_of`: Markov, Shapley and the hazard model need the paths that did not
convert, and leaving them out would inflate every channel's conversion rate. Contacts whose
stakeholder type is not `customer` (partners, suppliers, employees) are no prospects, so
their touches make no deal-less journey (they still count on a deal they are part of).

Customers nobody touched make journeys too, without touches: the baseline
(`rel2rev.attribution.baseline`) estimates the organic conversion rate from them. A customer
contact that exists at `as_of`, is on no deal of the run (neither in its roles nor on its
account) and has no interaction in [as_of - lookback, as_of) yields one non-converting
journey with no touch, ending at `as_of`, keyed as the deal-less ones (`account:<id>` when it
has an account, else `contact:<id>`): one per key, and none for a key that already has a
journey or whose account had an interaction logged against it in that window. They come
last, in the order of `records.contacts`. (A won deal whose committee had no touch already
is a touchless converting journey, with its `unattributed_reason`.)
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from rel2rev.cutoff import close_of, known_at
from rel2rev.money import Money
from rel2rev.records import (
    DealStatus,
    Interaction,
    StakeholderType,
    UtcDatetime,
    WorkspaceRecords,
)

DIMENSIONS = ("channel", "campaign", "type", "owner", "contact", "content", "direction")
"""Touch dimensions every model can credit."""

DEFAULT_LOOKBACK = timedelta(days=90)


class Touch(BaseModel):
    """One touch on a journey, with every dimension a model can credit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: UtcDatetime | None = Field(None, description="None when the source has no times (paths)")
    channel: str
    campaign: str | None = None
    type: str | None = None
    owner: str | None = None
    contact: str | None = None
    content: str | None = None
    direction: str | None = None
    extra: dict[str, str] = Field(default_factory=dict, description="Analyst-supplied dimensions")

    def value(self, dimension: str) -> str | None:
        """The touch's value in `dimension` (one of DIMENSIONS or an extra column)."""
        if dimension in DIMENSIONS:
            got: str | None = getattr(self, dimension)
            return got
        return self.extra.get(dimension)


class Journey(BaseModel):
    """A deal (or any conversion) and its touches in time order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    journey_id: str = Field(description="The deal id, or `account:`/`contact:` for no deal")
    converted: bool
    amount: Money | None = Field(None, description="Revenue booked by the conversion")
    converted_at: UtcDatetime | None = None
    ends_at: UtcDatetime | None = Field(
        None, description="Conversion time, or where a non-converting journey is censored"
    )
    lead_created_at: UtcDatetime | None = None
    opportunity_created_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    touches: list[Touch] = Field(default_factory=list)
    unattributed_reason: str | None = Field(
        None, description="Why a journey has no touches: no_linked_contact, no_touch_in_lookback"
    )

    @property
    def currency(self) -> str | None:
        """Currency of the amount, if any."""
        return self.amount.currency if self.amount else None


def _touch(interaction: Interaction) -> Touch:
    return Touch(
        at=interaction.occurred_at,
        channel=interaction.channel,
        campaign=interaction.campaign,
        type=interaction.type.value,
        owner=interaction.owner,
        contact=interaction.contact_id,
        content=interaction.content,
        direction=interaction.direction.value,
    )


class _Index:
    """Interactions indexed by contact and account, plus the earliest lead per contact/account."""

    def __init__(self, records: WorkspaceRecords, lookback: timedelta) -> None:
        self.records = records
        self.lookback = lookback
        self.contacts_of_account: dict[str, set[str]] = defaultdict(set)
        self.account_of_contact: dict[str, str | None] = {}
        self.stakeholder: dict[str, StakeholderType] = {}
        for contact in records.contacts:
            self.account_of_contact[contact.contact_id] = contact.account_id
            self.stakeholder[contact.contact_id] = contact.stakeholder_type
            if contact.account_id:
                self.contacts_of_account[contact.account_id].add(contact.contact_id)
        self.by_contact: dict[str, list[int]] = defaultdict(list)
        self.by_account: dict[str, list[int]] = defaultdict(list)
        for index, interaction in enumerate(records.interactions):
            self.by_contact[interaction.contact_id].append(index)
            if interaction.account_id:
                self.by_account[interaction.account_id].append(index)
        self.earliest_lead: dict[tuple[str, str], datetime] = {}
        for lead in records.leads:
            if lead.created_at is None:
                continue
            for kind, owner_id in (("c", lead.contact_id), ("a", lead.account_id)):
                if owner_id is None:
                    continue
                known = self.earliest_lead.get((kind, owner_id))
                if known is None or lead.created_at < known:
                    self.earliest_lead[(kind, owner_id)] = lead.created_at

    def touches(self, contact_ids: set[str], account_id: str | None, end: datetime) -> list[Touch]:
        """Touches of these contacts/account in [end - lookback, end], in time order."""
        found: set[int] = set()
        for contact_id in contact_ids:
            found.update(self.by_contact.get(contact_id, ()))
        if account_id:
            found.update(self.by_account.get(account_id, ()))
        start = end - self.lookback
        interactions = self.records.interactions
        chosen = [i for i in sorted(found) if start <= interactions[i].occurred_at <= end]
        chosen.sort(key=lambda i: interactions[i].occurred_at)  # stable: ties keep record order
        return [_touch(interactions[i]) for i in chosen]

    def lead_created(self, contact_ids: set[str], account_id: str | None) -> datetime | None:
        """Earliest lead creation among these contacts and the account."""
        keys = [("c", c) for c in contact_ids] + ([("a", account_id)] if account_id else [])
        times = [self.earliest_lead[k] for k in keys if k in self.earliest_lead]
        return min(times) if times else None


def build_journeys(
    records: WorkspaceRecords,
    *,
    as_of: datetime,
    lookback: timedelta = DEFAULT_LOOKBACK,
    since: datetime | None = None,
) -> list[Journey]:
    """One journey per deal, plus one non-converting journey per account/contact without a deal.

    Journeys come back in the order of `records.deals`, then of first appearance of the
    deal-less accounts/contacts among the interactions (those without touches in the window
    are skipped), then the touchless ones in the order of `records.contacts`. Won deals
    without `closed_at` convert at `updated_at`. See the module docstring for `as_of`,
    `since` and the touchless journeys.
    """
    records = known_at(records, as_of)
    index = _Index(records, lookback)
    journeys: list[Journey] = []
    covered_contacts: set[str] = set()
    covered_accounts: set[str] = set()
    for deal in records.deals:
        close = close_of(deal)
        if since is not None and close is not None and close < since:
            continue
        contact_ids = {role.contact_id for role in deal.contact_roles}
        if deal.account_id:
            contact_ids |= index.contacts_of_account.get(deal.account_id, set())
            covered_accounts.add(deal.account_id)
        covered_contacts |= contact_ids
        won = deal.status is DealStatus.WON
        end = close or as_of
        touches = index.touches(contact_ids, deal.account_id, end)
        reason = None
        if not touches:
            linked = contact_ids or index.by_account.get(deal.account_id or "")
            reason = "no_touch_in_lookback" if linked else "no_linked_contact"
        journeys.append(
            Journey(
                journey_id=deal.deal_id,
                converted=won,
                amount=deal.amount if won else None,
                converted_at=end if won else None,
                ends_at=end,
                lead_created_at=index.lead_created(contact_ids, deal.account_id),
                opportunity_created_at=deal.created_at,
                closed_at=deal.closed_at,
                touches=touches,
                unattributed_reason=reason,
            )
        )
    groups: dict[str, tuple[set[str], str | None]] = {}
    for interaction in records.interactions:
        contact_id = interaction.contact_id
        account_id = interaction.account_id or index.account_of_contact.get(contact_id)
        if contact_id in covered_contacts or (account_id and account_id in covered_accounts):
            continue
        if (
            index.stakeholder.get(contact_id, StakeholderType.CUSTOMER)
            is not StakeholderType.CUSTOMER
        ):
            continue  # partners, suppliers, employees are no prospects: not a missed conversion
        key = f"account:{account_id}" if account_id else f"contact:{contact_id}"
        groups.setdefault(key, (set(), account_id))[0].add(contact_id)
    named: set[str] = set()
    for key, (contacts, account_id) in groups.items():
        touches = index.touches(contacts, account_id, as_of)
        if touches:
            named.add(key)
            journeys.append(
                Journey(journey_id=key, converted=False, ends_at=as_of, touches=touches)
            )
    start = as_of - lookback
    window = [i for i in records.interactions if start <= i.occurred_at]  # all before as_of
    touched_contacts = {i.contact_id for i in window}
    touched_accounts = {i.account_id for i in window if i.account_id}
    for contact in records.contacts:
        account_id = contact.account_id
        key = f"account:{account_id}" if account_id else f"contact:{contact.contact_id}"
        if (
            contact.stakeholder_type is not StakeholderType.CUSTOMER
            or contact.contact_id in covered_contacts
            or (account_id and account_id in covered_accounts)
            or contact.contact_id in touched_contacts
            or (account_id and account_id in touched_accounts)
            or key in named
        ):
            continue
        named.add(key)
        journeys.append(Journey(journey_id=key, converted=False, ends_at=as_of))
    return journeys
