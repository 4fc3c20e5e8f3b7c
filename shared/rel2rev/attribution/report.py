"""Typed results of an attribution run: per model shares, conversions, revenue and credit lines."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from rel2rev.attribution.baseline import BaselineEstimate
from rel2rev.lines import LineTable
from rel2rev.money import Money


class DealLine(BaseModel):
    """One dimension value's part of one deal; a deal's lines sum exactly to its amount."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deal_id: str
    model: str
    value: str
    share: float
    amount: Money


class DealLines(LineTable[DealLine]):
    """Deal lines held as columns (`rel2rev.lines`); reads and serialises as `list[DealLine]`."""

    item = DealLine
    money = ("amount",)


UNATTRIBUTED_REASONS = (
    "no_linked_contact",
    "no_touch_in_lookback",
    "no_touches",
    "no_amount",
    "model_failed",
)
"""Why a won deal has no credit lines under a model (docs/definitions.md, "Unattributed")."""


class UnattributedLine(BaseModel):
    """A won deal (converting journey) a model credited to no value, and why.

    `amount` is the deal's whole amount (None for `no_amount`): per currency, a model's credit
    lines plus its unattributed lines add up to every won amount, to the minor unit.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    deal_id: str
    model: str
    reason: str
    amount: Money | None


class TouchCredit(BaseModel):
    """A touch's share of its journey's conversion under one model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    journey_id: str
    position: int = Field(description="0-based position of the touch on its journey")
    at: datetime | None
    value: str
    share: float
    conversions: float = Field(description="share × the journey's conversions")


class Interval(BaseModel):
    """A bootstrap percentile interval."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: float
    high: float


class HoldoutScore(BaseModel):
    """How well a data-driven model predicts conversion on held-out journeys."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_loss: float
    auc: float | None = Field(description="None when the holdout has only one outcome")
    journeys: float = Field(description="Held-out journeys (counts, so may be aggregated)")


class ModelResult(BaseModel):
    """Everything one model says; `error` is set (and the rest empty) when it could not run."""

    model_config = ConfigDict(extra="forbid")

    model: str
    error: str | None = None
    incremental: bool = Field(
        False,
        description="Credit splits into `(baseline)` (organic) and values; False: full credit, "
        "the model has no baseline",
    )
    shares: dict[str, float] = Field(
        default_factory=dict, description="Share of conversions per value; sums to 1"
    )
    conversions: dict[str, float] = Field(default_factory=dict)
    revenue: dict[str, dict[str, Money]] = Field(
        default_factory=dict, description="Per currency, per value: the sum of the deal lines"
    )
    deal_lines: DealLines = Field(default_factory=DealLines)
    unattributed: list[UnattributedLine] = Field(
        default_factory=list, description="Won deals with no credit line, with the reason"
    )
    touch_credits: list[TouchCredit] = Field(default_factory=list)
    share_intervals: dict[str, Interval] = Field(default_factory=dict)
    holdout: HoldoutScore | None = None
    holdout_error: str | None = Field(None, description="Why no holdout score, if asked for")
    diagnostics: dict[str, float] = Field(
        default_factory=dict, description="Model internals: P(conversion), removal effects, ..."
    )


class ComparisonRow(BaseModel):
    """One dimension value's share under every model that ran."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str
    shares: dict[str, float]


class AttributionReport(BaseModel):
    """The result of `run_models`."""

    model_config = ConfigDict(extra="forbid")

    by: str
    journeys: float = Field(description="Journeys considered (sum of counts)")
    converting_journeys: float
    unattributed_journeys: list[str] = Field(
        default_factory=list,
        description="Converting journeys without touches: no full-credit model credits them "
        "(incremental models credit them to the baseline)",
    )
    baseline: BaselineEstimate | None = Field(
        None, description="The conversion rate of journeys without touches, if estimated"
    )
    won: dict[str, Money] = Field(
        default_factory=dict,
        description="Per currency: the amounts of every converting journey (what was won)",
    )
    models: dict[str, ModelResult]
    comparison: list[ComparisonRow] = Field(default_factory=list)
