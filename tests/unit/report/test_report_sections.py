"""report.html: every section, a chart per section, nothing external, everything escaped."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pages import page_structure

from rel2rev.money import Money
from rel2rev.report import formatting as f
from rel2rev.report import render_report
from rel2rev.results.contracts import (
    RunRecord,
    RunResults,
    RunStatus,
    SectionOutcome,
    SectionStatus,
)

SECTIONS = (
    "summary",
    "funnel",
    "engagement",
    "timing",
    "drivers",
    "attribution",
    "baseline",
    "returns",
    "over-time",
    "trend",
    "deal-story",
    "people",
    "caveats",
)


@pytest.fixture(scope="module")
def page(results: RunResults) -> str:
    return render_report(results)


def test_page_is_well_formed_with_every_section_and_its_charts(page: str) -> None:
    structure = page_structure(page)
    assert structure.errors == []
    assert structure.stack == []
    assert tuple(structure.charts) == SECTIONS
    # funnel, vanity split, 3 time-to-convert curves, drivers + competing risks,
    # 2 dimensions x 2 currencies side by side + holdout AUC, full vs incremental shares per
    # currency, returns per currency,
    # 2 currencies by month, won revenue per run in 2 currencies, owners
    assert structure.charts == {
        "summary": 0,
        "funnel": 1,
        "engagement": 1,
        "timing": 3,
        "drivers": 2,
        "attribution": 5,
        "baseline": 2,
        "returns": 2,
        "over-time": 2,
        "trend": 2,
        "deal-story": 0,
        "people": 1,
        "caveats": 0,
    }


def test_every_chart_has_a_title_marks_and_a_size(page: str) -> None:
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(charts) == 21
    for chart in charts:
        assert 'role="img"' in chart
        assert re.search(r"<title>[^<]+</title><desc>[^<]+</desc>", chart)
        assert 'class="mark"' in chart
        width, height = re.search(r'viewBox="0 0 (\d+) (\d+)"', chart).groups()
        assert int(width) > 0
        assert int(height) > 0


def test_nothing_external_and_no_script(page: str) -> None:
    """Self-contained: no URL but the SVG namespace, links only to anchors of the page, and
    no script at all (the attribution model picker switches charts with CSS alone)."""
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"'<>)]*", page))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace name, never fetched
    lower = page.lower()
    for forbidden in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "src="):
        assert forbidden not in lower
    for forbidden in ("@import", "url(", "fetch(", "import(", "xmlhttprequest", "onclick="):
        assert forbidden not in lower
    assert set(re.findall(r'href="([^"#][^"]*)"', page)) == set()  # in-page anchors only
    assert '<fieldset class="picker">' in page  # the picker is there, script-free


def test_user_text_is_escaped(page: str) -> None:
    assert "<b>&</b>" not in page
    assert "Spring &quot;Launch&quot; &lt;b&gt;&amp;&lt;/b&gt; 2026" in page
    assert "Contact 1 &lt;Ltd &amp; Co&gt;" in page


def test_key_figures_use_separators_and_currency(page: str, results: RunResults) -> None:
    assert results.funnel is not None
    overall = [r for r in results.funnel.rows if r.by is None]
    eur = next(m.amount for m in results.funnel.won if m.currency == "EUR")
    captured = sum(r.captured for r in overall)
    assert f'{f.money(eur, "EUR")}</div><div class="kpi-label">Won revenue (EUR)' in page
    assert f"{captured:,}" in page
    assert re.search(r"€\d{1,3}(,\d{3})+\.\d{2}", page)
    assert "$" in page  # the USD figures
    cost = sum((m.amount for r in overall for m in r.cost if m.currency == "EUR"), Decimal(0))
    interactions = sum(
        r.vanity_interactions + r.relationship_interactions + r.signal_interactions for r in overall
    )
    # without a costs book, the interaction costs: they cover none of the interactions, so
    # there is no return, and the card says why
    page = render_report(results.model_copy(update={"returns": None}))
    assert (
        '—</div><div class="kpi-label">Return on relationships (EUR)</div><div class="kpi-hint">'
        f"not shown: costs known for 0 of {interactions:,} interactions ({f.money(cost, 'EUR')})"
    ) in page
    covered = [
        r.model_copy(
            update={
                "costed_interactions": r.vanity_interactions
                + r.relationship_interactions
                + r.signal_interactions
            }
        )
        if r.by is None
        else r
        for r in results.funnel.rows
    ]
    funnel = results.funnel.model_copy(update={"rows": covered})
    full = render_report(results.model_copy(update={"funnel": funnel, "returns": None}))
    assert f'{eur / cost:,.1f}×</div><div class="kpi-label">Return on relationships (EUR)' in full
    assert f"won revenue ÷ cost; costs known for {interactions:,} of {interactions:,}" in full


def test_attribution_tables_show_every_model_and_exact_totals(
    page: str, results: RunResults
) -> None:
    assert results.attribution is not None
    for model in ("First touch", "Markov", "Shapley", "Additive hazard", "W-shaped", "Time decay"):
        assert f">{model}<" in page
    assert "Attributed revenue by channel, other models, EUR (exact)" in page
    for currency in ("EUR", "USD"):
        total = sum(
            (
                t.amount.amount
                for t in results.attribution.totals
                if t.model == "markov" and t.by == "channel" and t.amount.currency == currency
            ),
            Decimal(0),
        )
        assert f.money(total, currency) in page
    assert "Shapley (rate game) by campaign: insufficient data: only one campaign" in page


def test_holdout_scores_say_which_model_explains_the_data_best(
    page: str, results: RunResults
) -> None:
    assert results.attribution is not None
    assert [h.model for h in results.attribution.holdout] == [
        "markov",
        "shapley_rate",
        "additive_hazard",
    ]
    attribution = page[
        page.index('<section id="attribution">') : page.index('<section id="people">')
    ]
    block = attribution[attribution.index("<h3>Which model explains your data best</h3>") :]
    assert "0.5 is a coin flip, 1 a" in block
    assert "lower is better" in block
    assert "not used to fit" in block
    assert "Holdout AUC of each data-driven model" in block  # the chart
    assert "Best ranking on held-out journeys: Markov (AUC 0.71)" in block
    rows = re.findall(r"<tr><td>(Markov|Shapley \(rate game\))</td>(.*?)</tr>", block)
    assert rows == [
        ("Markov", '<td class="num">0.712</td><td class="num">0.421</td>'
                   '<td class="num">160 journeys</td><td class="num">40 journeys</td>'),
        ("Shapley (rate game)", '<td class="num">—</td><td class="num">0.459</td>'
                    '<td class="num">160 journeys</td><td class="num">40 journeys</td>'),
    ]  # fmt: skip
    assert "a dash means the held-out journeys all had the same outcome" in block
    assert (
        "Models that could not be scored: Additive hazard: insufficient data: "
        "Spring &quot;Launch&quot; &lt;b&gt;&amp;&lt;/b&gt; 2026 has too few conversions"
    ) in block


def test_a_model_ranking_worse_than_a_coin_flip_is_called_out(results: RunResults) -> None:
    assert results.attribution is not None
    holdout = [
        h.model_copy(update={"auc": 0.32}) if h.model == "markov" else h
        for h in results.attribution.holdout
    ]
    attribution = results.attribution.model_copy(update={"holdout": holdout})
    page = render_report(results.model_copy(update={"attribution": attribution}))
    assert "Markov ranked held-out journeys worse than a coin flip" in page
    assert "Markov ranked held-out journeys worse than a coin flip (AUC 0.32): its split" in page
    assert "worse than a coin flip" not in render_report(results)


def test_a_model_that_credits_next_to_nothing_to_most_values_is_called_out(
    results: RunResults,
) -> None:
    """Beside the numbers of a dimension: Markov's revenue moved onto one value of four."""
    assert results.attribution is not None
    totals = [t for t in results.attribution.totals if t.model == "markov"]
    key = ("channel", totals[0].amount.currency)
    mine = [t for t in totals if (t.by, t.amount.currency) == key]
    values = {t.value for t in mine}
    assert len(values) >= 3, "the sample credits several channels under Markov"
    whole = sum((t.amount.amount for t in mine), Decimal(0))

    def onto_one(total: Any) -> Any:
        amount = whole if total.value == mine[0].value else Decimal(0)
        return total.model_copy(update={"amount": Money.of(amount, total.amount.currency)})

    moved = [onto_one(t) if t in mine else t for t in results.attribution.totals]
    attribution = results.attribution.model_copy(update={"totals": moved})
    page = render_report(results.model_copy(update={"attribution": attribution}))
    warning = (
        f"Markov gives next to nothing (under 1% each) to {len(values) - 1} of {len(values)} "
        f"channel values: its credit rests on the other 1."
    )
    assert warning in page
    assert "gives next to nothing" not in render_report(results)


