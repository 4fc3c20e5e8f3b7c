"""The export tables: one row model per table, each field a documented column.

Money is a `Decimal` column beside a `currency` column (one row per currency where a value can
hold several). Times are UTC; durations are in days unless the name says otherwise.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from rel2rev.exports.schema import ExportRow


class RunSummaryRow(ExportRow):
    """One row: the run's identity, data window, parameters, data counts and status."""

    TABLE = "run_summary"
    DESCRIPTION = "The run: identity, data window, parameters, data counts, status and timing."

    run_id: str = Field(description="Deterministic id of (workspace, as-of, parameters)")
    workspace: str = Field(description="Workspace the run belongs to")
    as_of: date = Field(description="Date the run describes (UTC)")
    window_start: datetime = Field(description="Start of the data window read (UTC)")
    window_end: datetime = Field(description="End of the data window read (UTC)")
    trigger: str = Field(description="What started the run: schedule, api or cli")
    status: str = Field(description="succeeded, partial (a section failed) or failed")
    started_at: datetime | None = Field(description="When the run started (UTC)")
    finished_at: datetime | None = Field(description="When the run finished (UTC)")
    seconds: float | None = Field(description="Wall time of the whole run, seconds")
    window_days: int = Field(description="Length of the data window, days")
    lookback_days: int = Field(description="Attribution lookback before each conversion, days")
    models: str = Field(description="Attribution models run, space separated")
    model_versions: str | None = Field(
        description="Library versions behind the run, name=version, space separated"
    )
    contacts: int = Field(description="Contacts read")
    interactions: int = Field(description="Interactions read")
    leads: int = Field(description="Leads read")
    deals: int = Field(description="Deals read")
    won_deals: int = Field(description="Deals closed won")
    journeys: int = Field(description="Journeys (converting and not) given to attribution")
    error: str | None = Field(description="Why the run failed, when it did")


class RunSectionRow(ExportRow):
    """How each section of the run ended."""

    TABLE = "run_sections"
    DESCRIPTION = "Each section of the run (funnel, survival, attribution, ...) and its outcome."

    section: str = Field(description="Section name")
    status: str = Field(description="ok, failed or skipped")
    seconds: float = Field(description="Wall time of the section, seconds")
    error: str | None = Field(description="Why the section failed, when it did")


class FunnelRow(ExportRow):
    """Stage counts per capture cohort month and dimension value."""

    TABLE = "funnel"
    DESCRIPTION = (
        "Stage counts per capture cohort month, overall (dimension empty) and per dimension value; "
        "counts add up across cohorts of the same split."
    )

    cohort: str = Field(description="Capture month, YYYY-MM")
    dimension: str | None = Field(
        description="Split dimension: channel, campaign, owner, stakeholder"
    )
    dimension_value: str | None = Field(description="Dimension value (empty for the overall rows)")
    captured: int = Field(description="Relationships captured (first interaction)")
    qualified: int = Field(description="Relationships that became qualified")
    lead: int = Field(description="Relationships that became a lead")
    opportunity: int = Field(description="Relationships with an opportunity")
    won: int = Field(description="Relationships on a closed-won deal (relationships, not deals)")
    lost: int = Field(description="Relationships with a closed-lost deal")
    vanity_interactions: int = Field(description="Reactions: views, likes, follows, shares")
    relationship_interactions: int = Field(
        description="Conversational interactions: comments, e-mails, replies, DMs, calls, "
        "meetings, events attended"
    )
    signal_interactions: int = Field(
        description="Other interactions: posts, forms, ad clicks, registrations, referrals"
    )


