"""Funnel counts on a small world whose answers are worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rel2rev.errors import UnprocessableError
from rel2rev.funnel import account_stages, contact_stages, funnel_metrics, qualify
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    ContactRole,
    Deal,
    DealStatus,
    Direction,
    Interaction,
    InteractionType,
    Lead,
    StakeholderType,
    WorkspaceRecords,
)

IN, OUT = Direction.INBOUND, Direction.OUTBOUND
AS_OF = datetime(2026, 4, 15, tzinfo=UTC)
PERIOD = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
BASE = {"workspace": "w", "source": "generic", "updated_at": AS_OF}


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def touch(n, contact, kind, direction, when, channel, cost=None, campaign=None, owner=None):
    return Interaction(
        **BASE,
        interaction_id=f"i{n}",
        contact_id=contact,
        type=kind,
        direction=direction,
        channel=channel,
        occurred_at=when,
        cost=Money.of(cost, "EUR") if cost else None,
        campaign=campaign,
        owner=owner,
    )


def world() -> WorkspaceRecords:
    """c1 (A, linkedin, ann) qualifies on Jan 6, lead Jan 10; c2 (A, email, bob, partner) is the
    contact role of deal D1 (A, opened Feb 1, won Mar 1, 1000 EUR); c3 (B, linkedin, ann) only
    likes, deal D2 (B, opened Feb 12, lost Mar 15, 500 USD); c4 (no account, webinar) views."""
    contacts = [
        Contact(**BASE, contact_id="c1", account_id="A", owner="ann"),
        Contact(**BASE, contact_id="c2", account_id="A", owner="bob",
                stakeholder_type=StakeholderType.PARTNER),
        Contact(**BASE, contact_id="c3", account_id="B", owner="ann"),
        Contact(**BASE, contact_id="c4", stakeholder_type=StakeholderType.SUPPLIER),
    ]  # fmt: skip
    interactions = [
        touch(1, "c1", InteractionType.COMMENT, IN, at(1, 5), "linkedin", "20", "spring"),
        touch(2, "c1", InteractionType.MEETING, OUT, at(1, 6, 9), "linkedin", "30", owner="ann"),
        touch(3, "c1", InteractionType.MEETING, IN, at(1, 6), "linkedin"),
        touch(4, "c2", InteractionType.EMAIL_REPLY, IN, at(1, 20), "email"),
        touch(5, "c3", InteractionType.LIKE, IN, at(2, 10), "linkedin"),
        touch(6, "c3", InteractionType.LIKE, IN, at(2, 11), "linkedin"),
        touch(7, "c4", InteractionType.VIEW, IN, at(3, 20), "webinar"),
        touch(8, "c1", InteractionType.DM, IN, at(4, 10), "linkedin"),  # after the period
    ]
    leads = [Lead(**BASE, lead_id="L1", contact_id="c1", created_at=at(1, 10))]
    deals = [
        Deal(**BASE, deal_id="D1", account_id="A", amount=Money.of("1000", "EUR"),
             status=DealStatus.WON, created_at=at(2, 1), closed_at=at(3, 1),
             contact_roles=[ContactRole(contact_id="c2")]),
        Deal(**BASE, deal_id="D2", account_id="B", amount=Money.of("500", "USD"),
             status=DealStatus.LOST, created_at=at(2, 12), closed_at=at(3, 15)),
        Deal(**BASE, deal_id="D3", account_id="B", amount=Money.of("700", "USD"),
             status=DealStatus.WON, created_at=at(2, 12), closed_at=at(5, 1)),  # after as_of
    ]  # fmt: skip
    return WorkspaceRecords(
        workspace="w", contacts=contacts, interactions=interactions, leads=leads, deals=deals
    )


def test_stage_moments_per_contact_and_account() -> None:
    records = world()
    stages = {
        s.contact_id: s for s in contact_stages(records, qualify(records, as_of=AS_OF), as_of=AS_OF)
    }
    c1 = stages["c1"]
    # Jan 5 comment 2, Jan 6 09:00 meeting out 5 → 2e^(−23/24/30)+5 < 10; 10:00 meeting in → ≥ 10.
    assert (c1.captured_at, c1.qualified_at, c1.lead_at) == (at(1, 5), at(1, 6), at(1, 10))
    assert (c1.opportunity_at, c1.won_at, c1.lost_at) == (at(2, 1), at(3, 1), None)
    assert (c1.channel, c1.campaign) == ("linkedin", "spring")
    # Stages are cumulative: an opportunity with no earlier lead is the lead moment too.
    assert (stages["c2"].lead_at, stages["c3"].lead_at) == (at(2, 1), at(2, 12))
    assert stages["c3"].lost_at == at(3, 15)
    assert stages["c3"].won_at is None  # D3 closes after as_of
    assert stages["c4"].opportunity_at is None
    accounts = {a.account_id: a for a in account_stages(records, stages.values(), as_of=AS_OF)}
    assert accounts["A"].contacts == 2
    assert accounts["A"].won_revenue == [Money.of("1000", "EUR")]
    assert (accounts["B"].lost_at, accounts["B"].won_revenue) == (at(3, 15), [])


def test_total_funnel_by_event_date() -> None:
    report = funnel_metrics(world(), as_of=AS_OF, period=PERIOD)
    total = report.total
    assert total.counts.model_dump() == {
        "captured": 4, "qualified": 1, "lead": 3, "opportunity": 3, "won": 2, "lost": 1,
    }  # fmt: skip
    assert total.conversion["captured_to_qualified"] == 0.25
    assert total.conversion["lead_to_opportunity"] == 1.0  # event basis: ratio of period counts
    assert total.win_rate == pytest.approx(2 / 3)
    assert total.median_days["captured_to_qualified"] == 1.0
    assert total.median_days["opportunity_to_won"] == 28.0
    assert total.revenue == [Money.of("1000", "EUR")]
    assert total.revenue_per_qualified == [Money.of("1000", "EUR")]
    assert total.cost == [Money.of("50", "EUR")]
    assert total.costed_interactions == 2  # i1 (EUR 20) and i2 (EUR 30): what `cost` covers
    assert total.return_on_relationships == {"EUR": Decimal("20.0000")}
    # i8 is after the period; reactions: 2 likes + 1 view; exchanges: i1 and i3 were answered?
    # i1 (Jan 5) is answered by i2 (Jan 6 09:00); i3 comes after it and is never answered.
    assert total.engagement.model_dump() == {
        "reactions": 3, "conversations": 4, "signals": 0, "exchanges": 1, "reciprocal": 1,
    }  # fmt: skip
    assert report.segments == []


def test_split_by_capture_channel_credits_revenue_to_the_primary_relationship() -> None:
    report = funnel_metrics(world(), as_of=AS_OF, period=PERIOD, by="channel")
    rows = {r.segment: r for r in report.segments}
    assert set(rows) == {"email", "linkedin", "webinar"}
    assert rows["linkedin"].counts.model_dump() == {
        "captured": 2, "qualified": 1, "lead": 2, "opportunity": 2, "won": 1, "lost": 1,
    }  # fmt: skip
    assert rows["email"].revenue == [Money.of("1000", "EUR")]  # D1's contact role is c2
    assert rows["linkedin"].revenue == []
    assert rows["linkedin"].cost == [Money.of("50", "EUR")]
    assert rows["linkedin"].return_on_relationships == {}
    assert rows["webinar"].conversion["captured_to_qualified"] == 0.0


def test_capture_cohorts_follow_relationships_to_as_of() -> None:
    report = funnel_metrics(world(), as_of=AS_OF, period=PERIOD, cohort="month", by="owner")
    cells = {(r.cohort, r.segment): r.counts for r in report.segments}
    assert set(cells) == {("2026-01", "ann"), ("2026-01", "bob"), ("2026-02", "ann"),
                          ("2026-03", "(none)")}  # fmt: skip
    assert cells[("2026-01", "ann")].won == 1
    assert report.total.counts.captured == 4
    assert report.total.engagement.conversations == 5  # the April DM counts for the cohort


def test_rows_are_flat_and_the_report_serialises_to_json() -> None:
    report = funnel_metrics(world(), as_of=AS_OF, period=PERIOD, by="stakeholder")
    rows = report.rows()
    assert [r["segment"] for r in rows] == ["customer", "partner", "supplier", None]
    assert rows[-1]["revenue_eur"] == "1000.00"
    assert "revenue_usd" not in rows[-1]  # lost deals book no revenue
    assert rows[-1]["return_on_relationships_eur"] == "20.0000"
    assert all(not isinstance(v, dict | list) for r in rows for v in r.values())
    assert json.loads(report.model_dump_json())["total"]["counts"]["won"] == 2


def test_response_times_per_owner_and_channel() -> None:
    report = funnel_metrics(world(), as_of=AS_OF, period=PERIOD)
    by_key = {(r.owner, r.channel): r for r in report.response_times}
    ann = by_key[("ann", "linkedin")]
    assert (ann.inbound, ann.answered, ann.median_hours) == (1, 1, 23.0)
    assert by_key[("(none)", "email")].answered == 0


def test_an_empty_period_is_rejected() -> None:
    with pytest.raises(UnprocessableError, match="period"):
        funnel_metrics(world(), as_of=AS_OF, period=(PERIOD[1], PERIOD[0]))
