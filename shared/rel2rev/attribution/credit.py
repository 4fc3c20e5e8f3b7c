"""From model weights to credit: per touch, per deal (exact to the minor unit), per value."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from rel2rev.attribution.report import DealLine, ModelResult, TouchCredit
from rel2rev.attribution.table import BoolArray, FloatArray, IntArray, JourneyTable
from rel2rev.money import Money, allocate, minor_exponent

PairWeight = Callable[[IntArray, IntArray], FloatArray]
"""Weight of (journey row, value code) pairs, for models that weigh values, not touches."""


@dataclass
class Credit:
    """What a model produces: conversions credited per value code, and per-touch weights."""

    conversions: FloatArray
    touch_weights: Callable[[], FloatArray]
    """Lazily computed share of each touch in its journey (each journey sums to 1)."""
    diagnostics: dict[str, float] = field(default_factory=dict)


def conversions_by_value(table: JourneyTable, dimension: str, weights: FloatArray) -> FloatArray:
    """Σ over touches of weight × the journey's conversions, per value code."""
    codes, labels = table.codes(dimension)
    credited = weights * table.conversions[table.touch_journey]
    return np.bincount(codes, weights=credited, minlength=len(labels)).astype(np.float64)


def spread_over_touches(table: JourneyTable, dimension: str, pair_weight: PairWeight) -> FloatArray:
    """Touch weights from value weights: normalised over the values on each journey (all zero:
    even), then each value's part split evenly over its touches on that journey."""
    codes, labels = table.codes(dimension)
    n_values = max(len(labels), 1)
    key = table.touch_journey * n_values + codes
    pairs, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    journey, code = pairs // n_values, pairs % n_values
    weight = np.maximum(pair_weight(journey, code), 0.0)
    total = np.bincount(journey, weights=weight, minlength=table.n_journeys)
    weight = np.where(total[journey] > 0, weight, 1.0)
    total = np.bincount(journey, weights=weight, minlength=table.n_journeys)
    share = weight / total[journey]
    result: FloatArray = share[inverse] / counts[inverse]
    return result


def finish(
    table: JourneyTable,
    dimension: str,
    model: str,
    credit: Credit,
    *,
    detail: bool,
    touches: bool,
) -> ModelResult:
    """Shares and conversions per value; with `detail`, deal lines and revenue; with `touches`,
    touch credits."""
    _, labels = table.codes(dimension)
    total = float(credit.conversions.sum())
    shares = credit.conversions / total if total > 0 else np.zeros(len(labels))
    result = ModelResult(
        model=model,
        shares={label: float(s) for label, s in zip(labels, shares, strict=True)},
        conversions={label: float(c) for label, c in zip(labels, credit.conversions, strict=True)},
        diagnostics=credit.diagnostics,
    )
    weights = credit.touch_weights() if detail or touches else None
    if detail and weights is not None:
        result.deal_lines = deal_lines(table, dimension, model, weights)
        result.revenue = revenue_totals(result.deal_lines)
    if touches and weights is not None:
        result.touch_credits = touch_credits(table, dimension, weights)
    return result


def deal_lines(
    table: JourneyTable, dimension: str, model: str, weights: FloatArray
) -> list[DealLine]:
    """Per converting deal with an amount: its amount split over its values, exactly.

    `rel2rev.money.allocate`'s rule (floors of the exact shares in minor units, the units left
    one each to the largest remainders, ties to the value touched first), vectorised over all
    deals in float64; a deal whose deciding remainders are within 1e-6 of a unit of each other
    (or whose amount is beyond float64 integers) goes through `allocate` itself with exact
    rational weights, so every split equals `allocate`'s. Values with zero weight get no line
    (unless all are zero: then the deal is split evenly).
    """
    codes, labels = table.codes(dimension)
    n_values = max(len(labels), 1)
    amounts = {
        row: amount
        for row, amount in enumerate(table.amounts)
        if amount is not None and table.conversions[row] > 0 and table.lengths[row] > 0
    }
    if not amounts:
        return []
    is_deal = np.zeros(table.n_journeys, dtype=bool)
    is_deal[list(amounts)] = True
    touches = np.flatnonzero(is_deal[table.touch_journey])
    key = table.touch_journey[touches] * n_values + codes[touches]
    pairs, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    raw = np.bincount(inverse, weights=weights[touches], minlength=len(pairs))
    journey = pairs // n_values
    total = np.bincount(journey, weights=raw, minlength=table.n_journeys)
    keep = (raw > 0) | (total[journey] <= 0)
    pairs, first, raw, journey = pairs[keep], first[keep], raw[keep], journey[keep]
    counts = np.bincount(journey, minlength=table.n_journeys)
    share = np.where(
        total[journey] > 0, raw / np.where(total > 0, total, 1.0)[journey], 1.0 / counts[journey]
    )
    deals, group = np.unique(journey, return_inverse=True)
    money = [amounts[int(j)] for j in deals]
    units, unsure = _largest_remainder(money, group, first, share)
    for g in np.flatnonzero(unsure):
        mine = np.flatnonzero(group == g)
        exact = _exact_split(table, int(deals[g]), weights, codes, pairs[mine] % n_values)
        units[mine] = [exact[int(c)] for c in pairs[mine] % n_values]
    return [
        DealLine.model_construct(
            deal_id=table.ids[int(deals[g])],
            model=model,
            value=labels[int(c)],
            share=float(sh),
            amount=_money(int(u), money[g]),
        )
        for g, c, sh, u in zip(group, pairs % n_values, share, units, strict=True)
    ]