class FunnelMoneyRow(ExportRow):
    """Won revenue and known cost per cohort, dimension value and currency."""

    TABLE = "funnel_money"
    DESCRIPTION = "Won revenue and known engagement cost per cohort, dimension value and currency."

    cohort: str = Field(description="Capture month, YYYY-MM")
    dimension: str | None = Field(description="Split dimension (empty for the overall rows)")
    dimension_value: str | None = Field(description="Dimension value (empty for the overall rows)")
    currency: str = Field(description="ISO 4217 currency of revenue and cost")
    revenue: Decimal = Field(
        description="Won in the window by the deals whose primary relationship is in the row, exact"
    )
    cost: Decimal = Field(description="Known engagement cost, exact (0 when unknown)")


class FunnelUnplacedRow(ExportRow):
    """Won revenue of the window that no cohort row holds, and why."""

    TABLE = "funnel_unplaced"
    DESCRIPTION = (
        "Won revenue of the window in no capture cohort: the overall funnel_money rows plus "
        "these equal the won revenue of attribution_reconciliation, per currency."
    )

    reason: str = Field(
        description="no_captured_contact (no linked contact captured by the as-of date) or "
        "captured_outside_period (primary relationship captured before the window)"
    )
    currency: str = Field(description="ISO 4217 currency")
    revenue: Decimal = Field(description="Won amount, exact")
    deals: int = Field(description="Won deals with this reason (in any currency)")


class FunnelDelayRow(ExportRow):
    """Median days between consecutive stages."""

    TABLE = "funnel_delays"
    DESCRIPTION = "Median days between consecutive funnel stages."

    from_stage: str = Field(description="Earlier stage")
    to_stage: str = Field(description="Later stage")
    median_days: float | None = Field(description="Median days between the two (empty: none)")
    relationships: int = Field(description="Relationships that reached both stages")


class AttributionDealRow(ExportRow):
    """One deal's credit to one dimension value under one model."""

    TABLE = "attribution_deals"
    DESCRIPTION = (
        "Per-deal credit lines per model and dimension; each deal's lines for a model and "
        "dimension sum exactly to the deal amount."
    )

    model: str = Field(description="Attribution model")
    dimension: str = Field(
        description="Credited dimension: channel, campaign, owner, type, content"
    )
    deal_id: str = Field(description="Deal id")
    dimension_value: str = Field(description="Dimension value credited")
    share: float = Field(description="Share of the deal credited to the value (0-1)")
    currency: str = Field(description="ISO 4217 currency of the deal")
    amount: Decimal = Field(description="Credited amount, exact (largest-remainder rounded)")
    closed_at: datetime | None = Field(description="When the deal closed (UTC)")
    deal_name: str | None = Field(description="The deal's name in the CRM")
    account_id: str | None = Field(description="The account (company) the deal is with")
    stage: str | None = Field(description="The deal's stage as known at the run's as-of")
    deal_amount: Decimal | None = Field(
        description="The deal's whole amount, exact, in `currency` (empty: not recorded)"
    )


class AttributionUnattributedRow(ExportRow):
    """A won deal a model credited to no value of a dimension, and why."""

    TABLE = "attribution_unattributed"
    DESCRIPTION = (
        "Won deals a model left unattributed for a dimension, with the reason; with "
        "attribution_deals they hold every won deal exactly once per model and dimension."
    )

    model: str = Field(description="Attribution model")
    dimension: str = Field(description="Dimension it was asked to credit")
    deal_id: str = Field(description="Deal id")
    reason: str = Field(
        description="no_linked_contact, no_touch_in_lookback, no_touches, no_amount or model_failed"
    )
    currency: str | None = Field(description="ISO 4217 currency of the deal (empty: no amount)")
    amount: Decimal | None = Field(description="The deal's whole amount, exact")
    closed_at: datetime | None = Field(description="When the deal closed (UTC)")
    deal_name: str | None = Field(description="The deal's name in the CRM")
    account_id: str | None = Field(description="The account (company) the deal is with")
    stage: str | None = Field(description="The deal's stage as known at the run's as-of")


