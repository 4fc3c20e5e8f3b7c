"""The attribution model picker: one chart per dimension and currency, switched without script."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from html import escape

import pytest
from pages import page_structure

from rel2rev.report import formatting as f
from rel2rev.report import render_report
from rel2rev.report.charts import Series, switchable_bar_chart
from rel2rev.report.picker import default_model, picker_css, picker_key, same_split
from rel2rev.report.sections.common import TOP_CHARTED, model_name
from rel2rev.results.contracts import BASELINE, RunResults


@pytest.fixture(scope="module")
def page(results: RunResults) -> str:
    return render_report(results)


def _block(page: str, by: str, currency: str) -> str:
    """The HTML of one dimension/currency block of the attribution section."""
    section = page[page.index('<section id="attribution">') : page.index('<section id="people">')]
    start = section.index(f"<h3>By {by} ({currency})</h3>")
    end = section.find("<h3>", start + 4)
    return section[start : end if end >= 0 else len(section)]


def _computed(results: RunResults, by: str, currency: str) -> list[str]:
    assert results.attribution is not None
    checked = {
        r.model for r in results.attribution.reconciliation if r.by == by and r.currency == currency
    }
    return [m for m in results.attribution.models if m in checked]


def _groups(block: str) -> list[tuple[str, str]]:
    """(attributes, content) of each model's group in the block's chart."""
    return re.findall(r'<g class="pick pick-\d+"([^>]*)>(.*?)</g>', block, flags=re.S)


BLOCKS = [(by, c) for by in ("channel", "campaign") for c in ("EUR", "USD")]


@pytest.mark.parametrize(("by", "currency"), BLOCKS)
def test_the_picker_lists_every_computed_model_over_one_chart(
    page: str, results: RunResults, by: str, currency: str
) -> None:
    block = _block(page, by, currency)
    models = _computed(results, by, currency)
    assert len(models) > 7  # more than the headline models
    labels = re.findall(r'<label for="[^"]+">([^<]+)</label>', block)
    assert labels == [model_name(m) for m in models]
    assert block.count('<fieldset class="picker">') == 1
    assert block.count("<svg ") == 1
    assert len(_groups(block)) == len(models)
    assert "Model shown in the chart" in block


@pytest.mark.parametrize(("by", "currency"), BLOCKS)
def test_the_default_model_is_shown_without_script(
    page: str, results: RunResults, by: str, currency: str
) -> None:
    block = _block(page, by, currency)
    models = _computed(results, by, currency)
    shown = models.index("markov")
    checked = re.findall(r'<input type="radio" class="(pick-\d+)"[^>]*?( checked)?>', block)
    assert [c for c, on in checked if on] == [f"pick-{shown}"]
    for i, (attrs, content) in enumerate(_groups(block)):
        # with no stylesheet at all only the default model's bars are visible ...
        assert ('visibility="hidden"' in attrs) == (i != shown)
        assert f">{model_name(models[i])}</text>" in content
    # ... and the page's CSS shows the checked one, with no script anywhere
    assert f".picker > input.pick-{shown}:checked ~ figure .pick-{shown}" in page
    assert ".picker figure .pick { visibility:hidden; }" in page
    assert "<script" not in page.lower()


@pytest.mark.parametrize(("by", "currency"), BLOCKS)
def test_each_model_shows_its_own_numbers(
    page: str, results: RunResults, by: str, currency: str
) -> None:
    assert results.attribution is not None
    block = _block(page, by, currency)
    models = _computed(results, by, currency)
    groups = _groups(block)
    for model, (_, content) in zip(models, groups, strict=True):
        amounts = {
            t.value: t.amount.amount
            for t in results.attribution.totals
            if t.model == model and t.by == by and t.amount.currency == currency
        }
        charted = 0
        for value, amount in amounts.items():
            assert f.money(amount, currency) in block  # the exact table, every value
            short = f.money_short(float(amount), currency)
            if f"{escape(value)} — {model_name(model)}: {short}</title>" in content:
                assert f">{short}</text>" in content  # its bar's label
                charted += 1
        channels = [v for v in amounts if v != BASELINE]  # the baseline is in the table only
        assert charted == min(len(channels), TOP_CHARTED)


def test_ids_are_unique_and_the_page_is_well_formed(page: str) -> None:
    parsed = page_structure(page)
    assert parsed.errors == []
    assert parsed.stack == []
    repeated = [i for i, n in Counter(parsed.ids).items() if n > 1]
    assert repeated == []
    assert set(parsed.targets) <= set(parsed.ids)
    names = Counter(str(r["name"]) for r in parsed.radios)
    assert len([n for n in names if n.startswith("pick-model-")]) == len(BLOCKS)
    assert {n for n in names if not n.startswith("pick-model-")} == {
        "pick-returns-eur",
        "pick-returns-usd",
    }  # the spend and return section's picker, one per currency
    assert all(n > 7 for n in names.values())
    assert page.count("<style>") == 1  # in the head: the page's rules and the pickers'
    assert "input.pick-0:checked ~ figure .pick-0" in page


def _owner_results(results: RunResults) -> RunResults:
    """The sample run plus an 'owner' dimension every model credits the same way."""
    assert results.attribution is not None
    attribution = results.attribution
    owners = {"email": "ana.silva", "paid": "chen.wu", "linkedin": "bo.berg"}
    markov = [t for t in attribution.totals if t.model == "markov" and t.by == "channel"]
    totals = [
        t.model_copy(update={"model": m, "by": "owner", "value": owners.get(t.value, t.value)})
        for m in attribution.models
        for t in markov
    ]
    checks = [
        r.model_copy(update={"model": m, "by": "owner"})
        for m in attribution.models
        for r in attribution.reconciliation
        if r.model == "markov" and r.by == "channel"
    ]
    return results.model_copy(
        update={
            "attribution": attribution.model_copy(
                update={
                    "dimensions": [*attribution.dimensions, "owner"],
                    "totals": [*attribution.totals, *totals],
                    "reconciliation": [*attribution.reconciliation, *checks],
                }
            )
        }
    )


@pytest.mark.parametrize("currency", ["EUR", "USD"])
def test_models_that_all_agree_collapse_to_one_column(results: RunResults, currency: str) -> None:
    assert results.attribution is not None
    page = render_report(_owner_results(results))
    block = _block(page, "owner", currency)
    count = len(results.attribution.models)
    assert "Every model gives the same split of this revenue by owner" in block
    assert f"One column stands for all {count} models" in block
    assert '<fieldset class="picker">' not in block  # nothing to pick from
    assert block.count("<svg ") == 1
    table = block[block.index("<table") : block.index("</table>")]
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', table)
    assert headers == ["Owner", f"All {count} models"]  # not one identical column per model
    assert block.count("Attributed revenue by owner") == 1
    assert f"Attributed revenue by owner, every model, {currency} (exact)" in table
    won = next(
        r.won.amount
        for r in results.attribution.reconciliation
        if r.model == "markov" and r.by == "channel" and r.currency == currency
    )
    assert f'<td>Won</td><td class="num">{f.money(won, currency)}</td></tr>' in table
    # the other dimensions still differ between models and keep their picker
    assert '<fieldset class="picker">' in _block(page, "channel", currency)
    parsed = page_structure(page)
    assert parsed.errors == []
    assert [i for i, n in Counter(parsed.ids).items() if n > 1] == []


def test_one_model_differing_by_a_cent_keeps_the_picker() -> None:
    revenue = {
        "a": {"first": Decimal("10.00"), "markov": Decimal("10.004")},
        "b": {"first": Decimal("5"), "markov": Decimal("5.00")},
    }
    assert same_split(revenue, ["first", "markov"])
    revenue["a"]["markov"] = Decimal("10.01")
    assert not same_split(revenue, ["first", "markov"])
    assert not same_split(revenue, ["first"])  # one model: nothing to collapse
    assert not same_split({}, ["first", "markov"])


def test_incremental_headline_credit_opens_the_pickers_on_an_incremental_model(
    results: RunResults,
) -> None:
    parameters = results.run.parameters.model_copy(update={"headline_credit": "incremental"})
    run = results.run.model_copy(update={"parameters": parameters})
    block = _block(render_report(results.model_copy(update={"run": run})), "channel", "EUR")
    models = _computed(results, "channel", "EUR")
    checked = re.findall(r'<input type="radio" class="(pick-\d+)"[^>]*?( checked)?>', block)
    shown = models.index("additive_hazard_incremental")
    assert [c for c, on in checked if on] == [f"pick-{shown}"]


def test_default_model_key_and_style() -> None:
    assert default_model(["first", "linear", "markov"]) == "markov"
    assert default_model(["markov", "additive_hazard_incremental"], "incremental") == (
        "additive_hazard_incremental"
    )
    assert default_model(["first", "markov"], "incremental") == "markov"
    assert default_model(["first", "linear"]) == "linear"
    assert default_model(["shapley", "first"]) == "shapley"
    with pytest.raises(ValueError, match="at least one model"):
        default_model([])
    assert picker_key("model", "Deal owner", "EUR") == "pick-model-deal-owner-eur"
    style = picker_css(3)
    assert style.count(":checked ~ figure") == 3
    for forbidden in ("url(", "@import", "http", "//"):
        assert forbidden not in style


def test_switchable_chart_shares_one_scale_and_hides_all_but_one() -> None:
    svg = switchable_bar_chart(
        "t",
        "d",
        ["x", "y"],
        [Series(name="A", values=(10.0, 5.0)), Series(name="B", values=(20.0, 0.0))],
        fmt=lambda v: f"{v:g}",
        shown=1,
    )
    groups = re.findall(r'<g class="pick pick-(\d)"([^>]*)>', svg)
    assert groups == [("0", ' visibility="hidden"'), ("1", "")]
    widths = [float(w) for w in re.findall(r'<rect class="mark"[^>]*width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(widths[2] / 2)  # A's 10 is half B's 20: one scale
    with pytest.raises(ValueError, match="one value per category"):
        switchable_bar_chart("t", "d", ["x"], [Series(name="A", values=())], fmt=str)
    with pytest.raises(ValueError, match="shown series"):
        switchable_bar_chart("t", "d", ["x"], [Series(name="A", values=(1.0,))], fmt=str, shown=2)
