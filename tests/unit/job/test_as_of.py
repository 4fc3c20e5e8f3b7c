"""A run as of a date sees only what was known then: records dated later change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rel2rev.job.compute import compute_results
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    ContactRole,
    Deal,
    DealRevision,
    DealStatus,
    Direction,
    Interaction,
    InteractionType,
    Lead,
    WorkspaceRecords,
)
from rel2rev.results.contracts import RunParameters, RunRecord, RunResults, new_run
from rel2rev.simulate import WorldConfig, simulate_world

END = datetime(2026, 6, 1, tzinfo=UTC)
AS_OF = date(2026, 3, 15)
CUT = datetime(2026, 3, 16, tzinfo=UTC)
"""The run as of AS_OF reads everything before midnight at its end."""


def _with_revisions(deal: Deal) -> Deal:
    """The deal's history as the store keeps it: opened, then (maybe) closed."""
    assert deal.created_at is not None
    opened = DealRevision(at=deal.created_at, stage="proposal", amount=deal.amount)
    if deal.status is DealStatus.OPEN or deal.closed_at is None:
        return deal.model_copy(update={"revisions": [opened], "updated_at": deal.created_at})
    closed = DealRevision(
        at=deal.closed_at,
        stage=deal.stage,
        status=deal.status,
        amount=deal.amount,
        closed_at=deal.closed_at,
    )
    return deal.model_copy(update={"revisions": [opened, closed], "updated_at": deal.closed_at})


@cache
def _world() -> WorkspaceRecords:
    records = simulate_world(
        WorldConfig(seed=11, workspace="acme", accounts=40, days=200, end=END)
    ).records
    deals = [_with_revisions(d) for d in records.deals]
    return records.model_copy(update={"deals": deals})


@pytest.fixture(scope="module")
def world() -> WorkspaceRecords:
    return _world()


@pytest.fixture(scope="module")
def run() -> RunRecord:
    return new_run("acme", AS_OF, RunParameters(window_days=180), trigger="cli", now=END)


def _comparable(results: RunResults) -> dict[str, Any]:
    """Every result of a run, without its timings."""
    dumped = results.model_dump(mode="json")
    dumped["run"] = {k: dumped["run"][k] for k in ("counts", "window_start", "window_end")}
    return dumped


@pytest.fixture(scope="module")
def baseline(world: WorkspaceRecords, run: RunRecord) -> dict[str, Any]:
    results = compute_results(world, run)
    assert all(s.status.value == "ok" for s in results.run.sections)
    return _comparable(results)


def test_the_world_has_deals_that_close_after_the_cut(world: WorkspaceRecords) -> None:
    later = [d for d in world.deals if d.closed_at is not None and d.closed_at >= CUT]
    before = [d for d in world.deals if d.closed_at is not None and d.closed_at < CUT]
    assert later
    assert before
    assert any(d.created_at is not None and d.created_at < CUT for d in later)


moments = st.integers(0, 80 * 24 * 3600).map(lambda s: CUT + timedelta(seconds=s))


