"""Stage moments per contact and per account: captured, qualified, lead, opportunity, won/lost.

A contact is captured at its first interaction (or its creation, if earlier). Its opportunity,
won and lost moments come from the deals it is linked to (through a contact role or its
account). Stages are cumulative, as in a funnel: a contact on an opportunity has passed the lead
stage, so its lead moment is the first lead on that contact or its first opportunity, whichever
came first (and a closed deal without a creation time opens the opportunity when it closes).
Won takes precedence: `lost_at` is set only for contacts with no won deal. Nothing after `as_of`
counts. A deal's *primary* relationship, to which its revenue is credited in splits, is its
earliest-captured linked contact (contact roles first).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from rel2rev.funnel.qualification import RelationshipState
from rel2rev.money import Money
from rel2rev.records import (
    Deal,
    DealStatus,
    Interaction,
    StakeholderType,
    UtcDatetime,
    WorkspaceRecords,
)


class Stage(StrEnum):
    """Funnel stages in order (won and lost are the two ends of conversion)."""

    CAPTURED = "captured"
    QUALIFIED = "qualified"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"


class ContactStages(BaseModel):
    """One relationship's stage moments and the attributes reports split by."""

    model_config = ConfigDict(frozen=True)

    contact_id: str
    account_id: str | None = None
    stakeholder_type: StakeholderType | None = None
    owner: str | None = None
    channel: str | None = None
    campaign: str | None = None
    captured_at: UtcDatetime | None = None
    qualified_at: UtcDatetime | None = None
    lead_at: UtcDatetime | None = None
    opportunity_at: UtcDatetime | None = None
    won_at: UtcDatetime | None = None
    lost_at: UtcDatetime | None = None
    deal_ids: list[str] = []

    def moment(self, stage: Stage) -> datetime | None:
        """The moment this relationship reached `stage`, if it did."""
        value: datetime | None = getattr(self, f"{stage.value}_at")
        return value


class AccountStages(BaseModel):
    """An account's (buying committee's) stage moments: the earliest over its contacts/deals."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    contacts: int
    captured_at: UtcDatetime | None = None
    qualified_at: UtcDatetime | None = None
    lead_at: UtcDatetime | None = None
    opportunity_at: UtcDatetime | None = None
    won_at: UtcDatetime | None = None
    lost_at: UtcDatetime | None = None
    won_revenue: list[Money] = []


def _min(values: Iterable[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _closed(deal: Deal, status: DealStatus, as_of: datetime) -> datetime | None:
    if deal.status is not status or deal.closed_at is None or deal.closed_at > as_of:
        return None
    return deal.closed_at


def deal_contacts(records: WorkspaceRecords) -> dict[str, list[str]]:
    """Contact ids linked to each deal: its contact roles, then its account's other contacts."""
    by_account: dict[str, list[str]] = defaultdict(list)
    for contact in records.contacts:
        if contact.account_id is not None:
            by_account[contact.account_id].append(contact.contact_id)
    linked: dict[str, list[str]] = {}
    for deal in records.deals:
        ids = [r.contact_id for r in deal.contact_roles]
        if deal.account_id is not None:
            ids += by_account.get(deal.account_id, [])
        linked[deal.deal_id] = list(dict.fromkeys(ids))
    return linked