class AttributionReconciliationRow(ExportRow):
    """Per model, dimension and currency: won = credited + unattributed."""

    TABLE = "attribution_reconciliation"
    DESCRIPTION = (
        "What was won in the window against what each model credited and left unattributed, "
        "per dimension and currency: won = credited + unattributed, to the minor unit."
    )

    model: str = Field(description="Attribution model")
    dimension: str = Field(description="Credited dimension")
    currency: str = Field(description="ISO 4217 currency")
    won: Decimal = Field(description="Won in the window (the deals' amounts), exact")
    credited: Decimal = Field(description="Sum of the model's credit lines, exact")
    unattributed: Decimal = Field(description="Sum of the model's unattributed lines, exact")
    won_deals: int = Field(description="Deals won in this currency")
    credited_deals: int = Field(description="Of those, deals with credit lines")
    unattributed_deals: int = Field(description="Of those, deals left unattributed")


class AttributionTotalRow(ExportRow):
    """Revenue and conversions credited to a dimension value by a model, per currency."""

    TABLE = "attribution_totals"
    DESCRIPTION = "Revenue and conversions credited per model, dimension value and currency."

    model: str = Field(description="Attribution model")
    dimension: str = Field(
        description="Credited dimension: channel, campaign, owner, type, content"
    )
    dimension_value: str = Field(description="Dimension value")
    currency: str = Field(description="ISO 4217 currency")
    revenue: Decimal = Field(description="Credited revenue, exact")
    conversions: float = Field(description="Credited conversions (fractional)")


class AttributionPipelineRow(ExportRow):
    """Open opportunities' amounts credited to a dimension value, per currency."""

    TABLE = "attribution_pipeline"
    DESCRIPTION = (
        "Open pipeline influenced: each open deal's amount (as known at the as-of) split evenly "
        "over the dimension values that touched it in the lookback, per currency."
    )

    dimension: str = Field(description="Dimension: channel")
    dimension_value: str = Field(description="Dimension value")
    currency: str = Field(description="ISO 4217 currency")
    amount: Decimal = Field(description="Open amount credited to the value, exact")
    deals: int = Field(description="Open deals the value touched")


class AttributionBaselineRow(ExportRow):
    """The run's baseline estimate: its rate, interval and evidence, or why there is none."""

    TABLE = "attribution_baseline"
    DESCRIPTION = (
        "The baseline the incremental models rest on: the conversion rate of journeys without "
        "touches (what converts with no channel at all), its bootstrap interval and the "
        "journeys it rests on; one row (none when attribution did not run)."
    )

    rate: float | None = Field(description="Conversions ÷ journeys without touches (empty: none)")
    low: float | None = Field(description="Lower end of the interval")
    high: float | None = Field(description="Upper end of the interval")
    level: float = Field(description="Confidence level of the interval (0.95)")
    journeys: int = Field(description="Journeys without touches the estimate rests on")
    conversions: int = Field(description="Of those, journeys that converted")
    reason: str | None = Field(description="Why there is no estimate, when there is none")


class AttributionIncrementalRow(ExportRow):
    """A value's share of won revenue under an incremental model and its full-credit twin."""

    TABLE = "attribution_incremental"
    DESCRIPTION = (
        "Per incremental model, dimension value and currency: its share of won revenue (credit "
        "÷ won) beside the share its full-credit counterpart gives it; the (baseline) row holds "
        "what would have converted anyway."
    )

    model: str = Field(description="Incremental model (shapley_incremental, ...)")
    full_model: str = Field(description="Its full-credit counterpart (shapley_rate, ...)")
    dimension: str = Field(description="Credited dimension")
    dimension_value: str = Field(description="Dimension value, or (baseline)")
    currency: str = Field(description="ISO 4217 currency")
    baseline: bool = Field(description="The row is the baseline, not a value")
    incremental_share: float = Field(description="Credit ÷ won under the incremental model")
    full_share: float | None = Field(
        description="Credit ÷ won under the full-credit model (empty: the baseline, which full "
        "credit has not, or the counterpart did not run)"
    )


