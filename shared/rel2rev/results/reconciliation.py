"""Won = credited + unattributed: per-deal grouping and the reconciliation of a run's figures.

Pure functions over the result models, shared by the job (which stores the reconciliation),
the results store (one item per deal) and the API (the same sums over a date range).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from rel2rev.money import Money, minor_exponent
from rel2rev.results.contracts import (
    BASELINE,
    FULL_CREDIT_OF,
    AttributionDimension,
    CreditLine,
    CreditLines,
    DealAttribution,
    DimensionTotal,
    IncrementalShare,
    Reconciliation,
    UnattributedCredit,
    UnattributedTotal,
)


def deal_attributions(
    lines: CreditLines | Iterable[CreditLine],
    gaps: Iterable[UnattributedCredit],
    won: Iterable[DealAttribution],
) -> list[DealAttribution]:
    """Every won deal with its credit and unattributed lines, in the order of `won`."""
    if not isinstance(lines, CreditLines):
        lines = CreditLines.of(lines)
    rows: dict[str, list[int]] = {}
    missing: dict[str, list[UnattributedCredit]] = {}
    deals = list(won)
    for deal in deals:
        rows[deal.deal_id], missing[deal.deal_id] = [], []
    for row, deal_id in enumerate(lines.column("deal_id")):
        rows[deal_id].append(row)
    for gap in gaps:
        missing[gap.deal_id].append(gap)
    return [
        deal.model_copy(
            update={"lines": lines.take(rows[deal.deal_id]), "unattributed": missing[deal.deal_id]}
        )
        for deal in deals
    ]


def reconcile(
    deals: Iterable[DealAttribution],
    models: Sequence[str],
    dimensions: Sequence[AttributionDimension],
) -> list[Reconciliation]:
    """Per model, dimension and currency: what the deals won, what was credited and what was
    left unattributed (sums of minor units, so exact), with deal counts.

    `won` comes from the deals' own amounts, independently of any model's lines, so a row
    whose credited + unattributed differs from won points at a lost or doubled deal.
    """
    won: dict[str, int] = defaultdict(int)
    won_deals: dict[str, int] = defaultdict(int)
    credited: dict[tuple[str, str, str], int] = defaultdict(int)
    credited_deals: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    missing: dict[tuple[str, str, str], int] = defaultdict(int)
    missing_deals: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for deal in deals:
        if deal.amount is None:
            continue
        currency = deal.amount.currency
        won[currency] += deal.amount.minor_units
        won_deals[currency] += 1
        scale = minor_exponent(currency)
        for model, by, amount in zip(
            deal.lines.column("model"),
            deal.lines.column("by"),
            deal.lines.column("amount"),
            strict=True,
        ):
            key = (model, by, currency)
            credited[key] += int(amount.scaleb(scale))
            credited_deals[key].add(deal.deal_id)
        for gap in deal.unattributed:
            if gap.amount is not None:
                key = (gap.model, gap.by, currency)
                missing[key] += gap.amount.minor_units
                missing_deals[key].add(deal.deal_id)
    return [
        Reconciliation(
            model=model,
            by=by,
            currency=currency,
            won=Money.from_minor_units(won[currency], currency),
            credited=Money.from_minor_units(credited[(model, by, currency)], currency),
            unattributed=Money.from_minor_units(missing[(model, by, currency)], currency),
            won_deals=won_deals[currency],
            credited_deals=len(credited_deals[(model, by, currency)]),
            unattributed_deals=len(missing_deals[(model, by, currency)]),
        )
        for model in models
        for by in dimensions
        for currency in sorted(won)
    ]


def credited_totals(lines: Iterable[CreditLine]) -> list[DimensionTotal]:
    """Revenue and credited conversions (sum of shares) per (model, by, value, currency)."""
    units: dict[tuple[str, str, str, str], int] = defaultdict(int)
    conversions: dict[tuple[str, str, str, str], float] = defaultdict(float)
    for line in lines:
        key = (line.model, line.by, line.value, line.amount.currency)
        units[key] += line.amount.minor_units
        conversions[key] += line.share
    return [
        DimensionTotal(
            model=model,
            by=by,  # type: ignore[arg-type]
            value=value,
            amount=Money.from_minor_units(units[key], currency),
            conversions=conversions[key],
            baseline=value == BASELINE,
        )
        for key in sorted(units)
        for model, by, value, currency in [key]
    ]


def incremental_shares(
    totals: Iterable[DimensionTotal], won: Iterable[Money], models: Sequence[str]
) -> list[IncrementalShare]:
    """Per incremental model of `models`, dimension, currency and value either it or its
    full-credit counterpart credits: the value's credit ÷ won under each (the counterpart's
    None when `totals` hold none of it, and for the baseline, which full credit has not)."""
    won_by = {m.currency: m.amount for m in won if m.amount}
    share: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    for t in totals:
        if t.amount.currency in won_by:
            key = (t.model, t.by, t.amount.currency)
            share[key][t.value] = float(t.amount.amount / won_by[t.amount.currency])
    out = []
    for (model, by, currency), parts in sorted(share.items()):
        full = FULL_CREDIT_OF.get(model)
        if model not in models or full is None:
            continue
        counterpart = share.get((full, by, currency))
        for value in sorted(parts.keys() | (counterpart or {}).keys()):
            baseline = value == BASELINE
            out.append(
                IncrementalShare(
                    model=model,
                    full_model=full,
                    by=by,  # type: ignore[arg-type]
                    value=value,
                    currency=currency,
                    baseline=baseline,
                    incremental=parts.get(value, 0.0),
                    full=None if counterpart is None or baseline else counterpart.get(value, 0.0),
                )
            )
    return out


def unattributed_totals(gaps: Iterable[UnattributedCredit]) -> list[UnattributedTotal]:
    """Unattributed revenue and deals per (model, by, reason, currency)."""
    units: dict[tuple[str, str, str, str], int] = defaultdict(int)
    deals: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for gap in gaps:
        if gap.amount is None:
            continue
        key = (gap.model, gap.by, gap.reason, gap.amount.currency)
        units[key] += gap.amount.minor_units
        deals[key] += 1
    return [
        UnattributedTotal(
            model=model,
            by=by,  # type: ignore[arg-type]
            reason=reason,  # type: ignore[arg-type]
            amount=Money.from_minor_units(units[key], currency),
            deals=deals[key],
        )
        for key in sorted(units)
        for model, by, reason, currency in [key]
    ]