@st.composite
def future(draw: st.DrawFn) -> WorkspaceRecords:
    """The world plus arbitrary records and changes dated at or after the cut."""
    world = _world()
    contacts = list(world.contacts)
    interactions = list(world.interactions)
    leads = list(world.leads)
    deals = list(world.deals)
    known = [c.contact_id for c in world.contacts]
    accounts = sorted({c.account_id for c in world.contacts if c.account_id})
    base = {"workspace": "acme", "source": "generic"}
    for n in range(draw(st.integers(0, 4))):
        at = draw(moments)
        account = draw(st.sampled_from([*accounts, None]))
        contacts.append(
            Contact(**base, updated_at=at, contact_id=f"new{n}", account_id=account, created_at=at)
        )
        known.append(f"new{n}")
    for n in range(draw(st.integers(0, 12))):
        at = draw(moments)
        interactions.append(
            Interaction(
                **base,
                updated_at=at,
                interaction_id=f"late{n}",
                contact_id=draw(st.sampled_from(known)),
                account_id=draw(st.sampled_from([*accounts, None])),
                type=draw(st.sampled_from(list(InteractionType))),
                direction=draw(st.sampled_from(list(Direction))),
                channel=draw(st.sampled_from(["email", "linkedin_dm", "meeting", "brand-new"])),
                occurred_at=at,
                cost=draw(st.none() | st.just(Money.of("9.99", "EUR"))),
            )
        )
    for n in range(draw(st.integers(0, 3))):
        at = draw(moments)
        leads.append(
            Lead(**base, updated_at=at, lead_id=f"lead{n}", contact_id=draw(st.sampled_from(known)),
                 account_id=draw(st.sampled_from([*accounts, None])), created_at=at)
        )  # fmt: skip
    for n in range(draw(st.integers(0, 3))):
        opened = draw(moments)
        status = draw(st.sampled_from(list(DealStatus)))
        closed = opened + timedelta(days=draw(st.integers(0, 30))) if status != "open" else None
        amount = Money.of(draw(st.sampled_from(["10.00", "999999.99"])), "EUR")
        deals.append(
            Deal(**base, updated_at=closed or opened, deal_id=f"future{n}",
                 account_id=draw(st.sampled_from(accounts)), amount=amount, status=status,
                 created_at=opened, closed_at=closed,
                 contact_roles=[ContactRole(contact_id=draw(st.sampled_from(known)))])
        )  # fmt: skip
    for index in draw(st.lists(st.integers(0, len(deals) - 1), max_size=6, unique=True)):
        deal = deals[index]
        at = max([draw(moments), *(r.at for r in deal.revisions)])
        status = draw(st.sampled_from(list(DealStatus)))
        change = DealRevision(
            at=at,
            stage=draw(st.sampled_from(["closedwon", "renegotiation", None])),
            status=status,
            amount=Money.of(draw(st.sampled_from(["1.00", "123456.78"])), "USD"),
            closed_at=None if status == "open" else at,
        )
        deals[index] = deal.model_copy(
            update={
                "stage": change.stage,
                "status": change.status,
                "amount": change.amount,
                "closed_at": change.closed_at,
                "updated_at": at,
                "revisions": [*deal.revisions, change],
            }
        )
    return WorkspaceRecords(
        workspace="acme", contacts=contacts, interactions=interactions, leads=leads, deals=deals
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(later=future())
def test_records_dated_after_as_of_change_no_result(
    run: RunRecord, baseline: dict[str, Any], later: WorkspaceRecords
) -> None:
    assert _comparable(compute_results(later, run)) == baseline


def test_a_deal_won_after_as_of_is_open_in_every_section(
    world: WorkspaceRecords, run: RunRecord
) -> None:
    """The issue's example, through the whole run: won after as-of, a touch in between."""
    contact = world.contacts[0]
    deal = Deal(
        workspace="acme",
        source="generic",
        updated_at=CUT + timedelta(days=8),
        deal_id="won-later",
        account_id=contact.account_id,
        amount=Money.of("5000.00", "EUR"),
        status=DealStatus.WON,
        created_at=CUT - timedelta(days=20),
        closed_at=CUT + timedelta(days=8),
        contact_roles=[ContactRole(contact_id=contact.contact_id)],
    )
    touch = Interaction(
        workspace="acme",
        source="generic",
        updated_at=CUT + timedelta(days=3),
        interaction_id="between",
        contact_id=contact.contact_id,
        type=InteractionType.MEETING,
        direction=Direction.OUTBOUND,
        channel="meeting",
        occurred_at=CUT + timedelta(days=3),
    )
    records = world.model_copy(
        update={"deals": [*world.deals, deal], "interactions": [*world.interactions, touch]}
    )
    results = compute_results(records, run)
    assert results.attribution is not None
    assert "won-later" not in {d.deal_id for d in results.attribution.deals}
    assert "won-later" not in {x.deal_id for x in results.attribution.lines}
    assert results.relationships is not None
    (rel,) = [r for r in results.relationships if r.contact_id == contact.contact_id]
    assert "between" not in {t.interaction_id for t in rel.timeline}
