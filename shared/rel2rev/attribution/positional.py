"""The position family: one configurable rule, ten presets (first ... inverse J).

A `PositionRule` gives fixed weights to anchor touches (first, last, last non-direct, or the
last touch at or before a stage event: lead created, opportunity created, closed) and spreads
`rest` over the other touches, evenly or by time decay (weight 2^(-Δt / half_life), Δt from
touch to conversion). Anchors that land on the same touch add. A journey with fewer touches
than anchors is split evenly; a journey with no non-anchor touch renormalises the anchors.
A stage event that is unknown (e.g. `paths` input) falls back to the conversion, i.e. the last
touch; a stage event before every touch anchors the first touch.

J and inverse J have no canonical definition: here J = 20% first, 60% last, 20% middle and
inverse J = 60% first, 20% last, 20% middle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from rel2rev.attribution.table import BoolArray, FloatArray, IntArray, JourneyTable
from rel2rev.errors import InsufficientDataError


class Anchor(StrEnum):
    """Which touch of a journey an anchor weight goes to."""

    FIRST = "first"
    LAST = "last"
    LAST_NON_DIRECT = "last_non_direct"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    CLOSE = "close"


_STAGE_COLUMN = {Anchor.LEAD: 0, Anchor.OPPORTUNITY: 1, Anchor.CLOSE: 2}


@dataclass(frozen=True)
class PositionRule:
    """Anchor weights plus a `rest` share spread over the remaining touches."""

    anchors: tuple[tuple[Anchor, float], ...] = ()
    rest: float = 0.0
    half_life: timedelta | None = None
    """When set, `rest` is spread by time decay instead of evenly."""
    direct_label: str = "direct"
    """Channel skipped by `Anchor.LAST_NON_DIRECT` (case-insensitive)."""


PRESETS: dict[str, PositionRule] = {
    "first": PositionRule(anchors=((Anchor.FIRST, 1.0),)),
    "last": PositionRule(anchors=((Anchor.LAST, 1.0),)),
    "last_non_direct": PositionRule(anchors=((Anchor.LAST_NON_DIRECT, 1.0),)),
    "linear": PositionRule(rest=1.0),
    "time_decay": PositionRule(rest=1.0, half_life=timedelta(days=7)),
    "u_shaped": PositionRule(anchors=((Anchor.FIRST, 0.4), (Anchor.LEAD, 0.4)), rest=0.2),
    "w_shaped": PositionRule(
        anchors=((Anchor.FIRST, 0.3), (Anchor.LEAD, 0.3), (Anchor.OPPORTUNITY, 0.3)), rest=0.1
    ),
    "full_path": PositionRule(
        anchors=(
            (Anchor.FIRST, 0.225),
            (Anchor.LEAD, 0.225),
            (Anchor.OPPORTUNITY, 0.225),
            (Anchor.CLOSE, 0.225),
        ),
        rest=0.1,
    ),
    "j_shaped": PositionRule(anchors=((Anchor.FIRST, 0.2), (Anchor.LAST, 0.6)), rest=0.2),
    "inverse_j": PositionRule(anchors=((Anchor.FIRST, 0.6), (Anchor.LAST, 0.2)), rest=0.2),
}
"""The ten position-based models by name."""


def _per_journey(
    reduce: np.ufunc, values: npt.NDArray[Any], table: JourneyTable, empty: float
) -> npt.NDArray[Any]:
    """`reduce` (np.maximum, np.minimum) of a per-touch array over each journey's touches."""
    out = np.full(table.n_journeys, empty, dtype=values.dtype)
    nonempty = table.lengths > 0
    if table.n_touches:
        out[nonempty] = reduce.reduceat(values, table.offsets[:-1][nonempty])
    return out


def anchor_positions(table: JourneyTable, anchor: Anchor, direct_label: str = "direct") -> IntArray:
    """Position (0-based, within its journey) of the anchor touch of every journey."""
    lengths = table.lengths
    last = np.maximum(lengths - 1, 0)
    if anchor is Anchor.FIRST:
        return np.zeros(table.n_journeys, dtype=np.int64)
    if anchor is Anchor.LAST:
        return last
    tj = table.touch_journey
    if anchor is Anchor.LAST_NON_DIRECT:
        codes, labels = table.codes("channel")
        direct = np.array([label.lower() == direct_label.lower() for label in labels], dtype=bool)
        if not direct.any():
            return last
        found = _per_journey(np.maximum, np.where(direct[codes], -1, table.positions), table, -1)
        return np.where(found >= 0, found, last)
    stage = table.stage_s[:, _STAGE_COLUMN[anchor]]
    if np.isnan(stage).all():
        return last
    timed = ~np.isnan(table.touch_s)
    untimed_journey = np.bincount(tj, weights=~timed, minlength=table.n_journeys) > 0
    at_or_before = np.bincount(
        tj, weights=timed & (table.touch_s <= stage[tj]), minlength=table.n_journeys
    ).astype(np.int64)
    return np.where(np.isnan(stage) | untimed_journey, last, np.maximum(at_or_before - 1, 0))


