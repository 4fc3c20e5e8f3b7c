"""Relationship scoring, qualification moments, lapses, reciprocity and response times.

`qualify(records, config, as_of=...)` gives one `RelationshipState` per contact with
interactions. `RelationshipTracker` is the same computation fed one interaction at a time:
appending in time order folds in O(1); a late (out-of-order) or corrected interaction replays
that contact's timeline, so the result never depends on arrival order.
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter

from pydantic import BaseModel, ConfigDict

from rel2rev.funnel.config import QualificationConfig
from rel2rev.records import Direction, Interaction, UtcDatetime, WorkspaceRecords

_DAY = 86_400.0


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
    """An inbound interaction and the company's next outbound one to the same contact."""

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


@dataclass(order=True, slots=True)
class _Touch:
    at: datetime
    interaction_id: str
    weight: float = field(compare=False)
    inbound: bool = field(compare=False)
    channel: str = field(compare=False)
    owner: str | None = field(compare=False)
    updated_at: datetime = field(compare=False)


@dataclass(slots=True)
class _Fold:
    """Running state after the last folded touch (plain values; models are built on snapshot)."""

    score: float = 0.0
    last_at: datetime | None = None
    inbound: int = 0
    outbound: int = 0
    reciprocal_at: datetime | None = None
    history: list[tuple[datetime, float]] = field(default_factory=list)
    episodes: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    answered: list[tuple[_Touch, str | None, datetime | None]] = field(default_factory=list)
    pending: list[_Touch] = field(default_factory=list)

    @property
    def is_qualified(self) -> bool:
        return bool(self.episodes) and self.episodes[-1][1] is None

    def decay_to(self, at: datetime, config: QualificationConfig) -> float:
        """Score decayed to `at`; closes the open episode if it lapsed on the way."""
        if self.last_at is None:
            return 0.0
        age = (at - self.last_at).total_seconds() / _DAY
        decayed = self.score * math.exp(-age / config.half_life_days)
        if self.is_qualified and decayed < config.lapse_threshold:
            days = config.half_life_days * math.log(self.score / config.lapse_threshold)
            self.episodes[-1] = (
                self.episodes[-1][0],
                self.last_at + timedelta(days=min(days, age)),
            )
        return decayed

    def step(self, touch: _Touch, config: QualificationConfig) -> None:
        self.score = self.decay_to(touch.at, config) + touch.weight
        self.last_at = touch.at
        if touch.inbound:
            self.inbound += 1
            self.pending.append(touch)
        else:
            self.outbound += 1
            for waiting in self.pending:
                self.answered.append((waiting, touch.owner or waiting.owner, touch.at))
            self.pending.clear()
        if self.reciprocal_at is None and self.inbound and self.outbound:
            self.reciprocal_at = touch.at
        self.history.append((touch.at, self.score))
        reciprocal = self.reciprocal_at is not None or not config.require_reciprocity
        if not self.is_qualified and self.score >= config.threshold and reciprocal:
            self.episodes.append((touch.at, None))

    def snapshot(
        self, contact_id: str, as_of: datetime, config: QualificationConfig, *, details: bool
    ) -> RelationshipState:
        # Values were validated on the way in, so the result models are built without re-checks.
        probe = _Fold(score=self.score, last_at=self.last_at, episodes=list(self.episodes))
        score = probe.decay_to(as_of, config)
        waits = [*self.answered, *((t, t.owner, None) for t in self.pending)]
        waits.sort(key=lambda w: (w[0].at, w[0].interaction_id))
        return RelationshipState.model_construct(
            contact_id=contact_id,
            as_of=as_of,
            score=score,
            history=[ScorePoint.model_construct(at=at, score=v) for at, v in self.history]
            if details
            else [],
            episodes=[QualifiedEpisode.model_construct(start=a, end=b) for a, b in probe.episodes],
            inbound=self.inbound,
            outbound=self.outbound,
            reciprocal_at=self.reciprocal_at,
            response_times=[]
            if not details
            else [
                ResponseTime.model_construct(
                    interaction_id=t.interaction_id,
                    received_at=t.at,
                    channel=t.channel,
                    owner=owner,
                    answered_at=answered_at,
                )
                for t, owner, answered_at in waits
            ],
        )


class _Timeline:
    """One contact's touches in time order, with the fold over them kept current."""

    def __init__(self) -> None:
        self.touches: list[_Touch] = []
        self.by_id: dict[str, _Touch] = {}
        self.fold = _Fold()

    def add(self, touch: _Touch, config: QualificationConfig) -> None:
        known = self.by_id.get(touch.interaction_id)
        if known is not None:
            if touch.updated_at <= known.updated_at:
                return  # a duplicate or an older version of a touch already applied
            self.touches.remove(known)
        self.by_id[touch.interaction_id] = touch
        if known is None and (not self.touches or self.touches[-1] < touch):
            self.touches.append(touch)
            self.fold.step(touch, config)
            return
        insort(self.touches, touch)
        self.fold = _Fold()
        for t in self.touches:
            self.fold.step(t, config)


class RelationshipTracker:
    """Qualification state of every contact, updated one interaction (or batch) at a time."""

    def __init__(self, config: QualificationConfig | None = None) -> None:
        self.config = config or QualificationConfig()
        self._timelines: dict[str, _Timeline] = {}

    def add(self, interactions: Iterable[Interaction]) -> None:
        """Fold interactions in, whatever their order; re-sent ids keep the newest version."""
        for item in interactions:
            touch = _Touch(
                at=item.occurred_at,
                interaction_id=item.interaction_id,
                weight=self.config.weight(item.type, item.direction),
                inbound=item.direction is Direction.INBOUND,
                channel=item.channel,
                owner=item.owner,
                updated_at=item.updated_at,
            )
            timeline = self._timelines.get(item.contact_id)
            if timeline is None:
                timeline = self._timelines[item.contact_id] = _Timeline()
            timeline.add(touch, self.config)

    def state(self, contact_id: str, as_of: datetime, *, details: bool = True) -> RelationshipState:
        """The contact's state at `as_of` (touches after `as_of` must not have been added);
        `details=False` leaves out the score history and response times (one object per
        interaction each)."""
        timeline = self._timelines.get(contact_id)
        fold = timeline.fold if timeline is not None else _Fold()
        if fold.last_at is not None and fold.last_at > as_of:
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

    Interactions after `as_of` are ignored. Contacts without interactions are left out.
    `details=False` leaves out score history and response times (the survival models need
    neither and a million interactions make a million objects).
    """
    tracker = RelationshipTracker(config)
    tracker.add(
        sorted(
            (i for i in records.interactions if i.occurred_at <= as_of),
            key=attrgetter("occurred_at", "interaction_id"),
        )
    )
    return tracker.states(as_of, details=details)
