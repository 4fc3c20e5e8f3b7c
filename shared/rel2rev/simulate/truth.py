"""The ground truth written beside a synthetic world, and how close a model came to it.

The world converts accounts through an additive hazard: every touch of channel c adds
`channel_effects[c]` (per day) to its account's conversion hazard at the moment it happens,
halving every `half_life_days`, and counts `reciprocity_multiplier` times as much when the
relationship was already two-way (the account had answered and been answered). A won deal's
true credit per channel is the channel's share of the hazard at the moment of conversion;
`expected_shares` averages those shares over all won deals (shares of conversions, summing to
1), `expected_revenue` books each deal's amount by them, per currency, to the cent.

Organic conversions: every customer also carries a constant `baseline_hazard` (per day), and a
share of customers (`touchless_share`) is never touched at all and converts through it alone.
The incremental truth puts the baseline in the denominator: a won deal's baseline share is
λ0 / (λ0 + the touches' hazard) at its conversion (1 for a touchless buyer), a channel's
incremental share its hazard over that same total. `baseline_share` and `incremental_shares`
average them over every won deal (together they sum to 1); `expected_shares` and
`expected_revenue` keep the full credit of the deals with touches. `touchless_rate` is the
expected conversion probability of a touchless account over its time at risk (from capture to
the end), what the conversion rate of touchless journeys estimates.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from rel2rev.records import UtcDatetime


class WorldCounts(BaseModel):
    """How big the generated world is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    accounts: int = Field(description="Companies, not counting the seller itself")
    contacts: int
    interactions: int
    leads: int
    deals_won: int
    deals_lost: int
    deals_open: int
    touchless_accounts: int = Field(0, description="Customer accounts no channel touched")


class ChannelRecovery(BaseModel):
    """One channel's planted share beside a model's estimate (both shares of conversions)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    expected: float
    estimated: float

    @property
    def error_pp(self) -> float:
        """Absolute difference in percentage points."""
        return abs(self.estimated - self.expected) * 100


class Recovery(BaseModel):
    """How closely a model's channel shares match the planted ones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channels: list[ChannelRecovery]
    max_error_pp: float = Field(description="Largest per-channel error, percentage points")
    mean_error_pp: float = Field(description="Mean per-channel error, percentage points")


class GroundTruth(BaseModel):
    """The planted effects of a synthetic world and the attribution they imply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int
    workspace: str
    start: UtcDatetime
    end: UtcDatetime
    half_life_days: float
    reciprocity_multiplier: float
    channel_effects: dict[str, float] = Field(
        description="Planted conversion hazard per day one touch of the channel adds"
    )
    expected_shares: dict[str, float] = Field(
        description="Mean true channel share of won deals (shares of conversions, sum 1)"
    )
    expected_revenue: dict[str, dict[str, Decimal]] = Field(
        description="Won revenue booked by the true shares: currency -> channel -> amount"
    )
    deal_shares: dict[str, dict[str, float]] = Field(
        description="True channel shares of each won deal, by deal id"
    )
    baseline_hazard: float = Field(0.0, description="Planted organic conversion hazard per day")
    baseline_share: float = Field(
        0.0, description="Mean baseline share of the hazard at conversion over won deals"
    )
    incremental_shares: dict[str, float] = Field(
        default_factory=dict,
        description="Mean channel share of the whole hazard (baseline included) over won deals",
    )
    deal_baseline_shares: dict[str, float] = Field(
        default_factory=dict, description="Baseline share of each won deal, by deal id"
    )
    touchless_rate: float | None = Field(
        None, description="Expected conversion probability of a touchless account (None: none)"
    )
    counts: WorldCounts

    def recovery(self, estimated: Mapping[str, float]) -> Recovery:
        """Compare a model's channel shares (of conversions) with the planted ones.

        Channels the model does not name count as 0; channels unknown to the world are
        ignored. Estimates are renormalised over the world's channels before comparing.
        """
        known = {c: max(0.0, float(estimated.get(c, 0.0))) for c in self.channel_effects}
        total = sum(known.values())
        scaled = {c: v / total for c, v in known.items()} if total > 0 else known
        rows = [
            ChannelRecovery(
                channel=c, expected=self.expected_shares.get(c, 0.0), estimated=scaled[c]
            )
            for c in self.channel_effects
        ]
        errors = [r.error_pp for r in rows]
        return Recovery(
            channels=rows, max_error_pp=max(errors), mean_error_pp=sum(errors) / len(errors)
        )

    def incremental_recovery(self, estimated: Mapping[str, float]) -> Recovery:
        """Compare a model's channel shares of *all* conversions (its baseline and unattributed
        parts left out, not renormalised) with the planted incremental shares."""
        rows = [
            ChannelRecovery(
                channel=c,
                expected=self.incremental_shares.get(c, 0.0),
                estimated=max(0.0, float(estimated.get(c, 0.0))),
            )
            for c in self.channel_effects
        ]
        errors = [r.error_pp for r in rows]
        return Recovery(
            channels=rows, max_error_pp=max(errors), mean_error_pp=sum(errors) / len(errors)
        )

    def window(self) -> tuple[datetime, datetime]:
        """The time span the world covers."""
        return self.start, self.end
