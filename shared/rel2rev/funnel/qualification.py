"""Relationship scoring, qualification moments, lapses, reciprocity and response times.

`qualify(records, config, as_of=...)` gives one `RelationshipState` per contact with
interactions. `RelationshipTracker` is the same computation fed one interaction at a time:
appending in time order folds in O(1); a late (out-of-order) or corrected interaction replays
that contact's timeline, so the result never depends on arrival order. Both paths run one
fold over integer-microsecond times, so they agree to the last bit.

This fold is the one implementation of the definitions in docs/definitions.md: the score
halves every `half_life_days`; a relationship is *two-way* (reciprocal) from the first moment
it has had an inbound and an outbound *conversational* interaction
(`rel2rev.records.CONVERSATIONAL_TYPES`); a *response time* is the delay from an inbound
conversational interaction to the next outbound conversational one to the same contact.
Reactions (likes, views, ...) and signals (forms, ad clicks, ...) count towards the score
only. The survival features read reciprocity and response times from these states.
"""

from __future__ import annotations

import math
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import attrgetter, itemgetter

from pydantic import BaseModel, ConfigDict

from rel2rev.funnel.config import QualificationConfig
from rel2rev.records import (
    CONVERSATIONAL_TYPES,
    Direction,
    Interaction,
    InteractionType,
    UtcDatetime,
    WorkspaceRecords,
)


class ScorePoint(BaseModel):
    """The score just after an interaction (plot these, decaying exponentially in between)."""

    model_config = ConfigDict(frozen=True)

    at: UtcDatetime
    score: float


class QualifiedEpisode(BaseModel):
    """A span during which the relationship was qualified; `end` None = still qualified."""

    model_config = ConfigDict(frozen=True)

    start: UtcDatetime
    end: UtcDatetime | None = None


class ResponseTime(BaseModel):
    """An inbound conversational interaction and the company's next outbound conversational
    one to the same contact (`answered_at` None while unanswered)."""

    model_config = ConfigDict(frozen=True)

    interaction_id: str
    received_at: UtcDatetime
    channel: str
    owner: str | None = None
    answered_at: UtcDatetime | None = None

    @property
    def hours(self) -> float | None:
        """Delay in hours, None while unanswered."""
        if self.answered_at is None:
            return None
        return (self.answered_at - self.received_at).total_seconds() / 3600.0


class RelationshipState(BaseModel):
    """Where one relationship stands at `as_of`."""

    model_config = ConfigDict(frozen=True)

    contact_id: str
    as_of: UtcDatetime
    score: float
    history: list[ScorePoint]
    episodes: list[QualifiedEpisode]
    inbound: int
    outbound: int
    reciprocal_at: UtcDatetime | None
    response_times: list[ResponseTime]
    """Every inbound conversational interaction, answered or not, in time order."""

    @property
    def qualified_at(self) -> datetime | None:
        """First moment the relationship qualified."""
        return self.episodes[0].start if self.episodes else None

    @property
    def lapsed_at(self) -> datetime | None:
        """When the latest episode lapsed; None if never qualified or qualified at `as_of`."""
        return self.episodes[-1].end if self.episodes else None

    @property
    def qualified(self) -> bool:
        """Qualified at `as_of`."""
        return bool(self.episodes) and self.episodes[-1].end is None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_DAY_US = 86_400_000_000

_ORDER = itemgetter(0, 1)
_ID = attrgetter("interaction_id")
_LN2 = math.log(2.0)
_Touch = tuple[int, str, float, bool, str, "str | None", datetime, datetime, bool]
"""(occurred µs since epoch, interaction id, weight, inbound, channel, owner, updated_at,
occurred_at, conversational); tuples sort by time then id, the order every fold uses."""


