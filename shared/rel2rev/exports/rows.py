"""Flatten a `RunResults` into the rows of every export table (empty for failed sections)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from rel2rev.exports.schema import ExportRow
from rel2rev.exports.tables import (
    AttributionComparisonRow,
    AttributionDealRow,
    AttributionFailureRow,
    AttributionTotalRow,
    CompetingRiskRow,
    DriverRow,
    FunnelDelayRow,
    FunnelMoneyRow,
    FunnelRow,
    RelationshipRevenueRow,
    RelationshipRow,
    RunSectionRow,
    RunSummaryRow,
    SurvivalCurveRow,
    SurvivalSummaryRow,
)
from rel2rev.job.results import RunResults
from rel2rev.money import Money


def _per_currency(
    revenue: Iterable[Money], cost: Iterable[Money]
) -> dict[str, tuple[Decimal, Decimal]]:
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for money in revenue:
        sums[money.currency][0] += money.amount
    for money in cost:
        sums[money.currency][1] += money.amount
    return {currency: (r, c) for currency, (r, c) in sorted(sums.items())}


def run_rows(results: RunResults) -> list[ExportRow]:
    """The single run_summary row."""
    run, counts = results.run, results.run.counts
    return [
        RunSummaryRow(
            run_id=run.run_id,
            workspace=run.workspace,
            as_of=run.as_of,
            window_start=run.window_start,
            window_end=run.window_end,
            trigger=run.trigger,
            status=run.status.value,
            started_at=run.started_at,
            finished_at=run.finished_at,
            seconds=run.seconds,
            window_days=run.parameters.window_days,
            lookback_days=run.parameters.lookback_days,
            models=" ".join(run.parameters.models),
            contacts=counts.contacts,
            interactions=counts.interactions,
            leads=counts.leads,
            deals=counts.deals,
            won_deals=counts.won_deals,
            journeys=counts.journeys,
            error=run.error,
        )
    ]


def section_rows(results: RunResults) -> list[ExportRow]:
    """One row per section outcome."""
    return [
        RunSectionRow(section=s.name, status=s.status.value, seconds=s.seconds, error=s.error)
        for s in results.run.sections
    ]


def funnel_rows(results: RunResults) -> list[ExportRow]:
    """Stage counts per cohort and dimension value."""
    if results.funnel is None:
        return []
    return [
        FunnelRow(
            cohort=r.cohort,
            dimension=r.by,
            dimension_value=r.value,
            captured=r.captured,
            qualified=r.qualified,
            lead=r.lead,
            opportunity=r.opportunity,
            won=r.won,
            lost=r.lost,
            vanity_interactions=r.vanity_interactions,
            relationship_interactions=r.relationship_interactions,
        )
        for r in results.funnel.rows
    ]


def funnel_money_rows(results: RunResults) -> list[ExportRow]:
    """Revenue and cost per cohort, dimension value and currency."""
    if results.funnel is None:
        return []
    return [
        FunnelMoneyRow(
            cohort=r.cohort,
            dimension=r.by,
            dimension_value=r.value,
            currency=currency,
            revenue=rev,
            cost=cost,
        )
        for r in results.funnel.rows
        for currency, (rev, cost) in _per_currency(r.revenue, r.cost).items()
    ]


def funnel_delay_rows(results: RunResults) -> list[ExportRow]:
    """Median days between consecutive stages."""
    if results.funnel is None:
        return []
    return [
        FunnelDelayRow(
            from_stage=d.from_stage,
            to_stage=d.to_stage,
            median_days=d.median_days,
            relationships=d.n,
        )
        for d in results.funnel.delays
    ]


def attribution_deal_rows(results: RunResults) -> list[ExportRow]:
    """Per-deal credit lines."""
    if results.attribution is None:
        return []
    return [
        AttributionDealRow(
            model=line.model,
            dimension=line.by,
            deal_id=line.deal_id,
            dimension_value=line.value,
            share=line.share,
            currency=line.amount.currency,
            amount=line.amount.amount,
            closed_at=line.closed_at,
        )
        for line in results.attribution.lines
    ]


def attribution_total_rows(results: RunResults) -> list[ExportRow]:
    """Totals per model, dimension value and currency."""
    if results.attribution is None:
        return []
    return [
        AttributionTotalRow(
            model=t.model,
            dimension=t.by,
            dimension_value=t.value,
            currency=t.amount.currency,
            revenue=t.amount.amount,
            conversions=t.conversions,
        )
        for t in results.attribution.totals
    ]


def attribution_comparison_rows(results: RunResults) -> list[ExportRow]:
    """The model x value share table."""
    if results.attribution is None:
        return []
    return [
        AttributionComparisonRow(
            model=c.model, dimension=c.by, dimension_value=c.value, share=c.share
        )
        for c in results.attribution.comparison
    ]


def attribution_failure_rows(results: RunResults) -> list[ExportRow]:
    """Models that could not be fitted."""
    if results.attribution is None:
        return []
    return [
        AttributionFailureRow(model=f.model, dimension=f.by, reason=f.reason)
        for f in results.attribution.failures
    ]


def survival_summary_rows(results: RunResults) -> list[ExportRow]:
    """Sample sizes and medians per transition and segment."""
    if results.survival is None:
        return []
    return [
        SurvivalSummaryRow(
            transition=c.transition,
            segment_by=c.by,
            segment=c.segment,
            subjects=c.subjects,
            events=c.events,
            censored=c.censored,
            median_days=c.median_days,
            median_lower=c.median_lower,
            median_upper=c.median_upper,
            insufficient=c.insufficient,
        )
        for c in results.survival.curves
    ]


def survival_curve_rows(results: RunResults) -> list[ExportRow]:
    """Every Kaplan-Meier step."""
    if results.survival is None:
        return []
    return [
        SurvivalCurveRow(
            transition=c.transition,
            segment_by=c.by,
            segment=c.segment,
            t_days=p.t_days,
            survival=p.survival,
            lower=p.lower,
            upper=p.upper,
            at_risk=p.at_risk,
        )
        for c in results.survival.curves
        for p in c.points
    ]


def driver_rows(results: RunResults) -> list[ExportRow]:
    """Hazard ratios per transition and feature."""
    if results.survival is None:
        return []
    return [
        DriverRow(
            transition=d.transition,
            feature=r.feature,
            hazard_ratio=r.hazard_ratio,
            lower=r.lower,
            upper=r.upper,
            p_value=r.p_value,
            ph_violation=r.feature in d.ph_violations,
            concordance=d.concordance,
            subjects=d.subjects,
            events=d.events,
        )
        for d in results.survival.drivers
        for r in d.ratios
    ]


def competing_risk_rows(results: RunResults) -> list[ExportRow]:
    """Cumulative incidence points of won and lost."""
    if results.survival is None or results.survival.competing is None:
        return []
    return [
        CompetingRiskRow(
            outcome=p.outcome, t_days=p.t_days, incidence=p.incidence, lower=p.lower, upper=p.upper
        )
        for p in results.survival.competing.points
    ]


def relationship_rows(results: RunResults) -> list[ExportRow]:
    """One row per relationship."""
    return [
        RelationshipRow(
            contact_id=r.contact_id,
            name=r.name,
            account_id=r.account_id,
            owner=r.owner,
            stakeholder_type=r.stakeholder_type,
            capture_channel=r.capture_channel,
            score=r.score,
            qualified=r.qualified,
            captured_at=r.stages.captured_at,
            qualified_at=r.stages.qualified_at,
            lapsed_at=r.stages.lapsed_at,
            lead_at=r.stages.lead_at,
            opportunity_at=r.stages.opportunity_at,
            won_at=r.stages.won_at,
            lost_at=r.stages.lost_at,
            interactions=r.interactions,
            inbound=r.inbound,
            outbound=r.outbound,
            median_response_hours=r.median_response_hours,
        )
        for r in results.relationships or []
    ]


def relationship_revenue_rows(results: RunResults) -> list[ExportRow]:
    """Won revenue per relationship and currency."""
    return [
        RelationshipRevenueRow(contact_id=r.contact_id, currency=currency, revenue=revenue)
        for r in results.relationships or []
        for currency, (revenue, _) in _per_currency(r.revenue, []).items()
    ]
