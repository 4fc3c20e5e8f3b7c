"""Turn the libraries' reports (funnel, attribution, survival) into `RunResults` sections.

Each function is pure: stored records and library outputs in, typed result sections out.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from rel2rev.attribution import PREDICTIVE_MODELS, AttributionReport, DealLines, run_models
from rel2rev.attribution.baseline import BaselineEstimate
from rel2rev.attribution.pipeline import open_pipeline
from rel2rev.attribution.table import NONE_LABEL, JourneyTable
from rel2rev.engine.backends import Engine
from rel2rev.engine.table import RunJourneys, run_journeys
from rel2rev.funnel import ContactStages, RelationshipState, funnel_metrics
from rel2rev.funnel.metrics import FunnelReport
from rel2rev.funnel.stages import primary_contacts, sum_money
from rel2rev.money import Money
from rel2rev.records import Deal, DealStatus, WorkspaceRecords
from rel2rev.results.contracts import (
    BASELINE,
    TRANSITIONS,
    AttributionBaseline,
    AttributionDimension,
    AttributionResults,
    CommitteeMember,
    ComparisonCell,
    CompetingRisks,
    CreditLines,
    CurvePoint,
    DealAttribution,
    DealTouches,
    DimensionTotal,
    Drivers,
    FunnelDimension,
    FunnelResults,
    FunnelRow,
    HazardRatio,
    IncidencePoint,
    ModelFailure,
    ModelHoldout,
    PipelineTotal,
    Relationship,
    RunRecord,
    ScorePoints,
    StageDelay,
    StageMoments,
    SurvivalCurve,
    TimelineEntries,
    Transition,
    UnattributedCredit,
    UnplacedRevenue,
)
from rel2rev.results.reconciliation import (
    deal_attributions,
    incremental_shares,
    reconcile,
    unattributed_totals,
)
from rel2rev.survival.results import KaplanMeierCurve
from rel2rev.survival.spells import unit_of


def _cohort_rows(report: FunnelReport) -> list[FunnelRow]:
    return [
        FunnelRow(
            cohort=row.cohort,
            by=report.by,
            value=row.segment if report.by is not None else None,
            captured=row.counts.captured,
            qualified=row.counts.qualified,
            lead=row.counts.lead,
            opportunity=row.counts.opportunity,
            won=row.counts.won,
            lost=row.counts.lost,
            revenue=row.revenue,
            cost=row.cost,
            costed_interactions=row.costed_interactions,
            vanity_interactions=row.engagement.reactions,
            relationship_interactions=row.engagement.conversations,
            signal_interactions=row.engagement.signals,
        )
        for row in report.segments
        if row.cohort is not None
    ]


def funnel_results(
    records: WorkspaceRecords,
    run: RunRecord,
    states: Sequence[RelationshipState],
    stages: Sequence[ContactStages],
) -> FunnelResults:
    """Cohort-month rows overall and per split dimension, median days between stages, and the
    window's won revenue with the part no cohort row holds."""
    period = (run.window_start, run.window_end)
    rows: list[FunnelRow] = []
    reports = []
    for by in (None, *run.parameters.funnel_by):
        report = funnel_metrics(
            records,
            as_of=run.window_end,
            period=period,
            by=by,
            cohort="month",
            config=run.parameters.qualification,
            states=states,
            stages=stages,
        )
        reports.append(report)
        rows.extend(_cohort_rows(report))
    overall = funnel_metrics(
        records,
        as_of=run.window_end,
        period=period,
        config=run.parameters.qualification,
        states=states,
        stages=stages,
    ).total
    delays = []
    for pair, median in overall.median_days.items():
        earlier, _, later = pair.partition("_to_")
        delays.append(
            StageDelay(
                from_stage=earlier,
                to_stage=later,
                median_days=median,
                n=getattr(overall.counts, later),
            )
        )
    whole = reports[0]
    return FunnelResults(
        rows=rows,
        delays=delays,
        won=whole.won,
        won_deals=whole.won_deals,
        unplaced=[
            UnplacedRevenue(reason=u.reason, deals=u.deals, revenue=u.revenue)
            for u in whole.unplaced
        ],
    )


