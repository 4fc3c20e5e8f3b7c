"""From model weights to credit: per touch, per deal (exact to the minor unit), per value."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import numpy as np

from rel2rev.attribution.report import DealLine, ModelResult, TouchCredit
from rel2rev.attribution.table import FloatArray, IntArray, JourneyTable
from rel2rev.money import Money, allocate

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
    """Per converting deal with an amount: its amount split over its values, exactly."""
    codes, labels = table.codes(dimension)
    lines: list[DealLine] = []
    for row, amount in enumerate(table.amounts):
        start, stop = int(table.offsets[row]), int(table.offsets[row + 1])
        if amount is None or table.conversions[row] <= 0 or start == stop:
            continue
        by_value: dict[str, Fraction] = defaultdict(Fraction)
        for code, weight in zip(codes[start:stop], weights[start:stop], strict=True):
            by_value[labels[code]] += Fraction(float(weight))
        positive = {value: w for value, w in by_value.items() if w > 0}
        parts = allocate(amount, positive or by_value)
        total = sum(by_value.values(), Fraction(0))
        lines.extend(
            DealLine(
                deal_id=table.ids[row],
                model=model,
                value=value,
                share=float(by_value[value] / total) if total else 1.0 / len(parts),
                amount=money,
            )
            for value, money in parts.items()
        )
    return lines


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
