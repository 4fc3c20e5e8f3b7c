"""What one modelling run produces: the run record and the typed results of every section.

`RunResults` is the single hand-off between the job, the API (which serves it from DynamoDB)
and the exports/report (which render it). Every section is optional: a section that failed
on degenerate data is `None` here and its `SectionOutcome` in `RunRecord.sections` says why.
Money is `Money` (exact Decimal); statistics (shares, survival probabilities) are floats.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rel2rev.errors import UnprocessableError
from rel2rev.funnel.config import QualificationConfig
from rel2rev.lines import LineTable
from rel2rev.money import Money
from rel2rev.records import UtcDatetime

SectionName = Literal[
    "qualification", "funnel", "survival", "drivers", "competing_risks", "attribution",
    "returns", "relationships", "exports",
]  # fmt: skip
SECTIONS: tuple[SectionName, ...] = (
    "qualification", "funnel", "survival", "drivers", "competing_risks", "attribution",
    "returns", "relationships", "exports",
)  # fmt: skip
Transition = Literal["capture_to_qualified", "qualified_to_lead", "lead_to_won"]
TRANSITIONS: tuple[Transition, ...] = ("capture_to_qualified", "qualified_to_lead", "lead_to_won")
FunnelDimension = Literal["channel", "campaign", "owner", "stakeholder"]
SurvivalDimension = Literal["channel", "owner", "stakeholder"]
AttributionDimension = Literal["channel", "campaign", "owner", "type", "content"]
Trigger = Literal["schedule", "api", "cli"]

ALL_MODELS: tuple[str, ...] = (
    "first", "last", "last_non_direct", "linear", "time_decay", "u_shaped", "w_shaped",
    "full_path", "j_shaped", "inverse_j", "markov", "shapley", "shapley_rate",
    "additive_hazard", "logistic", "shapley_incremental", "additive_hazard_incremental",
    "logistic_incremental",
)  # fmt: skip
"""Attribution model names, as `rel2rev.attribution.run_models` knows them."""
DEFAULT_MODELS: tuple[str, ...] = tuple(m for m in ALL_MODELS if not m.startswith("logistic"))
"""The models a run uses unless told: all of them but the logistic ones (named, they run)."""
FULL_CREDIT_OF: dict[str, str] = {
    "shapley_incremental": "shapley_rate",
    "additive_hazard_incremental": "additive_hazard",
    "logistic_incremental": "logistic",
}
"""Each incremental model and its full-credit counterpart (the same model with no baseline)."""
INCREMENTAL_MODELS: tuple[str, ...] = tuple(FULL_CREDIT_OF)
"""Models whose credit splits into `BASELINE` and values (docs/definitions.md, "Baseline")."""
BASELINE = "(baseline)"
"""The value incremental models credit the organic part of a conversion to
(`rel2rev.attribution.baseline.BASELINE`)."""
HeadlineCredit = Literal["full", "incremental"]
"""Which credit a run's headline and the report's model pickers open on."""
MODEL_ALIASES: dict[str, str] = {"shapley_simplified": "shapley"}
"""Other names a model answers to (as `rel2rev.attribution.run.MODEL_ALIASES`)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RunStatus(StrEnum):
    """Life of a run: queued -> running -> succeeded | partial (some section failed) | failed."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


class SectionStatus(StrEnum):
    """How one section of a run ended."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


