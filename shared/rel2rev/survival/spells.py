"""From stored records to spells: who is at risk of which transition, since when, with what.

A spell starts at the transition's start stage and ends at its end stage (or is open). Units
are relationships (contacts), with the stage moments of `rel2rev.funnel.stages`:
- `capture_to_qualified`: from capture to qualification;
- `qualified_to_lead`: from qualification to the contact's first lead;
- `lead_to_won`: from lead to the first won close of the contact's deals at or after the lead,
  with the first lost close after the lead as the competing outcome.
A relationship that reached the end stage before the start stage did not go through this
transition and is excluded (and counted). Static features are measured at the spell start, so
models never see the future; `touches` hold the interactions for time-varying models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import numpy as np
import pandas as pd

from rel2rev.funnel.config import QualificationConfig
from rel2rev.funnel.qualification import RelationshipState, qualify
from rel2rev.funnel.stages import ContactStages, contact_stages
from rel2rev.records import ONE_WAY_TYPES, DealStatus, Direction, WorkspaceRecords

SEGMENTS = ("channel", "owner", "stakeholder")
"""Columns every spell frame carries and KM can split by."""


class Transition(StrEnum):
    """The three transitions the survival models study (names are a contract)."""

    CAPTURE_TO_QUALIFIED = "capture_to_qualified"
    QUALIFIED_TO_LEAD = "qualified_to_lead"
    LEAD_TO_WON = "lead_to_won"


_ENDPOINTS = {
    Transition.CAPTURE_TO_QUALIFIED: ("captured_at", "qualified_at"),
    Transition.QUALIFIED_TO_LEAD: ("qualified_at", "lead_at"),
    Transition.LEAD_TO_WON: ("lead_at", "won_at"),
}


@dataclass(frozen=True)
class Spells:
    """Spells of one transition.

    `frame`: one row per spell with `id`, `start`, `end` (NaT = not reached), `competing`
    (moment of the competing outcome, NaT if none), the segment columns and static features.
    `touches`: `id`, `at`, `group` (reaction, inbound, outbound), `type`, `inbound`, one row per
    interaction of the spell's relationship up to `as_of`. `excluded`: spells dropped because
    the end came before the start.
    """

    transition: Transition
    frame: pd.DataFrame
    touches: pd.DataFrame
    features: tuple[str, ...]
    excluded: int


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _utc(values: list[datetime | None]) -> pd.Series:
    """Aware datetimes (None = NaT) as a UTC series, exact to the microsecond, fast."""
    micros = [np.nan if v is None else (v - _EPOCH) // _MICROSECOND for v in values]
    return pd.Series(pd.to_datetime(np.array(micros, dtype="float64"), unit="us", utc=True))


def spells_from_records(
    records: WorkspaceRecords,
    *,
    transition: Transition | str,
    as_of: datetime,
    config: QualificationConfig | None = None,
    states: list[RelationshipState] | None = None,
    stages: list[ContactStages] | None = None,
    features: bool = True,
    touches: bool = True,
) -> Spells:
    """Spells of `transition` started by `as_of`, with static features at each spell's start.

    Pass `states` (from `qualify`) and `stages` (from `contact_stages`) computed at the same
    `as_of` to share them between models; `features=False` skips the static features and
    `touches=False` the touch frame (Kaplan-Meier and Aalen-Johansen need neither).
    """
    transition = Transition(transition)
    if states is None:
        states = qualify(records, config, as_of=as_of, details=False)
    if stages is None:
        stages = contact_stages(records, states, as_of=as_of)
    start_col, end_col = _ENDPOINTS[transition]
    started = [s for s in stages if getattr(s, start_col) is not None]
    frame = _stage_frame(started, start_col, end_col)
    if transition is Transition.LEAD_TO_WON:
        frame["end"], frame["competing"] = _outcomes_after_lead(records, started, as_of)
    before = (frame["end"] < frame["start"]) | (frame["competing"] < frame["start"])
    excluded = int(before.sum())
    frame = frame.loc[~before].reset_index(drop=True)
    wanted = set(frame["id"]) if features or touches else set()
    touch_frame = _touch_frame(records, as_of, wanted)
    if not features:
        return Spells(transition, frame, touch_frame, (), excluded)
    frame, names = _static_features(frame, touch_frame)
    return Spells(transition, frame, touch_frame, names, excluded)


def _stage_frame(stages: list[ContactStages], start_col: str, end_col: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series([s.contact_id for s in stages], dtype="object"),
            "start": _utc([getattr(s, start_col) for s in stages]),
            "end": _utc([getattr(s, end_col) for s in stages]),
            "competing": _utc([None] * len(stages)),
            "channel": [s.channel or "(none)" for s in stages],
            "owner": [s.owner or "(none)" for s in stages],
            "stakeholder": [
                s.stakeholder_type.value if s.stakeholder_type else "(none)" for s in stages
            ],
        }
    )


def _outcomes_after_lead(
    records: WorkspaceRecords, stages: list[ContactStages], as_of: datetime
) -> tuple[pd.Series, pd.Series]:
    """First won and first lost close of each contact's deals at or after its lead moment."""
    deals = {d.deal_id: d for d in records.deals}
    won: list[datetime | None] = []
    lost: list[datetime | None] = []
    for s in stages:
        closes: dict[DealStatus, list[datetime]] = {DealStatus.WON: [], DealStatus.LOST: []}
        for deal in (deals[d] for d in s.deal_ids):
            at = deal.closed_at
            lead = s.lead_at
            if (
                deal.status in closes
                and at is not None
                and lead is not None
                and lead <= at <= as_of
            ):
                closes[deal.status].append(at)
        won.append(min(closes[DealStatus.WON], default=None))
        lost.append(min(closes[DealStatus.LOST], default=None))
    return _utc(won), _utc(lost)