def test_caveats_name_window_censoring_small_samples_and_ph_check(page: str) -> None:
    caveats = page[page.index('<section id="caveats">') :]
    assert "20 Nov 2025" in caveats
    assert "20 Nov 2026" in caveats
    assert "Censoring" in caveats
    assert "180 of 400 relationships" in caveats
    assert "no events: every relationship is still open" in page
    assert "Some groups rest on small samples" in caveats
    assert "Owner: chen.wu (12 relationships, 4 events)" in caveats
    assert "Proportional-hazards check failed for Likes" in page
    assert "too few events (4) for 5 features" in page


def test_a_failed_section_says_why_and_the_rest_renders(failed_results: RunResults) -> None:
    page = render_report(failed_results)
    structure = page_structure(page)
    assert structure.errors == []
    assert structure.charts["attribution"] == 0
    assert structure.charts["timing"] == 3
    assert "Attribution is not available for this run: Markov: no converting journeys" in page
    assert "Section &#x27;attribution&#x27; failed" in page
    assert 'class="badge partial"' in page


def test_a_run_with_no_sections_still_renders() -> None:
    at = datetime(2026, 1, 31, tzinfo=UTC)
    run = RunRecord(
        run_id="run_x",
        workspace="w",
        as_of=date(2026, 1, 31),
        window_start=at,
        window_end=at,
        created_at=at,
        status=RunStatus.FAILED,
        error="no data",
        sections=[
            SectionOutcome(
                name="funnel", status=SectionStatus.FAILED, error="no contacts in the window"
            )
        ],
    )
    page = render_report(RunResults(run=run))
    structure = page_structure(page)
    assert structure.errors == []
    assert tuple(structure.charts) == SECTIONS
    assert "The funnel is not available for this run: no contacts in the window" in page
    assert "Timing is not available for this run: the run did not produce it" in page
    assert "The run reported an error: no data" in page


