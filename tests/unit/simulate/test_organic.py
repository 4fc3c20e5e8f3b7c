"""Organic conversions in the synthetic world: a baseline hazard and touchless buyers."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from rel2rev.records import DealStatus, Direction, Interaction, InteractionType, StakeholderType
from rel2rev.simulate import World, WorldConfig, simulate_world

END = datetime(2026, 6, 1, tzinfo=UTC)

BEFORE_ORGANIC = {
    1: "a44a5bbd2b5029f1bd75dbdd028470e5d7fba74b773df74f19beb185b09d5405",
    7: "00ac21d395c8129ee44d5480151edd010ec54e8f7f17cc18936a61f440eed700",
    42: "684864c1681b1c107412327d16d99790adf85a9d0c8efde595411125408fd2d3",
}
"""SHA-256 of the records of 80-account worlds, written by the generator before organic
conversions existed: with both new settings at 0, not one random draw may move."""


@pytest.mark.parametrize("seed", sorted(BEFORE_ORGANIC))
def test_without_organic_conversions_the_world_is_byte_identical(seed: int) -> None:
    config = WorldConfig(seed=seed, accounts=80, end=END, baseline_hazard=0, touchless_share=0)
    world = simulate_world(config)
    digest = hashlib.sha256(world.records.model_dump_json().encode()).hexdigest()
    assert digest == BEFORE_ORGANIC[seed]
    truth = world.truth
    assert truth.baseline_share == 0
    assert truth.touchless_rate is None
    assert truth.incremental_shares == pytest.approx(truth.expected_shares, abs=1e-12)


@pytest.fixture(scope="module")
def organic() -> World:
    config = WorldConfig(seed=5, accounts=400, end=END, baseline_hazard=0.002, touchless_share=0.3)
    return simulate_world(config)


def _baseline_shares(world: World) -> dict[str, float]:
    """Each won deal's baseline share λ0 / (λ0 + touches' hazard), from the records alone."""
    truth = world.truth
    conversational = {
        InteractionType.COMMENT, InteractionType.EMAIL, InteractionType.EMAIL_REPLY,
        InteractionType.DM, InteractionType.CALL, InteractionType.MEETING,
        InteractionType.EVENT_ATTENDED,
    }  # fmt: skip
    by_account: dict[str | None, list[Interaction]] = defaultdict(list)
    for i in sorted(world.records.interactions, key=lambda i: i.occurred_at):
        by_account[i.account_id].append(i)
    shares: dict[str, float] = {}
    for deal in world.records.deals:
        if deal.status is not DealStatus.WON or deal.closed_at is None:
            continue
        inbound = outbound = False
        hazard = 0.0
        for i in by_account[deal.account_id]:
            if i.occurred_at > deal.closed_at:
                break
            if i.type in conversational:
                outbound |= i.direction is Direction.OUTBOUND
                inbound |= i.direction is Direction.INBOUND
            age = (deal.closed_at - i.occurred_at).total_seconds() / 86400
            two_way = truth.reciprocity_multiplier if inbound and outbound else 1.0
            hazard += (
                truth.channel_effects[i.channel] * two_way * 2 ** (-age / truth.half_life_days)
            )
        shares[deal.deal_id] = truth.baseline_hazard / (truth.baseline_hazard + hazard)
    return shares


def test_touchless_buyers_are_recorded_without_a_touch(organic: World) -> None:
    records = organic.records
    touched = {i.account_id for i in records.interactions}
    customers = {
        c.account_id for c in records.contacts if c.stakeholder_type is StakeholderType.CUSTOMER
    }
    untouched = customers - touched
    assert len(untouched) == organic.truth.counts.touchless_accounts > 60
    won = [d for d in records.deals if d.account_id in untouched]
    assert won
    assert all(d.status is DealStatus.WON for d in won)
    assert all(organic.truth.deal_shares[d.deal_id] == {} for d in won)
    assert all(organic.truth.deal_baseline_shares[d.deal_id] == 1.0 for d in won)
    assert 0 < len(won) / len(untouched) < 1


def test_incremental_truth_is_the_baseline_in_the_denominator(organic: World) -> None:
    truth = organic.truth
    recomputed = _baseline_shares(organic)
    assert recomputed.keys() == truth.deal_baseline_shares.keys()
    for deal_id, share in recomputed.items():
        assert truth.deal_baseline_shares[deal_id] == pytest.approx(share, abs=1e-4)
    assert truth.baseline_share == pytest.approx(
        sum(recomputed.values()) / len(recomputed), abs=1e-4
    )
    assert truth.baseline_share + sum(truth.incremental_shares.values()) == pytest.approx(1.0)
    assert sum(truth.expected_shares.values()) == pytest.approx(1.0)
    for channel, share in truth.incremental_shares.items():
        assert share < truth.expected_shares[channel] or share == 0
    assert truth.touchless_rate is not None
    assert 0.1 < truth.touchless_rate < 0.4


def test_incremental_recovery_is_measured_on_shares_of_all_conversions(organic: World) -> None:
    truth = organic.truth
    assert truth.incremental_recovery(truth.incremental_shares).max_error_pp == 0
    full = truth.incremental_recovery(truth.expected_shares)
    assert full.max_error_pp > 2  # full credit overstates every channel