def _touch_frame(records: WorkspaceRecords, as_of: datetime, ids: set[str]) -> pd.DataFrame:
    kept = (
        [i for i in records.interactions if i.occurred_at <= as_of and i.contact_id in ids]
        if ids
        else []
    )
    return pd.DataFrame(
        {
            "id": pd.Series([i.contact_id for i in kept], dtype="object"),
            "at": _utc([i.occurred_at for i in kept]),
            "group": pd.Series(
                [
                    "reaction"
                    if i.type in ONE_WAY_TYPES
                    else ("inbound" if i.direction is Direction.INBOUND else "outbound")
                    for i in kept
                ],
                dtype="object",
            ),
            "type": pd.Series([i.type.value for i in kept], dtype="object"),
            "inbound": pd.Series([i.direction is Direction.INBOUND for i in kept], dtype="bool"),
        }
    )


def _static_features(
    frame: pd.DataFrame, touches: pd.DataFrame
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """log(1 + count) per interaction type, reciprocity and response time, all at spell start.

    Response time: each inbound touch paired with the contact's next outbound one (as in
    qualification); the median delay of those answered by the spell start, in log(1 + hours).
    """
    known = touches.merge(frame[["id", "start"]], on="id")
    known = known.loc[known["at"] <= known["start"]]
    counts = known.groupby(["id", "type"]).size().unstack(fill_value=0)
    counts = counts.astype(float).apply(np.log1p).add_prefix("log_count_")
    frame = frame.merge(counts, left_on="id", right_index=True, how="left")
    count_cols = [str(c) for c in counts.columns]
    frame[count_cols] = frame[count_cols].fillna(0.0)
    sides = known.groupby("id")["inbound"].agg(["any", "all"])
    both = sides["any"] & ~sides["all"]
    frame["reciprocal"] = frame["id"].map(both.astype(float)).fillna(0.0)
    inbound = known.loc[known["inbound"], ["id", "at", "start"]].sort_values("at")
    outbound = known.loc[~known["inbound"], ["id", "at"]].rename(columns={"at": "answered_at"})
    paired = pd.merge_asof(
        inbound,
        outbound.sort_values("answered_at"),
        left_on="at",
        right_on="answered_at",
        by="id",
        direction="forward",
    )
    paired = paired.loc[paired["answered_at"] <= paired["start"]]
    delay = (paired["answered_at"] - paired["at"]).dt.total_seconds() / 3600.0
    hours = frame["id"].map(delay.groupby(paired["id"]).median())
    frame["answered_before"] = hours.notna().astype(float)
    frame["log_response_hours"] = np.log1p(hours.fillna(0.0).clip(lower=0.0))
    features = (*count_cols, "reciprocal", "answered_before", "log_response_hours")
    return frame, features
