"""Every figure of a run ties out: per currency, model and dimension, credited + unattributed =
won, to the cent; the funnel and the relationships sum to the same won revenue."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from rel2rev.attribution.baseline import BASELINE
from rel2rev.job.compute import compute_results
from rel2rev.money import Money
from rel2rev.records import Contact, ContactRole, Deal, DealStatus, WorkspaceRecords
from rel2rev.results.contracts import ALL_MODELS, RunParameters, RunResults, new_run
from rel2rev.simulate import WorldConfig, simulate_world

END = datetime(2026, 6, 1, tzinfo=UTC)
DIMENSIONS = ("channel", "campaign", "owner", "type", "content")


def _won(deal_id: str, account: str | None, amount: Money | None, roles: list[str]) -> Deal:
    return Deal(
        workspace="acme",
        source="generic",
        updated_at=END - timedelta(days=5),
        deal_id=deal_id,
        account_id=account,
        amount=amount,
        status=DealStatus.WON,
        created_at=END - timedelta(days=30),
        closed_at=END - timedelta(days=5),
        contact_roles=[ContactRole(contact_id=c) for c in roles],
    )


@pytest.fixture(scope="module")
def world() -> WorkspaceRecords:
    """A simulated world (EUR and USD deals) plus won deals no model can credit."""
    records = simulate_world(
        WorldConfig(seed=21, workspace="acme", accounts=80, days=240, end=END)
    ).records
    silent = Contact(
        workspace="acme",
        source="generic",
        updated_at=END - timedelta(days=400),
        contact_id="silent",
        account_id="quiet.example",
        created_at=END - timedelta(days=400),
    )
    touched = next(d for d in records.deals if d.contact_roles)  # its people have touches
    people = [r.contact_id for r in touched.contact_roles]
    extra = [
        _won("zero", touched.account_id, Money.of("0.00", "EUR"), people),  # nothing to split
        _won("orphan", None, Money.of("1234.56", "EUR"), []),  # nobody linked
        _won("quiet", "quiet.example", Money.of("999999999.99", "EUR"), []),  # no touch
        _won("free", "quiet.example", None, ["silent"]),  # won without an amount
        _won("yen", None, Money.of("120000", "JPY"), ["silent"]),  # a third currency
    ]
    return records.model_copy(
        update={"contacts": [*records.contacts, silent], "deals": [*records.deals, *extra]}
    )


@pytest.fixture(scope="module")
def results(world: WorkspaceRecords) -> RunResults:
    parameters = RunParameters(models=ALL_MODELS, attribution_by=DIMENSIONS)
    run = new_run("acme", date(2026, 5, 31), parameters, trigger="cli", now=END)
    results = compute_results(world, run)
    assert [s.name for s in results.run.sections if s.status.value != "ok"] == []
    return results


def _won_in_window(world: WorkspaceRecords, results: RunResults) -> dict[str, Decimal]:
    run = results.run
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for deal in world.deals:
        closed = deal.closed_at
        won = deal.status is DealStatus.WON and deal.amount is not None and closed is not None
        if won and run.window_start <= closed < run.window_end:  # type: ignore[operator]
            sums[deal.amount.currency] += deal.amount.amount  # type: ignore[union-attr]
    return dict(sums)


def test_every_model_dimension_and_currency_ties_out(
    world: WorkspaceRecords, results: RunResults
) -> None:
    attribution = results.attribution
    assert attribution is not None
    won = _won_in_window(world, results)
    assert set(won) == {"EUR", "USD", "JPY"}
    assert {m.currency: m.amount for m in attribution.won} == won
    rows = {(r.model, r.by, r.currency): r for r in attribution.reconciliation}
    assert len(rows) == len(ALL_MODELS) * len(DIMENSIONS) * 3
    for (model, by, currency), row in rows.items():
        assert row.won.amount == won[currency]
        assert row.credited.amount + row.unattributed.amount == row.won.amount, (model, by)
        credited = sum(
            (x.amount.amount for x in attribution.lines
             if (x.model, x.by, x.amount.currency) == (model, by, currency)),
            Decimal(0),
        )  # fmt: skip
        assert credited == row.credited.amount
        totals = sum(
            (t.amount.amount for t in attribution.totals
             if (t.model, t.by, t.amount.currency) == (model, by, currency)),
            Decimal(0),
        )  # fmt: skip
        assert totals == credited


def test_every_won_deal_appears_exactly_once_per_model_and_dimension(
    results: RunResults,
) -> None:
    attribution = results.attribution
    assert attribution is not None
    amounts = {d.deal_id: d.amount for d in attribution.deals}
    assert {"orphan", "quiet", "free", "yen"} <= amounts.keys()
    credited: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for line in attribution.lines:
        assert line.amount.amount >= 0
        assert line.share > 0
        credited[(line.model, line.by, line.deal_id)] += line.amount.amount
    gaps = Counter((g.model, g.by, g.deal_id) for g in attribution.unattributed)
    assert max(gaps.values()) == 1
    for model in ALL_MODELS:
        for by in DIMENSIONS:
            for deal_id, amount in amounts.items():
                key = (model, by, deal_id)
                assert (key in credited) != (key in gaps), key
                if key in credited:
                    assert amount is not None
                    assert credited[key] == amount.amount, key
    reasons = {(g.deal_id, g.reason) for g in attribution.unattributed}
    assert {
        ("orphan", "no_linked_contact"),
        ("quiet", "no_touch_in_lookback"),
        ("free", "no_amount"),
        ("yen", "no_touch_in_lookback"),
        ("zero", "no_amount"),
    } <= reasons


def test_won_deals_carry_what_finance_joins_on(
    world: WorkspaceRecords, results: RunResults
) -> None:
    """Name, account and stage of every won deal, as the records have them at the as-of."""
    attribution = results.attribution
    assert attribution is not None
    records = {d.deal_id: d for d in world.deals}
    assert attribution.deals
    for deal in attribution.deals:
        record = records[deal.deal_id]
        assert (deal.name, deal.account_id, deal.stage) == (
            record.name, record.account_id, record.stage,
        )  # fmt: skip
    assert any(deal.name for deal in attribution.deals), "the simulator names its deals"


def test_no_line_without_money_and_shares_shown_rounded(results: RunResults) -> None:
    """A line carries at least one minor unit; its share is rounded to 6 decimals (a share
    below 1e-6 keeps 6 significant digits, never 0)."""
    attribution = results.attribution
    assert attribution is not None
    for line in attribution.lines:
        assert line.amount.amount > 0, line
        assert line.share > 0, line
        assert line.share == round(line.share, 6) or line.share < 1e-6, line
    assert "zero" not in {line.deal_id for line in attribution.lines}


def test_shares_and_conversions_are_never_negative(results: RunResults) -> None:
    attribution = results.attribution
    assert attribution is not None
    assert min(c.share for c in attribution.comparison) >= 0
    assert min(t.conversions for t in attribution.totals) >= 0


def test_funnel_and_relationships_sum_to_the_same_won_revenue(
    world: WorkspaceRecords, results: RunResults
) -> None:
    funnel, relationships = results.funnel, results.relationships
    assert funnel is not None
    assert relationships is not None
    won = _won_in_window(world, results)
    assert {m.currency: m.amount for m in funnel.won} == won
    placed: dict[str, Decimal] = defaultdict(Decimal)
    for row in funnel.rows:
        if row.by is None:
            for money in row.revenue:
                placed[money.currency] += money.amount
    for unplaced in funnel.unplaced:
        for money in unplaced.revenue:
            placed[money.currency] += money.amount
    assert dict(placed) == won
    for by in ("channel", "owner", "stakeholder"):
        split: dict[str, Decimal] = defaultdict(Decimal)
        for row in funnel.rows:
            if row.by == by:
                for money in row.revenue:
                    split[money.currency] += money.amount
        overall = {c: placed[c] - sum((m.amount for u in funnel.unplaced for m in u.revenue
                                       if m.currency == c), Decimal(0)) for c in won}  # fmt: skip
        assert {c: split.get(c, Decimal(0)) for c in won} == overall, by
    credited: dict[str, Decimal] = defaultdict(Decimal)
    for rel in relationships:
        for money in rel.revenue:
            credited[money.currency] += money.amount
    uncaptured: dict[str, Decimal] = defaultdict(Decimal)
    for unplaced in funnel.unplaced:
        if unplaced.reason == "no_captured_contact":
            for money in unplaced.revenue:
                uncaptured[money.currency] += money.amount
    assert uncaptured["EUR"] >= Decimal("1234.56")  # the orphan deal
    for currency, amount in won.items():
        assert credited[currency] + uncaptured[currency] == amount, currency
    overlapping = sum((m.amount for r in relationships for m in r.deals_revenue), Decimal(0))
    assert overlapping > sum(credited.values()), "committees overlap: never summed"


def test_won_deals_and_relationships_on_won_deals_are_counted_apart(
    results: RunResults,
) -> None:
    funnel = results.funnel
    assert funnel is not None
    relationships_on_won = sum(r.won for r in funnel.rows if r.by is None)
    assert funnel.won_deals == results.run.counts.won_deals
    assert relationships_on_won > funnel.won_deals


def test_open_pipeline_is_split_from_the_open_deals(
    world: WorkspaceRecords, results: RunResults
) -> None:
    """Open deals' amounts, split over the channels that touched them: per currency, at most
    what the open deals hold (an untouched open deal is not influenced), never negative."""
    attribution = results.attribution
    assert attribution is not None
    assert attribution.pipeline, "the simulated world has open deals with touches"
    open_amounts: dict[str, Decimal] = defaultdict(Decimal)
    for deal in world.deals:
        if deal.status is DealStatus.OPEN and deal.amount is not None:
            open_amounts[deal.amount.currency] += deal.amount.amount
    influenced: dict[str, Decimal] = defaultdict(Decimal)
    for row in attribution.pipeline:
        assert row.by == "channel"
        assert row.amount.amount > 0
        assert row.deals > 0
        influenced[row.amount.currency] += row.amount.amount
    for currency, amount in influenced.items():
        assert amount <= open_amounts[currency], currency


def test_each_won_deal_carries_its_committee_and_the_touches_credited(
    world: WorkspaceRecords, results: RunResults
) -> None:
    """A deal's story: its contact roles, and its touches in time order, one per touch the
    models split its amount over (a deal without touches is credited to the baseline only)."""
    attribution = results.attribution
    assert attribution is not None
    records = {d.deal_id: d for d in world.deals}
    lines = attribution.lines
    credited = {
        deal
        for deal, value in zip(lines.column("deal_id"), lines.column("value"), strict=True)
        if value != BASELINE
    }
    for deal in attribution.deals:
        roles = [(r.contact_id, r.role) for r in records[deal.deal_id].contact_roles]
        assert [(m.contact_id, m.role) for m in deal.committee] == roles
        times = [t.at for t in deal.touches]
        assert times == sorted(t for t in times if t is not None)
        assert all(t.channel for t in deal.touches)
        if deal.deal_id in credited:
            assert deal.touches, deal.deal_id
    assert not {d.deal_id for d in attribution.deals if not d.touches} & credited
    assert next(d for d in attribution.deals if d.deal_id == "quiet").touches == []