def contact_stages(
    records: WorkspaceRecords, states: Iterable[RelationshipState], *, as_of: datetime
) -> list[ContactStages]:
    """Stage moments of every contact (known or seen in interactions), ordered by contact id."""
    qualified = {s.contact_id: s.qualified_at for s in states}
    first: dict[str, Interaction] = {}
    for item in records.interactions:
        at = item.occurred_at
        if at > as_of:
            continue
        seen = first.get(item.contact_id)
        if (
            seen is None
            or at < seen.occurred_at
            or (at == seen.occurred_at and item.interaction_id < seen.interaction_id)
        ):
            first[item.contact_id] = item
    leads: dict[str, datetime] = {}
    for lead in records.leads:
        if lead.contact_id is not None and lead.created_at is not None and lead.created_at <= as_of:
            leads[lead.contact_id] = min(
                lead.created_at, leads.get(lead.contact_id, lead.created_at)
            )
    deals_of: dict[str, list[Deal]] = defaultdict(list)
    by_id = {d.deal_id: d for d in records.deals}
    for deal_id, contact_ids in deal_contacts(records).items():
        for cid in contact_ids:
            deals_of[cid].append(by_id[deal_id])
    contacts = {c.contact_id: c for c in records.contacts}
    result = []
    for cid in sorted(contacts.keys() | first.keys()):
        contact = contacts.get(cid)
        touch = first.get(cid)
        created = (
            contact.created_at
            if contact and contact.created_at and contact.created_at <= as_of
            else None
        )
        deals = deals_of.get(cid, [])
        opened = [d.created_at for d in deals if d.created_at is not None and d.created_at <= as_of]
        won_at = _min(_closed(d, DealStatus.WON, as_of) for d in deals)
        lost_at = None if won_at else _min(_closed(d, DealStatus.LOST, as_of) for d in deals)
        opportunity_at = _min([*opened, won_at, lost_at])
        result.append(
            ContactStages.model_construct(  # fields are validated record values
                contact_id=cid,
                account_id=contact.account_id if contact else (touch.account_id if touch else None),
                stakeholder_type=contact.stakeholder_type if contact else None,
                owner=(contact.owner if contact else None) or (touch.owner if touch else None),
                channel=touch.channel if touch else None,
                campaign=touch.campaign if touch else None,
                captured_at=_min([created, touch.occurred_at if touch else None]),
                qualified_at=qualified.get(cid),
                lead_at=_min([leads.get(cid), opportunity_at]),
                opportunity_at=opportunity_at,
                won_at=won_at,
                lost_at=lost_at,
                deal_ids=sorted(d.deal_id for d in deals),
            )
        )
    return result


def primary_contacts(
    records: WorkspaceRecords, stages: Iterable[ContactStages]
) -> dict[str, ContactStages]:
    """Each deal's primary relationship: its earliest-captured linked contact (roles first)."""
    by_id = {s.contact_id: s for s in stages}
    linked = deal_contacts(records)
    primary: dict[str, ContactStages] = {}
    for deal in records.deals:
        roles = [r.contact_id for r in deal.contact_roles]
        pool = [by_id[c] for c in (roles or linked[deal.deal_id]) if c in by_id]
        captured = [s for s in pool if s.captured_at is not None]
        if captured:
            primary[deal.deal_id] = min(captured, key=lambda s: (s.captured_at, s.contact_id))
    return primary


def account_stages(
    records: WorkspaceRecords, stages: Iterable[ContactStages], *, as_of: datetime
) -> list[AccountStages]:
    """Stage moments per account, from its contacts, its leads and its deals."""
    members: dict[str, list[ContactStages]] = defaultdict(list)
    for s in stages:
        if s.account_id is not None:
            members[s.account_id].append(s)
    account_leads: dict[str, list[datetime | None]] = defaultdict(list)
    for lead in records.leads:
        if lead.account_id is not None and lead.created_at is not None and lead.created_at <= as_of:
            account_leads[lead.account_id].append(lead.created_at)
    account_deals: dict[str, list[Deal]] = defaultdict(list)
    for deal in records.deals:
        if deal.account_id is not None:
            account_deals[deal.account_id].append(deal)
    result = []
    for account_id in sorted(members.keys() | account_leads.keys() | account_deals.keys()):
        people = members.get(account_id, [])
        deals = account_deals.get(account_id, [])
        won = [d for d in deals if _closed(d, DealStatus.WON, as_of) is not None]
        won_at = _min([*(s.won_at for s in people), *(d.closed_at for d in won)])
        lost = _min(
            [*(s.lost_at for s in people), *(_closed(d, DealStatus.LOST, as_of) for d in deals)]
        )
        result.append(
            AccountStages(
                account_id=account_id,
                contacts=len(people),
                captured_at=_min(s.captured_at for s in people),
                qualified_at=_min(s.qualified_at for s in people),
                lead_at=_min([*(s.lead_at for s in people), *account_leads.get(account_id, [])]),
                opportunity_at=_min(
                    [*(s.opportunity_at for s in people)]
                    + [d.created_at for d in deals if d.created_at and d.created_at <= as_of]
                ),
                won_at=won_at,
                lost_at=None if won_at else lost,
                won_revenue=sum_money(d.amount for d in won if d.amount is not None),
            )
        )
    return result


def sum_money(amounts: Iterable[Money]) -> list[Money]:
    """Totals per currency, ordered by currency code."""
    totals: dict[str, int] = defaultdict(int)
    for m in amounts:
        totals[m.currency] += m.minor_units
    return [Money.from_minor_units(v, c) for c, v in sorted(totals.items())]
