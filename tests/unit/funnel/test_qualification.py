"""Qualification on hand-built timelines: reciprocity, decay, lapse, arrival order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from rel2rev.funnel import QualificationConfig, RelationshipTracker, qualify
from rel2rev.records import Direction, Interaction, InteractionType, WorkspaceRecords

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
IN, OUT = Direction.INBOUND, Direction.OUTBOUND


def touch(
    n: int,
    kind: InteractionType,
    direction: Direction,
    at: datetime,
    contact: str = "c1",
    owner: str | None = None,
    channel: str = "email",
) -> Interaction:
    return Interaction(
        workspace="w",
        source="generic",
        updated_at=at,
        interaction_id=f"i{n}",
        contact_id=contact,
        type=kind,
        direction=direction,
        channel=channel,
        occurred_at=at,
        owner=owner,
    )


def state_of(interactions: list[Interaction], as_of: datetime, **config: float):
    records = WorkspaceRecords(workspace="w", interactions=interactions)
    (state,) = qualify(records, QualificationConfig(**config), as_of=as_of)  # type: ignore[arg-type]
    return state


def test_score_without_reciprocity_never_qualifies_until_the_company_answers() -> None:
    inbound = [touch(n, InteractionType.MEETING, IN, T0 + timedelta(minutes=n)) for n in range(3)]
    before = state_of(inbound, T0 + timedelta(hours=1))
    assert before.score == pytest.approx(sum(5 * 2 ** (-(60 - n) / 1440 / 30) for n in range(3)))
    assert before.qualified_at is None
    assert before.reciprocal_at is None
    answer = touch(9, InteractionType.EMAIL, OUT, T0 + timedelta(days=1))
    after = state_of([*inbound, answer], T0 + timedelta(days=1))
    assert after.qualified_at == answer.occurred_at
    assert after.reciprocal_at == answer.occurred_at
    assert after.history[-1].score == pytest.approx(
        sum(5 * 2 ** (-(1 - m / 1440) / 30) for m in range(3)) + 1.0
    )


def test_reciprocity_can_be_switched_off_by_configuration() -> None:
    inbound = [touch(n, InteractionType.MEETING, IN, T0 + timedelta(minutes=n)) for n in range(3)]
    state = state_of(inbound, T0 + timedelta(hours=1), require_reciprocity=False)
    assert state.qualified_at == inbound[2].occurred_at


def test_decay_keeps_slow_relationships_below_threshold() -> None:
    first = [
        touch(1, InteractionType.CALL, IN, T0),
        touch(2, InteractionType.MEETING, OUT, T0 + timedelta(hours=1)),
    ]
    late = touch(3, InteractionType.DM, IN, T0 + timedelta(days=30, hours=1))
    slow = state_of([*first, late], late.occurred_at)
    assert slow.score == pytest.approx(4 * 2 ** (-(30 + 1 / 24) / 30) + 5 * 2**-1 + 3)
    assert slow.qualified_at is None
    soon = touch(3, InteractionType.DM, IN, T0 + timedelta(hours=2))
    fast = state_of([*first, soon], soon.occurred_at)
    assert fast.qualified_at == soon.occurred_at


def test_lapse_moment_is_when_the_decayed_score_crosses_the_lapse_threshold() -> None:
    pair = [
        touch(1, InteractionType.MEETING, IN, T0),
        touch(2, InteractionType.MEETING, OUT, T0),
    ]
    state = state_of(pair, T0 + timedelta(days=60))
    assert state.qualified_at == T0
    expected = T0 + timedelta(days=30)  # 10·2^(−d/30) = 5 after exactly one half-life
    assert state.lapsed_at is not None
    assert abs((state.lapsed_at - expected).total_seconds()) < 1e-3
    assert not state.qualified
    still = state_of(pair, T0 + timedelta(days=20))
    assert still.qualified
    assert still.lapsed_at is None
    again = [
        *pair,
        *(
            touch(n, InteractionType.CALL, OUT if n % 2 else IN, T0 + timedelta(days=50))
            for n in range(3, 6)
        ),
    ]
    back = state_of(again, T0 + timedelta(days=50))
    assert [e.start for e in back.episodes] == [T0, T0 + timedelta(days=50)]
    assert back.episodes[0].end == state.lapsed_at
    assert back.qualified


def test_response_times_pair_each_inbound_with_the_next_outbound() -> None:
    timeline = [
        touch(1, InteractionType.DM, IN, T0, channel="linkedin"),
        touch(2, InteractionType.DM, IN, T0 + timedelta(hours=1), channel="linkedin"),
        touch(3, InteractionType.DM, OUT, T0 + timedelta(hours=3), owner="ann"),
        touch(4, InteractionType.EMAIL_REPLY, IN, T0 + timedelta(hours=4)),
    ]
    state = state_of(timeline, T0 + timedelta(days=1))
    assert [(r.interaction_id, r.hours, r.owner) for r in state.response_times] == [
        ("i1", 3.0, "ann"),
        ("i2", 2.0, "ann"),
        ("i4", None, None),
    ]


def test_half_life_halves_the_score_after_half_life_days() -> None:
    one = [touch(1, InteractionType.MEETING, IN, T0)]
    for days in (7.5, 30.0, 45.0):
        state = state_of(one, T0 + timedelta(days=days), half_life_days=days)
        assert state.score == pytest.approx(2.5, rel=1e-12)


def test_reactions_and_signals_are_not_conversation() -> None:
    """An inbound like and an outbound email is not two-way; an outbound view is no answer."""
    timeline = [
        touch(1, InteractionType.LIKE, IN, T0),
        touch(2, InteractionType.FORM_SUBMISSION, IN, T0 + timedelta(minutes=1)),
        touch(3, InteractionType.EMAIL, OUT, T0 + timedelta(hours=1)),
        touch(4, InteractionType.EMAIL_REPLY, IN, T0 + timedelta(hours=2)),
        touch(5, InteractionType.VIEW, OUT, T0 + timedelta(hours=3)),
        touch(6, InteractionType.POST, OUT, T0 + timedelta(hours=4)),
        touch(7, InteractionType.CALL, OUT, T0 + timedelta(hours=6)),
    ]
    state = state_of(timeline, T0 + timedelta(days=1), threshold=1000.0, lapse_threshold=0.0)
    assert state.reciprocal_at == T0 + timedelta(hours=2)
    assert [(r.interaction_id, r.hours) for r in state.response_times] == [("i4", 4.0)]
    assert (state.inbound, state.outbound) == (3, 4)


def _world(seed: int) -> list[Interaction]:
    rng = random.Random(seed)
    kinds = list(InteractionType)
    return [
        touch(
            n,
            rng.choice(kinds),
            rng.choice([IN, OUT]),
            T0 + timedelta(hours=rng.randrange(0, 24 * 120)),
            contact=f"c{rng.randrange(5)}",
        )
        for n in range(300)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_result_in_one_batch_or_one_by_one_in_any_order(seed: int) -> None:
    items = _world(seed)
    as_of = T0 + timedelta(days=130)
    batch = qualify(WorkspaceRecords(workspace="w", interactions=items), as_of=as_of)
    tracker = RelationshipTracker()
    shuffled = items[:]
    random.Random(seed + 100).shuffle(shuffled)
    for item in shuffled:
        tracker.add([item])
    tracker.add(shuffled[:50])  # re-delivered duplicates change nothing
    assert tracker.states(as_of) == batch
    assert any(s.qualified_at for s in batch)


def test_a_late_earlier_interaction_moves_the_qualification_moment() -> None:
    day2 = T0 + timedelta(days=2)
    tracker = RelationshipTracker()
    tracker.add([touch(1, InteractionType.MEETING, IN, day2 + timedelta(hours=1))])
    tracker.add([touch(2, InteractionType.CALL, IN, day2 + timedelta(hours=2))])
    assert tracker.state("c1", T0 + timedelta(days=3)).qualified_at is None
    tracker.add([touch(3, InteractionType.MEETING, OUT, day2)])  # arrives late, happened first
    late = tracker.state("c1", T0 + timedelta(days=3))
    assert late.qualified_at == day2 + timedelta(hours=2)
    assert late.reciprocal_at == day2 + timedelta(hours=1)


def test_config_rejects_a_lapse_threshold_above_the_threshold() -> None:
    with pytest.raises(ValueError, match="lapse_threshold"):
        QualificationConfig(threshold=5, lapse_threshold=6)


def test_the_newest_version_of_a_re_sent_interaction_counts_in_batch_and_tracker() -> None:
    old = touch(1, InteractionType.LIKE, IN, T0)
    new = old.model_copy(
        update={"type": InteractionType.MEETING, "updated_at": T0 + timedelta(hours=1)}
    )
    other = touch(2, InteractionType.MEETING, OUT, T0)
    as_of = T0 + timedelta(days=1)
    batch = qualify(WorkspaceRecords(workspace="w", interactions=[new, other, old]), as_of=as_of)
    tracker = RelationshipTracker()
    for item in (old, other, new, old):
        tracker.add([item])
    assert tracker.states(as_of) == batch
    assert batch[0].inbound == 1
    assert batch[0].qualified_at == other.occurred_at  # 5 + 5 ≥ 10 only with the meeting
