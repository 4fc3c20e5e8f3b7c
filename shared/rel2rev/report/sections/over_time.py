"""Attributed revenue over time (by month of close and channel, under one model) and the open
pipeline the channels influence."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from rel2rev.report import formatting as f
from rel2rev.report.charts import Series, bar_chart
from rel2rev.report.sections.common import model_name, unavailable
from rel2rev.report.tables import Cell, figure, note, num, paragraph, section, table
from rel2rev.results.contracts import AttributionResults, RunResults

PREFERRED_MODELS = ("markov", "linear")
"""The model the months are shown under: the first of these the run computed (else any)."""
TOP_CHANNELS = 5
"""Channels charted by name; the rest are summed as "other channels"."""
OTHER = "other channels"


def over_time_model(attribution: AttributionResults) -> str | None:
    """The model whose channel lines the months are shown under (None: no channel lines)."""
    lines = attribution.lines
    credited = {
        m
        for m, by in zip(lines.column("model"), lines.column("by"), strict=True)
        if by == "channel"
    }
    for model in (*PREFERRED_MODELS, *attribution.models):
        if model in credited:
            return model
    return None


def _month(key: str) -> str:
    """'2026-05' as 'May 2026'."""
    year, month = key.split("-")
    return f"{date(int(year), int(month), 1):%b %Y}"


def monthly_revenue(
    attribution: AttributionResults, model: str
) -> dict[str, dict[str, dict[str, Decimal]]]:
    """currency -> month (YYYY-MM of the close) -> channel -> exact attributed revenue."""
    lines = attribution.lines
    out: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    for line_model, by, value, amount, currency, closed in zip(
        lines.column("model"),
        lines.column("by"),
        lines.column("value"),
        lines.column("amount"),
        lines.column("amount_currency"),
        lines.column("closed_at"),
        strict=True,
    ):
        if line_model == model and by == "channel" and closed is not None:
            out[currency][f"{closed:%Y-%m}"][value] += amount
    return out


def over_time_section(results: RunResults) -> str:
    """Per currency: a chart of the top channels' attributed revenue per month of close, and
    the exact table (every channel's months sum to its total in the attribution section)."""
    title = "Attributed revenue over time"
    if results.attribution is None:
        return section("over-time", title, [unavailable(results, "attribution", "Attribution")])
    model = over_time_model(results.attribution)
    if model is None:
        return section(
            "over-time", title, [note("No won deal was credited to a channel in this window.")]
        )
    body = [
        paragraph(
            f"Won revenue by the month its deal closed, split over channels by the "
            f"{model_name(model)} model (the attribution section shows every model). A month "
            "with little revenue is a month with few won deals, not necessarily a weak channel."
        )
    ]
    for currency, months in sorted(monthly_revenue(results.attribution, model).items()):
        body += _currency_block(currency, months, model)
    body += _pipeline_block(results.attribution)
    return section("over-time", title, body)


def _pipeline_block(attribution: AttributionResults) -> list[str]:
    """Open deals' amounts split evenly over the channels that touched them, per currency."""
    if not attribution.pipeline:
        return [
            "<h3>Open pipeline influenced</h3>",
            note("No open deal with an amount had a touch in the lookback."),
        ]
    body = [
        "<h3>Open pipeline influenced</h3>",
        paragraph(
            "What is still open: each open deal's amount, split evenly over the channels that "
            "touched its people in the lookback (no model can learn from deals that have not "
            "closed). It is pipeline, not revenue: some of it will be lost."
        ),
    ]
    currencies = sorted({p.amount.currency for p in attribution.pipeline})
    for currency in currencies:
        rows = sorted(
            (p for p in attribution.pipeline if p.amount.currency == currency),
            key=lambda p: (-p.amount.amount, p.value),
        )
        total = sum((p.amount.amount for p in rows), Decimal(0))
        cells: list[list[Cell | str]] = [
            [p.value, num(f.integer(p.deals)), num(f.money(p.amount.amount, currency))]
            for p in rows
        ]
        cells.append([Cell("All channels"), num(""), num(f.money(total, currency))])
        body.append(
            table(
                ["Channel", "Open deals touched", "Open amount influenced"],
                cells,
                caption=f"Open pipeline influenced by channel, {currency} (exact)",
            )
        )
    return body


def _currency_block(currency: str, months: dict[str, dict[str, Decimal]], model: str) -> list[str]:
    order = sorted(months)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for month in order:
        for channel, value in months[month].items():
            totals[channel] += value
    ranked = sorted(totals, key=lambda c: (-totals[c], c))
    named = ranked[:TOP_CHANNELS]
    shown = named + ([OTHER] if len(ranked) > len(named) else [])

    def amount(month: str, channel: str) -> Decimal:
        if channel == OTHER:
            return sum((a for c, a in months[month].items() if c not in named), Decimal(0))
        return months[month].get(channel, Decimal(0))

    chart = bar_chart(
        f"Attributed revenue per month by channel ({currency}, {model_name(model)})",
        f"{currency} revenue of the deals won each month, split over the top channels.",
        [_month(m) for m in order],
        [
            Series(name=channel, values=tuple(float(amount(m, channel)) for m in order))
            for channel in shown
        ],
        fmt=lambda v: f.money_short(v, currency),
    )
    rows: list[list[Cell | str]] = [
        [_month(m), *[num(f.money(amount(m, c), currency)) for c in shown],
         num(f.money(sum(months[m].values(), Decimal(0)), currency))]
        for m in order
    ]  # fmt: skip
    return [
        f"<h3>{currency}</h3>",
        figure(chart, f"Months of close, top {len(named)} channels by attributed revenue."),
        table(
            ["Month", *shown, "All channels"],
            rows,
            caption=f"Attributed revenue per month and channel, {currency} (exact), "
            f"{model_name(model)}",
        ),
    ]