class ReturnRow(ExportRow):
    """One model's won revenue for a channel or costed campaign against its spend."""

    TABLE = "returns"
    DESCRIPTION = (
        "Spend per channel (and costed campaign) over the spend period (the window and the "
        "lookback before it) against the won revenue each model credits it, per currency; "
        "ROAS and ROI only where every month the value touched a won deal has a cost line."
    )

    model: str = Field(description="Attribution model")
    dimension: str = Field(description="Dimension: channel or campaign")
    dimension_value: str = Field(description="Channel or campaign (lower-case)")
    currency: str = Field(description="ISO 4217 currency of spend and revenue")
    spend: Decimal | None = Field(description="Spend in the spend period, exact; empty: no cost")
    revenue: Decimal = Field(description="Won revenue the model credits the value, exact")
    roas: Decimal | None = Field(description="revenue / spend (4 decimals); empty: not covered")
    roi: Decimal | None = Field(description="(revenue - spend) / spend (4 decimals)")
    months_costed: int = Field(description="Months of the spend period with a cost line")
    missing_months: str | None = Field(
        description="Months (YYYY-MM, space separated) the value touched a won deal uncosted"
    )


class QualifiedCostRow(ExportRow):
    """Spend on a channel in the window's months per qualified relationship, per currency."""

    TABLE = "returns_qualified_cost"
    DESCRIPTION = (
        "What a qualified relationship cost per channel: spend in the window's months divided "
        "by the channel's qualified relationships, one row per currency of its costs."
    )

    dimension_value: str = Field(description="Channel (lower-case)")
    currency: str | None = Field(description="Currency of the spend; empty: no cost given")
    spend: Decimal | None = Field(description="Spend in the window's months, exact")
    qualified: int = Field(description="Qualified relationships of the channel's funnel rows")
    cost_per_qualified: Decimal | None = Field(
        description="spend / qualified, rounded to the minor unit; empty unless covered"
    )
    missing_months: str | None = Field(
        description="Capture months (YYYY-MM, space separated) with no cost line"
    )


class RunTrendRow(ExportRow):
    """One run's headline figures in one currency: this run and the earlier ones it follows."""

    TABLE = "run_trend"
    DESCRIPTION = (
        "The headline figures of this run and of the workspace's earlier runs with the same "
        "window length (at most 12, oldest first), one row per run and currency."
    )

    run_id: str = Field(description="The run")
    as_of: date = Field(description="Its as-of date")
    captured: int = Field(description="Relationships captured in its window")
    qualified: int = Field(description="Qualified relationships among them")
    won_deals: int = Field(description="Deals won in its window")
    currency: str | None = Field(description="ISO 4217 currency; empty: no money that run")
    won: Decimal | None = Field(description="Won revenue in the currency, exact")
    spend: Decimal | None = Field(description="Spend of its spend period in the currency")


class AttributionComparisonRow(ExportRow):
    """The model x value comparison: each model's share of conversions per value."""

    TABLE = "attribution_comparison"
    DESCRIPTION = "Share of conversions each model gives each dimension value, side by side."

    model: str = Field(description="Attribution model")
    dimension: str = Field(description="Credited dimension")
    dimension_value: str = Field(description="Dimension value")
    share: float = Field(description="Share of conversions (sums to 1 per model and dimension)")


class AttributionFailureRow(ExportRow):
    """A model that could not be fitted."""

    TABLE = "attribution_failures"
    DESCRIPTION = "Attribution models that could not be fitted on this data, and why."

    model: str = Field(description="Attribution model")
    dimension: str = Field(description="Dimension it was asked to credit")
    reason: str = Field(description="Why it could not be fitted")


