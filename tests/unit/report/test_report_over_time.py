"""Attributed revenue over time: by month of close and channel, tying out to the totals."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from rel2rev.money import Money
from rel2rev.report.sections.over_time import (
    monthly_revenue,
    over_time_model,
    over_time_section,
)
from rel2rev.results.contracts import PipelineTotal, RunResults


def test_months_sum_to_the_model_totals_per_channel(results: RunResults) -> None:
    attribution = results.attribution
    assert attribution is not None
    model = over_time_model(attribution)
    assert model is not None
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for currency, months in monthly_revenue(attribution, model).items():
        assert months, currency
        for channels in months.values():
            for channel, amount in channels.items():
                sums[(currency, channel)] += amount
    totals = {
        (t.amount.currency, t.value): t.amount.amount
        for t in attribution.totals
        if t.model == model and t.by == "channel"
    }
    assert {k: v for k, v in sums.items() if v} == {k: v for k, v in totals.items() if v}


def test_the_section_names_its_model_and_shows_each_month(results: RunResults) -> None:
    attribution = results.attribution
    assert attribution is not None
    model = over_time_model(attribution)
    html = over_time_section(results)
    assert 'id="over-time"' in html
    assert "<svg" in html
    assert "All channels" in html
    months = {m for ms in monthly_revenue(attribution, model or "").values() for m in ms}
    assert months
    shown = {f"{date(int(m[:4]), int(m[5:]), 1):%b %Y}" for m in months}
    for month in shown:
        assert month in html


def test_without_attribution_the_section_says_why(results: RunResults) -> None:
    html = over_time_section(results.model_copy(update={"attribution": None}))
    assert "not available" in html


def test_open_pipeline_is_listed_per_channel_and_sums(results: RunResults) -> None:
    attribution = results.attribution
    assert attribution is not None
    pipeline = [
        PipelineTotal(by="channel", value="email", amount=Money.of("1500.00", "EUR"), deals=2),
        PipelineTotal(by="channel", value="ads", amount=Money.of("250.50", "EUR"), deals=1),
    ]
    with_pipeline = results.model_copy(
        update={"attribution": attribution.model_copy(update={"pipeline": pipeline})}
    )
    html = over_time_section(with_pipeline)
    assert "Open pipeline influenced" in html
    assert html.index(">email<") < html.index(">ads<"), "largest first"
    assert "€1,750.50" in html
    without = results.model_copy(
        update={"attribution": attribution.model_copy(update={"pipeline": []})}
    )
    assert "No open deal with an amount" in over_time_section(without)
