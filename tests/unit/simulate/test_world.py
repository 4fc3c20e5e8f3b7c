"""The synthetic world: deterministic, internally consistent, and its ground truth is exact."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from rel2rev.dataset import Format
from rel2rev.records import (
    DealStatus,
    Direction,
    Interaction,
    InteractionType,
    StakeholderType,
)
from rel2rev.simulate import World, WorldConfig, read_records, read_truth, simulate_world
from rel2rev.simulate.catalogue import CHANNELS
from rel2rev.simulate.files import write_world

END = datetime(2026, 6, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return simulate_world(WorldConfig(seed=11, accounts=120, end=END))


def test_same_config_same_world(world: World) -> None:
    again = simulate_world(WorldConfig(seed=11, accounts=120, end=END))
    assert again.model_dump() == world.model_dump()
    other = simulate_world(WorldConfig(seed=12, accounts=120, end=END))
    assert other.records.interactions != world.records.interactions


def test_world_has_every_kind_of_thing(world: World) -> None:
    records = world.records
    assert {c.stakeholder_type for c in records.contacts} == {
        StakeholderType.CUSTOMER,
        StakeholderType.PARTNER,
        StakeholderType.SUPPLIER,
        StakeholderType.EMPLOYEE,
    }
    assert {i.channel for i in records.interactions} >= {c.name for c in CHANNELS} - {"referral"}
    assert {i.direction for i in records.interactions} == set(Direction)
    assert {d.status for d in records.deals} == set(DealStatus)
    assert {d.amount.currency for d in records.deals if d.amount} == {"EUR", "USD"}
    assert {a.crm for a in world.accounts} == {"hubspot", "salesforce", "pipedrive", ""}
    assert len({i.owner for i in records.interactions}) > 1
    assert any(i.cost is not None for i in records.interactions)
    counts = world.truth.counts
    assert counts.accounts == 120  # the companies; the seller is not counted
    assert counts.interactions == len(records.interactions)
    assert counts.deals_won == sum(d.status is DealStatus.WON for d in records.deals)


def test_records_are_consistent(world: World) -> None:
    records = world.records
    start, end = world.truth.start, world.truth.end
    contacts = {c.contact_id: c for c in records.contacts}
    assert len(contacts) == len(records.contacts)
    assert len({i.interaction_id for i in records.interactions}) == len(records.interactions)
    first_touch: dict[str, datetime] = {}
    for i in records.interactions:
        assert start <= i.occurred_at <= end
        assert contacts[i.contact_id].account_id == i.account_id
        first_touch.setdefault(i.contact_id, i.occurred_at)
        first_touch[i.contact_id] = min(first_touch[i.contact_id], i.occurred_at)
    for c in records.contacts:
        if c.contact_id in first_touch:
            assert c.created_at == first_touch[c.contact_id]
    leads = {lead.account_id: lead for lead in records.leads}
    for deal in records.deals:
        assert deal.created_at is not None
        assert deal.amount is not None
        assert deal.amount.amount > 0
        assert {r.contact_id for r in deal.contact_roles} <= set(contacts)
        lead = leads[deal.account_id]
        assert lead.created_at is not None
        assert lead.created_at <= deal.created_at
        if deal.status is DealStatus.OPEN:
            assert deal.closed_at is None
        else:
            assert deal.closed_at is not None
            assert deal.created_at <= deal.closed_at <= end


def test_replies_follow_what_they_answer(world: World) -> None:
    """Every inbound reply (email reply) comes after an outbound email to the same person."""
    by_contact: dict[str, list[tuple[datetime, InteractionType]]] = defaultdict(list)
    for i in world.records.interactions:
        by_contact[i.contact_id].append((i.occurred_at, i.type))
    replies = 0
    for timeline in by_contact.values():
        timeline.sort()
        for k, (at, kind) in enumerate(timeline):
            if kind is InteractionType.EMAIL_REPLY:
                replies += 1
                assert any(t is InteractionType.EMAIL and a <= at for a, t in timeline[:k])
    assert replies > 10


def _recomputed_shares(world: World) -> dict[str, dict[str, float]]:
    """Each won deal's channel shares, recomputed from the stored records alone."""
    truth = world.truth
    multiplier = truth.reciprocity_multiplier
    conversational = {  # docs/definitions.md, "Two-way", written out
        InteractionType.COMMENT, InteractionType.EMAIL, InteractionType.EMAIL_REPLY,
        InteractionType.DM, InteractionType.CALL, InteractionType.MEETING,
        InteractionType.EVENT_ATTENDED,
    }  # fmt: skip
    by_account: dict[str | None, list[Interaction]] = defaultdict(list)
    for i in sorted(world.records.interactions, key=lambda i: i.occurred_at):
        by_account[i.account_id].append(i)
    shares: dict[str, dict[str, float]] = {}
    for deal in world.records.deals:
        if deal.status is not DealStatus.WON or deal.closed_at is None:
            continue
        inbound = outbound = False
        hazard: dict[str, float] = defaultdict(float)
        for i in by_account[deal.account_id]:
            if i.occurred_at > deal.closed_at:
                break
            if i.type in conversational:
                outbound |= i.direction is Direction.OUTBOUND
                inbound |= i.direction is Direction.INBOUND
            age = (deal.closed_at - i.occurred_at).total_seconds() / 86400
            weight = truth.channel_effects[i.channel] * (multiplier if inbound and outbound else 1)
            hazard[i.channel] += weight * 2 ** (-age / truth.half_life_days)
        total = sum(hazard.values())
        shares[deal.deal_id] = {c: h / total for c, h in hazard.items()}
    return shares


