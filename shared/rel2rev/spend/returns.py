"""Spend against what it returned: per model, channel (and costed campaign) and currency.

Definitions (docs/costs.md):
- the *spend period* is every month from the start of the lookback before the window to the
  window's last month: the months whose touches can be credited with the window's revenue;
- *spend* is the sum of the value's cost lines in that period (per currency);
- a return (ROAS = revenue / spend, ROI = (revenue - spend) / spend) is given only when every
  month in which the value touched a won deal of the window has a cost line: a return over
  part of the months it divides would flatter the channel;
- *cost per qualified relationship* divides the spend of the window's months by the
  qualified relationships of the channel's funnel rows, when every capture month of those
  relationships has a cost line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from rel2rev.money import Money
from rel2rev.results.contracts import (
    AttributionResults,
    ChannelReturn,
    FunnelResults,
    QualifiedCost,
    ReturnDimension,
    ReturnResults,
    RunRecord,
)
from rel2rev.spend.lines import CostLine, month_of, months_between

RATIO = Decimal("0.0001")
_Key = tuple[ReturnDimension, str]


def returns_of(
    run: RunRecord,
    costs: Sequence[CostLine],
    attribution: AttributionResults | None,
    funnel: FunnelResults | None,
) -> ReturnResults:
    """The run's spend and return figures (costs outside the spend period are ignored)."""
    last = run.window_end - timedelta(microseconds=1)
    period = months_between(run.window_start - timedelta(days=run.parameters.lookback_days), last)
    window = months_between(run.window_start, last)
    inside = [c for c in costs if period[0] <= c.month <= period[-1]]
    book = _Book(inside)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in inside:
        totals[line.amount.currency] += line.amount.amount
    return ReturnResults(
        spend_from=period[0],
        spend_to=period[-1],
        window_from=window[0],
        cost_lines=len(inside),
        spend=[Money.of(totals[c], c) for c in sorted(totals)],
        returns=_returns(book, attribution, set(period)) if attribution is not None else [],
        qualified=_qualified(book, funnel, set(window)) if funnel is not None else [],
    )


class _Book:
    """Cost lines by (dimension, lower-case value): spend per currency and costed months."""

    def __init__(self, lines: Iterable[CostLine]) -> None:
        self.spend: dict[_Key, dict[str, dict[str, Decimal]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(Decimal))
        )
        for line in lines:
            currency, month = line.amount.currency, line.month
            self.spend[("channel", line.channel)][currency][month] += line.amount.amount
            if line.campaign is not None:
                campaign: _Key = ("campaign", line.campaign.lower())
                self.spend[campaign][currency][month] += line.amount.amount

    def total(self, key: _Key, currency: str, months: set[str]) -> Money | None:
        """Spend of the value in these months, or None when no line covers any of them."""
        by_month = self.spend.get(key, {}).get(currency, {})
        found = [amount for month, amount in by_month.items() if month in months]
        return Money.of(sum(found, Decimal(0)), currency) if found else None

    def costed(self, key: _Key, currency: str) -> set[str]:
        """Months the value has a cost line in, in this currency."""
        return set(self.spend.get(key, {}).get(currency, {}))


def _ratio(value: Decimal) -> Decimal:
    return value.quantize(RATIO, rounding=ROUND_HALF_EVEN)


def _touched_months(
    attribution: AttributionResults, period: set[str]
) -> dict[tuple[_Key, str], set[str]]:
    """Months in which each channel and campaign touched a won deal of the window in a
    currency (the deal's)."""
    months: dict[tuple[_Key, str], set[str]] = defaultdict(set)
    for deal in attribution.deals:
        if deal.amount is None:
            continue
        currency, touches = deal.amount.currency, deal.touches
        for at, channel, campaign in zip(
            touches.column("at"), touches.column("channel"), touches.column("campaign"), strict=True
        ):
            if at is None or month_of(at) not in period:
                continue
            months[(("channel", channel.lower()), currency)].add(month_of(at))
            if campaign:
                months[(("campaign", campaign.lower()), currency)].add(month_of(at))
    return months


def _returns(book: _Book, attribution: AttributionResults, period: set[str]) -> list[ChannelReturn]:
    revenue: dict[tuple[str, ReturnDimension, str, str], Decimal] = defaultdict(Decimal)
    for total in attribution.totals:  # the baseline (organic) part has no spend to return
        if total.by in ("channel", "campaign") and not total.baseline:
            key = (total.model, total.by, total.value.lower(), total.amount.currency)
            revenue[key] += total.amount.amount
    touched = _touched_months(attribution, period)
    costed_keys = {
        (by, value, currency)
        for (by, value), currencies in book.spend.items()
        for currency in currencies
    }
    rows = []
    for model in attribution.models:
        # every credited channel; campaigns only where costs name them
        keys = costed_keys | {
            (by, v, cur) for (m, by, v, cur) in revenue if m == model and by == "channel"
        }
        for by, value, currency in sorted(keys):
            earned = Money.of(revenue.get((model, by, value, currency), Decimal(0)), currency)
            rows.append(_row(book, model, (by, value), earned, touched=touched, period=period))
    return rows


def _row(
    book: _Book,
    model: str,
    key: _Key,
    revenue: Money,
    *,
    touched: dict[tuple[_Key, str], set[str]],
    period: set[str],
) -> ChannelReturn:
    currency = revenue.currency
    spend = book.total(key, currency, period)
    costed = book.costed(key, currency) & period
    missing = sorted(touched.get((key, currency), set()) - costed)
    roas = roi = None
    if spend is not None and spend.amount > 0 and not missing:
        roas = _ratio(revenue.amount / spend.amount)
        roi = _ratio((revenue.amount - spend.amount) / spend.amount)
    return ChannelReturn(
        model=model,
        by=key[0],
        value=key[1],
        currency=currency,
        spend=spend,
        revenue=revenue,
        roas=roas,
        roi=roi,
        months_costed=len(costed),
        missing_months=missing,
    )


def _qualified(book: _Book, funnel: FunnelResults, window: set[str]) -> list[QualifiedCost]:
    qualified: dict[str, int] = defaultdict(int)
    captured: dict[str, set[str]] = defaultdict(set)
    for row in funnel.rows:
        if row.by == "channel" and row.value is not None and row.cohort in window:
            qualified[row.value.lower()] += row.qualified
            if row.captured:
                captured[row.value.lower()].add(row.cohort)
    channels = {c for c, n in qualified.items() if n} | {
        v for (by, v) in book.spend if by == "channel"
    }
    return [
        _cost_per_qualified(book, c, qualified.get(c, 0), captured.get(c, set()), window)
        for c in sorted(channels)
    ]


def _cost_per_qualified(
    book: _Book, channel: str, qualified: int, captured: set[str], window: set[str]
) -> QualifiedCost:
    key: _Key = ("channel", channel)
    currencies = sorted(book.spend.get(key, {}))
    spend = [m for c in currencies if (m := book.total(key, c, window)) is not None]
    costed = set().union(*(book.costed(key, c) for c in currencies))
    missing = sorted(captured - costed)
    per = []
    if spend and qualified and not missing:
        per = [Money.rounded(m.amount / qualified, m.currency) for m in spend]
    return QualifiedCost(
        value=channel,
        spend=spend,
        qualified=qualified,
        cost_per_qualified=per,
        missing_months=missing,
    )
