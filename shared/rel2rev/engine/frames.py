"""Records as Arrow tables: the columns the engines read (one row per record, no objects).

`interactions` carries `row`, the record's place in the canonical order (by time, then id),
which the journeys keep for ties. Deals arrive as their state at the run's as-of
(`rel2rev.cutoff.known_at`), with `end`: the close of a won or lost deal, else the as-of.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pyarrow as pa

from rel2rev.cutoff import close_of
from rel2rev.records import Contact, Deal, Interaction, Lead, StakeholderType

TIME = pa.timestamp("us", tz="UTC")

INTERACTIONS = pa.schema(
    [
        ("row", pa.int64()),
        ("contact_id", pa.string()),
        ("account_id", pa.string()),
        ("at", TIME),
        ("channel", pa.string()),
        ("campaign", pa.string()),
        ("type", pa.string()),
        ("owner", pa.string()),
        ("content", pa.string()),
        ("direction", pa.string()),
    ]
)
CONTACTS = pa.schema(
    [
        ("row", pa.int64()),
        ("contact_id", pa.string()),
        ("account_id", pa.string()),
        ("customer", pa.bool_()),
    ]
)
DEALS = pa.schema(
    [
        ("row", pa.int64()),
        ("deal_id", pa.string()),
        ("account_id", pa.string()),
        ("start", TIME),
        ("end", TIME),
    ]
)
ROLES = pa.schema([("deal_id", pa.string()), ("contact_id", pa.string())])
LEADS = pa.schema([("contact_id", pa.string()), ("account_id", pa.string()), ("at", TIME)])


def interactions_frame(interactions: Sequence[Interaction]) -> pa.Table:
    """Interactions in the given (canonical) order, numbered by `row`."""
    return pa.table(
        {
            "row": pa.array(range(len(interactions)), pa.int64()),
            "contact_id": [i.contact_id for i in interactions],
            "account_id": [i.account_id for i in interactions],
            "at": pa.array([i.occurred_at for i in interactions], TIME),
            "channel": [i.channel for i in interactions],
            "campaign": [i.campaign for i in interactions],
            "type": [i.type.value for i in interactions],
            "owner": [i.owner for i in interactions],
            "content": [i.content for i in interactions],
            "direction": [i.direction.value for i in interactions],
        },
        schema=INTERACTIONS,
    )


def contacts_frame(contacts: Sequence[Contact]) -> pa.Table:
    """Contacts in the given order, numbered by `row`, with their account and whether they
    are a prospect (`customer`)."""
    return pa.table(
        {
            "row": pa.array(range(len(contacts)), pa.int64()),
            "contact_id": [c.contact_id for c in contacts],
            "account_id": [c.account_id for c in contacts],
            "customer": [c.stakeholder_type is StakeholderType.CUSTOMER for c in contacts],
        },
        schema=CONTACTS,
    )


def deals_frame(deals: Sequence[Deal], as_of: datetime, lookback: timedelta) -> pa.Table:
    """Deals in the given order, numbered by `row`, each with its journey's window
    [`start`, `end`]: `end` is the close, or `as_of` for an open deal."""
    ends = [close_of(d) or as_of for d in deals]
    return pa.table(
        {
            "row": pa.array(range(len(deals)), pa.int64()),
            "deal_id": [d.deal_id for d in deals],
            "account_id": [d.account_id for d in deals],
            "start": pa.array([end - lookback for end in ends], TIME),
            "end": pa.array(ends, TIME),
        },
        schema=DEALS,
    )


def roles_frame(deals: Sequence[Deal]) -> pa.Table:
    """One row per contact role of a deal."""
    pairs = [(d.deal_id, r.contact_id) for d in deals for r in d.contact_roles]
    return pa.table(
        {"deal_id": [p[0] for p in pairs], "contact_id": [p[1] for p in pairs]}, schema=ROLES
    )


def leads_frame(leads: Sequence[Lead]) -> pa.Table:
    """Leads with a creation time, by contact and account."""
    dated = [lead for lead in leads if lead.created_at is not None]
    return pa.table(
        {
            "contact_id": [lead.contact_id for lead in dated],
            "account_id": [lead.account_id for lead in dated],
            "at": pa.array([lead.created_at for lead in dated], TIME),
        },
        schema=LEADS,
    )
