"""Run by run: the earlier runs' headlines beside this one."""

from __future__ import annotations

from html import unescape

from rel2rev.report import formatting as f
from rel2rev.report.sections import trend_section
from rel2rev.results.contracts import RunResults


def test_every_run_is_a_row_with_its_exact_figures(results: RunResults) -> None:
    html = unescape(trend_section(results))
    assert len(results.history) == 2
    assert "beside the 2 before it with the same 365-day window" in html
    for run in [*results.history, results.run]:
        assert run.headline is not None
        assert f.when(run.as_of) in html
        for money in run.headline.won:
            assert f.money(money.amount, money.currency) in html
    assert html.count("<svg") == len({m.currency for m in results.run.headline.won})  # type: ignore[union-attr]


def test_the_channels_move_under_one_model(results: RunResults) -> None:
    html = unescape(trend_section(results))
    assert "Revenue credited per channel under the Markov model, the last 3 runs" in html
    headline = results.run.headline
    assert headline is not None
    for channel in headline.channels:
        assert f"{channel.value} ({channel.amount.currency})" in html
        assert f.money(channel.amount.amount, channel.amount.currency) in html


def test_the_first_run_says_the_trend_starts_later(results: RunResults) -> None:
    html = unescape(trend_section(results.model_copy(update={"history": []})))
    assert "No earlier run of this workspace with the same window length" in html
    assert "<table" not in html
