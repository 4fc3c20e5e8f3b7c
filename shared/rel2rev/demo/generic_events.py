"""Stored records written back as events of the `generic` webhook format.

Used for the social and engagement touches the demo delivers as signed generic JSON, and for
the historical backfill file `rel2rev import` reads. Each event carries the record's own id,
so a redelivered or re-imported event is stored once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rel2rev.money import Money
from rel2rev.records import Contact, Deal, IdentifierKind, Interaction, Lead


def identifier_map(contact: Contact, kinds: Iterable[IdentifierKind]) -> dict[str, str]:
    """The contact's identifiers of the given kinds, as the generic `{kind: value}` map."""
    wanted = set(kinds)
    return {i.kind.value: i.value for i in contact.identifiers if i.kind in wanted}


def _money(value: Money | None) -> dict[str, str] | None:
    return None if value is None else {"amount": str(value.amount), "currency": value.currency}


def _clean(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if v is not None}


PERSON_KINDS = (IdentifierKind.EMAIL, IdentifierKind.LINKEDIN)


def interaction_event(interaction: Interaction, contact: Contact) -> dict[str, Any]:
    """A generic `interaction` event for a stored interaction."""
    return _clean(
        {
            "event": "interaction",
            "id": interaction.interaction_id,
            "interaction_id": interaction.interaction_id,
            "occurred_at": interaction.occurred_at.isoformat(),
            "type": interaction.type.value,
            "direction": interaction.direction.value,
            "channel": interaction.channel,
            "contact": identifier_map(contact, PERSON_KINDS),
            "account": interaction.account_id,
            "owner": interaction.owner,
            "campaign": interaction.campaign,
            "content": interaction.content,
            "cost": _money(interaction.cost),
        }
    )


def contact_event(contact: Contact) -> dict[str, Any]:
    """A generic `contact` event for a stored contact."""
    return _clean(
        {
            "event": "contact",
            "id": f"{contact.contact_id}@{contact.updated_at.isoformat()}",
            "occurred_at": contact.updated_at.isoformat(),
            "identifiers": identifier_map(contact, PERSON_KINDS),
            "name": contact.name,
            "account": contact.account_id,
            "stakeholder_type": contact.stakeholder_type.value,
            "owner": contact.owner,
            "created_at": contact.created_at.isoformat() if contact.created_at else None,
        }
    )


def lead_event(lead: Lead, contacts: Mapping[str, Contact]) -> dict[str, Any]:
    """A generic `lead` event for a stored lead."""
    contact = contacts.get(lead.contact_id or "")
    return _clean(
        {
            "event": "lead",
            "id": f"{lead.lead_id}@{lead.updated_at.isoformat()}",
            "occurred_at": lead.updated_at.isoformat(),
            "lead_id": lead.lead_id,
            "contact": identifier_map(contact, PERSON_KINDS) if contact else None,
            "account": lead.account_id,
            "created_at": lead.created_at.isoformat() if lead.created_at else None,
            "status": lead.status,
            "owner": lead.owner,
            "channel": lead.channel,
        }
    )


def deal_event(deal: Deal, contacts: Mapping[str, Contact]) -> dict[str, Any]:
    """A generic `deal` event for a stored deal, with its buying committee."""
    roles = [
        {"contact": identifier_map(contacts[r.contact_id], PERSON_KINDS), "role": r.role}
        for r in deal.contact_roles
        if r.contact_id in contacts
    ]
    return _clean(
        {
            "event": "deal",
            "id": f"{deal.deal_id}@{deal.updated_at.isoformat()}",
            "occurred_at": deal.updated_at.isoformat(),
            "deal_id": deal.deal_id,
            "name": deal.name,
            "account": deal.account_id,
            "amount": _money(deal.amount),
            "stage": deal.stage,
            "status": deal.status.value,
            "created_at": deal.created_at.isoformat() if deal.created_at else None,
            "closed_at": deal.closed_at.isoformat() if deal.closed_at else None,
            "owner": deal.owner,
            "contact_roles": [_clean(r) for r in roles],
        }
    )


def write_jsonl(events: Iterable[Mapping[str, Any]], path: Path) -> int:
    """Write events one per line; return how many."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps(event, separators=(",", ":"), ensure_ascii=False))
            handle.write("\n")
            count += 1
    return count
