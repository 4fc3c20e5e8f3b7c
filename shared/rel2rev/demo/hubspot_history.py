"""The demo's HubSpot history as HubSpot CRM v3 objects, to seed the local HubSpot API.

What HubSpot would hold about the records the plan sends through its API
(`DeliveryPlan.api["hubspot"]`): contacts (with their lead lifecycle stage history), deals
(with their stage history and contacts) and emails, in the shapes `rel2rev.local.hubspot_api`
serves. Ids are HubSpot's (a contact's `hubspot` identifier, a deal's id after `hubspot:`), so
the backfilled records are the ones the webhooks and the engagement feed name. No company is
associated, as the webhooks name none: the world's accounts come from the engagement feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rel2rev.ingest.sources.hubspot import LEAD_STAGES
from rel2rev.records import (
    Contact,
    DealStatus,
    Direction,
    IdentifierKind,
    WorkspaceRecords,
)

EMAIL_IDS = 80_000_000
"""First id of the seeded emails (HubSpot engagement ids are numbers)."""


def _iso(moment: datetime) -> str:
    """HubSpot's datetime text: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _hubspot_id(contact: Contact) -> str:
    """The contact's HubSpot id (the plan sends only contacts that have one)."""
    return next(i.value for i in contact.identifiers if i.kind is IdentifierKind.HUBSPOT)


def hubspot_seed(
    records: WorkspaceRecords, directory: Sequence[Contact]
) -> dict[str, list[dict[str, Any]]]:
    """The local HubSpot API's objects for `records`; `directory` names every contact."""
    people = {c.contact_id: c for c in directory}
    leads = {lead.contact_id: lead for lead in records.leads}
    contacts = []
    for contact in records.contacts:
        first, _, last = (contact.name or "").partition(" ")
        lead = leads.get(contact.contact_id)
        became = (lead.created_at or lead.updated_at) if lead else contact.updated_at
        item: dict[str, Any] = {
            "id": _hubspot_id(contact),
            "properties": {
                "email": next(
                    (i.value for i in contact.identifiers if i.kind is IdentifierKind.EMAIL), None
                ),
                "firstname": first or None,
                "lastname": last or None,
                "hubspot_owner_id": contact.owner,
                "createdate": _iso(contact.created_at or contact.updated_at),
                "lastmodifieddate": _iso(max(contact.updated_at, became)),
            },
        }
        if lead is not None:
            stage = lead.status if (lead.status or "").lower() in LEAD_STAGES else "lead"
            item["properties"]["lifecyclestage"] = stage
            item["history"] = {"lifecyclestage": [(stage, _iso(became))]}
        contacts.append(item)
    deals = []
    for deal in records.deals:
        stage = {DealStatus.WON: "closedwon", DealStatus.LOST: "closedlost"}.get(
            deal.status, deal.stage or "appointmentscheduled"
        )
        opened = deal.created_at or deal.updated_at
        history = (
            [("appointmentscheduled", _iso(opened))] if stage != "appointmentscheduled" else []
        )
        roles = [_hubspot_id(people[role.contact_id]) for role in deal.contact_roles]
        properties = {
            "dealname": deal.name,
            "amount": str(deal.amount.amount) if deal.amount else None,
            "dealstage": stage,
            "createdate": _iso(opened),
            "closedate": _iso(deal.closed_at) if deal.closed_at else None,
            "hubspot_owner_id": deal.owner,
            "hs_lastmodifieddate": _iso(deal.updated_at),
        }
        deals.append(
            {
                "id": deal.deal_id.removeprefix("hubspot:"),
                "properties": properties,
                "history": {"dealstage": [*history, (stage, _iso(deal.updated_at))]},
                "associations": {"contacts": roles},
            }
        )
    emails = []
    for n, email in enumerate(records.interactions, start=EMAIL_IDS + 1):
        inbound = email.direction is Direction.INBOUND
        emails.append(
            {
                "id": str(n),
                "properties": {
                    "hs_timestamp": _iso(email.occurred_at),
                    "hs_email_direction": "INCOMING_EMAIL" if inbound else "EMAIL",
                    "hs_email_subject": email.content,
                    "hubspot_owner_id": email.owner,
                    "hs_lastmodifieddate": _iso(email.occurred_at),
                },
                "associations": {"contacts": [_hubspot_id(people[email.contact_id])]},
            }
        )
    return {"contacts": contacts, "deals": deals, "emails": emails}
