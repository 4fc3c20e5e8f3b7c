"""`/v1/attribution` shows the baseline: the estimate, which models are incremental, and each
channel's incremental share beside its full-credit share (hand-computed)."""

from typing import Any

import pytest

from rel2rev.money import Money
from rel2rev.results.contracts import (
    BASELINE,
    AttributionBaseline,
    AttributionResults,
    DealAttribution,
    UnattributedCredit,
)
from rel2rev.results.reconciliation import (
    credited_totals,
    deal_attributions,
    incremental_shares,
    reconcile,
    unattributed_totals,
)
from rel2rev.storage.results import results_store

from .conftest import APRIL, MAY, _line, sample_results
from .test_api_routes import call

MODELS = ["shapley_rate", "shapley_incremental"]
LINES = [
    _line("b1", "shapley_rate", "email", "1", "100.00", "EUR", MAY),
    _line("b1", "shapley_incremental", "email", "0.6", "60.00", "EUR", MAY),
    _line("b1", "shapley_incremental", BASELINE, "0.4", "40.00", "EUR", MAY),
    _line("b2", "shapley_incremental", BASELINE, "1", "50.00", "EUR", APRIL),
]
"""b1 was touched by e-mail; b2 had no touch: all baseline, and unattributed under full credit."""
WON = [
    DealAttribution(deal_id="b1", closed_at=MAY, amount=Money.of("100.00", "EUR")),
    DealAttribution(deal_id="b2", closed_at=APRIL, amount=Money.of("50.00", "EUR")),
]
GAPS = [
    UnattributedCredit(
        deal_id="b2",
        model="shapley_rate",
        by="channel",
        reason="no_touches",
        amount=Money.of("50.00", "EUR"),
        closed_at=APRIL,
    )
]
ESTIMATE = AttributionBaseline(
    rate=0.04, low=0.031, high=0.05, journeys=1500, conversions=60, reason=None
)


@pytest.fixture(scope="module")
def incremental(aws_module: dict[str, Any]) -> None:
    """A stored run of `incr` with Shapley (rate game) and its incremental twin."""
    results = sample_results("incr")
    totals = credited_totals(LINES)
    won = [Money.of("150.00", "EUR")]
    attribution = AttributionResults(
        models=MODELS,
        dimensions=["channel"],
        deals=WON,
        lines=LINES,
        unattributed=GAPS,
        won=won,
        won_deals=2,
        reconciliation=reconcile(deal_attributions(LINES, GAPS, WON), MODELS, ["channel"]),
        totals=totals,
        unattributed_totals=unattributed_totals(GAPS),
        baseline=ESTIMATE,
        incremental=incremental_shares(totals, won, MODELS),
    )
    store = results_store()
    store.create_run(results.run)
    store.save_results(results.model_copy(update={"attribution": attribution}))


def _shares(body: dict[str, Any]) -> dict[str, tuple[float, float | None, bool]]:
    return {
        s["value"]: (round(s["incremental"], 4), s["full"] and round(s["full"], 4), s["baseline"])
        for s in body["incremental"]
    }


def test_the_baseline_and_incremental_shares_beside_full_credit(incremental: None) -> None:
    status, _, body = call("GET", "/v1/attribution", workspace="incr")
    assert status == 200
    assert body["baseline"] == ESTIMATE.model_dump()
    assert body["credit"] == [
        {"model": "shapley_rate", "incremental": False, "full_model": None},
        {"model": "shapley_incremental", "incremental": True, "full_model": "shapley_rate"},
    ]
    flagged = {(t["model"], t["value"]): t["baseline"] for t in body["totals"]}
    assert flagged == {
        ("shapley_rate", "email"): False,
        ("shapley_incremental", "email"): False,
        ("shapley_incremental", BASELINE): True,
    }
    # e-mail: 60 of 150 won incrementally, 100 of 150 under full credit; the baseline 90 of 150
    assert _shares(body) == {"email": (0.4, 0.6667, False), BASELINE: (0.6, None, True)}
    assert {s["model"] for s in body["incremental"]} == {"shapley_incremental"}
    for row in body["reconciliation"]:  # the baseline is credited: it still ties out
        assert row["won"]["amount"] == "150.00"


def test_a_date_range_recomputes_the_shares_from_its_deals(incremental: None) -> None:
    query = {"from": "2026-05-01", "to": "2026-05-31", "model": "shapley_incremental"}
    status, _, body = call("GET", "/v1/attribution", workspace="incr", query=query)
    assert status == 200
    assert body["credit"] == [
        {"model": "shapley_incremental", "incremental": True, "full_model": "shapley_rate"}
    ]
    assert _shares(body) == {"email": (0.6, 1.0, False), BASELINE: (0.4, None, True)}


def test_deal_lines_mark_the_baseline(incremental: None) -> None:
    status, _, body = call("GET", "/v1/attribution/deals/b1", workspace="incr")
    assert status == 200, body
    marks = {(x["model"], x["value"]): x["baseline"] for x in body["deals"][0]["lines"]}
    assert marks[("shapley_incremental", BASELINE)] is True
    assert marks[("shapley_rate", "email")] is False