def journeys_for(records: WorkspaceRecords, run: RunRecord, engine: Engine) -> RunJourneys:
    """The journey of every deal open at the run's as-of or closed in its window, and the
    non-converting ones, built by `engine`."""
    lookback = timedelta(days=run.parameters.lookback_days)
    return run_journeys(
        records, engine, as_of=run.window_end, lookback=lookback, since=run.window_start
    )


HOLDOUT_FRACTION = 0.2
"""Share of journeys held out of the fit to score the data-driven models."""
HOLDOUT_SEED = 0
"""Seed of the holdout draw: the same data, the same split, the same scores."""
HOLDOUT_BY: AttributionDimension = "channel"
"""The one dimension the holdout is scored on (it scores prediction, not credit)."""


def attribution_results(run: RunRecord, journeys: RunJourneys) -> AttributionResults:
    """Every model for every attribution dimension; failed models are listed, not raised.

    Every won deal of the window is, under every model and dimension, credited or on an
    unattributed line with its reason; `reconciliation` sums both against what was won. The
    data-driven models that predict conversion are also scored once, by channel, on a seeded
    holdout of `HOLDOUT_FRACTION` of the journeys. The baseline estimate (the same for every
    dimension) and the incremental models' shares beside full credit come with them.
    """
    scored = [m for m in run.parameters.models if m in PREDICTIVE_MODELS]
    split = {"holdout": HOLDOUT_FRACTION, "seed": HOLDOUT_SEED}
    parts: list[AttributionResults] = []
    holdout: list[ModelHoldout] = []
    baseline: BaselineEstimate | None = None
    table = journeys.table
    for by in run.parameters.attribution_by:
        with_holdout = by == HOLDOUT_BY and bool(scored)
        report = run_models(
            table,
            run.parameters.models,
            by,
            touches=False,  # the job publishes deal lines; per-touch credit is for analysts
            **(split if with_holdout else {}),
        )
        if with_holdout:
            holdout = _holdout_scores(report, scored)
        baseline = baseline or report.baseline
        parts.append(_collect(report, by, journeys.closed))
    if scored and HOLDOUT_BY not in run.parameters.attribution_by:
        report = run_models(table, scored, HOLDOUT_BY, detail=False, touches=False, **split)
        holdout = _holdout_scores(report, scored)
    lines = CreditLines.concat(part.lines for part in parts)
    gaps = [x for part in parts for x in part.unattributed]
    deals = won_deals(journeys)
    totals = [x for part in parts for x in part.totals]
    won = sum_money(d.amount for d in deals if d.amount is not None)
    return AttributionResults(
        models=list(run.parameters.models),
        dimensions=list(run.parameters.attribution_by),
        deals=deals,
        lines=lines,
        unattributed=gaps,
        won=won,
        won_deals=len(deals),
        reconciliation=reconcile(
            deal_attributions(lines, gaps, deals),
            run.parameters.models,
            run.parameters.attribution_by,
        ),
        totals=totals,
        unattributed_totals=unattributed_totals(gaps),
        comparison=[x for part in parts for x in part.comparison],
        pipeline=pipeline_totals(journeys),
        failures=[x for part in parts for x in part.failures],
        holdout=holdout,
        baseline=_baseline(baseline),
        incremental=incremental_shares(totals, won, run.parameters.models),
    )


def _baseline(estimate: BaselineEstimate | None) -> AttributionBaseline | None:
    """The library's baseline estimate as the run's (counts are whole journeys)."""
    if estimate is None:
        return None
    return AttributionBaseline(
        rate=estimate.rate,
        low=estimate.low,
        high=estimate.high,
        level=estimate.level,
        journeys=round(estimate.journeys),
        conversions=round(estimate.conversions),
        reason=estimate.reason,
    )


PIPELINE_BY: AttributionDimension = "channel"
"""The dimension the open pipeline is shown by."""


def pipeline_totals(journeys: RunJourneys) -> list[PipelineTotal]:
    """Open deals (with an amount, as known at the as-of) split evenly over their channels."""
    table = journeys.table
    amounts = []
    for deal_id in table.ids:
        deal = journeys.deals.get(deal_id)
        amounts.append(deal.amount if deal and deal.status is DealStatus.OPEN else None)
    return [
        PipelineTotal(by=PIPELINE_BY, value=value, amount=amount, deals=deals)
        for (value, _), (amount, deals) in open_pipeline(table, amounts, PIPELINE_BY).items()
    ]


