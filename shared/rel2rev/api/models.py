"""Response bodies of the finance API (money as decimal strings with their currency)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rel2rev.erasure import MAX_ERASURE_IDENTIFIERS
from rel2rev.money import CurrencyCode, Money, is_known_currency, minor_exponent
from rel2rev.records import Channel, Identifier, IdentifierKind, Label
from rel2rev.results.contracts import (
    BASELINE,
    AttributionBaseline,
    AttributionDimension,
    ChannelReturn,
    CommitteeMember,
    ComparisonCell,
    CompetingRisks,
    DealTouch,
    DimensionTotal,
    Drivers,
    FunnelDimension,
    IncrementalShare,
    ModelFailure,
    QualifiedCost,
    Reconciliation,
    Relationship,
    ReturnDimension,
    RunParameters,
    RunRecord,
    StageDelay,
    SurvivalCurve,
    Transition,
    UnattributedReason,
    UnattributedTotal,
    UnplacedRevenue,
)
from rel2rev.spend import CostLine, Month

MAX_COST_LINES = 1000
"""Cost lines one `PUT /v1/costs` may carry."""
_DECIMAL_TEXT = r"^[0-9]{1,15}(\.[0-9]{1,4})?$"


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ErrorInfo(_Body):
    """What went wrong: a stable code, a sentence, and per field what is wrong with it."""

    code: str = Field(examples=["unprocessable"])
    message: str = Field(examples=["run run_0123 did not compute model 'markov'; it has: linear"])
    details: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per offending field: `loc` (where: query, path or body, then the name) "
        "and `msg`",
    )


class ErrorResponse(_Body):
    """The body of every 4xx and 5xx the API function sends."""

    error: ErrorInfo


class FunnelGroup(_Body):
    """Summed stage counts of one cohort month and/or dimension value, with derived rates."""

    cohort: str | None = None
    value: str | None = None
    captured: int
    qualified: int
    lead: int
    opportunity: int
    won: int = Field(description="Relationships on a won deal (not deals)")
    lost: int
    qualification_rate: float | None = Field(description="qualified / captured")
    lead_rate: float | None = Field(description="lead / qualified")
    opportunity_rate: float | None = Field(description="opportunity / lead")
    win_rate: float | None = Field(description="won / (won + lost)")
    revenue: list[Money]
    revenue_per_qualified: list[Money]
    cost: list[Money]
    return_on_relationships: dict[str, Decimal] = Field(
        description="Per currency: revenue / cost, where costs are known"
    )
    vanity_interactions: int
    relationship_interactions: int


class FunnelResponse(_Body):
    """`GET /v1/funnel`: cohort groups, plus what the whole run window won and the part of it
    no capture cohort holds (the overall groups' revenue + `unplaced` = `won` when no
    `from`/`to` narrows the cohorts)."""

    run_id: str
    as_of: date
    start: date | None
    end: date | None
    by: FunnelDimension | None
    cohort: str | None
    groups: list[FunnelGroup]
    delays: list[StageDelay]
    won: list[Money] = Field(description="Won in the run's window, per currency")
    won_deals: int = Field(description="Deals won in the run's window")
    unplaced: list[UnplacedRevenue] = Field(description="Won revenue in no capture cohort, and why")


class ModelCredit(_Body):
    """Whether a model's credit is incremental (a `(baseline)` part and the values) or full
    (every conversion spread over its values: no baseline, which is not a baseline of 0)."""

    model: str
    incremental: bool = Field(description=f"True: its totals hold a `{BASELINE}` value")
    full_model: str | None = Field(
        description="An incremental model's full-credit counterpart (None for full credit)"
    )


class AttributionResponse(_Body):
    """`GET /v1/attribution`: totals per value per currency per model (+ comparison), what was
    won, what each model left unattributed and why, and the reconciliation
    (won = credited + unattributed, per model and currency; for incremental models the
    `(baseline)` total is part of what is credited). With them the run's baseline estimate,
    which models are incremental, and their shares of won revenue beside full credit."""

    run_id: str
    by: AttributionDimension
    models: list[str]
    won: list[Money] = Field(description="Won in the window (or range), per currency")
    won_deals: int = Field(description="Deals won in the window (or range)")
    totals: list[DimensionTotal]
    unattributed: list[UnattributedTotal] = Field(
        description="Won revenue a model credited to no value, per reason and currency"
    )
    reconciliation: list[Reconciliation]
    comparison: list[ComparisonCell] | None = Field(
        None, description="Model x value share table, when no model was asked for"
    )
    failures: list[ModelFailure]
    baseline: AttributionBaseline | None = Field(
        description="The run's baseline: conversion rate of journeys without touches, its "
        "interval and evidence, or why there is none (None: the run predates it)"
    )
    credit: list[ModelCredit] = Field(description="Per model: incremental or full credit")
    incremental: list[IncrementalShare] = Field(
        description="Per incremental model, value and currency: its share of won revenue "
        "beside its full-credit counterpart's"
    )


class DealLine(_Body):
    """One credit line of a deal."""

    model: str
    by: AttributionDimension
    value: str
    share: float
    amount: Money
    baseline: bool = Field(
        False, description=f"The value is `{BASELINE}`: the part that would have closed anyway"
    )


class DealGap(_Body):
    """A model that credited the deal to no value of a dimension, and why."""

    model: str
    by: AttributionDimension
    reason: UnattributedReason


class DealCredit(_Body):
    """A won deal, its amount and its credit lines: under each model and dimension, either its
    lines sum to `amount` or it is on an unattributed line with the reason."""

    deal_id: str
    closed_at: datetime | None
    amount: Money | None = Field(description="The deal's amount (None: won without one)")
    name: str | None = Field(None, description="The deal's name in the CRM")
    account_id: str | None = Field(None, description="The account (company) the deal is with")
    stage: str | None = Field(None, description="The deal's stage as known at the run's as-of")
    committee: list[CommitteeMember] = Field(
        default_factory=list, description="The buying committee: the deal's contact roles"
    )
    touches: list[DealTouch] = Field(
        default_factory=list,
        description="The touches the models credit, in time order (the deal's journey)",
    )
    lines: list[DealLine]
    unattributed: list[DealGap] = Field(default_factory=list)


class DealsPage(_Body):
    """`GET /v1/attribution/deals`: one page of deals in close order."""

    run_id: str
    deals: list[DealCredit]
    next_cursor: str | None


class SurvivalResponse(_Body):
    """`GET /v1/survival/{transition}`."""

    run_id: str
    transition: Transition
    by: FunnelDimension | None
    curves: list[SurvivalCurve]


class DriversResponse(_Body):
    """`GET /v1/survival/drivers`."""

    run_id: str
    drivers: list[Drivers]
    competing: CompetingRisks | None


class RelationshipResponse(_Body):
    """`GET /v1/relationships/{contact_id}`."""

    run_id: str
    relationship: Relationship


class RunsPage(_Body):
    """`GET /v1/runs`: latest as-of first."""

    runs: list[RunRecord]
    next_cursor: str | None


class RunRequest(_Body):
    """`POST /v1/runs` body: as-of date (default: today, UTC) and optional parameters."""

    as_of: date | None = None
    parameters: RunParameters = RunParameters()


class ErasureBody(_Body):
    """`POST /v1/erasures` body: the person to forget, by e-mail, phone and/or identifiers."""

    email: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=200)
    identifiers: list[Identifier] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _someone(self) -> ErasureBody:
        if not (self.email or self.phone or self.identifiers):
            raise ValueError("name the person: email, phone or identifiers")
        named = len(self.identifiers) + bool(self.email) + bool(self.phone)
        if named > MAX_ERASURE_IDENTIFIERS:
            raise ValueError(f"at most {MAX_ERASURE_IDENTIFIERS} identifiers in all")
        return self

    def all_identifiers(self) -> list[Identifier]:
        """Every identifier the body names."""
        named = [
            Identifier(kind=IdentifierKind.EMAIL, value=self.email) if self.email else None,
            Identifier(kind=IdentifierKind.PHONE, value=self.phone) if self.phone else None,
        ]
        return [*(i for i in named if i is not None), *self.identifiers]


class ExportLink(_Body):
    """One export file and a time-limited download URL."""

    name: str
    url: str
    expires_in: int


class ExportsResponse(_Body):
    """`GET /v1/runs/{run_id}/exports`."""

    run_id: str
    exports: list[ExportLink]


class CostLineBody(_Body):
    """One month's cost of a channel, or of one campaign on it (`PUT` and `GET /v1/costs`)."""

    month: Month = Field(description="Calendar month, YYYY-MM", examples=["2026-03"])
    channel: Channel = Field(
        description="Channel name as interactions carry it (matched case-insensitively; "
        "stored lower-case)",
        examples=["paid"],
    )
    campaign: Label | None = Field(
        None, description="Campaign; absent or null: the channel's cost not tied to a campaign"
    )
    amount: str = Field(
        description="Spend, a non-negative decimal string with at most the currency's "
        "minor-unit decimals (never a JSON number)",
        examples=["4200.00"],
        json_schema_extra={"pattern": _DECIMAL_TEXT},
    )
    currency: CurrencyCode = Field(description="ISO 4217 code, upper case")

    @field_validator("amount")
    @classmethod
    def _decimal_text(cls, value: str) -> str:
        if value.lstrip().startswith("-"):
            raise ValueError("a cost cannot be negative")
        if not re.fullmatch(_DECIMAL_TEXT, value):
            raise ValueError(f"{value!r} is not a decimal string like '4200.00'")
        return value

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str) -> str:
        if not is_known_currency(value):
            raise ValueError(f"unknown ISO 4217 currency {value!r}")
        return value

    @model_validator(mode="after")
    def _minor_unit(self) -> Self:
        decimals = len(self.amount.partition(".")[2])
        if decimals > minor_exponent(self.currency):
            raise ValueError(
                f"amount: {self.currency} amounts have at most "
                f"{minor_exponent(self.currency)} decimals"
            )
        return self

    def cost_line(self) -> CostLine:
        """The line as the domain holds it."""
        return CostLine(
            month=self.month,
            channel=self.channel,
            campaign=self.campaign,
            amount=Money.of(self.amount, self.currency),
        )

    @classmethod
    def of(cls, line: CostLine) -> CostLineBody:
        """A stored line in the API's flat shape."""
        return cls(
            month=line.month,
            channel=line.channel,
            campaign=line.campaign,
            amount=str(line.amount.amount),
            currency=line.amount.currency,
        )


