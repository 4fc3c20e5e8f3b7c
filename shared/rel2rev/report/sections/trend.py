"""Run by run: how the headline figures moved across the workspace's earlier runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from rel2rev.money import Money
from rel2rev.report import formatting as f
from rel2rev.report.charts import Series, bar_chart
from rel2rev.report.sections.common import model_name
from rel2rev.report.tables import Cell, figure, note, num, paragraph, section, table
from rel2rev.results.contracts import RunRecord, RunResults

TITLE = "Run by run"
TREND_CHANNELS = 6
"""Runs shown as columns of the channel table (the latest)."""


def _amounts(amounts: Sequence[Money]) -> str:
    return " + ".join(f.money(m.amount, m.currency) for m in amounts) or "—"


def trend_section(results: RunResults) -> str:
    """The earlier runs' headlines beside this one: counts, revenue, spend, and the channels'
    revenue under one model; or a note when this is the first run of its kind."""
    runs = [*results.history, results.run]
    earlier = len(results.history)
    if not earlier or results.run.headline is None:
        return section(
            "trend",
            TITLE,
            [
                note(
                    "No earlier run of this workspace with the same window length to compare "
                    "with yet: the trend starts with the next scheduled run."
                )
            ],
        )
    body = [
        paragraph(
            f"This run beside the {earlier} before it with the same "
            f"{results.run.parameters.window_days}-day window (each as of its own date, so "
            "consecutive windows overlap: a trend, not a sum). A change can come from the "
            "business or from data arriving late; the runs' own pages explain each."
        ),
        _figures_table(runs),
    ]
    body += _revenue_charts(runs)
    body += _channel_table(runs)
    return section("trend", TITLE, body)


def _figures_table(runs: list[RunRecord]) -> str:
    rows: list[list[Cell | str]] = []
    for run in runs:
        h = run.headline
        assert h is not None
        rows.append(
            [
                f.when(run.as_of),
                num(f.integer(h.captured)),
                num(f.integer(h.qualified)),
                num(f.integer(h.won_deals)),
                num(_amounts(h.won)),
                num(_amounts(h.spend)),
            ]
        )
    return table(
        ["As of", "Captured", "Qualified", "Won deals", "Won revenue", "Spend"],
        rows,
        caption="Headline figures of each run (exact); the last row is this run",
    )


def _revenue_charts(runs: list[RunRecord]) -> list[str]:
    won: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for i, run in enumerate(runs):
        assert run.headline is not None
        for money in run.headline.won:
            won[money.currency][i] = money.amount
    labels = [f.when(r.as_of) for r in runs]
    return [_revenue_chart(currency, by_run, labels) for currency, by_run in sorted(won.items())]


def _revenue_chart(currency: str, by_run: dict[int, Decimal], labels: list[str]) -> str:
    return figure(
        bar_chart(
            f"Won revenue per run ({currency})",
            f"{currency} revenue won in each run's window, oldest run first.",
            labels,
            [
                Series(
                    name=currency,
                    values=tuple(float(by_run.get(i, 0)) for i in range(len(labels))),
                )
            ],
            fmt=lambda v: f.money_short(v, currency),
        ),
        f"Won revenue ({currency}) per run, as of each run's date.",
    )


def _channel_table(runs: list[RunRecord]) -> list[str]:
    shown = runs[-TREND_CHANNELS:]
    models = {r.headline.model for r in shown if r.headline is not None}
    if len(models) != 1 or None in models:
        return []
    model = models.pop()
    assert model is not None
    revenue: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(dict)
    for i, run in enumerate(shown):
        assert run.headline is not None
        for c in run.headline.channels:
            revenue[(c.value, c.amount.currency)][i] = c.amount.amount
    ordered = sorted(revenue, key=lambda k: (k[1], -revenue[k].get(len(shown) - 1, Decimal(0))))
    rows: list[list[Cell | str]] = [
        [
            f"{value} ({currency})",
            *(
                num(f.money(revenue[(value, currency)][i], currency))
                if i in revenue[(value, currency)]
                else num("—")
                for i in range(len(shown))
            ),
        ]
        for value, currency in ordered
    ]
    return [
        table(
            ["Channel", *(f.when(r.as_of) for r in shown)],
            rows,
            caption=f"Revenue credited per channel under the {model_name(model)} model, "
            f"the last {len(shown)} runs (exact)",
        )
    ]
