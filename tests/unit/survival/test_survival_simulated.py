"""Survival on worlds simulated with known effects, through records → spells → models."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from rel2rev.funnel import QualificationConfig
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    Deal,
    DealStatus,
    Direction,
    Interaction,
    InteractionType,
    Lead,
    StakeholderType,
    WorkspaceRecords,
)
from rel2rev.survival import competing_risks, survival_analysis, survival_drivers

T0 = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = T0 + timedelta(days=200)


def _interaction(n: str, contact: str, direction: Direction, at: datetime) -> Interaction:
    return Interaction(
        workspace="w", source="generic", updated_at=at, interaction_id=n, contact_id=contact,
        type=InteractionType.COMMENT if direction is Direction.INBOUND else InteractionType.MEETING,
        direction=direction, channel="linkedin", occurred_at=at,
    )  # fmt: skip


def simulate(n: int, seed: int, *, partner_hr: float, meeting_hr: float) -> WorkspaceRecords:
    """Leads a day after capture; won with a base mean of 40 days, × `partner_hr` for partners
    and × `meeting_hr` after the company's first meeting (at a uniform day in 0..30); lost with
    an unrelated competing hazard (mean 120 days)."""
    rng = np.random.default_rng(seed)
    contacts, interactions, leads, deals = [], [], [], []
    for i in range(n):
        cid = f"c{i}"
        partner = rng.random() < 0.4
        owner = "ann" if rng.random() < 0.5 else "bob"
        captured = T0 + timedelta(days=float(rng.uniform(0, 60)))
        lead_at = captured + timedelta(days=1)
        rate = (1 / 40) * (partner_hr if partner else 1.0)
        meeting = float(rng.uniform(0, 30))
        first = rng.exponential(1 / rate)
        won_after = first if first < meeting else meeting + rng.exponential(1 / (rate * meeting_hr))
        lost_after = rng.exponential(120.0)
        stakeholder = StakeholderType.PARTNER if partner else StakeholderType.CUSTOMER
        contacts.append(
            Contact(workspace="w", source="generic", updated_at=captured, contact_id=cid,
                    account_id=f"a{i}", owner=owner, stakeholder_type=stakeholder)
        )  # fmt: skip
        interactions.append(_interaction(f"{cid}-in", cid, Direction.INBOUND, captured))
        if meeting_hr != 1.0:
            at = lead_at + timedelta(days=meeting)
            interactions.append(_interaction(f"{cid}-out", cid, Direction.OUTBOUND, at))
        leads.append(
            Lead(workspace="w", source="generic", updated_at=lead_at, lead_id=f"l{i}",
                 contact_id=cid, created_at=lead_at)
        )  # fmt: skip
        won = won_after < lost_after
        deals.append(
            Deal(workspace="w", source="generic", updated_at=lead_at, deal_id=f"d{i}",
                 account_id=f"a{i}", amount=Money.of("100", "EUR"),
                 status=DealStatus.WON if won else DealStatus.LOST, created_at=lead_at,
                 closed_at=lead_at + timedelta(days=float(min(won_after, lost_after))))
        )  # fmt: skip
    interactions = [i for i in interactions if i.occurred_at <= AS_OF]
    return WorkspaceRecords(
        workspace="w", contacts=contacts, interactions=interactions, leads=leads, deals=deals
    )


def test_cox_recovers_known_hazard_ratios_within_their_confidence_intervals() -> None:
    records = simulate(700, 11, partner_hr=2.0, meeting_hr=1.0)
    report = survival_drivers(records, as_of=AS_OF, transition="lead_to_won")
    assert report.insufficient is None
    ratios = {h.feature: h for h in report.hazard_ratios}
    assert set(ratios) == {"stakeholder=partner", "owner=bob"} or set(ratios) == {
        "stakeholder=partner", "owner=ann",
    }  # fmt: skip
    partner = ratios["stakeholder=partner"]
    assert partner.lower < 2.0 < partner.upper
    assert partner.lower > 1.0  # the effect is detected, not just not contradicted
    owner = next(h for k, h in ratios.items() if k.startswith("owner="))
    assert owner.lower < 1.0 < owner.upper
    assert report.concordance is not None
    assert 0.5 < report.concordance < 1
    assert "reciprocal" in report.dropped  # constant in this world, named not hidden


def test_time_varying_cox_recovers_the_effect_of_accumulating_touches() -> None:
    records = simulate(900, 5, partner_hr=1.0, meeting_hr=3.0)
    report = survival_drivers(records, as_of=AS_OF, transition="lead_to_won", time_varying=True)
    assert report.insufficient is None
    assert report.features == ["log_count_outbound"]
    assert report.dropped["reciprocal"] == "collinear with other features"
    (effect,) = report.hazard_ratios
    true_coef = math.log(3.0) / math.log(2.0)  # one meeting moves log(1 + count) by log 2
    half_width = 1.96 * effect.se
    assert effect.coef - half_width < true_coef < effect.coef + half_width


def test_kaplan_meier_segments_and_competing_risks_on_the_simulated_world() -> None:
    records = simulate(400, 3, partner_hr=2.0, meeting_hr=1.0)
    report = survival_analysis(records, as_of=AS_OF, transition="lead_to_won", by="stakeholder")
    medians = {c.segment: c.median for c in report.segments}
    assert set(medians) == {"customer", "partner"}
    assert medians["partner"] is not None
    assert medians["customer"] is not None
    assert medians["partner"] < medians["customer"]  # faster wins for partners
    assert report.n == 400
    assert report.events + report.censored == report.n
    first = report.overall.points[0]
    assert first.lower is not None
    assert first.upper is not None
    assert first.lower <= first.estimate <= first.upper
    assert report.rows()[0]["segment"] is None
    cr = competing_risks(records, as_of=AS_OF)
    assert cr.insufficient is None
    assert (cr.won, cr.lost) == (report.events, cr.n - report.events - cr.censored)
    final_won, final_lost = cr.won_incidence[-1].estimate, cr.lost_incidence[-1].estimate
    assert final_won + final_lost <= 1.0
    assert final_won > final_lost  # the win hazard is 3-6× the loss hazard
    assert final_won == pytest.approx(1.0 - report.overall.points[-1].estimate, abs=0.25)


def test_capture_to_qualified_and_qualified_to_lead_run_on_records() -> None:
    records = simulate(60, 2, partner_hr=1.0, meeting_hr=3.0)
    config = QualificationConfig(threshold=6, lapse_threshold=3)  # comment 2 + meeting 5 ≥ 6
    first = {
        i.contact_id: i.occurred_at
        for i in records.interactions
        if i.direction is Direction.INBOUND
    }
    met = sum(  # the comment has decayed below 1 point after one half-life (30 days)
        1
        for i in records.interactions
        if i.direction is Direction.OUTBOUND
        and 2 * 2 ** (-(i.occurred_at - first[i.contact_id]) / timedelta(days=30)) + 5 >= 6
    )
    assert 0 < met < 60
    qualified = survival_analysis(
        records, as_of=AS_OF, transition="capture_to_qualified", config=config
    )
    assert (qualified.n, qualified.events, qualified.censored) == (60, met, 60 - met)
    assert qualified.overall.median is not None
    # Everyone became a lead a day after capture, before qualifying: not this transition.
    to_lead = survival_analysis(records, as_of=AS_OF, transition="qualified_to_lead", config=config)
    assert (to_lead.n, to_lead.excluded) == (0, met)
    assert to_lead.overall.insufficient is not None


def test_a_deal_won_after_as_of_leaves_its_lead_open_and_at_risk() -> None:
    records = simulate(40, 9, partner_hr=1.0, meeting_hr=1.0)
    as_of = T0 + timedelta(days=70)
    late = [d for d in records.deals if d.closed_at is not None and d.closed_at > as_of]
    assert late  # some deals close after as-of in this world
    report = survival_analysis(records, as_of=as_of, transition="lead_to_won")
    early = [d for d in records.deals if d.closed_at is not None and d.closed_at <= as_of]
    won_early = sum(1 for d in early if d.status is DealStatus.WON)
    started = sum(1 for lead in records.leads if lead.created_at and lead.created_at <= as_of)
    assert (report.n, report.events) == (started, won_early)
    last = report.overall.points[-1]
    # Leads still open at as-of are censored at their time since lead, not counted as wins.
    assert report.censored == started - won_early
    assert sum(p.censored for p in report.overall.points) == report.censored
    assert sum(p.events for p in report.overall.points) == won_early
    assert last.time <= 70
