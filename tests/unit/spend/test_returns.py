"""Spend against return on a run small enough to compute by hand (docs/costs.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from rel2rev.money import Money
from rel2rev.results.contracts import (
    AttributionResults,
    DealAttribution,
    DealTouch,
    DealTouches,
    DimensionTotal,
    FunnelResults,
    FunnelRow,
    RunParameters,
    RunRecord,
)
from rel2rev.spend import CostLine, months_between, returns_of

# Window: January and February 2026; the 31-day lookback adds December 2025.
RUN = RunRecord(
    run_id="run_x",
    workspace="acme",
    as_of=date(2026, 2, 28),
    window_start=datetime(2026, 1, 1, tzinfo=UTC),
    window_end=datetime(2026, 3, 1, tzinfo=UTC),
    parameters=RunParameters(window_days=59, lookback_days=31),
    created_at=datetime(2026, 3, 1, tzinfo=UTC),
)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def cost(month: str, channel: str, amount: str, campaign: str | None = None) -> CostLine:
    return CostLine(month=month, channel=channel, campaign=campaign, amount=eur(amount))


def touch(day: date, channel: str, campaign: str | None = None) -> DealTouch:
    return DealTouch(
        at=datetime(day.year, day.month, day.day, tzinfo=UTC), channel=channel, campaign=campaign
    )


ATTRIBUTION = AttributionResults(
    models=["linear"],
    dimensions=["channel", "campaign"],
    deals=[
        DealAttribution(
            deal_id="d1",
            amount=eur("1000.00"),
            touches=DealTouches.of(
                [touch(date(2025, 12, 20), "Paid", "spring"), touch(date(2026, 1, 10), "email")]
            ),
        ),
        DealAttribution(
            deal_id="d2",
            amount=Money.of("300.00", "USD"),
            touches=DealTouches.of([touch(date(2026, 2, 2), "email")]),
        ),
    ],
    totals=[
        DimensionTotal(model="linear", by="channel", value="email", amount=eur("500.00"),
                       conversions=0.5),
        DimensionTotal(model="linear", by="channel", value="Paid", amount=eur("500.00"),
                       conversions=0.5),
        DimensionTotal(model="linear", by="campaign", value="spring", amount=eur("500.00"),
                       conversions=0.5),
        DimensionTotal(model="linear", by="channel", value="email",
                       amount=Money.of("300.00", "USD"), conversions=1.0),
    ],
)  # fmt: skip
COSTS = [
    cost("2025-11", "email", "999.00"),  # before the spend period: ignored
    cost("2026-01", "email", "120.00"),
    cost("2026-02", "email", "80.00"),
    cost("2026-01", "paid", "250.00"),
    cost("2026-01", "paid", "50.00", campaign="spring"),
    cost("2026-02", "webinar", "80.00"),
]


def by(rows: list, **match: object) -> object:
    found = [r for r in rows if all(getattr(r, k) == v for k, v in match.items())]
    assert len(found) == 1, found
    return found[0]


def test_the_spend_period_is_the_lookback_and_the_window() -> None:
    result = returns_of(RUN, COSTS, ATTRIBUTION, None)
    assert (result.spend_from, result.spend_to, result.window_from) == (
        "2025-12",
        "2026-02",
        "2026-01",
    )
    assert result.cost_lines == 5
    assert result.spend == [eur("580.00")]


def test_a_covered_channel_gets_its_return() -> None:
    row = by(returns_of(RUN, COSTS, ATTRIBUTION, None).returns, value="email", currency="EUR")
    assert row.spend == eur("200.00")
    assert row.revenue == eur("500.00")
    assert (row.roas, row.roi) == (Decimal("2.5000"), Decimal("1.5000"))
    assert (row.months_costed, row.missing_months) == (2, [])


def test_no_return_where_a_touched_month_has_no_cost() -> None:
    rows = returns_of(RUN, COSTS, ATTRIBUTION, None).returns
    paid = by(rows, value="paid", by="channel")
    assert paid.spend == eur("300.00")  # the campaign's line is the channel's spend too
    assert paid.missing_months == ["2025-12"]
    assert (paid.roas, paid.roi) == (None, None)
    spring = by(rows, value="spring", by="campaign")
    assert (spring.spend, spring.revenue, spring.roas) == (eur("50.00"), eur("500.00"), None)


def test_spend_without_revenue_returns_nothing_and_revenue_without_costs_has_no_return() -> None:
    rows = returns_of(RUN, COSTS, ATTRIBUTION, None).returns
    webinar = by(rows, value="webinar")
    assert (webinar.revenue, webinar.roas, webinar.roi) == (eur("0"), Decimal(0), Decimal(-1))
    usd = by(rows, value="email", currency="USD")
    assert (usd.spend, usd.roas) == (None, None)
    assert usd.missing_months == ["2026-02"]


def test_revenue_ties_out_to_the_attribution_totals() -> None:
    rows = returns_of(RUN, COSTS, ATTRIBUTION, None).returns
    for currency in ("EUR", "USD"):
        credited = sum(
            (t.amount.amount for t in ATTRIBUTION.totals
             if t.by == "channel" and t.amount.currency == currency),
            Decimal(0),
        )  # fmt: skip
        shown = sum(
            (r.revenue.amount for r in rows if r.by == "channel" and r.currency == currency),
            Decimal(0),
        )
        assert shown == credited


def test_cost_per_qualified_relationship_needs_every_capture_month_costed() -> None:
    funnel = FunnelResults(
        rows=[
            FunnelRow(cohort="2026-01", by="channel", value="email", captured=3, qualified=2),
            FunnelRow(cohort="2026-02", by="channel", value="email", captured=1, qualified=1),
            FunnelRow(cohort="2026-02", by="channel", value="paid", captured=1, qualified=1),
            FunnelRow(cohort="2025-12", by="channel", value="paid", captured=4, qualified=4),
        ]
    )
    qualified = returns_of(RUN, COSTS, None, funnel).qualified
    email = by(qualified, value="email")
    assert (email.spend, email.qualified) == ([eur("200.00")], 3)
    assert email.cost_per_qualified == [eur("66.67")]  # 200 / 3, rounded half-even
    paid = by(qualified, value="paid")  # December is before the window: not its cohort
    assert (paid.qualified, paid.missing_months, paid.cost_per_qualified) == (1, ["2026-02"], [])
    assert by(qualified, value="webinar").qualified == 0


def test_months_between_crosses_years() -> None:
    start, end = datetime(2025, 11, 3, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    assert months_between(start, end) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_the_baseline_part_is_no_channel_and_has_no_return() -> None:
    organic = DimensionTotal(
        model="linear", by="channel", value="(baseline)", amount=eur("250.00"), conversions=0.2,
        baseline=True,
    )  # fmt: skip
    attribution = ATTRIBUTION.model_copy(update={"totals": [*ATTRIBUTION.totals, organic]})
    rows = returns_of(RUN, COSTS, attribution, None).returns
    assert "(baseline)" not in {r.value for r in rows}
    assert rows == returns_of(RUN, COSTS, ATTRIBUTION, None).returns