def _largest_remainder(
    totals: list[Money], group: IntArray, first: IntArray, share: FloatArray
) -> tuple[npt.NDArray[np.object_], BoolArray]:
    """Minor units of each part (`share` of its group's total; floors, then the units left to
    the largest remainders, ties to the smallest `first`; `group` sorted), and the groups whose
    outcome float64 cannot be trusted to decide."""
    units = np.array([m.minor_units for m in totals], dtype=object)
    magnitude = np.abs(units.astype(np.float64))
    unsure = magnitude >= 2**52
    size = np.where(unsure, 0, magnitude).astype(np.int64)
    exact = size[group] * share
    floors = np.floor(exact).astype(np.int64)
    left = size - np.bincount(group, weights=floors, minlength=len(totals)).astype(np.int64)
    remainder = exact - floors
    order = np.lexsort((first, -np.round(remainder, 9), group))
    starts = np.searchsorted(group[order], np.arange(len(totals)))
    rank = np.arange(len(order)) - starts[group[order]]
    floors[order[rank < left[group[order]]]] += 1
    counts = np.bincount(group, minlength=len(totals))
    cut = (left > 0) & (left < counts)
    ranked = remainder[order]
    gap = (
        ranked[np.minimum(starts + left - 1, len(order) - 1)]
        - ranked[np.minimum(starts + left, len(order) - 1)]
    )
    unsure |= cut & (gap < 1e-6)
    sign = np.where(np.array([u < 0 for u in units]), -1, 1)[group]
    return (sign * floors).astype(object), unsure


def _exact_split(
    table: JourneyTable, row: int, weights: FloatArray, codes: IntArray, values: IntArray
) -> dict[int, int]:
    """One deal through `rel2rev.money.allocate`, weights summed as exact rationals in
    first-touch order; minor units per value code."""
    by_value: dict[int, Fraction] = {}
    for i in range(int(table.offsets[row]), int(table.offsets[row + 1])):
        code = int(codes[i])
        by_value[code] = by_value.get(code, Fraction(0)) + Fraction(float(weights[i]))
    wanted = {int(c) for c in values}
    chosen = {c: w for c, w in by_value.items() if c in wanted}
    amount = table.amounts[row]
    assert amount is not None
    return {c: m.minor_units for c, m in allocate(amount, chosen).items()}


def _money(units: int, like: Money) -> Money:
    """`units` minor units in `like`'s currency, built without re-validating."""
    exponent = minor_exponent(like.currency)
    return Money.model_construct(amount=Decimal(units).scaleb(-exponent), currency=like.currency)


def revenue_totals(lines: list[DealLine]) -> dict[str, dict[str, Money]]:
    """Per currency, per value: the exact sum of the deal lines."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in lines:
        sums[line.amount.currency][line.value] += line.amount.amount
    return {
        currency: {value: Money(amount=a, currency=currency) for value, a in values.items()}
        for currency, values in sums.items()
    }


def touch_credits(table: JourneyTable, dimension: str, weights: FloatArray) -> list[TouchCredit]:
    """One credit per touch of every journey."""
    codes, labels = table.codes(dimension)
    tj = table.touch_journey
    position = np.arange(table.n_touches) - table.offsets[tj]
    out: list[TouchCredit] = []
    for i in range(table.n_touches):
        row = int(tj[i])
        seconds = table.touch_s[i]
        out.append(
            TouchCredit(
                journey_id=table.ids[row],
                position=int(position[i]),
                at=None if np.isnan(seconds) else datetime.fromtimestamp(float(seconds), tz=UTC),
                value=labels[codes[i]],
                share=float(weights[i]),
                conversions=float(weights[i] * table.conversions[row]),
            )
        )
    return out