def test_ground_truth_is_the_planted_hazard_share_at_conversion(world: World) -> None:
    recomputed = _recomputed_shares(world)
    assert recomputed.keys() == world.truth.deal_shares.keys()
    assert len(recomputed) >= 20
    for deal_id, shares in recomputed.items():
        planted = world.truth.deal_shares[deal_id]
        assert sum(planted.values()) == pytest.approx(1)
        for channel in set(shares) | set(planted):
            assert planted.get(channel, 0) == pytest.approx(shares.get(channel, 0), abs=1e-4)
    expected = world.truth.expected_shares
    assert sum(expected.values()) == pytest.approx(1)
    # The planted effects shape the truth: meetings count for more than paid clicks.
    assert expected["meeting"] > expected["paid"]


def test_expected_revenue_books_every_won_deal_to_the_cent(world: World) -> None:
    won: dict[str, Decimal] = defaultdict(Decimal)
    for deal in world.records.deals:
        if deal.status is DealStatus.WON and deal.amount is not None:
            won[deal.amount.currency] += deal.amount.amount
    booked = {cur: sum(by.values(), Decimal(0)) for cur, by in world.truth.expected_revenue.items()}
    assert booked == dict(won)


def test_recovery_measures_distance_to_the_truth(world: World) -> None:
    truth = world.truth
    perfect = truth.recovery(truth.expected_shares)
    assert perfect.max_error_pp == pytest.approx(0, abs=1e-9)
    uniform = truth.recovery(dict.fromkeys(truth.channel_effects, 1.0) | {"unknown": 5.0})
    assert uniform.max_error_pp > 5
    row = {r.channel: r for r in uniform.channels}["meeting"]
    assert row.estimated == pytest.approx(1 / len(truth.channel_effects))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_world_round_trips_through_files(world: World, tmp_path: Path, fmt: Format) -> None:
    write_world(world, tmp_path, fmt=fmt)
    assert read_records(tmp_path, world.config.workspace) == world.records
    assert read_truth(tmp_path) == world.truth


def test_no_two_people_share_an_identifier(world: World) -> None:
    """Identity resolution merges people by any identifier: they must be unique."""
    keys = [i.key for c in world.records.contacts for i in c.identifiers]
    assert len(keys) == len(set(keys))
