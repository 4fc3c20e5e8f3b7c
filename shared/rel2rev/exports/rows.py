"""Flatten a `RunResults` into every export table, column by column (empty for failed sections)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rel2rev.exports.schema import Table
from rel2rev.exports.tables import (
    AttributionBaselineRow,
    AttributionComparisonRow,
    AttributionDealRow,
    AttributionFailureRow,
    AttributionHoldoutRow,
    AttributionIncrementalRow,
    AttributionPipelineRow,
    AttributionReconciliationRow,
    AttributionTotalRow,
    AttributionUnattributedRow,
    CompetingRiskRow,
    DriverRow,
    FunnelDelayRow,
    FunnelMoneyRow,
    FunnelRow,
    FunnelUnplacedRow,
    QualifiedCostRow,
    RelationshipRevenueRow,
    RelationshipRow,
    ReturnRow,
    RunSectionRow,
    RunSummaryRow,
    RunTrendRow,
    SurvivalCurveRow,
    SurvivalSummaryRow,
)
from rel2rev.money import Money
from rel2rev.results.contracts import (
    AttributionResults,
    DealAttribution,
    FunnelResults,
    QualifiedCost,
    Relationship,
    ReturnResults,
    RunRecord,
    RunResults,
    SurvivalResults,
)


def _per_currency(revenue: Iterable[Money], cost: Iterable[Money] = ()) -> dict[str, list[Decimal]]:
    """currency -> [revenue, cost], currencies sorted, each at the currency's minor unit."""
    sums: dict[str, list[Decimal]] = {}
    for index, amounts in enumerate((revenue, cost)):
        for money in amounts:
            zero = Money.from_minor_units(0, money.currency).amount
            sums.setdefault(money.currency, [zero, zero])[index] += money.amount
    return dict(sorted(sums.items()))


def _funnel(results: RunResults) -> FunnelResults:
    return results.funnel or FunnelResults()


def _attribution(results: RunResults) -> AttributionResults:
    return results.attribution or AttributionResults()


def _survival(results: RunResults) -> SurvivalResults:
    return results.survival or SurvivalResults()


def _relationships(results: RunResults) -> list[Relationship]:
    return results.relationships or []


def run_table(results: RunResults) -> Table:
    """The single run_summary row."""
    run, counts = results.run, results.run.counts
    return Table(
        RunSummaryRow,
        run_id=[run.run_id],
        workspace=[run.workspace],
        as_of=[run.as_of],
        window_start=[run.window_start],
        window_end=[run.window_end],
        trigger=[run.trigger],
        status=[run.status.value],
        started_at=[run.started_at],
        finished_at=[run.finished_at],
        seconds=[run.seconds],
        window_days=[run.parameters.window_days],
        lookback_days=[run.parameters.lookback_days],
        models=[" ".join(run.parameters.models)],
        model_versions=[
            " ".join(f"{k}={v}" for k, v in sorted(run.model_versions.items())) or None
        ],
        contacts=[counts.contacts],
        interactions=[counts.interactions],
        leads=[counts.leads],
        deals=[counts.deals],
        won_deals=[counts.won_deals],
        journeys=[counts.journeys],
        error=[run.error],
    )


def section_table(results: RunResults) -> Table:
    """One row per section outcome."""
    sections = results.run.sections
    return Table(
        RunSectionRow,
        section=[s.name for s in sections],
        status=[s.status.value for s in sections],
        seconds=[s.seconds for s in sections],
        error=[s.error for s in sections],
    )


def funnel_table(results: RunResults) -> Table:
    """Stage counts per cohort and dimension value."""
    rows = _funnel(results).rows
    return Table(
        FunnelRow,
        cohort=[r.cohort for r in rows],
        dimension=[r.by for r in rows],
        dimension_value=[r.value for r in rows],
        captured=[r.captured for r in rows],
        qualified=[r.qualified for r in rows],
        lead=[r.lead for r in rows],
        opportunity=[r.opportunity for r in rows],
        won=[r.won for r in rows],
        lost=[r.lost for r in rows],
        vanity_interactions=[r.vanity_interactions for r in rows],
        relationship_interactions=[r.relationship_interactions for r in rows],
        signal_interactions=[r.signal_interactions for r in rows],
    )


def funnel_money_table(results: RunResults) -> Table:
    """Revenue and cost per cohort, dimension value and currency."""
    flat = [
        (r, currency, money)
        for r in _funnel(results).rows
        for currency, money in _per_currency(r.revenue, r.cost).items()
    ]
    return Table(
        FunnelMoneyRow,
        cohort=[r.cohort for r, _, _ in flat],
        dimension=[r.by for r, _, _ in flat],
        dimension_value=[r.value for r, _, _ in flat],
        currency=[currency for _, currency, _ in flat],
        revenue=[money[0] for _, _, money in flat],
        cost=[money[1] for _, _, money in flat],
    )


