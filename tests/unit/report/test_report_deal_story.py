"""One won deal, touch by touch: the largest won deal per currency, its committee, its touches
and each model's split of its amount."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rel2rev.report.sections.deal_story import deal_story_section, story_deals
from rel2rev.results.contracts import CommitteeMember, DealTouch, DealTouches, RunResults


def test_the_largest_credited_deal_of_each_currency_is_told(results: RunResults) -> None:
    attribution = results.attribution
    assert attribution is not None
    deals = story_deals(attribution)
    currencies = [d.amount.currency for d in deals if d.amount is not None]
    assert currencies == sorted(set(currencies))
    credited = set(attribution.lines.column("deal_id"))
    for deal in deals:
        assert deal.deal_id in credited
        assert deal.amount is not None
        same = [
            d.amount.amount
            for d in attribution.deals
            if d.amount is not None
            and d.amount.currency == deal.amount.currency
            and d.deal_id in credited
        ]
        assert deal.amount.amount == max(same)


def test_committee_touches_and_every_models_split(results: RunResults) -> None:
    attribution = results.attribution
    assert attribution is not None
    chosen = story_deals(attribution)[0]
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    touches = [
        DealTouch(at=start + timedelta(days=k), contact="ada", channel="email") for k in range(45)
    ]
    told = chosen.model_copy(
        update={
            "name": "Acme <renewal>",
            "committee": [
                CommitteeMember(contact_id="ada", role="champion"),
                CommitteeMember(contact_id="bob"),
            ],
            "touches": DealTouches.of(touches),
        }
    )
    deals = [told if d.deal_id == chosen.deal_id else d for d in attribution.deals]
    html = deal_story_section(
        results.model_copy(update={"attribution": attribution.model_copy(update={"deals": deals})})
    )
    assert "Acme &lt;renewal&gt;" in html
    assert "Buying committee of Acme &lt;renewal&gt;" in html
    assert ">champion<" in html
    assert ">45<" in html, "ada's touches are counted"
    assert "(first 40)" in html
    assert html.count("<svg") == 1, "the touches on a timeline"
    assert "Touches of Acme &lt;renewal&gt; over time" in html
    assert html.count('<circle class="mark"') == 45
    assert "5 later touches are in the API" in html
    assert "How each model split Acme &lt;renewal&gt; by channel" in html
    amount = chosen.amount
    assert amount is not None
    lines = [x for x in attribution.lines if x.deal_id == chosen.deal_id and x.by == "channel"]
    for model in {x.model for x in lines}:
        total = sum((x.amount.amount for x in lines if x.model == model), Decimal(0))
        assert total == amount.amount, model  # each model's column sums to the deal amount


def test_without_attribution_the_section_says_why(results: RunResults) -> None:
    html = deal_story_section(results.model_copy(update={"attribution": None}))
    assert "not available" in html
