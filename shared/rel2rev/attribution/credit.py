"""From model weights to credit: per touch, per deal (exact to the minor unit), per value."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from rel2rev.attribution.report import DealLines, ModelResult, TouchCredit, UnattributedLine
from rel2rev.attribution.table import BoolArray, FloatArray, IntArray, JourneyTable
from rel2rev.lines import decimal_of
from rel2rev.money import Money, allocate, minor_exponent

PairWeight = Callable[[IntArray, IntArray], FloatArray]
"""Weight of (journey row, value code) pairs, for models that weigh values, not touches."""


@dataclass
class Credit:
    """What a model produces: conversions credited per value code, and per-touch weights."""

    conversions: FloatArray
    touch_weights: Callable[[JourneyTable], FloatArray]
    """The share of each touch in its journey (each journey sums to 1), computed on demand for
    the model's table or a selection of its journeys (a journey's shares are its own)."""
    diagnostics: dict[str, float] = field(default_factory=dict)
    table: JourneyTable | None = None
    """The journeys `conversions` and `touch_weights` are over, when not the model's input
    (incremental models: the input with a baseline touch, `rel2rev.attribution.baseline`)."""


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
    """Shares and conversions per value; with `detail`, deal lines, revenue and the won deals
    left unattributed; with `touches`, touch credits."""
    _, labels = table.codes(dimension)
    total = float(credit.conversions.sum())
    shares = credit.conversions / total if total > 0 else np.zeros(len(labels))
    result = ModelResult(
        model=model,
        shares={label: float(s) for label, s in zip(labels, shares, strict=True)},
        conversions={label: float(c) for label, c in zip(labels, credit.conversions, strict=True)},
        diagnostics=credit.diagnostics,
    )
    weights = credit.touch_weights(table) if touches else None
    if detail:
        if weights is not None:
            result.deal_lines = deal_lines(table, dimension, model, weights)
        else:  # the deals' touches only: a small part of the journeys
            deals = table.select(np.flatnonzero(_is_deal(table)))
            result.deal_lines = deal_lines(deals, dimension, model, credit.touch_weights(deals))
        result.revenue = revenue_totals(result.deal_lines)
        result.unattributed = unattributed(table, model)
    if weights is not None:
        result.touch_credits = touch_credits(table, dimension, weights)
    return result


def _is_deal(table: JourneyTable) -> BoolArray:
    """The journeys that get deal lines: converting, with an amount above zero and touches."""
    has_amount = np.array([_has_amount(amount) for amount in table.amounts], dtype=bool)
    return has_amount & (table.conversions > 0) & (table.lengths > 0)


def _has_amount(amount: Money | None) -> bool:
    """A deal amount there is something to split (a zero amount is `no_amount`)."""
    return amount is not None and amount.amount != 0


def unattributed(
    table: JourneyTable, model: str, reason: str | None = None
) -> list[UnattributedLine]:
    """The converting journeys `model` gave no deal line: without touches (their reason), or
    without an amount (`no_amount`); with `reason`, every converting journey (a failed model)."""
    lines = []
    for row in np.flatnonzero(table.conversions > 0):
        amount = table.amounts[int(row)]
        if reason is not None:
            why = reason if _has_amount(amount) else "no_amount"
        elif not _has_amount(amount):
            why = "no_amount"
        elif table.lengths[row] == 0:
            why = table.reason(int(row))
        else:
            continue
        lines.append(
            UnattributedLine(deal_id=table.ids[int(row)], model=model, reason=why, amount=amount)
        )
    return lines


def won_amounts(table: JourneyTable) -> dict[str, Money]:
    """Per currency, the amounts of every converting journey: what was won."""
    units: dict[str, int] = defaultdict(int)
    for row in np.flatnonzero(table.conversions > 0):
        amount = table.amounts[int(row)]
        if amount is not None:
            units[amount.currency] += amount.minor_units
    return {c: Money.from_minor_units(u, c) for c, u in sorted(units.items())}


SHARE_SCALE = 2**32
"""Deal splits weigh each value by its share rounded to a multiple of 2^-32 (an integer weight)."""
SHARE_DECIMALS = 6
"""A deal line's `share` is shown rounded to this many decimals; its money is exact."""