def won_deals(journeys: RunJourneys) -> list[DealAttribution]:
    """Every won deal of the journeys, with its amount, close, name, account and stage, and
    no line yet."""
    table = journeys.table
    out = []
    for row in map(int, np.flatnonzero(table.conversions > 0)):
        deal_id = table.ids[row]
        deal = journeys.deals.get(deal_id)
        out.append(
            DealAttribution(
                deal_id=deal_id,
                closed_at=journeys.closed[deal_id],
                amount=table.amounts[row],
                name=deal.name if deal else None,
                account_id=deal.account_id if deal else None,
                stage=deal.stage if deal else None,
                committee=[
                    CommitteeMember(contact_id=r.contact_id, role=r.role)
                    for r in (deal.contact_roles if deal else [])
                ],
                touches=_deal_touches(table, row),
            )
        )
    return out


_TOUCH_DIMENSIONS = ("contact", "channel", "campaign", "type")
"""The touch dimensions a deal's story shows."""


def _deal_touches(table: JourneyTable, row: int) -> DealTouches:
    """The touches of journey `row`, in time order, as columns (an empty value is None)."""
    start, end = int(table.offsets[row]), int(table.offsets[row + 1])
    columns: dict[str, list[Any]] = {
        "at": [
            None if np.isnan(s) else datetime.fromtimestamp(float(s), tz=UTC)
            for s in table.touch_s[start:end]
        ]
    }
    for name in _TOUCH_DIMENSIONS:
        codes, labels = table.dimensions.get(name, (np.zeros(0, np.int64), []))
        texts = [labels[int(c)] for c in codes[start:end]] if len(codes) else [None] * (end - start)
        columns[name] = [None if t in (None, NONE_LABEL) else t for t in texts]
    return DealTouches(columns)


def _holdout_scores(report: AttributionReport, models: Sequence[str]) -> list[ModelHoldout]:
    """Each scored model's holdout log loss and AUC, or why it has none."""
    out = []
    for name in models:
        result = report.models[name]
        score = result.holdout
        test = round(score.journeys) if score is not None else 0
        out.append(
            ModelHoldout(
                model=name,
                by=HOLDOUT_BY,
                log_loss=score.log_loss if score is not None else None,
                auc=score.auc if score is not None else None,
                train_journeys=round(report.journeys) - test if score is not None else 0,
                test_journeys=test,
                fraction=HOLDOUT_FRACTION,
                seed=HOLDOUT_SEED,
                reason=None
                if score is not None
                else (result.error or result.holdout_error or "not scored"),
            )
        )
    return out


def _collect(
    report: AttributionReport, by: AttributionDimension, won: Mapping[str, datetime]
) -> AttributionResults:
    lines: list[CreditLines] = []
    gaps: list[UnattributedCredit] = []
    totals: list[DimensionTotal] = []
    comparison: list[ComparisonCell] = []
    failures: list[ModelFailure] = []
    for name, result in report.models.items():
        gaps.extend(
            UnattributedCredit(
                deal_id=gap.deal_id,
                model=name,
                by=by,
                reason=gap.reason,  # type: ignore[arg-type]
                amount=gap.amount,
                closed_at=won.get(gap.deal_id),
            )
            for gap in result.unattributed
        )
        if result.error is not None:
            failures.append(ModelFailure(model=name, by=by, reason=result.error))
            continue
        lines.append(_credit_lines(result.deal_lines, name, by, won))
        for currency in sorted(result.revenue):
            for value, amount in sorted(result.revenue[currency].items()):
                totals.append(
                    DimensionTotal(
                        model=name,
                        by=by,
                        value=value,
                        amount=amount,
                        conversions=result.conversions.get(value, 0.0),
                        baseline=value == BASELINE,
                    )
                )
    for row in report.comparison:
        comparison.extend(
            ComparisonCell(model=model, by=by, value=row.value, share=share)
            for model, share in row.shares.items()
        )
    return AttributionResults(
        lines=CreditLines.concat(lines),
        unattributed=gaps,
        totals=totals,
        comparison=comparison,
        failures=failures,
    )