class RunParameters(_Frozen):
    """Everything that changes a run's results; part of the run's identity."""

    window_days: Annotated[int, Field(ge=1, le=3660)] = 365
    lookback_days: Annotated[int, Field(ge=1, le=730)] = 90
    models: tuple[str, ...] = DEFAULT_MODELS
    attribution_by: tuple[AttributionDimension, ...] = ("channel", "campaign", "owner")
    funnel_by: tuple[FunnelDimension, ...] = ("channel", "campaign", "owner", "stakeholder")
    survival_by: tuple[SurvivalDimension, ...] = ("channel", "owner", "stakeholder")
    resolution_days: Annotated[int, Field(ge=1, le=30)] = 1
    headline_credit: HeadlineCredit = Field(
        "full",
        description="Which credit the report's headline and model pickers open on: full (every "
        "won deal spread over its touches) or incremental (the part beyond the baseline)",
    )
    qualification: QualificationConfig = Field(
        default_factory=QualificationConfig,
        description="The workspace's qualification rule (weights, half-life, threshold, ...)",
    )

    @field_validator("models")
    @classmethod
    def _known_models(cls, models: tuple[str, ...]) -> tuple[str, ...]:
        models = tuple(dict.fromkeys(MODEL_ALIASES.get(m, m) for m in models))
        unknown = [m for m in models if m not in ALL_MODELS]
        if unknown or not models:
            raise ValueError(f"unknown model(s) {unknown}; known: {', '.join(ALL_MODELS)}")
        return models


def run_id_for(workspace: str, as_of: date, parameters: RunParameters) -> str:
    """Deterministic run id of (workspace, as-of, parameters): the same inputs, the same run."""
    canonical = json.dumps(
        {"workspace": workspace, "as_of": as_of.isoformat(), "parameters": parameters.model_dump()},
        sort_keys=True,
        separators=(",", ":"),
    )
    return "run_" + hashlib.sha256(canonical.encode()).hexdigest()[:20]


class DataCounts(_Frozen):
    """How much data the run read and modelled."""

    contacts: int = 0
    interactions: int = 0
    leads: int = 0
    deals: int = 0
    won_deals: int = Field(0, description="Deals won in the run's window")
    journeys: int = 0


class SectionOutcome(_Frozen):
    """One section's status, wall time and, when it failed, the reason."""

    name: SectionName
    status: SectionStatus
    seconds: float = 0.0
    error: str | None = None


class ChannelAmount(_Frozen):
    """Revenue one model credited a channel, in one currency."""

    value: str
    amount: Money


class RunHeadline(_Frozen):
    """A run's key figures, kept on its record so later runs can show how they move."""

    captured: int = Field(0, description="Relationships captured in the window")
    qualified: int = Field(0, description="Of those, qualified relationships")
    won_deals: int = Field(0, description="Deals won in the window")
    won: list[Money] = Field(default_factory=list, description="Won revenue, per currency")
    spend: list[Money] = Field(
        default_factory=list, description="Spend in the spend period, per currency"
    )
    model: str | None = Field(None, description="The model `channels` are credited by")
    channels: list[ChannelAmount] = Field(
        default_factory=list, description="Revenue per channel and currency under `model`"
    )


