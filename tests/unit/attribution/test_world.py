"""End to end on the seeded synthetic world: records -> journeys -> every model."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rel2rev.attribution import build_journeys, run_models
from rel2rev.attribution.run import FULL_CREDIT_MODELS
from rel2rev.records import DealStatus
from rel2rev.simulate.world import WorldConfig, simulate_world


def test_world_deals_reconcile_and_the_hazard_finds_the_planted_shares() -> None:
    config = WorldConfig(seed=3, accounts=1500, end=datetime(2026, 6, 1, tzinfo=UTC))
    world = simulate_world(config)
    journeys = build_journeys(world.records, as_of=config.end)
    report = run_models(
        journeys,
        FULL_CREDIT_MODELS,
        hazard_decay=timedelta(days=config.half_life_days),
        touches=False,
    )
    won = {
        d.deal_id: d.amount
        for d in world.records.deals
        if d.status is DealStatus.WON and d.amount is not None
    }
    attributed = {j.journey_id for j in journeys if j.touches}
    for result in report.models.values():
        assert result.error is None, result.error
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for line in result.deal_lines:
            sums[line.deal_id] += line.amount.amount
        assert sums == {k: v.amount for k, v in won.items() if k in attributed}
    planted = world.truth.expected_shares
    hazard = report.models["additive_hazard"].shares
    worst = max(abs(hazard.get(c, 0.0) - share) for c, share in planted.items())
    assert worst < 0.06