class AttributionHoldoutRow(ExportRow):
    """How well a data-driven model predicts conversion on held-out journeys."""

    TABLE = "attribution_holdout"
    DESCRIPTION = (
        "Holdout score of each data-driven model: fitted on most journeys, its predicted "
        "conversion probabilities scored (log loss, AUC) on the journeys held out of the fit."
    )

    model: str = Field(description="Attribution model (markov, shapley, additive_hazard)")
    dimension: str = Field(description="Dimension the model was fitted on (channel)")
    log_loss: float | None = Field(
        description="Mean log loss on the held-out journeys; lower is better (empty: not scored)"
    )
    auc: float | None = Field(
        description=(
            "Area under the ROC curve: 0.5 is a coin flip, 1 a perfect ranking "
            "(empty: not scored, or the held-out journeys all had the same outcome)"
        )
    )
    train_journeys: int = Field(description="Journeys the model was fitted on")
    test_journeys: int = Field(description="Held-out journeys it was scored on")
    holdout_fraction: float = Field(description="Share of journeys drawn into the holdout")
    seed: int = Field(description="Seed of the holdout draw")
    reason: str | None = Field(description="Why the model could not be scored, when it was not")


class SurvivalSummaryRow(ExportRow):
    """Per transition and segment: sample sizes and the median time to transition."""

    TABLE = "survival_summary"
    DESCRIPTION = (
        "Per transition and segment: subjects, events, censored (still open) and the "
        "Kaplan-Meier median days with its 95% interval."
    )

    transition: str = Field(description="capture_to_qualified, qualified_to_lead, lead_to_won")
    unit: str = Field(description="What a subject is: relationship, or account (lead to won)")
    segment_by: str | None = Field(description="Segment dimension (empty: everyone)")
    segment: str | None = Field(description="Segment value (empty: everyone)")
    subjects: int = Field(description="Subjects at risk at time 0")
    events: int = Field(description="Subjects that made the transition")
    censored: int = Field(description="Subjects still open at the as-of date")
    median_days: float | None = Field(description="Median days to transition (empty: not reached)")
    median_lower: float | None = Field(description="Lower 95% bound of the median")
    median_upper: float | None = Field(description="Upper 95% bound of the median")
    insufficient: str | None = Field(description="Why no curve was estimated, when none was")


class SurvivalCurveRow(ExportRow):
    """One step of a Kaplan-Meier curve."""

    TABLE = "survival_curves"
    DESCRIPTION = "Kaplan-Meier curve steps per transition and segment, with 95% bands."

    transition: str = Field(description="capture_to_qualified, qualified_to_lead, lead_to_won")
    segment_by: str | None = Field(description="Segment dimension (empty: everyone)")
    segment: str | None = Field(description="Segment value (empty: everyone)")
    t_days: float = Field(description="Days since the start stage")
    survival: float = Field(description="Probability of not having transitioned yet")
    lower: float | None = Field(description="Lower 95% bound of survival")
    upper: float | None = Field(description="Upper 95% bound of survival")
    at_risk: int = Field(description="Relationships still at risk at t_days")


class DriverRow(ExportRow):
    """A Cox model hazard ratio: how a feature speeds or slows a transition."""

    TABLE = "drivers"
    DESCRIPTION = (
        "Cox proportional-hazards ratios per transition and feature (above 1: faster), with "
        "the model's concordance and whether the feature failed the proportional-hazards check."
    )

    transition: str = Field(description="capture_to_qualified, qualified_to_lead, lead_to_won")
    feature: str = Field(description="Relationship feature")
    hazard_ratio: float = Field(description="Multiplicative effect on the transition rate")
    lower: float = Field(description="Lower 95% bound of the hazard ratio")
    upper: float = Field(description="Upper 95% bound of the hazard ratio")
    p_value: float | None = Field(description="p-value of the coefficient")
    ph_violation: bool = Field(description="True when the feature fails the PH check")
    concordance: float | None = Field(description="Concordance index of the transition's model")
    unit: str = Field(description="What a subject is: relationship, or account (lead to won)")
    clustered_by: str | None = Field(
        description="account when the errors are cluster-robust by account (empty: model-based)"
    )
    subjects: int = Field(description="Subjects in the model")
    events: int = Field(description="Transitions observed")