def decay_profile(table: JourneyTable, half_life: timedelta) -> FloatArray:
    """2^(-Δt / half_life) per touch, Δt from the touch to its journey's end, in exact seconds."""
    if not table.has_times:
        raise InsufficientDataError("time decay needs a time on every touch")
    tj = table.touch_journey
    end = table.end_s
    last_touch = _per_journey(np.maximum, table.touch_s, table, np.nan)
    end = np.where(np.isnan(end), last_touch, end)
    age = np.maximum(end[tj] - table.touch_s, 0.0)
    youngest = _per_journey(np.minimum, age, table, np.nan)
    profile: FloatArray = np.exp2(-(age - youngest[tj]) / half_life.total_seconds())
    return profile


Placed = list[tuple[IntArray, float]]
"""Per anchor: the anchor touch (global index) of every placed journey, and its weight."""


def _place(table: JourneyTable, rule: PositionRule) -> tuple[BoolArray, Placed, BoolArray]:
    """Journeys that take anchors (the others split evenly), anchor touches, rest-touch mask."""
    lengths = table.lengths
    placed = (lengths > 0) & (lengths >= len(rule.anchors))
    starts = table.offsets[:-1][placed]
    anchors: Placed = []
    is_rest = np.ones(table.n_touches, dtype=bool)
    for anchor, weight in rule.anchors:
        at = starts + anchor_positions(table, anchor, rule.direct_label)[placed]
        is_rest[at] = False
        anchors.append((at, weight))
    return placed, anchors, is_rest


def _scales(
    table: JourneyTable,
    rule: PositionRule,
    placed: BoolArray,
    anchors: Placed,
    rest_mass: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Per journey: the factor of its anchor weights and of its raw rest weights.

    `rest_mass` is each journey's raw rest weight (rest-touch count, or summed decay).
    """
    n = table.n_journeys
    anchor_sum = np.where(placed, sum(w for _, w in anchors), 0.0)
    rest_share = np.where(placed, rule.rest, 1.0)  # unplaced journeys: every touch is rest
    total = anchor_sum + np.where(rest_mass > 0, rest_share, 0.0)
    rest_scale = np.divide(rest_share, rest_mass * total, out=np.zeros(n), where=rest_mass > 0)
    anchor_scale = np.divide(1.0, total, out=np.zeros(n), where=placed & (total > 0))
    return anchor_scale, rest_scale


def _rest_count(table: JourneyTable, placed: BoolArray, anchors: Placed) -> FloatArray:
    """Touches per journey that are no anchor (coinciding anchors counted once)."""
    distinct = np.zeros(table.n_journeys, dtype=np.int64)
    if anchors:
        stacked = np.sort(np.stack([at for at, _ in anchors]), axis=0)
        distinct[placed] = 1 + (np.diff(stacked, axis=0) != 0).sum(axis=0)
    return (table.lengths - distinct).astype(np.float64)


def _rest_weights(
    table: JourneyTable, rule: PositionRule
) -> tuple[BoolArray, Placed, FloatArray, FloatArray]:
    """Placed journeys, anchors, per-journey anchor factor and final per-touch rest weights."""
    placed, anchors, is_rest = _place(table, rule)
    tj = table.touch_journey
    if rule.half_life is None:
        anchor_scale, rest_scale = _scales(
            table, rule, placed, anchors, _rest_count(table, placed, anchors)
        )
        return placed, anchors, anchor_scale, np.where(is_rest, rest_scale[tj], 0.0)
    profile = np.where(is_rest, decay_profile(table, rule.half_life), 0.0)
    rest_mass = np.bincount(tj, weights=profile, minlength=table.n_journeys).astype(np.float64)
    anchor_scale, rest_scale = _scales(table, rule, placed, anchors, rest_mass)
    return placed, anchors, anchor_scale, profile * rest_scale[tj]


def position_weights(table: JourneyTable, rule: PositionRule) -> FloatArray:
    """Credit share of every touch under `rule`; each journey's touches sum to 1."""
    placed, anchors, anchor_scale, weights = _rest_weights(table, rule)
    scale = anchor_scale[placed]
    for at, weight in anchors:
        weights[at] += weight * scale
    return weights


def position_conversions(table: JourneyTable, dimension: str, rule: PositionRule) -> FloatArray:
    """Conversions credited per value code under `rule` (Σ touch weight × conversions).

    Same result as weighting `position_weights` by conversions, with fewer passes over the
    touches when the rest is spread evenly (the per-journey factors are folded first).
    """
    codes, labels = table.codes(dimension)
    conversions = table.conversions
    tj = table.touch_journey
    if rule.half_life is None:
        placed, anchors, is_rest = _place(table, rule)
        anchor_scale, rest_scale = _scales(
            table, rule, placed, anchors, _rest_count(table, placed, anchors)
        )
        rest_credit = (rest_scale * conversions)[tj]
        if anchors:
            rest_credit[~is_rest] = 0.0
    else:
        placed, anchors, anchor_scale, rest_weight = _rest_weights(table, rule)
        rest_credit = rest_weight * conversions[tj]
    credited = np.bincount(codes, weights=rest_credit, minlength=len(labels)).astype(np.float64)
    scaled = (conversions * anchor_scale)[placed]
    for at, weight in anchors:
        credited += np.bincount(codes[at], weights=weight * scaled, minlength=len(labels))
    return credited
