"""Every journey's touches as one engine-neutral Ibis expression (DuckDB and Spark run it).

The rules are `rel2rev.attribution.journeys.build_journeys`, stated on tables:

- A deal's members are its contact roles and the contacts of its account. Its touches are the
  interactions of its members and those logged against its account, each once, in
  [start, end] (start = end - lookback; end = the close, or the as-of for open deals).
- Interactions of no member of any deal and of no deal's account (their own account, else
  their contact's) belong to a deal-less journey: `account:<id>`, else `contact:<id>`. Only
  customers' interactions make one (partners, suppliers and employees are no prospects).
  Its touches are those of its contacts and of its account in [as-of - lookback, as-of].
- A customer contact on no deal (nor its account) with no interaction in [as-of - lookback,
  as-of] makes a touchless deal-less journey under the same key, unless that key already has
  a journey or an interaction in that window was logged against its account: one per key.
- Journeys come in order: deals by `row`, then deal-less journeys by their first interaction,
  then touchless ones by their first contact `row`; touches by time, then by interaction
  `row` (ties keep the canonical order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
from ibis import _

DIMENSION_COLUMNS = ("channel", "campaign", "type", "owner", "contact_id", "content", "direction")
"""Interaction columns the touches carry (`contact_id` is the `contact` dimension)."""


@dataclass(frozen=True)
class Inputs:
    """The tables a run's journeys are built from (schemas in `rel2rev.engine.frames`)."""

    interactions: ibis.Table
    contacts: ibis.Table
    deals: ibis.Table
    roles: ibis.Table
    leads: ibis.Table


@dataclass(frozen=True)
class JourneyExpressions:
    """The three results: ordered touches, per deal its earliest lead and whether linked,
    and the touchless deal-less journeys in order."""

    touches: ibis.Table
    deals: ibis.Table
    touchless: ibis.Table


def journey_expressions(
    t: Inputs, *, as_of: datetime, lookback_start: datetime
) -> JourneyExpressions:
    """Touches of every journey (`kind` 0: deal, 1: deal-less; `order`; `journey`; `row`;
    `at`; the dimension columns), sorted; the deals' facts (`deal_id`, `lead_at`, `linked`);
    and the touchless journeys (`order`, `journey`), sorted. `lookback_start` is as-of minus
    the lookback (deal-less journeys' start)."""
    i = t.interactions.filter(_.at < as_of)
    deals = t.deals.select("deal_id", "account_id", "start", "end", order=_.row)
    with_account = deals.filter(_.account_id.notnull())
    members = t.roles.select("deal_id", "contact_id").union(
        with_account.join(t.contacts, "account_id").select("deal_id", "contact_id"),
        distinct=True,
    )
    by_contact = members.join(i, "contact_id").select("deal_id", "row")
    by_account = with_account.join(i, "account_id").select("deal_id", "row")
    pairs = by_contact.union(by_account, distinct=True)
    columns = ["row", "at", *DIMENSION_COLUMNS]
    deal_touches = (
        pairs.join(deals.select("deal_id", "order", "start", "end"), "deal_id")
        .join(i, "row")
        .filter((_.at >= _.start) & (_.at <= _.end))
        .select(ibis.literal(0).name("kind"), "order", _.deal_id.name("journey"), *columns)
    )

    contacts = t.contacts.select(cid=_.contact_id, home=_.account_id, customer=_.customer)
    free = (
        i.left_join(contacts, i.contact_id == contacts.cid)
        .select(
            "row",
            "contact_id",
            acct=ibis.coalesce(_.account_id, _.home),
            customer=_.customer.fill_null(True),
        )
        .filter(_.customer)
        .anti_join(members.select("contact_id").distinct(), "contact_id")
    )
    covered = with_account.select(covered=_.account_id).distinct()
    free = free.anti_join(covered, free.acct == covered.covered)
    free = free.mutate(
        key=ibis.ifelse(
            free.acct.notnull(),
            ibis.literal("account:").concat(free.acct),
            ibis.literal("contact:").concat(free.contact_id),
        )
    )
    firsts = free.group_by("key").aggregate(order=_.row.min())
    group_contacts = free.select("key", "contact_id").distinct()
    group_accounts = free.filter(_.acct.notnull()).select("key", "acct").distinct()
    group_pairs = (
        group_contacts.join(i, "contact_id")
        .select("key", "row")
        .union(
            group_accounts.join(i, group_accounts.acct == i.account_id).select("key", "row"),
            distinct=True,
        )
    )
    free_touches = (
        group_pairs.join(firsts, "key")
        .join(i, "row")
        .filter(_.at >= lookback_start)
        .select(ibis.literal(1).name("kind"), "order", _.key.name("journey"), *columns)
    )
    touches = deal_touches.union(free_touches).order_by("kind", "order", "at", "row")

    window = i.filter(_.at >= lookback_start)
    touched_accounts = window.filter(_.account_id.notnull()).select(touched=_.account_id)
    idle = (
        t.contacts.filter(_.customer)
        .select("row", "contact_id", "account_id")
        .anti_join(members.select("contact_id").distinct(), "contact_id")
        .anti_join(window.select("contact_id").distinct(), "contact_id")
    )
    idle = idle.anti_join(covered, idle.account_id == covered.covered)
    touched = touched_accounts.distinct()
    idle = idle.anti_join(touched, idle.account_id == touched.touched)
    idle = idle.mutate(
        journey=ibis.ifelse(
            idle.account_id.notnull(),
            ibis.literal("account:").concat(idle.account_id),
            ibis.literal("contact:").concat(idle.contact_id),
        )
    )
    named = free_touches.select("journey").distinct()
    touchless = (
        idle.anti_join(named, "journey")
        .group_by("journey")
        .aggregate(order=_.row.min())
        .select("order", "journey")
        .order_by("order")
    )

    leads = t.leads
    lead_times = (
        members.join(leads, "contact_id")
        .select("deal_id", "at")
        .union(with_account.join(leads, "account_id").select("deal_id", "at"))
        .group_by("deal_id")
        .aggregate(lead_at=_.at.min())
    )
    ever = members.select("deal_id").union(
        with_account.join(i, "account_id").select("deal_id"), distinct=True
    )
    facts = (
        deals.select("deal_id", "order")
        .left_join(lead_times, "deal_id")
        .select("deal_id", "order", "lead_at")
        .left_join(ever.mutate(linked=True), "deal_id")
        .select("order", "deal_id", "lead_at", linked=_.linked.fill_null(False))
        .order_by("order")
    )
    return JourneyExpressions(touches=touches, deals=facts, touchless=touchless)