class RunRecord(_Frozen):
    """The run record: identity, window, parameters, data counts, versions, status, timings."""

    run_id: str
    workspace: str
    as_of: date
    window_start: UtcDatetime
    window_end: UtcDatetime
    parameters: RunParameters = RunParameters()
    trigger: Trigger = "api"
    status: RunStatus = RunStatus.QUEUED
    created_at: UtcDatetime
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    counts: DataCounts = DataCounts()
    model_versions: dict[str, str] = Field(default_factory=dict)
    sections: list[SectionOutcome] = Field(default_factory=list)
    exports: list[str] = Field(
        default_factory=list, description="Export file names under exports/{workspace}/{run_id}/"
    )
    error: str | None = None
    headline: RunHeadline | None = Field(
        None, description="Key figures of a finished run (for trends across runs)"
    )

    @property
    def seconds(self) -> float | None:
        """Total wall time, once finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at) / timedelta(seconds=1)

    def section(self, name: SectionName) -> SectionOutcome | None:
        """The outcome of one section, if it ran."""
        return next((s for s in self.sections if s.name == name), None)


def new_run(
    workspace: str,
    as_of: date,
    parameters: RunParameters,
    *,
    trigger: Trigger,
    now: datetime,
) -> RunRecord:
    """A queued run record for (workspace, as-of, parameters); the window ends with as-of."""
    if as_of > now.astimezone(UTC).date():
        raise UnprocessableError(
            "as_of lies in the future",
            details=[{"loc": ["body", "as_of"], "msg": "must be today or earlier"}],
        )
    window_end = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)
    return RunRecord(
        run_id=run_id_for(workspace, as_of, parameters),
        workspace=workspace,
        as_of=as_of,
        window_start=window_end - timedelta(days=parameters.window_days),
        window_end=window_end,
        parameters=parameters,
        trigger=trigger,
        created_at=now,
    )


# --- funnel -----------------------------------------------------------------------------------


class FunnelRow(_Frozen):
    """Stage counts of one capture cohort month and one dimension value (or all, when None).

    Counts are additive across rows of the same `by`, so any range of cohorts can be summed;
    rates are derived from the sums.
    """

    cohort: str = Field(description="Capture month, YYYY-MM", pattern=r"^\d{4}-\d{2}$")
    by: FunnelDimension | None = None
    value: str | None = Field(None, description="Dimension value; None when `by` is None")
    captured: int = 0
    qualified: int = 0
    lead: int = 0
    opportunity: int = 0
    won: int = Field(0, description="Relationships on a won deal (not deals)")
    lost: int = 0
    revenue: list[Money] = Field(
        default_factory=list,
        description="Won in the window, per currency, of the deals whose primary relationship "
        "is in this row",
    )
    cost: list[Money] = Field(default_factory=list, description="Known costs per currency")
    costed_interactions: int = Field(0, description="Interactions whose cost is known")
    vanity_interactions: int = Field(0, description="Reactions: views, likes, follows, shares")
    relationship_interactions: int = Field(
        0, description="Conversational interactions: comments, e-mails, replies, DMs, calls, ..."
    )
    signal_interactions: int = Field(
        0, description="Other interactions: posts, forms, ad clicks, registrations, referrals"
    )


class StageDelay(_Frozen):
    """Median days between two consecutive stages, over relationships that reached both."""

    from_stage: str
    to_stage: str
    median_days: float | None
    n: int


class UnplacedRevenue(_Frozen):
    """Won revenue of the window in no cohort row, and why."""

    reason: Literal["no_captured_contact", "captured_outside_period"] = Field(
        description="no_captured_contact: no linked contact was captured by the as-of date; "
        "captured_outside_period: its primary relationship was captured before the window"
    )
    deals: int
    revenue: list[Money] = Field(default_factory=list)


class FunnelResults(_Frozen):
    """Funnel rows per cohort month for the overall view and each split dimension.

    `won`/`won_deals` are every deal won in the window; the overall rows' revenue plus
    `unplaced` equals `won`, per currency, to the minor unit.
    """

    rows: list[FunnelRow] = Field(default_factory=list)
    delays: list[StageDelay] = Field(default_factory=list)
    won: list[Money] = Field(default_factory=list, description="Won in the window, per currency")
    won_deals: int = Field(0, description="Deals won in the window")
    unplaced: list[UnplacedRevenue] = Field(default_factory=list)


# --- attribution ------------------------------------------------------------------------------


class CreditLine(_Frozen):
    """A deal's credit to one dimension value under one model; a deal's lines sum to its amount."""

    deal_id: str
    model: str
    by: AttributionDimension
    value: str
    share: float
    amount: Money
    closed_at: UtcDatetime | None = None


class CreditLines(LineTable[CreditLine]):
    """Credit lines held as columns (`rel2rev.lines`): reads, validates and serialises as
    `list[CreditLine]`, at a fraction of the memory."""

    item = CreditLine
    money = ("amount",)


UnattributedReason = Literal[
    "no_linked_contact", "no_touch_in_lookback", "no_touches", "no_amount", "model_failed"
]


class UnattributedCredit(_Frozen):
    """A won deal a model credited to no value of a dimension, and why (docs/definitions.md).

    `amount` is the deal's whole amount (None when the deal has none: `no_amount`).
    """

    deal_id: str
    model: str
    by: AttributionDimension
    reason: UnattributedReason
    amount: Money | None
    closed_at: UtcDatetime | None = None


class DealTouch(_Frozen):
    """One touch on a won deal's journey: when, whom and through what."""

    at: UtcDatetime | None = None
    contact: str | None = None
    channel: str
    campaign: str | None = None
    type: str | None = None


