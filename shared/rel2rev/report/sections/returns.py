"""Spend and return: what each channel cost, what it returned under each model, and what a
qualified relationship cost (docs/costs.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from rel2rev.money import Money
from rel2rev.report import formatting as f
from rel2rev.report.charts import Series, switchable_bar_chart
from rel2rev.report.picker import PICK, default_model, model_picker, picker_key
from rel2rev.report.sections.common import HEADLINE_MODELS, model_name, unavailable
from rel2rev.report.tables import Cell, note, num, paragraph, section, table
from rel2rev.results.contracts import (
    BASELINE,
    ChannelReturn,
    HeadlineCredit,
    QualifiedCost,
    ReturnResults,
    RunResults,
)

TITLE = "Spend and return"
DASH = "—"


def month_words(month: str) -> str:
    """'2026-05' as 'May 2026'."""
    year, number = month.split("-")
    return f"{date(int(year), int(number), 1):%b %Y}"


def months_text(months: Sequence[str]) -> str:
    """A few months by name; many as a count and a range."""
    if len(months) > 3:
        return f"{len(months)} months, {month_words(months[0])} to {month_words(months[-1])}"
    return ", ".join(month_words(m) for m in months)


def _ratio(value: Decimal | None) -> str:
    return DASH if value is None else f"{value:,.2f}×"


def _percent(value: Decimal | None) -> str:
    return DASH if value is None else f"{value * 100:,.0f}%"


def _amounts(amounts: Sequence[Money]) -> str:
    return " + ".join(f.money(m.amount, m.currency) for m in amounts) or DASH


def _why_none(row: ChannelReturn) -> str:
    if row.spend is None:
        return f"no costs in {row.currency}"
    if row.missing_months:
        return "no costs for " + months_text(row.missing_months)
    return "nothing spent"


def returns_section(results: RunResults) -> str:
    """The spend of the period, a model picker over each channel's return, the exact tables."""
    returns = results.returns
    if returns is None:
        return section("returns", TITLE, [unavailable(results, "returns", "Spend and return")])
    period = f"{month_words(returns.spend_from)} to {month_words(returns.spend_to)}"
    body = [
        paragraph(
            f"What each channel cost from {period} (the window and the lookback before it, "
            "whose touches earn the window's revenue), against the won revenue each model "
            "credits it. Return on ad spend (ROAS) is revenue ÷ spend; ROI is (revenue − "
            "spend) ÷ spend. A return is shown only where the costs cover it: every month in "
            "which the channel touched a won deal must have a cost line, or the return would "
            "flatter the channel. Spend and revenue are compared within one currency."
        )
    ]
    if not returns.cost_lines:
        body.append(
            note(
                f"No costs were given for {period}, so no return can be shown. Import them "
                "with `rel2rev costs import FILE.csv --workspace W` or `PUT /v1/costs`.",
                kind="warning",
            )
        )
        return section("returns", TITLE, body)
    body.append(
        paragraph(f"Spend in the period: {_amounts(returns.spend)} ({returns.cost_lines} lines).")
    )
    models = list(dict.fromkeys(r.model for r in returns.returns))
    for currency in sorted({r.currency for r in returns.returns}):
        rows = [r for r in returns.returns if r.currency == currency]
        body += _currency_block(rows, models, currency, results.run.parameters.headline_credit)
    if returns.qualified:
        body.append(_qualified_table(returns))
    return section("returns", TITLE, body)


def _currency_block(
    rows: list[ChannelReturn], models: list[str], currency: str, credit: HeadlineCredit
) -> list[str]:
    """One currency's channels (the baseline is none: nothing was spent on it) under the
    `credit` headline model, with the picker and every model's ROAS."""
    channels = [r for r in rows if r.by == "channel" and r.value != BASELINE]
    if not channels:
        return []
    shown_model = default_model(models, credit)
    by_model: dict[str, dict[str, ChannelReturn]] = defaultdict(dict)
    for r in channels:
        by_model[r.model][r.value] = r
    first = by_model[shown_model]
    covered = sorted(
        (v for v, r in first.items() if r.roas is not None), key=lambda v: -(first[v].roas or 0)
    )
    body = [f"<h3>Channels ({currency})</h3>"]
    if covered:
        body.append(_picker(covered, by_model, models, currency, models.index(shown_model)))
    body.append(_model_table(first, shown_model, currency))
    body.append(_roas_table(by_model, models, currency))
    uncovered = [r for r in first.values() if r.roas is None and r.revenue.amount]
    if uncovered:
        body.append(
            note(
                "No return shown for "
                + "; ".join(f"{r.value} ({_why_none(r)})" for r in uncovered)
                + "."
            )
        )
    campaigns = [r for r in rows if r.by == "campaign" and r.model == shown_model]
    if campaigns:
        body.append(_campaign_table(campaigns, shown_model, currency))
    return body


