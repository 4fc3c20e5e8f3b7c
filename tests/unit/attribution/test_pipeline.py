"""Open pipeline influenced: open deals' amounts split evenly over the channels that touched
them, exactly, per currency."""

from __future__ import annotations

from decimal import Decimal

from rel2rev.attribution.pipeline import open_pipeline
from rel2rev.attribution.table import JourneyTable
from rel2rev.money import Money

from .helpers import journey


def test_open_amounts_split_evenly_over_touches_to_the_cent() -> None:
    table = JourneyTable.from_journeys(
        [
            journey("open-a", ["email", "email", "ads"], converted=False),
            journey("won", ["ads"], amount="500", converted=True),
            journey("open-b", ["ads", "events", "webinar"], converted=False),
            journey("open-yen", ["email"], converted=False),
            journey("open-untouched", [], converted=False),
        ]
    )
    amounts = [
        Money.of("100.00", "EUR"),
        None,  # won: revenue, not pipeline
        Money.of("10.00", "EUR"),
        Money.of("3000", "JPY"),
        Money.of("99.00", "EUR"),  # no touch in the lookback: not influenced
    ]
    got = open_pipeline(table, amounts, "channel")
    assert got == {
        ("ads", "EUR"): (Money.of("36.67", "EUR"), 2),  # 33.33 + 3.34 (ties: first touched)
        ("email", "EUR"): (Money.of("66.67", "EUR"), 1),
        ("email", "JPY"): (Money.of("3000", "JPY"), 1),
        ("events", "EUR"): (Money.of("3.33", "EUR"), 1),
        ("webinar", "EUR"): (Money.of("3.33", "EUR"), 1),
    }
    eur = sum((m.amount for (_, c), (m, _) in got.items() if c == "EUR"), Decimal(0))
    assert eur == Decimal("110.00"), "the influenced values sum to the touched open deals"


def test_no_open_deal_no_pipeline() -> None:
    table = JourneyTable.from_journeys([journey("won", ["ads"], amount="5", converted=True)])
    assert open_pipeline(table, [None], "channel") == {}