def _moment(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@dataclass(slots=True)
class _Fold:
    """Running state after the last folded touch, in plain values (models built on snapshot)."""

    score: float = 0.0
    last_us: int | None = None
    inbound: int = 0
    outbound: int = 0
    talked_in: bool = False
    talked_out: bool = False
    reciprocal_us: int | None = None
    episodes: list[list[int | None]] = field(default_factory=list)
    history: list[tuple[datetime, float]] = field(default_factory=list)
    answered: list[tuple[_Touch, str | None, datetime | None]] = field(default_factory=list)
    pending: list[_Touch] = field(default_factory=list)

    def run(self, touches: Iterable[_Touch], config: QualificationConfig, details: bool) -> None:
        """Fold time-ordered touches (all after `last_us`) into the state.

        One tight loop shared by the batch and incremental paths, in integer microseconds, so
        both produce bit-identical scores.
        """
        half_life, lapse = config.half_life_days, config.lapse_threshold
        threshold, need_both = config.threshold, config.require_reciprocity
        score, last, n_in, n_out = self.score, self.last_us, self.inbound, self.outbound
        talked_in, talked_out = self.talked_in, self.talked_out
        recip, episodes = self.reciprocal_us, self.episodes
        qualified = bool(episodes) and episodes[-1][1] is None
        rate = _LN2 / half_life
        for touch in touches:
            us = touch[0]
            if last is not None:
                age = (us - last) / _DAY_US
                decayed = score * math.exp(-age * rate)
                if qualified and decayed < lapse:
                    days = min(math.log(score / lapse) / rate, age)
                    episodes[-1][1] = last + round(days * _DAY_US)
                    qualified = False
                score = decayed
            score += touch[2]
            last = us
            if touch[3]:
                n_in += 1
                if touch[8]:
                    talked_in = True
                    if details:
                        self.pending.append(touch)
            else:
                n_out += 1
                if touch[8]:
                    talked_out = True
                    if details:
                        self.answered.extend((w, touch[5] or w[5], touch[7]) for w in self.pending)
                        self.pending.clear()
            if recip is None and talked_in and talked_out:
                recip = us
            if details:
                self.history.append((touch[7], score))
            if not qualified and score >= threshold and (recip is not None or not need_both):
                episodes.append([us, None])
                qualified = True
        self.score, self.last_us, self.inbound, self.outbound = score, last, n_in, n_out
        self.talked_in, self.talked_out, self.reciprocal_us = talked_in, talked_out, recip

    def snapshot(
        self, contact_id: str, as_of: datetime, config: QualificationConfig, *, details: bool
    ) -> RelationshipState:
        # Values were validated on the way in, so the result models are built without re-checks.
        episodes = [list(e) for e in self.episodes]
        score = 0.0
        if self.last_us is not None:
            age = ((as_of - _EPOCH) // _US - self.last_us) / _DAY_US
            rate = _LN2 / config.half_life_days
            score = self.score * math.exp(-age * rate)
            lapse = config.lapse_threshold
            if episodes and episodes[-1][1] is None and score < lapse:
                days = min(math.log(self.score / lapse) / rate, age)
                episodes[-1][1] = self.last_us + round(days * _DAY_US)
        waits = [*self.answered, *((t, t[5], None) for t in self.pending)] if details else []
        # Already in (received, id) order: touches are folded in that order and each outbound
        # answers every earlier pending inbound.
        return RelationshipState.model_construct(
            contact_id=contact_id,
            as_of=as_of,
            score=score,
            history=[ScorePoint.model_construct(at=at, score=v) for at, v in self.history]
            if details
            else [],
            episodes=[
                QualifiedEpisode.model_construct(
                    start=_moment(start), end=None if end is None else _moment(end)
                )
                for start, end in episodes
                if start is not None
            ],
            inbound=self.inbound,
            outbound=self.outbound,
            reciprocal_at=None if self.reciprocal_us is None else _moment(self.reciprocal_us),
            response_times=[
                ResponseTime.model_construct(
                    interaction_id=t[1],
                    received_at=t[7],
                    channel=t[4],
                    owner=owner,
                    answered_at=answered,
                )
                for t, owner, answered in waits
            ],
        )


class _Timeline:
    """One contact's touches in time order, with the fold over them kept current."""

    def __init__(self) -> None:
        self.touches: list[_Touch] = []
        self.by_id: dict[str, _Touch] = {}
        self.fold = _Fold()

    def add(self, touch: _Touch, config: QualificationConfig) -> None:
        known = self.by_id.get(touch[1])
        if known is not None:
            if touch[6] <= known[6]:
                return  # a duplicate or an older version of a touch already applied
            self.touches.remove(known)
        self.by_id[touch[1]] = touch
        if known is None and (not self.touches or self.touches[-1][:2] < touch[:2]):
            self.touches.append(touch)
            self.fold.run([touch], config, True)
            return
        insort(self.touches, touch, key=_ORDER)
        self.fold = _Fold()
        self.fold.run(self.touches, config, True)


_Weights = dict[tuple[str, bool], float]


def _weights(config: QualificationConfig) -> _Weights:
    """`config.weight` keyed by (type value, inbound): hashing enum members is slow."""
    return {
        (kind.value, direction is Direction.INBOUND): config.weight(kind, direction)
        for kind in InteractionType
        for direction in Direction
    }


def _touch(item: Interaction, weights: _Weights) -> _Touch:
    inbound = item.direction is Direction.INBOUND
    return (
        (item.occurred_at - _EPOCH) // _US,
        item.interaction_id,
        weights[item.type._value_, inbound],
        inbound,
        item.channel,
        item.owner,
        item.updated_at,
        item.occurred_at,
        item.type in CONVERSATIONAL_TYPES,
    )


class RelationshipTracker:
    """Qualification state of every contact, updated one interaction (or batch) at a time."""

    def __init__(self, config: QualificationConfig | None = None) -> None:
        self.config = config or QualificationConfig()
        self._weights = _weights(self.config)
        self._timelines: dict[str, _Timeline] = {}

    def add(self, interactions: Iterable[Interaction]) -> None:
        """Fold interactions in, whatever their order; re-sent ids keep the newest version."""
        for item in interactions:
            timeline = self._timelines.get(item.contact_id)
            if timeline is None:
                timeline = self._timelines[item.contact_id] = _Timeline()
            timeline.add(_touch(item, self._weights), self.config)

    def state(self, contact_id: str, as_of: datetime, *, details: bool = True) -> RelationshipState:
        """The contact's state at `as_of` (touches after `as_of` must not have been added);
        `details=False` leaves out the score history and response times (one object per
        interaction each)."""
        timeline = self._timelines.get(contact_id)
        fold = timeline.fold if timeline is not None else _Fold()
        if fold.last_us is not None and _moment(fold.last_us) > as_of:
            raise ValueError(f"contact {contact_id} has interactions after as_of {as_of}")
        return fold.snapshot(contact_id, as_of, self.config, details=details)

    def states(self, as_of: datetime, *, details: bool = True) -> list[RelationshipState]:
        """Every tracked contact at `as_of`, ordered by contact id."""
        return [self.state(cid, as_of, details=details) for cid in sorted(self._timelines)]


def qualify(
    records: WorkspaceRecords,
    config: QualificationConfig | None = None,
    *,
    as_of: datetime,
    details: bool = True,
) -> list[RelationshipState]:
    """Score, qualification episodes, reciprocity and response times per contact at `as_of`.

    Interactions after `as_of` are ignored; of several versions of one interaction id the
    newest (`updated_at`) counts. Contacts without interactions are left out. The batch path
    of `RelationshipTracker`, with the same fold. `details=False` leaves out score history and
    response times (the survival models need neither; a million interactions make a million
    objects).
    """
    config = config or QualificationConfig()
    items = [i for i in records.interactions if i.occurred_at <= as_of]
    if len(set(map(_ID, items))) < len(items):
        latest: dict[str, Interaction] = {}
        for item in items:
            seen = latest.setdefault(item.interaction_id, item)
            if seen is not item and item.updated_at > seen.updated_at:
                latest[item.interaction_id] = item
        items = list(latest.values())
    weights = _weights(config)
    per_contact: dict[str, list[_Touch]] = defaultdict(list)
    for item in items:
        per_contact[item.contact_id].append(_touch(item, weights))
    states = []
    for contact_id in sorted(per_contact):
        touches = per_contact[contact_id]
        touches.sort(key=_ORDER)
        fold = _Fold()
        fold.run(touches, config, details)
        states.append(fold.snapshot(contact_id, as_of, config, details=details))
    return states