class CompetingRiskRow(ExportRow):
    """Aalen-Johansen cumulative incidence of won and lost after lead creation."""

    TABLE = "competing_risks"
    DESCRIPTION = "Cumulative incidence of won and lost since lead creation (competing risks)."

    outcome: str = Field(description="won or lost")
    t_days: float = Field(description="Days since lead creation")
    incidence: float = Field(description="Probability of this outcome by t_days")
    lower: float | None = Field(description="Lower 95% bound")
    upper: float | None = Field(description="Upper 95% bound")


class RelationshipRow(ExportRow):
    """One relationship (contact): who, stage moments, score and reciprocity."""

    TABLE = "relationships"
    DESCRIPTION = "One row per relationship: owner, stage moments, score, reciprocity."

    contact_id: str = Field(description="Contact id")
    name: str | None = Field(description="Contact name, when known")
    account_id: str | None = Field(description="Account (normally the e-mail domain)")
    owner: str | None = Field(description="Employee who owns the relationship")
    stakeholder_type: str = Field(description="customer, partner, supplier, employee, other")
    capture_channel: str | None = Field(description="Channel of the first interaction")
    score: float = Field(description="Relationship score at the as-of date")
    qualified: bool = Field(description="Qualified at the as-of date")
    captured_at: datetime | None = Field(description="First interaction (UTC)")
    qualified_at: datetime | None = Field(description="Became qualified (UTC)")
    lapsed_at: datetime | None = Field(description="Stopped being qualified (UTC)")
    lead_at: datetime | None = Field(description="Became a lead (UTC)")
    opportunity_at: datetime | None = Field(description="First opportunity (UTC)")
    won_at: datetime | None = Field(description="First closed-won deal (UTC)")
    lost_at: datetime | None = Field(description="First closed-lost deal (UTC)")
    interactions: int = Field(description="Interactions in the window")
    inbound: int = Field(description="Interactions from the contact")
    outbound: int = Field(description="Interactions from the company")
    median_response_hours: float | None = Field(description="Median reply delay to inbound")


class RelationshipRevenueRow(ExportRow):
    """Won revenue per relationship and currency: credited, and of the deals it is on."""

    TABLE = "relationship_revenue"
    DESCRIPTION = (
        "Won revenue of the window per relationship and currency: `revenue` is credited to the "
        "deal's primary relationship (sums to won revenue); `deals_revenue` counts every deal "
        "the relationship is on (overlapping: never sum it)."
    )

    contact_id: str = Field(description="Contact id")
    currency: str = Field(description="ISO 4217 currency")
    revenue: Decimal = Field(
        description="Won amount of the deals on which this is the primary relationship, exact"
    )
    deals_revenue: Decimal = Field(
        description="Won amount of every deal this relationship is on (overlapping), exact"
    )


EXPORT_TABLES: tuple[type[ExportRow], ...] = (
    RunSummaryRow,
    RunSectionRow,
    FunnelRow,
    FunnelMoneyRow,
    FunnelUnplacedRow,
    FunnelDelayRow,
    AttributionDealRow,
    AttributionUnattributedRow,
    AttributionReconciliationRow,
    AttributionTotalRow,
    AttributionPipelineRow,
    AttributionComparisonRow,
    AttributionFailureRow,
    AttributionHoldoutRow,
    AttributionBaselineRow,
    AttributionIncrementalRow,
    ReturnRow,
    QualifiedCostRow,
    RunTrendRow,
    SurvivalSummaryRow,
    SurvivalCurveRow,
    DriverRow,
    CompetingRiskRow,
    RelationshipRow,
    RelationshipRevenueRow,
)
"""Every export table, in the order files and docs list them."""
