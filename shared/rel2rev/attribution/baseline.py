"""The baseline: how often a journey converts with no touch at all, and credit that names it.

Journeys without touches (people captured with no interaction in the lookback, deals whose
buying committee had none) convert at the organic rate: no channel can have caused them. Their
conversion rate estimates the baseline directly, with a percentile bootstrap interval (each
journey redrawn with replacement: the conversions of n journeys at rate p are Binomial(n, p)).
Below `MIN_TOUCHLESS` such journeys there is no estimate, and the reason says so.

Incremental models credit the baseline as a pseudo-value, `BASELINE`, so a deal's baseline
part is one more deal line and every total ties out as before: `with_baseline_touch` gives
each converting journey one extra touch valued `BASELINE` in every dimension, and the model
weighs it like any other touch.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from rel2rev.attribution.table import JourneyTable
from rel2rev.errors import InsufficientDataError

BASELINE = "(baseline)"
"""The pseudo-value that holds the organic part of incremental credit."""
MIN_TOUCHLESS = 30
"""Fewest journeys without touches (counts) the baseline rate is estimated from."""
DRAWS = 2000
"""Bootstrap draws of the baseline interval."""


class BaselineEstimate(BaseModel):
    """The conversion rate of journeys without touches, how sure it is, what it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate: float | None = Field(description="Conversions ÷ journeys without touches; None: none")
    low: float | None = Field(None, description="Bootstrap percentile interval, lower end")
    high: float | None = Field(None, description="Bootstrap percentile interval, upper end")
    level: float = 0.95
    journeys: float = Field(description="Journeys without touches (sum of counts)")
    conversions: float = Field(description="Their conversions")
    reason: str | None = Field(None, description="Why there is no estimate")


def estimate_baseline(
    table: JourneyTable, *, draws: int = DRAWS, seed: int = 0, level: float = 0.95
) -> BaselineEstimate:
    """The baseline rate of `table` with a seeded bootstrap interval (`draws` 0: none)."""
    touchless = table.lengths == 0
    conversions = float(np.rint(table.conversions[touchless]).sum())
    journeys = conversions + float(np.rint(table.nulls[touchless]).sum())
    if journeys < MIN_TOUCHLESS:
        return BaselineEstimate(
            rate=None,
            journeys=journeys,
            conversions=conversions,
            level=level,
            reason=f"{journeys:g} journey{'' if journeys == 1 else 's'} without touches; the "
            f"baseline needs {MIN_TOUCHLESS}",
        )
    rate = conversions / journeys
    if draws <= 0:
        return BaselineEstimate(rate=rate, journeys=journeys, conversions=conversions, level=level)
    drawn = np.random.default_rng(seed).binomial(int(journeys), rate, size=draws) / journeys
    tail = (1.0 - level) / 2.0 * 100.0
    return BaselineEstimate(
        rate=rate,
        low=float(np.percentile(drawn, tail)),
        high=float(np.percentile(drawn, 100.0 - tail)),
        level=level,
        journeys=journeys,
        conversions=conversions,
    )


def baseline_rate(table: JourneyTable, model: str) -> float:
    """The point estimate a model plays with; `InsufficientDataError` (with the reason) when
    there is none."""
    found = estimate_baseline(table, draws=0)
    if found.rate is None:
        raise InsufficientDataError(f"{model}: no baseline rate: {found.reason}")
    return found.rate


def with_baseline_touch(table: JourneyTable) -> JourneyTable:
    """`table` with one more touch at the end of every converting journey, at its end, valued
    `BASELINE` in every dimension (the label after the others: the other codes are kept)."""
    for dimension, (_, labels) in table.dimensions.items():
        if BASELINE in labels:
            raise InsufficientDataError(f"{dimension}: a value is named {BASELINE}, reserved")
    extra = (table.conversions > 0).astype(np.int64)
    lengths = table.lengths + extra
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    shifted = (
        np.arange(table.n_touches, dtype=np.int64)
        + (offsets[:-1] - table.offsets[:-1])[table.touch_journey]
    )
    added = offsets[1:][extra > 0] - 1
    touch_s = np.empty(int(offsets[-1]))
    touch_s[shifted] = table.touch_s
    touch_s[added] = table.end_s[extra > 0]
    dimensions = {}
    for dimension, (codes, labels) in table.dimensions.items():
        moved = np.empty(int(offsets[-1]), dtype=np.int64)
        moved[shifted] = codes
        moved[added] = len(labels)
        dimensions[dimension] = (moved, [*labels, BASELINE])
    return JourneyTable(
        ids=table.ids,
        conversions=table.conversions,
        nulls=table.nulls,
        amounts=table.amounts,
        end_s=table.end_s,
        stage_s=table.stage_s,
        offsets=offsets,
        touch_s=touch_s,
        dimensions=dimensions,
        reasons=table.reasons,
    )