class DealTouches(LineTable[DealTouch]):
    """A deal's touches held as columns (`rel2rev.lines`); reads and serialises as a list."""

    item = DealTouch


class CommitteeMember(_Frozen):
    """A person on a deal's buying committee (a contact role)."""

    contact_id: str
    role: str | None = None


class DealAttribution(_Frozen):
    """One won deal of the window: its amount, its credit lines and its unattributed lines.

    For every model and dimension, the deal is either credited (lines summing to `amount`) or
    on one unattributed line with the reason.
    """

    deal_id: str
    closed_at: UtcDatetime | None = None
    amount: Money | None = None
    name: str | None = Field(None, description="The deal's name in the CRM")
    account_id: str | None = Field(None, description="The account (company) the deal is with")
    stage: str | None = Field(None, description="The deal's stage as known at the run's as-of")
    committee: list[CommitteeMember] = Field(
        default_factory=list, description="The buying committee: the deal's contact roles"
    )
    touches: DealTouches = Field(
        default_factory=DealTouches,
        description="The touches the models credit, in time order (the deal's journey)",
    )
    lines: CreditLines = Field(default_factory=CreditLines)
    unattributed: list[UnattributedCredit] = Field(default_factory=list)


class Reconciliation(_Frozen):
    """Per model, dimension and currency: won = credited + unattributed, to the minor unit."""

    model: str
    by: AttributionDimension
    currency: str
    won: Money = Field(description="Won in the window (the deals' amounts)")
    credited: Money = Field(description="Sum of the credit lines")
    unattributed: Money = Field(description="Sum of the unattributed lines")
    won_deals: int
    credited_deals: int
    unattributed_deals: int


class UnattributedTotal(_Frozen):
    """Won revenue one model left unattributed for one dimension, per reason and currency."""

    model: str
    by: AttributionDimension
    reason: UnattributedReason
    amount: Money
    deals: int


class DimensionTotal(_Frozen):
    """Revenue credited to one dimension value by one model, in one currency."""

    model: str
    by: AttributionDimension
    value: str
    amount: Money
    conversions: float = Field(description="Credited conversions (fractional)")
    baseline: bool = Field(
        False, description=f"The value is `{BASELINE}`: what would have converted anyway"
    )


class PipelineTotal(_Frozen):
    """Open opportunities' amounts credited to one dimension value (split evenly over their
    touches), in one currency."""

    by: AttributionDimension
    value: str
    amount: Money = Field(description="Open amount credited to the value (exact)")
    deals: int = Field(description="Open deals the value touched")


class ComparisonCell(_Frozen):
    """Share of conversions a model gives a dimension value (the model x value table)."""

    model: str
    by: AttributionDimension
    value: str
    share: float


class ModelFailure(_Frozen):
    """A model that could not be fitted on this data, and why."""

    model: str
    by: AttributionDimension
    reason: str


class ModelHoldout(_Frozen):
    """How well one data-driven model predicts conversion on journeys held out of its fit.

    Scored once per run, on the channel dimension. `reason` is set (and the metrics empty) when
    the model could not be scored.
    """

    model: str
    by: AttributionDimension = "channel"
    log_loss: float | None = Field(None, description="Mean log loss on the held-out journeys")
    auc: float | None = Field(
        None, description="Area under the ROC curve; None when the holdout has one outcome only"
    )
    train_journeys: int = Field(0, description="Journeys the model was fitted on")
    test_journeys: int = Field(0, description="Held-out journeys it was scored on")
    fraction: float = Field(description="Share of journeys drawn into the holdout")
    seed: int = Field(description="Seed of the holdout draw")
    reason: str | None = Field(None, description="Why the model could not be scored")


