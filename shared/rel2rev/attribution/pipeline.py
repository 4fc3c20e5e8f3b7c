"""Open pipeline influenced: open opportunities' amounts split over what touched them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

import numpy as np

from rel2rev.attribution.credit import deal_lines
from rel2rev.attribution.positional import PRESETS, position_weights
from rel2rev.attribution.table import JourneyTable
from rel2rev.money import Money

PIPELINE_MODEL = "linear"
"""Open deals have not converted, so no model learns from them: each open deal's amount is
split evenly over its touches (linear), the rule anyone can check."""


def open_pipeline(
    table: JourneyTable, amounts: Sequence[Money | None], by: str
) -> dict[tuple[str, str], tuple[Money, int]]:
    """(value, currency) -> (the open amount credited to it, the open deals it touched).

    `amounts` holds, per journey row, the amount of an open deal (None for every other row);
    an open deal without touches in the lookback is not influenced and is left out. Each
    deal's amount is split exactly (`deal_lines`), so the values' amounts sum to the amounts
    of the touched open deals, per currency.
    """
    rows = np.flatnonzero(
        np.array([a is not None for a in amounts], dtype=bool) & (table.lengths > 0)
    )
    if not len(rows):
        return {}
    deals = replace(
        table.select(rows),
        conversions=np.ones(len(rows)),
        nulls=np.zeros(len(rows)),
        amounts=[amounts[int(r)] for r in rows],
    )
    lines = deal_lines(deals, by, PIPELINE_MODEL, position_weights(deals, PRESETS["linear"]))
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    touched: dict[tuple[str, str], set[str]] = defaultdict(set)
    for deal, value, amount, currency in zip(
        lines.column("deal_id"),
        lines.column("value"),
        lines.column("amount"),
        lines.column("amount_currency"),
        strict=True,
    ):
        sums[(value, currency)] += amount
        touched[(value, currency)].add(deal)
    return {
        key: (Money(amount=total, currency=key[1]), len(touched[key]))
        for key, total in sorted(sums.items())
    }
