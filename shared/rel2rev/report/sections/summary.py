"""The report's opening: the key figures of the run."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rel2rev.report import formatting as f
from rel2rev.report.picker import default_model
from rel2rev.report.sections.common import (
    model_name,
    overall_funnel,
    revenue_by_currency,
    won_by_currency,
)
from rel2rev.report.tables import key_figures, paragraph, section
from rel2rev.results.contracts import FunnelRow, HeadlineCredit, ReturnResults, RunResults

COST_COVERAGE = 0.9
"""The share of interactions whose cost must be known before a return is shown."""


def _return_card(
    won: Decimal, cost: Decimal, currency: str, overall: Sequence[FunnelRow]
) -> tuple[str, str, str]:
    """Won revenue ÷ known cost, shown only where the costs cover the interactions it divides
    by (else a dash saying what they cover): a return over a few costed clicks is no return."""
    title = f"Return on relationships ({currency})"
    interactions = sum(
        r.vanity_interactions + r.relationship_interactions + r.signal_interactions for r in overall
    )
    costed = sum(r.costed_interactions for r in overall)
    covered = f"costs known for {f.integer(costed)} of {f.integer(interactions)} interactions"
    if interactions and costed / interactions >= COST_COVERAGE:
        return f"{won / cost:,.1f}×", title, f"won revenue ÷ cost; {covered}"
    return "—", title, f"not shown: {covered} ({f.money(cost, currency)})"


def _spend_card(
    returns: ReturnResults, currency: str, credit: HeadlineCredit
) -> tuple[str, str, str] | None:
    """Revenue ÷ spend over the channels whose costs cover their return, under the `credit`
    headline model, saying how much of the revenue those channels hold; None without costs."""
    rows = [r for r in returns.returns if r.by == "channel" and r.currency == currency]
    if not returns.cost_lines or not rows:
        return None
    model = default_model(list(dict.fromkeys(r.model for r in rows)), credit)
    rows = [r for r in rows if r.model == model]
    covered = [r for r in rows if r.roas is not None and r.spend is not None]
    title = f"Return on spend ({currency})"
    revenue = sum((r.revenue.amount for r in rows), Decimal(0))
    spend = sum((r.spend.amount for r in covered if r.spend is not None), Decimal(0))
    earned = sum((r.revenue.amount for r in covered), Decimal(0))
    if not covered or not spend:
        return "—", title, "not shown: no channel's costs cover its won deals"
    share = f.percent(float(earned / revenue)) if revenue else "0%"
    return (
        f"{earned / spend:,.1f}×",
        title,
        f"{model_name(model)}; {len(covered)} of {len(rows)} channels, {share} of the revenue",
    )


def summary_section(results: RunResults) -> str:
    """Key figures and how to read the report."""
    counts, cards = results.run.counts, []
    if results.funnel is not None:
        stages = overall_funnel(results.funnel)
        overall = [r for r in results.funnel.rows if r.by is None]
        revenue = won_by_currency(results.funnel)
        costs = revenue_by_currency(overall, cost=True)
        cards += [
            (f.integer(stages["captured"]), "Relationships captured", "people who interacted"),
            (f.integer(stages["qualified"]), "Qualified relationships", "two-way, right person"),
            (f.integer(results.funnel.won_deals), "Won deals", "closed won in the window"),
            (
                f.integer(stages["won"]),
                "Relationships on a won deal",
                "people on those deals' buying committees",
            ),
        ]
        for currency, amount in revenue.items():
            cards.append(
                (f.money(amount, currency), f"Won revenue ({currency})", "closed won in the window")
            )
            if stages["qualified"]:
                per = amount / stages["qualified"]
                cards.append(
                    (f.money(per, currency), "Revenue per qualified relationship", currency)
                )
            spend = (
                _spend_card(results.returns, currency, results.run.parameters.headline_credit)
                if results.returns
                else None
            )
            if spend is not None:
                cards.append(spend)
            elif costs.get(currency):
                cards.append(_return_card(amount, costs[currency], currency, overall))
    cards.append((f.integer(counts.interactions), "Interactions analysed", "in the data window"))
    return section(
        "summary",
        "At a glance",
        [
            key_figures(cards),
            paragraph(
                "This report follows business relationships from the first interaction to "
                "revenue. Likes and views are counted, but the goal is relationships: two-way "
                "exchanges with real people at real accounts, and the revenue they lead to. "
                "Each section starts with a plain explanation; the detailed numbers are in the "
                "tables and in the CSV/Parquet files beside this page."
            ),
        ],
    )