def test_failed_survival_parts_say_why(results: RunResults) -> None:
    assert results.survival is not None
    failed = [
        SectionOutcome(name="drivers", status=SectionStatus.FAILED, error="singular matrix"),
        SectionOutcome(name="competing_risks", status=SectionStatus.FAILED, error="no leads"),
    ]
    broken = results.model_copy(
        update={
            "run": results.run.model_copy(update={"sections": failed}),
            "survival": results.survival.model_copy(update={"drivers": [], "competing": None}),
        }
    )
    page = render_report(broken)
    assert "The driver analysis is not available for this run: singular matrix." in page
    assert "Won vs lost is not available for this run: no leads." in page
    assert page_structure(page).charts["timing"] == 3


def test_every_revenue_table_ties_out_to_what_was_won(page: str, results: RunResults) -> None:
    """Credited + not attributed = won under every model, and the not-attributed reasons."""
    assert results.attribution is not None
    attribution = page[
        page.index('<section id="attribution">') : page.index('<section id="people">')
    ]
    for check in results.attribution.reconciliation:
        assert check.won.amount == check.credited.amount + check.unattributed.amount
    eur_won = f.money(Decimal("345350.96"), "EUR")
    assert attribution.count(f'<td class="num">{eur_won}</td>') >= len(results.attribution.models)
    assert "credited + not attributed = won" in attribution
    assert "no touch in the lookback before the close" in attribution
    assert "the model could not be fitted" in attribution


def test_people_revenue_is_credited_once_and_overlap_is_labelled(
    page: str, results: RunResults
) -> None:
    assert results.funnel is not None
    assert results.relationships is not None
    people = page[page.index('<section id="people">') : page.index('<section id="caveats">')]
    assert "Deals it is on (overlapping)" in people
    assert "Won revenue credited" in people
    assert "Won in the window" in people
    eur_won = next(m.amount for m in results.funnel.won if m.currency == "EUR")
    credited = sum((m.amount for r in results.relationships for m in r.revenue), Decimal(0))
    assert f.money(eur_won - credited, "EUR") in people  # no captured relationship
    assert f.money(eur_won, "EUR") in people


def test_won_deals_and_relationships_on_won_deals_are_different_numbers(page: str) -> None:
    summary = page[page.index('<section id="summary">') : page.index('<section id="funnel">')]
    assert "Won deals" in summary
    assert "Relationships on a won deal" in summary
    assert "counts four relationships and one deal" in page