def funnel_unplaced_table(results: RunResults) -> Table:
    """Won revenue in no cohort row, per reason and currency."""
    flat = [(u, m) for u in _funnel(results).unplaced for m in u.revenue]
    return Table(
        FunnelUnplacedRow,
        reason=[u.reason for u, _ in flat],
        currency=[m.currency for _, m in flat],
        revenue=[m.amount for _, m in flat],
        deals=[u.deals for u, _ in flat],
    )


def funnel_delay_table(results: RunResults) -> Table:
    """Median days between consecutive stages."""
    delays = _funnel(results).delays
    return Table(
        FunnelDelayRow,
        from_stage=[d.from_stage for d in delays],
        to_stage=[d.to_stage for d in delays],
        median_days=[d.median_days for d in delays],
        relationships=[d.n for d in delays],
    )


def attribution_deal_table(results: RunResults) -> Table:
    """Per-deal credit lines, with the deal facts finance joins on."""
    attribution = _attribution(results)
    lines = attribution.lines
    deals = _deals_of(attribution, lines.column("deal_id"))
    return Table(
        AttributionDealRow,
        model=lines.column("model"),
        dimension=lines.column("by"),
        deal_id=lines.column("deal_id"),
        dimension_value=lines.column("value"),
        share=lines.column("share"),
        currency=lines.column("amount_currency"),
        amount=lines.column("amount"),
        closed_at=lines.column("closed_at"),
        deal_name=[d.name for d in deals],
        account_id=[d.account_id for d in deals],
        stage=[d.stage for d in deals],
        deal_amount=[d.amount.amount if d.amount else None for d in deals],
    )


def attribution_unattributed_table(results: RunResults) -> Table:
    """Won deals each model left unattributed, with the reason and the deal facts."""
    attribution = _attribution(results)
    gaps = attribution.unattributed
    deals = _deals_of(attribution, [x.deal_id for x in gaps])
    return Table(
        AttributionUnattributedRow,
        model=[x.model for x in gaps],
        dimension=[x.by for x in gaps],
        deal_id=[x.deal_id for x in gaps],
        reason=[x.reason for x in gaps],
        currency=[x.amount.currency if x.amount else None for x in gaps],
        amount=[x.amount.amount if x.amount else None for x in gaps],
        closed_at=[x.closed_at for x in gaps],
        deal_name=[d.name for d in deals],
        account_id=[d.account_id for d in deals],
        stage=[d.stage for d in deals],
    )


def _deals_of(attribution: AttributionResults, ids: list[str]) -> list[DealAttribution]:
    """The won deal behind each id (a bare one for a deal the results do not list)."""
    by_id = {deal.deal_id: deal for deal in attribution.deals}
    return [by_id.get(deal_id) or DealAttribution(deal_id=deal_id) for deal_id in ids]


def attribution_reconciliation_table(results: RunResults) -> Table:
    """Won = credited + unattributed, per model, dimension and currency."""
    rows = _attribution(results).reconciliation
    return Table(
        AttributionReconciliationRow,
        model=[r.model for r in rows],
        dimension=[r.by for r in rows],
        currency=[r.currency for r in rows],
        won=[r.won.amount for r in rows],
        credited=[r.credited.amount for r in rows],
        unattributed=[r.unattributed.amount for r in rows],
        won_deals=[r.won_deals for r in rows],
        credited_deals=[r.credited_deals for r in rows],
        unattributed_deals=[r.unattributed_deals for r in rows],
    )


def attribution_total_table(results: RunResults) -> Table:
    """Totals per model, dimension value and currency."""
    totals = _attribution(results).totals
    return Table(
        AttributionTotalRow,
        model=[t.model for t in totals],
        dimension=[t.by for t in totals],
        dimension_value=[t.value for t in totals],
        currency=[t.amount.currency for t in totals],
        revenue=[t.amount.amount for t in totals],
        conversions=[t.conversions for t in totals],
    )


def attribution_pipeline_table(results: RunResults) -> Table:
    """Open pipeline influenced per dimension value and currency."""
    pipeline = _attribution(results).pipeline
    return Table(
        AttributionPipelineRow,
        dimension=[p.by for p in pipeline],
        dimension_value=[p.value for p in pipeline],
        currency=[p.amount.currency for p in pipeline],
        amount=[p.amount.amount for p in pipeline],
        deals=[p.deals for p in pipeline],
    )


def _months(months: list[str]) -> str | None:
    return " ".join(months) or None


