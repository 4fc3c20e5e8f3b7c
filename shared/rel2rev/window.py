"""What a run reads, from records in memory: the same selection the records table serves
(`RecordRepository.records_for_run`), so a run on files and a run on the table agree.

A record's anchor is when it happened (interactions), closed (won or lost deals) or was
created (contacts, leads, open deals), else its source clock (here the latest one a record
carries; the table keeps the first it saw). A run of the window
[start, end) reads the records anchored in [start - lookback, end), then the contacts, leads
and deals of every account those name (whatever their anchor) and the contacts they name.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from rel2rev.records import (
    Contact,
    Deal,
    DealStatus,
    Interaction,
    Lead,
    WorkspaceRecords,
)

Record = Contact | Interaction | Lead | Deal


class RecordsReader(Protocol):
    """Where a run reads its records: the records table, its export, or a folder."""

    def records_for_run(
        self, workspace: str, start: datetime, end: datetime, lookback: timedelta
    ) -> WorkspaceRecords:
        """The records a run of [start, end) reads (`window_for_run`'s selection)."""


def anchor_of(record: Record) -> datetime:
    """The moment that places a record in time (see the module docstring)."""
    if isinstance(record, Interaction):
        return record.occurred_at
    if isinstance(record, Deal) and record.status is not DealStatus.OPEN and record.closed_at:
        return record.closed_at
    return record.created_at or record.updated_at


def window_for_run(
    records: WorkspaceRecords, start: datetime, end: datetime, lookback: timedelta
) -> WorkspaceRecords:
    """The records a run of [start, end) reads (see the module docstring)."""
    low = start - lookback

    def inside(record: Record) -> bool:
        return low <= anchor_of(record) < end

    contacts = {c.contact_id: c for c in records.contacts if inside(c)}
    interactions = [i for i in records.interactions if inside(i)]
    leads = {lead.lead_id: lead for lead in records.leads if inside(lead)}
    deals = {d.deal_id: d for d in records.deals if inside(d)}
    accounts = {
        a
        for a in (
            *(c.account_id for c in contacts.values()),
            *(i.account_id for i in interactions),
            *(lead.account_id for lead in leads.values()),
            *(d.account_id for d in deals.values()),
        )
        if a
    }
    for contact in records.contacts:
        if contact.account_id in accounts:
            contacts.setdefault(contact.contact_id, contact)
    for lead in records.leads:
        if lead.account_id in accounts:
            leads.setdefault(lead.lead_id, lead)
    for deal in records.deals:
        if deal.account_id in accounts:
            deals.setdefault(deal.deal_id, deal)
    named = {
        *(i.contact_id for i in interactions),
        *(lead.contact_id for lead in leads.values() if lead.contact_id),
        *(r.contact_id for d in deals.values() for r in d.contact_roles),
    }
    for contact in records.contacts:
        if contact.contact_id in named:
            contacts.setdefault(contact.contact_id, contact)
    return WorkspaceRecords(
        workspace=records.workspace,
        contacts=list(contacts.values()),
        interactions=sorted(interactions, key=lambda i: (i.occurred_at, i.interaction_id)),
        leads=list(leads.values()),
        deals=list(deals.values()),
    )
