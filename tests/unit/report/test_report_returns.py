"""The spend and return section: returns only where the costs cover them, and why not."""

from __future__ import annotations

from html import unescape

from rel2rev.report import formatting as f
from rel2rev.report.sections import returns_section, summary_section
from rel2rev.report.sections.returns import months_text
from rel2rev.results.contracts import (
    ReturnResults,
    RunResults,
    SectionOutcome,
    SectionStatus,
)


def test_each_covered_channel_shows_its_exact_spend_revenue_and_return(
    results: RunResults,
) -> None:
    assert results.returns is not None
    html = unescape(returns_section(results))
    markov = [r for r in results.returns.returns if r.model == "markov" and r.by == "channel"]
    assert markov
    for row in markov:
        assert f.money(row.revenue.amount, row.currency) in html
        if row.roas is not None:
            assert f"{row.roas:,.2f}×" in html
            assert row.spend is not None
            assert f.money(row.spend.amount, row.currency) in html


def test_a_channel_with_an_uncosted_month_is_named_with_the_month(results: RunResults) -> None:
    assert results.returns is not None
    rows = results.returns.returns
    target = next(r for r in rows if r.model == "markov" and r.by == "channel" and r.roas)
    months = ["2026-01", "2026-02", "2026-03", "2026-05"]
    uncovered = target.model_copy(update={"roas": None, "roi": None, "missing_months": months})
    returns = results.returns.model_copy(
        update={"returns": [uncovered if r is target else r for r in rows]}
    )
    html = unescape(returns_section(results.model_copy(update={"returns": returns})))
    assert months_text(months) == "4 months, Jan 2026 to May 2026"
    assert f"{target.value} (no costs for 4 months, Jan 2026 to May 2026)" in html


def test_without_costs_it_says_how_to_give_them(results: RunResults) -> None:
    assert results.returns is not None
    empty = results.returns.model_copy(update={"cost_lines": 0, "spend": [], "returns": []})
    html = unescape(returns_section(results.model_copy(update={"returns": empty})))
    assert "No costs were given" in html
    assert "rel2rev costs import FILE.csv --workspace W" in html
    assert "PUT /v1/costs" in html


def test_a_failed_section_says_why(results: RunResults) -> None:
    failed = SectionOutcome(name="returns", status=SectionStatus.FAILED, error="boom: costs")
    kept = [s for s in results.run.sections if s.name != "returns"]
    run = results.run.model_copy(update={"sections": [*kept, failed]})
    html = returns_section(RunResults(run=run))
    assert "Spend and return is not available for this run: boom: costs." in html


def test_the_headline_return_divides_covered_revenue_by_covered_spend(
    results: RunResults,
) -> None:
    returns: ReturnResults | None = results.returns
    assert returns is not None
    rows = [r for r in returns.returns if r.model == "markov" and r.by == "channel"]
    for currency in {r.currency for r in rows}:
        mine = [r for r in rows if r.currency == currency]
        covered = [r for r in mine if r.roas is not None and r.spend is not None]
        if not covered:
            continue
        earned = sum(r.revenue.amount for r in covered)
        spend = sum(r.spend.amount for r in covered if r.spend is not None)
        card = (
            f'{earned / spend:,.1f}×</div><div class="kpi-label">Return on spend ({currency})'
            f'</div><div class="kpi-hint">Markov; {len(covered)} of {len(mine)} channels'
        )
        assert card in unescape(summary_section(results))