def deal_lines(table: JourneyTable, dimension: str, model: str, weights: FloatArray) -> DealLines:
    """Per converting deal with an amount and touches: its amount split over its values, exactly.

    A value's share of a deal is the sum of its touches' weights over the deal's (all zero:
    the values share evenly), rounded to an integer weight w = round(share × 2^32). The amount
    is split by `rel2rev.money.allocate` over these integer weights (floors of the exact parts
    in minor units, the units left one each to the largest remainders, ties to the value
    touched first), so `allocate(amount, {value: w})` reproduces every line. Values whose
    weight rounds to 0, or whose part is less than one minor unit, get no line; `share` is
    w over the deal's weights, rounded to `SHARE_DECIMALS` for display. Done in exact int64
    arithmetic for every deal below 2^31 minor units, through `allocate` itself above. The
    lines come back as columns.
    """
    codes, labels = table.codes(dimension)
    n_values = max(len(labels), 1)
    is_deal = _is_deal(table)
    amounts = {
        int(row): amount
        for row in np.flatnonzero(is_deal)
        if (amount := table.amounts[int(row)]) is not None
    }
    if not amounts:
        return DealLines()
    touches = np.flatnonzero(is_deal[table.touch_journey])
    key = table.touch_journey[touches] * n_values + codes[touches]
    pairs, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    raw = np.bincount(inverse, weights=np.maximum(weights[touches], 0.0), minlength=len(pairs))
    journey = pairs // n_values
    total = np.bincount(journey, weights=raw, minlength=table.n_journeys)
    counts = np.bincount(journey, minlength=table.n_journeys)
    share = np.where(
        total[journey] > 0, raw / np.where(total > 0, total, 1.0)[journey], 1.0 / counts[journey]
    )
    scaled = np.rint(share * SHARE_SCALE).astype(np.int64)
    keep = scaled > 0
    pairs, first, scaled, journey = pairs[keep], first[keep], scaled[keep], journey[keep]
    deals, group = np.unique(journey, return_inverse=True)
    money = [amounts[int(j)] for j in deals]
    units = np.array(split_units(money, group, first, scaled), dtype=object)
    kept = np.flatnonzero(units != 0)  # a line of no money is no line
    share = _shown(scaled[kept] / np.bincount(group, weights=scaled)[group[kept]])
    group, units, codes = group[kept], units[kept], (pairs % n_values)[kept]
    deal_ids = [table.ids[int(j)] for j in deals]
    currencies = [m.currency for m in money]
    exponents = [minor_exponent(c) for c in currencies]
    groups = group.tolist()
    return DealLines(
        {
            "deal_id": [deal_ids[g] for g in groups],
            "model": [model] * len(groups),
            "value": [labels[c] for c in codes.tolist()],
            "share": share.tolist(),
            "amount": [decimal_of(u, exponents[g]) for u, g in zip(units, groups, strict=True)],
            "amount_currency": [currencies[g] for g in groups],
        }
    )


def _shown(share: FloatArray) -> FloatArray:
    """Shares rounded to `SHARE_DECIMALS`; one that would round to 0 (a line of a few minor
    units on a large deal) keeps its first significant digits instead."""
    shown = np.round(share, SHARE_DECIMALS)
    for i in np.flatnonzero(shown == 0):
        shown[i] = float(f"{share[i]:.{SHARE_DECIMALS}g}")
    return shown


_EXACT_INT64 = 2**31
"""|amount| in minor units below which amount × weight (< 2^32) stays inside int64."""


def split_units(
    totals: list[Money], group: IntArray, first: IntArray, weights: IntArray
) -> list[int]:
    """Minor units of each part: `allocate` of each group's total over its integer `weights`,
    ties to the smallest `first` (`group` sorted, weights positive)."""
    units = np.array([m.minor_units for m in totals], dtype=object)
    big = np.array([abs(u) >= _EXACT_INT64 for u in units], dtype=bool)
    size = np.array([0 if b else abs(int(u)) for u, b in zip(units, big, strict=True)], np.int64)
    weight_sum = np.bincount(group, weights=weights).astype(np.int64)
    product = size[group] * weights
    floors = product // weight_sum[group]
    remainder = product - floors * weight_sum[group]
    left = size - np.bincount(group, weights=floors, minlength=len(totals)).astype(np.int64)
    order = np.lexsort((first, -remainder, group))
    starts = np.searchsorted(group[order], np.arange(len(totals)))
    rank = np.arange(len(order)) - starts[group[order]]
    floors[order[rank < left[group[order]]]] += 1
    sign = np.where(np.array([u < 0 for u in units], dtype=bool), -1, 1)[group]
    out: list[int] = (sign * floors).tolist()
    for g in np.flatnonzero(big):
        mine = np.flatnonzero(group == g)
        ranked = mine[np.argsort(first[mine], kind="stable")]
        parts = allocate(totals[g], {int(i): int(weights[i]) for i in ranked})
        for i, part in parts.items():
            out[i] = part.minor_units
    return out


def revenue_totals(lines: DealLines) -> dict[str, dict[str, Money]]:
    """Per currency, per value: the exact sum of the deal lines."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for value, amount, currency in zip(
        lines.column("value"),
        lines.column("amount"),
        lines.column("amount_currency"),
        strict=True,
    ):
        sums[currency][value] += amount
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