class AttributionBaseline(_Frozen):
    """The run's baseline: how often a journey with no touch at all converts, how sure that is
    (a bootstrap interval) and the evidence it rests on, or why there is no estimate."""

    rate: float | None = Field(description="Conversions ÷ journeys without touches; None: none")
    low: float | None = Field(None, description="Lower end of the interval")
    high: float | None = Field(None, description="Upper end of the interval")
    level: float = Field(0.95, description="Confidence level of the interval")
    journeys: int = Field(description="Journeys without touches it rests on")
    conversions: int = Field(description="Of those, journeys that converted")
    reason: str | None = Field(None, description="Why there is no estimate")


class IncrementalShare(_Frozen):
    """One value's share of won revenue under an incremental model beside the share its
    full-credit counterpart gives it, in one currency.

    Shares are credited revenue ÷ won revenue of the same deals, so an incremental model's
    values, its `BASELINE` row and what it left unattributed add up to 1.
    """

    model: str = Field(description="The incremental model")
    full_model: str = Field(description="Its full-credit counterpart (FULL_CREDIT_OF)")
    by: AttributionDimension
    value: str
    currency: str
    baseline: bool = Field(False, description=f"The value is `{BASELINE}`")
    incremental: float = Field(description="The value's credit ÷ won under `model`")
    full: float | None = Field(
        description="The value's credit ÷ won under `full_model`; None: the run did not "
        "compute it, or the value is the baseline (full credit has none)"
    )


class AttributionResults(_Frozen):
    """Per-deal lines, totals per value per currency, the comparison table, per model, the won
    deals left unattributed with their reason, the reconciliation, the data-driven models'
    holdout scores, and the baseline with the incremental models' shares."""

    models: list[str] = Field(default_factory=list)
    dimensions: list[AttributionDimension] = Field(default_factory=list)
    deals: list[DealAttribution] = Field(
        default_factory=list,
        description="The won deals of the window (amount, close); their lines are in `lines` "
        "and `unattributed`",
    )
    lines: CreditLines = Field(default_factory=CreditLines)
    unattributed: list[UnattributedCredit] = Field(default_factory=list)
    won: list[Money] = Field(default_factory=list, description="Won in the window, per currency")
    won_deals: int = Field(0, description="Deals won in the window")
    reconciliation: list[Reconciliation] = Field(default_factory=list)
    totals: list[DimensionTotal] = Field(default_factory=list)
    unattributed_totals: list[UnattributedTotal] = Field(
        default_factory=list, description="Unattributed revenue per model, reason and currency"
    )
    comparison: list[ComparisonCell] = Field(default_factory=list)
    pipeline: list[PipelineTotal] = Field(
        default_factory=list,
        description="Open pipeline influenced: open deals' amounts split evenly over the "
        "values that touched them (channel)",
    )
    failures: list[ModelFailure] = Field(default_factory=list)
    holdout: list[ModelHoldout] = Field(
        default_factory=list, description="Holdout scores of the data-driven models (channel)"
    )
    baseline: AttributionBaseline | None = Field(
        None, description="The baseline estimate the incremental models rest on"
    )
    incremental: list[IncrementalShare] = Field(
        default_factory=list,
        description="Per incremental model, dimension, value and currency: incremental share "
        "beside full-credit share",
    )


# --- survival ---------------------------------------------------------------------------------


class CurvePoint(_Frozen):
    """One step of a Kaplan-Meier curve with its confidence band."""

    t_days: float
    survival: float
    lower: float | None = None
    upper: float | None = None
    at_risk: int


SpellUnit = Literal["relationship", "account"]


