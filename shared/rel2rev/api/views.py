"""Pure views over stored results: funnel sums, deal pages, CSV, returns; cost line checks."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from rel2rev.api.models import DealCredit, DealGap, DealLine, FunnelGroup
from rel2rev.money import Money
from rel2rev.results.contracts import (
    BASELINE,
    ChannelReturn,
    DealAttribution,
    FunnelDimension,
    FunnelResults,
    QualifiedCost,
    ReturnDimension,
    ReturnResults,
)
from rel2rev.spend import CostLine

_COUNTS = ("captured", "qualified", "lead", "opportunity", "won", "lost")
_INTERACTIONS = ("vanity_interactions", "relationship_interactions")


def _month(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _sum_money(amounts: Iterable[Money]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for money in amounts:
        totals[money.currency] += money.amount
    return totals


def funnel_groups(
    funnel: FunnelResults,
    *,
    start: date | None,
    end: date | None,
    by: FunnelDimension | None,
    per_cohort: bool,
) -> list[FunnelGroup]:
    """Sum the stored cohort rows of `by` whose capture month lies in [start, end]."""
    low = _month(start) if start else "0000-00"
    high = _month(end) if end else "9999-99"
    grouped: dict[tuple[str | None, str | None], list[int]] = {}
    revenue: dict[tuple[str | None, str | None], list[Money]] = defaultdict(list)
    cost: dict[tuple[str | None, str | None], list[Money]] = defaultdict(list)
    for row in funnel.rows:
        if row.by != by or not low <= row.cohort <= high:
            continue
        key = (row.cohort if per_cohort else None, row.value)
        counts = grouped.setdefault(key, [0] * (len(_COUNTS) + len(_INTERACTIONS)))
        for i, name in enumerate(_COUNTS + _INTERACTIONS):
            counts[i] += getattr(row, name)
        revenue[key].extend(row.revenue)
        cost[key].extend(row.cost)
    groups = []
    for key in sorted(grouped, key=lambda k: (k[0] or "", k[1] or "")):
        c = dict(zip(_COUNTS + _INTERACTIONS, grouped[key], strict=True))
        rev = _sum_money(revenue[key])
        spent = _sum_money(cost[key])
        groups.append(
            FunnelGroup(
                cohort=key[0],
                value=key[1],
                **c,
                qualification_rate=_rate(c["qualified"], c["captured"]),
                lead_rate=_rate(c["lead"], c["qualified"]),
                opportunity_rate=_rate(c["opportunity"], c["lead"]),
                win_rate=_rate(c["won"], c["won"] + c["lost"]),
                revenue=[Money(amount=a, currency=cur) for cur, a in sorted(rev.items())],
                revenue_per_qualified=[
                    Money.rounded(a / c["qualified"], cur)
                    for cur, a in sorted(rev.items())
                    if c["qualified"]
                ],
                cost=[Money(amount=a, currency=cur) for cur, a in sorted(spent.items())],
                return_on_relationships={
                    cur: (rev.get(cur, Decimal(0)) / a).quantize(Decimal("0.0001"))
                    for cur, a in sorted(spent.items())
                    if a > 0
                },
            )
        )
    return groups


def deal_credit(
    deal: DealAttribution, model: str | None = None, by: str | None = None
) -> DealCredit:
    """A won deal's lines and unattributed lines (of `model` and `by`, when given)."""
    return DealCredit(
        deal_id=deal.deal_id,
        closed_at=deal.closed_at,
        amount=deal.amount,
        name=deal.name,
        account_id=deal.account_id,
        stage=deal.stage,
        committee=deal.committee,
        touches=list(deal.touches),
        lines=[
            DealLine(
                model=x.model,
                by=x.by,
                value=x.value,
                share=x.share,
                amount=x.amount,
                baseline=x.value == BASELINE,
            )
            for x in deal.lines
            if model in (None, x.model) and by in (None, x.by)
        ],
        unattributed=[
            DealGap(model=x.model, by=x.by, reason=x.reason)
            for x in deal.unattributed
            if model in (None, x.model) and by in (None, x.by)
        ],
    )


CSV_COLUMNS = (
    "deal_id", "closed_at", "model", "by", "value", "share", "amount", "currency", "unattributed",
    "deal_name", "account_id", "stage", "deal_amount",
)  # fmt: skip


def deals_csv(deals: Iterable[DealCredit]) -> str:
    """Deal credit lines as CSV, one row per line, then one row per unattributed line (empty
    value and share, the deal's amount, the reason in `unattributed`): per model, dimension
    and currency the `amount` column sums to what was won. Every row ends with what finance
    joins on: the deal's name, account, stage and whole amount. Amounts are exact decimal
    text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for deal in deals:
        closed = deal.closed_at.isoformat() if deal.closed_at else ""
        facts = (
            deal.name or "",
            deal.account_id or "",
            deal.stage or "",
            str(deal.amount.amount) if deal.amount else "",
        )
        for line in deal.lines:
            writer.writerow(
                (
                    deal.deal_id,
                    closed,
                    line.model,
                    line.by,
                    line.value,
                    repr(line.share),
                    str(line.amount.amount),
                    line.amount.currency,
                    "",
                    *facts,
                )
            )
        for gap in deal.unattributed:
            amount = deal.amount
            writer.writerow(
                (
                    deal.deal_id,
                    closed,
                    gap.model,
                    gap.by,
                    "",
                    "",
                    str(amount.amount) if amount else "",
                    amount.currency if amount else "",
                    gap.reason,
                    *facts,
                )
            )
    return out.getvalue()


def repeated_lines(lines: Sequence[CostLine]) -> list[dict[str, Any]]:
    """Per line repeating an earlier line's key (month, channel, campaign, currency): where it
    is and which line it repeats (channels compare case-insensitively)."""
    first: dict[tuple[str, ...], int] = {}
    found = []
    for index, line in enumerate(lines):
        earlier = first.setdefault(line.key, index)
        if earlier != index:
            what = ", ".join(part or "(no campaign)" for part in line.key)
            msg = f"repeats lines[{earlier}] ({what})"
            found.append({"loc": ["body", "lines", index], "msg": msg})
    return found


def returns_of_view(
    returns: ReturnResults, model: str | None, by: ReturnDimension | None
) -> tuple[list[ChannelReturn], list[QualifiedCost]]:
    """The return rows of `model` and `by` (all when None), and the cost per qualified
    relationship rows of `by`."""
    rows = [r for r in returns.returns if model in (None, r.model) and by in (None, r.by)]
    qualified = [q for q in returns.qualified if by in (None, q.by)]
    return rows, qualified
