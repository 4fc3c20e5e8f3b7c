"""Which source delivers which part of the world, and what goes in the historical backfill.

A seller runs several systems at once; the plan mirrors that:
- each customer account's contacts, leads and deals come from its CRM (HubSpot for the EU
  team, Salesforce for the US team, Pipedrive for some smaller accounts); partners, suppliers
  and employees come from the generic feed, the only one carrying a stakeholder type for
  every person (their Pipedrive activities still name them by their Pipedrive id);
- the sales activities a CRM logs faithfully come from it too (Salesforce tasks and events for
  emails, calls and meetings; Pipedrive meetings);
- every other touch (LinkedIn, webinars, ads, web visits, emails of HubSpot accounts) comes
  from engagement tools as signed generic JSON, and the oldest of those arrive instead through
  one historical backfill file (`rel2rev import`);
- HubSpot's webhooks were switched on mid-way (`api_before`): what HubSpot held then is read
  through HubSpot's API (`api`) before the webhooks start: the contacts, leads and deals of
  HubSpot accounts and the emails logged there, as they stood at that moment. A record read
  there is not sent again; only a deal still open then also gets its later state as
  webhooks, as a real switch-on would;
- a few won deals also get a stale update (an older open version with an earlier quote)
  delivered after the final state: out-of-order updates must not overwrite newer state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from rel2rev.ingest.native import generic_event
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    Deal,
    DealStatus,
    Direction,
    IdentifierKind,
    Interaction,
    InteractionType,
    Lead,
    StakeholderType,
    WorkspaceRecords,
)
from rel2rev.simulate import World

SOURCES = ("hubspot", "salesforce", "pipedrive", "generic")
SALESFORCE_CHANNELS = frozenset({"email", "call", "meeting"})


@dataclass
class _Parts:
    contacts: list[Contact] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)

    def records(self, workspace: str) -> WorkspaceRecords:
        return WorkspaceRecords(
            workspace=workspace,
            contacts=self.contacts,
            interactions=self.interactions,
            leads=self.leads,
            deals=self.deals,
        )


@dataclass(frozen=True)
class DeliveryPlan:
    """The world split by source, plus the backfill rows and the stale updates."""

    workspace: str
    live: dict[str, WorkspaceRecords]
    stale: dict[str, WorkspaceRecords]
    api: dict[str, WorkspaceRecords]
    """Source -> the history read through its API before the webhooks start."""
    backfill: list[dict[str, Any]]
    backfill_before: datetime
    api_before: datetime
    """When HubSpot's webhooks were switched on: what it held before is read through its API."""
    booked: dict[str, Money]
    """Every won deal's stored id and the amount its CRM booked: what finance reconciles."""


def _source_of_interaction(interaction: Interaction, crm: str) -> str:
    if crm == "salesforce" and interaction.channel in SALESFORCE_CHANNELS:
        return "salesforce"
    if crm == "pipedrive" and interaction.type is InteractionType.MEETING:
        return "pipedrive"
    return "generic"


def _stale_version(deal: Deal) -> Deal:
    """An older open version of a won deal, with an earlier (lower) quote.

    It names no contact roles: roles only ever add members, and they were delivered already.
    """
    assert deal.created_at is not None
    assert deal.amount is not None
    quote = Money.of(
        (deal.amount.amount * Decimal("0.8")).quantize(Decimal(1)), deal.amount.currency
    )
    stage = {"hubspot": "presentationscheduled", "pipedrive": None}.get(deal.source, "Proposal")
    return deal.model_copy(
        update={
            "status": DealStatus.OPEN,
            "stage": stage,
            "amount": quote,
            "closed_at": None,
            "contact_roles": [],
            "updated_at": deal.created_at + timedelta(hours=1),
        }
    )


def _as_opened(deal: Deal) -> Deal:
    """A deal as it stood when it was opened: first stage, open, no close date."""
    return deal.model_copy(
        update={
            "status": DealStatus.OPEN,
            "stage": "appointmentscheduled",
            "closed_at": None,
            "updated_at": deal.created_at or deal.updated_at,
        }
    )