def _credit_lines(
    lines: DealLines, model: str, by: AttributionDimension, closed: Mapping[str, datetime]
) -> CreditLines:
    """A model's deal lines as the run's credit lines (columns to columns, no objects)."""
    deal_ids = lines.column("deal_id")
    return CreditLines(
        {
            "deal_id": deal_ids,
            "model": [model] * len(deal_ids),
            "by": [by] * len(deal_ids),
            "value": lines.column("value"),
            "share": lines.column("share"),
            "amount": lines.column("amount"),
            "amount_currency": lines.column("amount_currency"),
            "closed_at": [closed.get(deal_id) for deal_id in deal_ids],
        }
    )


def _won_in_window(records: WorkspaceRecords, run: RunRecord) -> dict[str, Deal]:
    """The deals won in the run's window, by id."""
    return {
        d.deal_id: d
        for d in records.deals
        if d.status is DealStatus.WON
        and d.closed_at is not None
        and run.window_start <= d.closed_at < run.window_end
    }


def relationships(
    records: WorkspaceRecords,
    run: RunRecord,
    states: Sequence[RelationshipState],
    stages_of: Sequence[ContactStages],
) -> list[Relationship]:
    """Per contact: stages, score and its history, reciprocity, response time, timeline."""
    by_contact = {s.contact_id: s for s in states}
    contacts = {c.contact_id: c for c in records.contacts}
    timelines: dict[str, dict[str, list[Any]]] = defaultdict(
        lambda: {name: [] for name in TimelineEntries.column_names()}
    )
    for item in records.interactions:
        if item.occurred_at <= run.window_end:
            columns = timelines[item.contact_id]
            columns["interaction_id"].append(item.interaction_id)
            columns["occurred_at"].append(item.occurred_at)
            columns["type"].append(item.type.value)
            columns["direction"].append(item.direction.value)
            columns["channel"].append(item.channel)
            columns["campaign"].append(item.campaign)
            columns["owner"].append(item.owner)
    out = []
    won = _won_in_window(records, run)
    credited: dict[str, list[Money]] = defaultdict(list)
    for deal_id, primary in primary_contacts(records, stages_of).items():
        deal = won.get(deal_id)
        if deal is not None and deal.amount is not None:
            credited[primary.contact_id].append(deal.amount)
    for stages in stages_of:
        state = by_contact.get(stages.contact_id)
        contact = contacts.get(stages.contact_id)
        hours = [h for r in state.response_times if (h := r.hours) is not None] if state else []
        timeline = TimelineEntries(timelines.get(stages.contact_id))
        history = state.history if state else []
        scores: dict[str, list[Any]] = {
            "at": [p.at for p in history],
            "score": [p.score for p in history],
        }
        out.append(
            Relationship(
                contact_id=stages.contact_id,
                name=contact.name if contact else None,
                account_id=stages.account_id,
                owner=stages.owner,
                stakeholder_type=(
                    stages.stakeholder_type.value if stages.stakeholder_type else "other"
                ),
                capture_channel=stages.channel,
                score=state.score if state else 0.0,
                qualified=state.qualified if state else False,
                stages=StageMoments(
                    captured_at=stages.captured_at,
                    qualified_at=stages.qualified_at,
                    lapsed_at=state.lapsed_at if state else None,
                    lead_at=stages.lead_at,
                    opportunity_at=stages.opportunity_at,
                    won_at=stages.won_at,
                    lost_at=stages.lost_at,
                ),
                interactions=len(timeline),
                inbound=state.inbound if state else 0,
                outbound=state.outbound if state else 0,
                median_response_hours=statistics.median(hours) if hours else None,
                revenue=sum_money(credited.get(stages.contact_id, [])),
                deals_revenue=sum_money(
                    deal.amount
                    for d in stages.deal_ids
                    if (deal := won.get(d)) is not None and deal.amount is not None
                ),
                timeline=timeline,
                score_history=ScorePoints(scores),
            )
        )
    return out