class SurvivalCurve(_Frozen):
    """Time-to-transition for one segment (or everyone, when `segment` is None).

    `subjects` are relationships, or accounts for lead to won (`unit`).
    """

    transition: Transition
    unit: SpellUnit = "relationship"
    by: FunnelDimension | None = None
    segment: str | None = None
    subjects: int
    events: int
    censored: int
    median_days: float | None = None
    median_lower: float | None = None
    median_upper: float | None = None
    points: list[CurvePoint] = Field(default_factory=list)
    insufficient: str | None = Field(None, description="Why no curve could be estimated")


class HazardRatio(_Frozen):
    """A Cox model coefficient as a hazard ratio with its 95% interval."""

    feature: str
    hazard_ratio: float
    lower: float
    upper: float
    p_value: float | None = None


class Drivers(_Frozen):
    """What speeds a transition: Cox PH hazard ratios, concordance, PH check violations.

    `unit` says what a spell follows; `clustered_by` whether the standard errors are
    cluster-robust (relationships of one account are not independent).
    """

    transition: Transition
    unit: SpellUnit = "relationship"
    clustered_by: Literal["account"] | None = None
    clusters: int | None = Field(None, description="Clusters behind the robust errors")
    subjects: int = 0
    events: int = 0
    concordance: float | None = None
    ratios: list[HazardRatio] = Field(default_factory=list)
    ph_violations: list[str] = Field(
        default_factory=list, description="Features failing the proportional-hazards check"
    )
    insufficient: str | None = None


class IncidencePoint(_Frozen):
    """Aalen-Johansen cumulative incidence of one outcome (won or lost) at time t."""

    outcome: Literal["won", "lost"]
    t_days: float
    incidence: float
    lower: float | None = None
    upper: float | None = None


class CompetingRisks(_Frozen):
    """Won vs lost from an account's first lead as competing risks (subjects are accounts)."""

    unit: SpellUnit = "account"
    subjects: int = 0
    won: int = 0
    lost: int = 0
    censored: int = 0
    points: list[IncidencePoint] = Field(default_factory=list)
    insufficient: str | None = None


class SurvivalResults(_Frozen):
    """Curves per transition and segment, drivers per transition, competing risks."""

    curves: list[SurvivalCurve] = Field(default_factory=list)
    drivers: list[Drivers] = Field(default_factory=list)
    competing: CompetingRisks | None = None


# --- relationships ----------------------------------------------------------------------------


class TimelineEntry(_Frozen):
    """One touch on a relationship's timeline."""

    interaction_id: str
    occurred_at: UtcDatetime
    type: str
    direction: str
    channel: str
    campaign: str | None = None
    owner: str | None = None


class TimelineEntries(LineTable[TimelineEntry]):
    """A timeline held as columns (`rel2rev.lines`); reads and serialises as a list."""

    item = TimelineEntry


class ScorePoint(_Frozen):
    """The relationship score just after an interaction."""

    at: UtcDatetime
    score: float


class ScorePoints(LineTable[ScorePoint]):
    """A score history held as columns (`rel2rev.lines`); reads and serialises as a list."""

    item = ScorePoint


class StageMoments(_Frozen):
    """When a relationship reached each stage (None: not (yet) reached)."""

    captured_at: UtcDatetime | None = None
    qualified_at: UtcDatetime | None = None
    lapsed_at: UtcDatetime | None = None
    lead_at: UtcDatetime | None = None
    opportunity_at: UtcDatetime | None = None
    won_at: UtcDatetime | None = None
    lost_at: UtcDatetime | None = None