def returns_table(results: RunResults) -> Table:
    """Spend and return per model, channel or campaign, and currency."""
    rows = (results.returns or ReturnResults(spend_from="", spend_to="", window_from="")).returns
    return Table(
        ReturnRow,
        model=[r.model for r in rows],
        dimension=[r.by for r in rows],
        dimension_value=[r.value for r in rows],
        currency=[r.currency for r in rows],
        spend=[r.spend.amount if r.spend else None for r in rows],
        revenue=[r.revenue.amount for r in rows],
        roas=[r.roas for r in rows],
        roi=[r.roi for r in rows],
        months_costed=[r.months_costed for r in rows],
        missing_months=[_months(r.missing_months) for r in rows],
    )


def qualified_cost_table(results: RunResults) -> Table:
    """Cost per qualified relationship per channel and currency of its costs."""
    returns = results.returns or ReturnResults(spend_from="", spend_to="", window_from="")
    flat: list[tuple[QualifiedCost, Money | None, Money | None]] = []
    for q in returns.qualified:
        per: dict[str, Money] = {m.currency: m for m in q.cost_per_qualified}
        flat += [(q, spend, per.get(spend.currency)) for spend in q.spend] or [(q, None, None)]
    return Table(
        QualifiedCostRow,
        dimension_value=[q.value for q, _, _ in flat],
        currency=[spend.currency if spend else None for _, spend, _ in flat],
        spend=[spend.amount if spend else None for _, spend, _ in flat],
        qualified=[q.qualified for q, _, _ in flat],
        cost_per_qualified=[per.amount if per else None for _, _, per in flat],
        missing_months=[_months(q.missing_months) for q, _, _ in flat],
    )


def run_trend_table(results: RunResults) -> Table:
    """This run's and the earlier runs' headline figures, per run and currency."""
    flat: list[tuple[RunRecord, str | None, Decimal | None, Decimal | None]] = []
    for run in [*results.history, results.run]:
        if run.headline is None:
            continue
        money = _per_currency(run.headline.won, run.headline.spend)
        flat += [(run, c, won, spend) for c, (won, spend) in money.items()] or [
            (run, None, None, None)
        ]
    headlines = [run.headline for run, _, _, _ in flat if run.headline is not None]
    return Table(
        RunTrendRow,
        run_id=[run.run_id for run, _, _, _ in flat],
        as_of=[run.as_of for run, _, _, _ in flat],
        captured=[h.captured for h in headlines],
        qualified=[h.qualified for h in headlines],
        won_deals=[h.won_deals for h in headlines],
        currency=[c for _, c, _, _ in flat],
        won=[won for _, _, won, _ in flat],
        spend=[spend for _, _, _, spend in flat],
    )


def attribution_comparison_table(results: RunResults) -> Table:
    """The model x value share table."""
    cells = _attribution(results).comparison
    return Table(
        AttributionComparisonRow,
        model=[c.model for c in cells],
        dimension=[c.by for c in cells],
        dimension_value=[c.value for c in cells],
        share=[c.share for c in cells],
    )


def attribution_failure_table(results: RunResults) -> Table:
    """Models that could not be fitted."""
    failures = _attribution(results).failures
    return Table(
        AttributionFailureRow,
        model=[x.model for x in failures],
        dimension=[x.by for x in failures],
        reason=[x.reason for x in failures],
    )


def attribution_holdout_table(results: RunResults) -> Table:
    """Holdout scores of the data-driven models, or why each could not be scored."""
    scores = _attribution(results).holdout
    return Table(
        AttributionHoldoutRow,
        model=[h.model for h in scores],
        dimension=[h.by for h in scores],
        log_loss=[h.log_loss for h in scores],
        auc=[h.auc for h in scores],
        train_journeys=[h.train_journeys for h in scores],
        test_journeys=[h.test_journeys for h in scores],
        holdout_fraction=[h.fraction for h in scores],
        seed=[h.seed for h in scores],
        reason=[h.reason for h in scores],
    )


def attribution_baseline_table(results: RunResults) -> Table:
    """The baseline estimate: one row, or none without attribution."""
    found = _attribution(results).baseline
    rows = [found] if found is not None else []
    return Table(
        AttributionBaselineRow,
        rate=[b.rate for b in rows],
        low=[b.low for b in rows],
        high=[b.high for b in rows],
        level=[b.level for b in rows],
        journeys=[b.journeys for b in rows],
        conversions=[b.conversions for b in rows],
        reason=[b.reason for b in rows],
    )