def _picker(
    covered: list[str],
    by_model: dict[str, dict[str, ChannelReturn]],
    models: list[str],
    currency: str,
    shown: int,
) -> str:
    names = [model_name(m) for m in models]

    def roas(model: str, value: str) -> float:
        row = by_model[model].get(value)
        return float(row.roas) if row is not None and row.roas is not None else 0.0

    chart = switchable_bar_chart(
        f"Return on ad spend by channel under one model ({currency})",
        f"Revenue per {currency} spent, for the channels whose costs cover their won deals, "
        f"under the chosen model; {names[shown]} is shown first.",
        covered,
        [Series(name=model_name(m), values=tuple(roas(m, v) for v in covered)) for m in models],
        fmt=lambda v: f"{v:,.1f}×",
        shown=shown,
        group_class=PICK,
    )
    return model_picker(
        picker_key("returns", currency),
        f"Model shown in the chart (return on ad spend, {currency})",
        names,
        chart,
        f"Revenue ÷ spend per channel under the chosen model; {names[shown]} is shown first. "
        "Every model shares out the same revenue, so the models differ in which channels "
        "they reward, not in the total.",
        shown=shown,
    )


def _model_table(rows: dict[str, ChannelReturn], model: str, currency: str) -> str:
    ordered = sorted(rows.values(), key=lambda r: -r.revenue.amount)
    return table(
        ["Channel", "Spend", "Months costed", "Revenue", "ROAS", "ROI"],
        [
            [
                r.value,
                num(f.money(r.spend.amount, currency) if r.spend else DASH),
                num(str(r.months_costed)),
                num(f.money(r.revenue.amount, currency)),
                num(_ratio(r.roas)),
                num(_percent(r.roi)),
            ]
            for r in ordered
        ],
        caption=f"Spend and return per channel under the {model_name(model)} model "
        f"({currency}); a dash: the costs do not cover the return",
    )


def _roas_table(
    by_model: dict[str, dict[str, ChannelReturn]], models: list[str], currency: str
) -> str:
    headline = [m for m in HEADLINE_MODELS if m in models] or models[:7]
    values = sorted({v for rows in by_model.values() for v in rows})
    return table(
        ["Channel", *(model_name(m) for m in headline)],
        [
            [
                v,
                *(
                    num(_ratio(by_model[m][v].roas)) if v in by_model[m] else num(DASH)
                    for m in headline
                ),
            ]
            for v in values
        ],
        caption=f"Return on ad spend per channel under each headline model ({currency}); every "
        "model's figures are in the returns export",
    )


def _campaign_table(rows: list[ChannelReturn], model: str, currency: str) -> str:
    return table(
        ["Campaign", "Spend", "Revenue", "ROAS", "ROI"],
        [
            [
                r.value,
                num(f.money(r.spend.amount, currency) if r.spend else DASH),
                num(f.money(r.revenue.amount, currency)),
                Cell(_ratio(r.roas), numeric=True, muted=r.roas is None),
                num(_percent(r.roi)),
            ]
            for r in sorted(rows, key=lambda r: -r.revenue.amount)
        ],
        caption=f"Costed campaigns under the {model_name(model)} model ({currency})",
    )


def _qualified_table(returns: ReturnResults) -> str:
    rows: list[QualifiedCost] = sorted(returns.qualified, key=lambda q: -q.qualified)
    return table(
        ["Channel", "Spend in the window", "Qualified relationships", "Cost per qualified"],
        [
            [
                q.value,
                num(_amounts(q.spend)),
                num(f.integer(q.qualified)),
                num(
                    _amounts(q.cost_per_qualified)
                    if q.cost_per_qualified
                    else DASH
                    if not q.missing_months
                    else "no costs for " + months_text(q.missing_months)
                ),
            ]
            for q in rows
        ],
        caption=f"What a qualified relationship cost, per channel, from "
        f"{month_words(returns.window_from)} (the window's capture months; spend paid in "
        "several currencies gives one part per currency)",
    )