class Relationship(_Frozen):
    """One contact's relationship: who, stages, score, reciprocity, revenue and timeline."""

    contact_id: str
    name: str | None = None
    account_id: str | None = None
    owner: str | None = None
    stakeholder_type: str
    capture_channel: str | None = None
    score: float = Field(0.0, description="Score at the run's as-of")
    qualified: bool = False
    stages: StageMoments = StageMoments()
    interactions: int = 0
    inbound: int = 0
    outbound: int = 0
    median_response_hours: float | None = None
    revenue: list[Money] = Field(
        default_factory=list,
        description="Won revenue credited to this relationship: the deals won in the window on "
        "which it is the primary relationship, per currency (sums to won revenue)",
    )
    deals_revenue: list[Money] = Field(
        default_factory=list,
        description="Won revenue of every deal this relationship is on (overlapping between "
        "relationships: never sum it)",
    )
    timeline: TimelineEntries = Field(default_factory=TimelineEntries)
    score_history: ScorePoints = Field(default_factory=ScorePoints)


# --- spend and return -------------------------------------------------------------------------

ReturnDimension = Literal["channel", "campaign"]


class ChannelReturn(_Frozen):
    """One model's won revenue for a channel (or campaign) against its spend, in one currency.

    The return is shown only where the costs cover it: `spend` counts every cost line of the
    spend period (the window and the lookback before it), and `roas`/`roi` are set only when
    every month in which the value touched a won deal has a cost line (`missing_months` empty)
    and the spend is not zero.
    """

    model: str
    by: ReturnDimension
    value: str
    currency: str
    spend: Money | None = Field(description="Spend in the spend period; None: no cost given")
    revenue: Money = Field(description="Won revenue the model credits the value (exact)")
    roas: Decimal | None = Field(None, description="revenue / spend, to 4 decimals")
    roi: Decimal | None = Field(None, description="(revenue - spend) / spend, to 4 decimals")
    months_costed: int = Field(0, description="Months of the spend period with a cost line")
    missing_months: list[str] = Field(
        default_factory=list,
        description="Months (YYYY-MM) the value touched a won deal with no cost line",
    )


class QualifiedCost(_Frozen):
    """Spend on a channel in the window's months per qualified relationship it touched.

    Spend paid in several currencies gives one part per currency: EUR 41.47 + USD 42.87 per
    relationship is exact where a single converted figure would need exchange rates.
    """

    by: Literal["channel"] = "channel"
    value: str
    spend: list[Money] = Field(
        default_factory=list, description="Spend in the window's months, per currency"
    )
    qualified: int = Field(description="Qualified relationships (the funnel's channel rows)")
    cost_per_qualified: list[Money] = Field(
        default_factory=list,
        description="spend / qualified per currency, rounded to the minor unit; empty unless "
        "every capture month is costed",
    )
    missing_months: list[str] = Field(
        default_factory=list,
        description="Capture months (YYYY-MM) of the channel's relationships with no cost line",
    )


class ReturnResults(_Frozen):
    """Spend per channel and campaign set against attributed revenue and qualified
    relationships (see docs/costs.md)."""

    spend_from: str = Field(description="First month of the spend period (YYYY-MM)")
    spend_to: str = Field(description="Last month of the spend period (YYYY-MM)")
    window_from: str = Field(description="First month of the window (YYYY-MM)")
    cost_lines: int = Field(0, description="Cost lines of the spend period the run read")
    spend: list[Money] = Field(
        default_factory=list, description="Spend in the spend period, per currency"
    )
    returns: list[ChannelReturn] = Field(default_factory=list)
    qualified: list[QualifiedCost] = Field(default_factory=list)


# --- the whole run ----------------------------------------------------------------------------


class RunResults(_Frozen):
    """Everything a run produced; sections that failed are None (see `run.sections`)."""

    run: RunRecord
    funnel: FunnelResults | None = None
    attribution: AttributionResults | None = None
    returns: ReturnResults | None = None
    survival: SurvivalResults | None = None
    relationships: list[Relationship] | None = None
    history: list[RunRecord] = Field(
        default_factory=list,
        description="The workspace's earlier finished runs of the same window length, oldest "
        "first (their headlines give the trend)",
    )
