"""Typed, JSON-serialisable survival results; every number is finite or None, never NaN."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rel2rev.records import UtcDatetime


def finite(value: float | None) -> float | None:
    """`value` as a float if finite, else None (NaN and infinities never leave this package)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class Insufficient(_Result):
    """Why a model could not be estimated on the data given."""

    reason: str


class CurvePoint(_Result):
    """A step of a survival or cumulative-incidence curve at `time` (resolution units)."""

    time: float
    estimate: float
    lower: float | None
    upper: float | None
    at_risk: int
    events: int
    censored: int


class KaplanMeierCurve(_Result):
    """Kaplan-Meier estimate for one segment (`segment` None = everyone)."""

    segment: str | None
    n: int
    events: int
    median: float | None
    median_lower: float | None
    median_upper: float | None
    points: list[CurvePoint]
    insufficient: Insufficient | None = None


class SurvivalReport(_Result):
    """Kaplan-Meier curves of one transition, overall and per segment."""

    workspace: str
    transition: str
    as_of: UtcDatetime
    resolution_days: float
    by: str | None
    n: int
    events: int
    censored: int
    excluded: int
    overall: KaplanMeierCurve
    segments: list[KaplanMeierCurve]
    unit: Literal["relationship", "account"] = Field(
        "relationship", description="What one spell follows: a relationship or an account"
    )

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per curve point, segments after the overall curve."""
        return [
            {
                "transition": self.transition,
                "segment": curve.segment,
                "n": curve.n,
                "median": curve.median,
                "median_lower": curve.median_lower,
                "median_upper": curve.median_upper,
                **point.model_dump(),
            }
            for curve in [self.overall, *self.segments]
            for point in curve.points
        ]


class HazardRatio(_Result):
    """One feature's effect: hazard ratio exp(coef) with its CI; `ph_p` the PH-test p-value."""

    feature: str
    coef: float
    se: float
    hazard_ratio: float
    lower: float
    upper: float
    p: float | None
    ph_p: float | None = None


class CoxReport(_Result):
    """Cox model of one transition: which features speed it up (HR > 1) or slow it down."""

    workspace: str
    transition: str
    as_of: UtcDatetime
    resolution_days: float
    time_varying: bool
    n: int
    events: int
    features: list[str]
    dropped: dict[str, str]
    hazard_ratios: list[HazardRatio]
    concordance: float | None
    log_likelihood: float | None
    ph_violations: list[str]
    ph_spells: int = Field(0, description="Spells the PH test ran on (a subsample if large)")
    insufficient: Insufficient | None = None
    unit: Literal["relationship", "account"] = Field(
        "relationship", description="What one spell follows: a relationship or an account"
    )
    clustered_by: Literal["account"] | None = Field(
        None, description="Standard errors are cluster-robust by this (None: model-based)"
    )
    clusters: int | None = Field(None, description="Number of clusters, when clustered")

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per feature."""
        return [
            {"transition": self.transition, "time_varying": self.time_varying, **h.model_dump()}
            for h in self.hazard_ratios
        ]


class CompetingRisksReport(_Result):
    """Aalen-Johansen cumulative incidence of won and lost after lead (units: accounts, as
    lead to won is followed per buying committee)."""

    workspace: str
    as_of: UtcDatetime
    resolution_days: float
    n: int
    won: int
    lost: int
    censored: int
    excluded: int
    won_incidence: list[CurvePoint]
    lost_incidence: list[CurvePoint]
    insufficient: Insufficient | None = None

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per curve point and outcome."""
        return [
            {"outcome": name, **p.model_dump()}
            for name, curve in (("won", self.won_incidence), ("lost", self.lost_incidence))
            for p in curve
        ]