class CostsBody(_Body):
    """`PUT /v1/costs` body: up to 1000 lines, no two with the same (month, channel,
    campaign, currency); each replaces the stored line with its key."""

    lines: list[CostLineBody] = Field(min_length=1, max_length=MAX_COST_LINES)


class CostsStored(_Body):
    """`PUT /v1/costs`: the lines stored and their total per currency."""

    stored: int
    spend: list[Money] = Field(description="Sum of the lines stored, per currency")


class CostsResponse(_Body):
    """`GET /v1/costs`: the lines of the months asked for, by month, channel, campaign and
    currency."""

    lines: list[CostLineBody]


class ReturnsResponse(_Body):
    """`GET /v1/returns`: spend against the revenue each model credits a channel or campaign,
    and spend per qualified relationship. A return (`roas`, `roi`) is given only where the
    costs cover every month in which the value touched a won deal (`missing_months` empty)."""

    run_id: str
    by: ReturnDimension | None
    models: list[str]
    spend_from: str = Field(description="First month of the spend period (YYYY-MM)")
    spend_to: str = Field(description="Last month of the spend period (YYYY-MM)")
    window_from: str = Field(description="First month of the run's window (YYYY-MM)")
    cost_lines: int = Field(description="Cost lines of the spend period the run read")
    spend: list[Money] = Field(description="Spend in the spend period, per currency")
    returns: list[ChannelReturn]
    qualified: list[QualifiedCost] = Field(
        description="Spend in the window's months per qualified relationship, per channel"
    )