def attribution_incremental_table(results: RunResults) -> Table:
    """Incremental beside full-credit shares per incremental model, value and currency."""
    shares = _attribution(results).incremental
    return Table(
        AttributionIncrementalRow,
        model=[s.model for s in shares],
        full_model=[s.full_model for s in shares],
        dimension=[s.by for s in shares],
        dimension_value=[s.value for s in shares],
        currency=[s.currency for s in shares],
        baseline=[s.baseline for s in shares],
        incremental_share=[s.incremental for s in shares],
        full_share=[s.full for s in shares],
    )


def survival_summary_table(results: RunResults) -> Table:
    """Sample sizes and medians per transition and segment."""
    curves = _survival(results).curves
    return Table(
        SurvivalSummaryRow,
        transition=[c.transition for c in curves],
        unit=[c.unit for c in curves],
        segment_by=[c.by for c in curves],
        segment=[c.segment for c in curves],
        subjects=[c.subjects for c in curves],
        events=[c.events for c in curves],
        censored=[c.censored for c in curves],
        median_days=[c.median_days for c in curves],
        median_lower=[c.median_lower for c in curves],
        median_upper=[c.median_upper for c in curves],
        insufficient=[c.insufficient for c in curves],
    )


def survival_curve_table(results: RunResults) -> Table:
    """Every Kaplan-Meier step."""
    flat = [(c, p) for c in _survival(results).curves for p in c.points]
    return Table(
        SurvivalCurveRow,
        transition=[c.transition for c, _ in flat],
        segment_by=[c.by for c, _ in flat],
        segment=[c.segment for c, _ in flat],
        t_days=[p.t_days for _, p in flat],
        survival=[p.survival for _, p in flat],
        lower=[p.lower for _, p in flat],
        upper=[p.upper for _, p in flat],
        at_risk=[p.at_risk for _, p in flat],
    )


def driver_table(results: RunResults) -> Table:
    """Hazard ratios per transition and feature."""
    flat = [(d, r) for d in _survival(results).drivers for r in d.ratios]
    return Table(
        DriverRow,
        transition=[d.transition for d, _ in flat],
        feature=[r.feature for _, r in flat],
        hazard_ratio=[r.hazard_ratio for _, r in flat],
        lower=[r.lower for _, r in flat],
        upper=[r.upper for _, r in flat],
        p_value=[r.p_value for _, r in flat],
        ph_violation=[r.feature in d.ph_violations for d, r in flat],
        concordance=[d.concordance for d, _ in flat],
        unit=[d.unit for d, _ in flat],
        clustered_by=[d.clustered_by for d, _ in flat],
        subjects=[d.subjects for d, _ in flat],
        events=[d.events for d, _ in flat],
    )


def competing_risk_table(results: RunResults) -> Table:
    """Cumulative incidence points of won and lost."""
    competing = _survival(results).competing
    points = competing.points if competing is not None else []
    return Table(
        CompetingRiskRow,
        outcome=[p.outcome for p in points],
        t_days=[p.t_days for p in points],
        incidence=[p.incidence for p in points],
        lower=[p.lower for p in points],
        upper=[p.upper for p in points],
    )


def relationship_table(results: RunResults) -> Table:
    """One row per relationship."""
    rels = _relationships(results)
    return Table(
        RelationshipRow,
        contact_id=[r.contact_id for r in rels],
        name=[r.name for r in rels],
        account_id=[r.account_id for r in rels],
        owner=[r.owner for r in rels],
        stakeholder_type=[r.stakeholder_type for r in rels],
        capture_channel=[r.capture_channel for r in rels],
        score=[r.score for r in rels],
        qualified=[r.qualified for r in rels],
        captured_at=[r.stages.captured_at for r in rels],
        qualified_at=[r.stages.qualified_at for r in rels],
        lapsed_at=[r.stages.lapsed_at for r in rels],
        lead_at=[r.stages.lead_at for r in rels],
        opportunity_at=[r.stages.opportunity_at for r in rels],
        won_at=[r.stages.won_at for r in rels],
        lost_at=[r.stages.lost_at for r in rels],
        interactions=[r.interactions for r in rels],
        inbound=[r.inbound for r in rels],
        outbound=[r.outbound for r in rels],
        median_response_hours=[r.median_response_hours for r in rels],
    )


def relationship_revenue_table(results: RunResults) -> Table:
    """Credited and overlapping won revenue per relationship and currency."""
    flat = [
        (r.contact_id, currency, money)
        for r in _relationships(results)
        for currency, money in _per_currency(r.revenue, r.deals_revenue).items()
    ]
    return Table(
        RelationshipRevenueRow,
        contact_id=[c for c, _, _ in flat],
        currency=[currency for _, currency, _ in flat],
        revenue=[money[0] for _, _, money in flat],
        deals_revenue=[money[1] for _, _, money in flat],
    )