def _curve(
    transition: Transition, by: FunnelDimension | None, km: KaplanMeierCurve, unit: float
) -> SurvivalCurve:
    """One Kaplan-Meier curve, times converted from resolution units to days."""

    def days(value: float | None) -> float | None:
        return None if value is None else value * unit

    return SurvivalCurve(
        transition=transition,
        unit=unit_of(transition),
        by=by,
        segment=km.segment,
        subjects=km.n,
        events=km.events,
        censored=km.n - km.events,
        median_days=days(km.median),
        median_lower=days(km.median_lower),
        median_upper=days(km.median_upper),
        points=[
            CurvePoint(
                t_days=p.time * unit,
                survival=p.estimate,
                lower=p.lower,
                upper=p.upper,
                at_risk=p.at_risk,
            )
            for p in km.points
        ],
        insufficient=km.insufficient.reason if km.insufficient else None,
    )


def survival_curves(
    records: WorkspaceRecords,
    run: RunRecord,
    states: Sequence[RelationshipState] | None,
    stages: Sequence[ContactStages] | None,
) -> list[SurvivalCurve]:
    """Kaplan-Meier curves of every transition, overall and per segment dimension."""
    from rel2rev.survival.kaplan_meier import survival_analysis

    resolution = timedelta(days=run.parameters.resolution_days)
    unit = float(run.parameters.resolution_days)
    curves: list[SurvivalCurve] = []
    for transition in TRANSITIONS:
        for by in (None, *run.parameters.survival_by):
            report = survival_analysis(
                records,
                as_of=run.window_end,
                transition=transition,
                by=by,
                resolution=resolution,
                config=run.parameters.qualification,
                states=list(states) if states is not None else None,
                stages=list(stages) if stages is not None else None,
            )
            if by is None:
                curves.append(_curve(transition, None, report.overall, unit))
            else:
                curves.extend(_curve(transition, by, km, unit) for km in report.segments)
    return curves


def survival_drivers(
    records: WorkspaceRecords,
    run: RunRecord,
    states: Sequence[RelationshipState] | None,
    stages: Sequence[ContactStages] | None,
) -> list[Drivers]:
    """Cox hazard ratios per transition (insufficient data is reported, not raised)."""
    from rel2rev.survival.cox import survival_drivers as cox_drivers

    out = []
    for transition in TRANSITIONS:
        report = cox_drivers(
            records,
            as_of=run.window_end,
            transition=transition,
            resolution=timedelta(days=run.parameters.resolution_days),
            config=run.parameters.qualification,
            states=list(states) if states is not None else None,
            stages=list(stages) if stages is not None else None,
        )
        out.append(
            Drivers(
                transition=transition,
                unit=report.unit,
                clustered_by=report.clustered_by,
                clusters=report.clusters,
                subjects=report.n,
                events=report.events,
                concordance=report.concordance,
                ratios=[
                    HazardRatio(
                        feature=h.feature,
                        hazard_ratio=h.hazard_ratio,
                        lower=h.lower,
                        upper=h.upper,
                        p_value=h.p,
                    )
                    for h in report.hazard_ratios
                ],
                ph_violations=report.ph_violations,
                insufficient=report.insufficient.reason if report.insufficient else None,
            )
        )
    return out


def competing_risks(
    records: WorkspaceRecords,
    run: RunRecord,
    states: Sequence[RelationshipState] | None,
    stages: Sequence[ContactStages] | None,
) -> CompetingRisks:
    """Won vs lost after lead creation (Aalen-Johansen cumulative incidence)."""
    from rel2rev import survival

    unit = float(run.parameters.resolution_days)
    report = survival.competing_risks(
        records,
        as_of=run.window_end,
        resolution=timedelta(days=unit),
        config=run.parameters.qualification,
        states=list(states) if states is not None else None,
        stages=list(stages) if stages is not None else None,
    )
    return CompetingRisks(
        subjects=report.n,
        won=report.won,
        lost=report.lost,
        censored=report.censored,
        points=[
            IncidencePoint(
                outcome=outcome,
                t_days=p.time * unit,
                incidence=p.estimate,
                lower=p.lower,
                upper=p.upper,
            )
            for outcome, curve in (("won", report.won_incidence), ("lost", report.lost_incidence))
            for p in curve
        ],
        insufficient=report.insufficient.reason if report.insufficient else None,
    )
