"""The baseline section: the estimate in words with its interval and evidence (or why there is
none), and each channel's incremental share beside its full-credit share."""

from __future__ import annotations

from html import unescape

from rel2rev.report import formatting as f
from rel2rev.report.sections import baseline_section
from rel2rev.results.contracts import AttributionBaseline, RunResults


def _with(results: RunResults, **update: object) -> RunResults:
    assert results.attribution is not None
    return results.model_copy(update={"attribution": results.attribution.model_copy(update=update)})


def test_the_baseline_is_said_with_its_interval_and_evidence(results: RunResults) -> None:
    html = unescape(baseline_section(results))
    assert "Some deals would have closed anyway" in html
    assert "3.9% of journeys with no touch at all still converted" in html
    assert "95% sure it lies between 3.0% and 4.9%" in html
    assert "1,664 journeys without touches, 65 of which converted" in html


def test_each_channel_shows_its_incremental_share_beside_full_credit(results: RunResults) -> None:
    assert results.attribution is not None
    html = unescape(baseline_section(results))
    assert "Additive hazard, incremental against Additive hazard (EUR)" in html
    shares = [
        s
        for s in results.attribution.incremental
        if s.by == "channel" and s.model == "additive_hazard_incremental"
    ]
    assert {s.currency for s in shares} == {"EUR", "USD"}
    for s in shares:
        if s.baseline:
            row = 'Baseline (would have closed anyway)</td><td class="muted">no baseline</td>'
            assert row + f'<td class="num">{f.percent(s.incremental, 1)}</td>' in html
        else:
            cells = f'<td class="num">{f.percent(s.full, 1)}</td><td class="num">'
            assert f"<td>{s.value}</td>{cells}{f.percent(s.incremental, 1)}</td>" in html
            assert s.full is not None
            assert s.incremental < s.full  # the baseline takes its part of every deal


def test_without_an_estimate_it_says_why(results: RunResults) -> None:
    none = AttributionBaseline(
        rate=None, journeys=12, conversions=1, reason="12 journeys without touches; needs 30"
    )
    html = unescape(baseline_section(_with(results, baseline=none)))
    assert "No baseline could be estimated: 12 journeys without touches; needs 30." in html
    assert "lies between" not in html


def test_without_incremental_models_nothing_is_split(results: RunResults) -> None:
    html = unescape(baseline_section(_with(results, models=["markov"], incremental=[])))
    assert "computed no incremental model" in html