def _hubspot_email(interaction: Interaction) -> bool:
    """An email HubSpot logs as it is: sent by us, or a reply from the contact."""
    return (interaction.type, interaction.direction) in {
        (InteractionType.EMAIL, Direction.OUTBOUND),
        (InteractionType.EMAIL_REPLY, Direction.INBOUND),
    }


def plan_delivery(
    world: World,
    *,
    backfill_fraction: float = 0.3,
    api_fraction: float = 0.5,
    stale_deals: int = 4,
    seed: int = 0,
) -> DeliveryPlan:
    """Split the world over the sources; deterministic for a given world and seed."""
    workspace = world.config.workspace
    crm_of = {a.account_id: a.crm or "generic" for a in world.accounts}
    parts = {source: _Parts() for source in SOURCES}
    api = _Parts()  # HubSpot's records older than the cutoff: read through its API
    contacts = {c.contact_id: c for c in world.records.contacts}
    span = world.truth.end - world.truth.start
    cutoff = world.truth.start + span * backfill_fraction
    switched_on = world.truth.start + span * api_fraction
    backfill: list[dict[str, Any]] = []
    records = world.records
    in_hubspot = {  # people HubSpot knows by its own id
        c.contact_id
        for c in records.contacts
        if any(i.kind is IdentifierKind.HUBSPOT for i in c.identifiers)
    }
    for contact in records.contacts:
        # Stakeholder types other than customer only travel in the generic feed: HubSpot and
        # Pipedrive person webhooks have no field for them.
        crm = crm_of.get(contact.account_id or "", "generic")
        customer = contact.stakeholder_type is StakeholderType.CUSTOMER
        source = crm if customer else "generic"
        older = source == "hubspot" and contact.updated_at < switched_on
        known = contact.contact_id in in_hubspot
        (api if older and known else parts[source]).contacts.append(contact)
    through_api = {c.contact_id for c in api.contacts}
    for lead in records.leads:
        source = crm_of.get(lead.account_id or "", "generic")
        older = source == "hubspot" and lead.updated_at < switched_on
        (api if older and lead.contact_id in through_api else parts[source]).leads.append(lead)
    for deal in records.deals:
        source = crm_of.get(deal.account_id or "", "generic")
        known = all(r.contact_id in in_hubspot for r in deal.contact_roles)
        if source == "hubspot" and known and (deal.created_at or deal.updated_at) < switched_on:
            if deal.updated_at < switched_on:
                api.deals.append(deal)
                continue
            api.deals.append(_as_opened(deal))
        parts[source].deals.append(deal)
    for interaction in records.interactions:
        crm = crm_of.get(interaction.account_id or "", "")
        source = _source_of_interaction(interaction, crm)
        logged = crm == "hubspot" and _hubspot_email(interaction)
        known = interaction.contact_id in in_hubspot
        if logged and known and interaction.occurred_at < switched_on:
            api.interactions.append(interaction)
        elif source == "generic" and interaction.occurred_at < cutoff:
            backfill.append(generic_event(interaction, contacts))
        else:
            parts[source].interactions.append(interaction)
    won = [d for d in records.deals if d.status is DealStatus.WON and d.amount is not None]
    chosen = random.Random(seed).sample(won, min(stale_deals, len(won)))
    stale = {source: _Parts() for source in SOURCES}
    for deal in chosen:
        stale[crm_of.get(deal.account_id or "", "generic")].deals.append(_stale_version(deal))
    return DeliveryPlan(
        workspace=workspace,
        live={s: p.records(workspace) for s, p in parts.items()},
        stale={s: p.records(workspace) for s, p in stale.items() if p.deals},
        api={"hubspot": api.records(workspace)},
        backfill=backfill,
        backfill_before=cutoff,
        api_before=switched_on,
        booked={d.deal_id: d.amount for d in won if d.amount is not None},
    )
