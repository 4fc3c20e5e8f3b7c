"""From stored records to spells: who is at risk of which transition, since when, with what.

A spell starts at the transition's start stage and ends at its end stage (or is open), with
the stage moments of `rel2rev.funnel.stages`. The *unit* at risk depends on the transition
(docs/definitions.md, "Survival"):
- `capture_to_qualified`, `qualified_to_lead`: relationships (contacts), from capture to
  qualification and from qualification to the contact's first lead. Contacts of one account
  are not independent, so every spell carries its `cluster` (the account, or the contact when
  it has none) and the Cox models cluster their standard errors on it.
- `lead_to_won`: buying committees. A deal's outcome is one event of its account, not one per
  contact on it: the unit is the account (of the contact, else of a deal it is on; a contact
  with neither is its own unit), from
  its first lead (any member's, or the account's) to the first won close of its deals at or
  after that lead, with the first lost close as the competing outcome. Its segment (capture
  channel, owner, stakeholder type) is its earliest-captured member's.
A unit that reached the end stage before the start stage did not go through this transition
and is excluded (and counted). Static features are measured at the spell start, so models
never see the future; `touches` hold the unit's interactions for time-varying models.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd

from rel2rev.funnel.config import QualificationConfig
from rel2rev.funnel.qualification import RelationshipState, qualify
from rel2rev.funnel.stages import ContactStages, contact_stages
from rel2rev.records import (
    DealStatus,
    Direction,
    InteractionType,
    WorkspaceRecords,
    interaction_class,
)

SEGMENTS = ("channel", "owner", "stakeholder")
"""Columns every spell frame carries and KM can split by."""
NONE_LABEL = "(none)"


class Transition(StrEnum):
    """The three transitions the survival models study (names are a contract)."""

    CAPTURE_TO_QUALIFIED = "capture_to_qualified"
    QUALIFIED_TO_LEAD = "qualified_to_lead"
    LEAD_TO_WON = "lead_to_won"


Unit = Literal["relationship", "account"]
_ENDPOINTS = {
    Transition.CAPTURE_TO_QUALIFIED: ("captured_at", "qualified_at"),
    Transition.QUALIFIED_TO_LEAD: ("qualified_at", "lead_at"),
    Transition.LEAD_TO_WON: ("lead_at", "won_at"),
}


def unit_of(transition: Transition | str) -> Unit:
    """What one spell of `transition` follows: a relationship, or an account's committee."""
    return "account" if Transition(transition) is Transition.LEAD_TO_WON else "relationship"


@dataclass(frozen=True)
class Spells:
    """Spells of one transition.

    `frame`: one row per spell with `id` (the unit), `cluster`, `start`, `end` (NaT = not
    reached), `competing` (moment of the competing outcome, NaT if none), the segment columns
    and static features. `touches`: `id`, `at`, `group` (reaction, inbound, outbound, signal:
    inbound/outbound are conversational interactions), `type`, one row per interaction of the
    spell's unit up to `as_of`. `excluded`: spells dropped because the end came before the start.
    """

    transition: Transition
    unit: Unit
    frame: pd.DataFrame
    touches: pd.DataFrame
    features: tuple[str, ...]
    excluded: int


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NAT = np.iinfo(np.int64).min
"""numpy's NaT is the smallest int64 under a datetime64 view."""


def utc_series(values: list[datetime | None]) -> pd.Series:
    """Aware datetimes (None = NaT) as a UTC series, exact to the microsecond.

    Built from integer microseconds with NaT as the missing value: no float array ever holds
    a NaN on the way (converting NaN floats to datetimes can raise FloatingPointError).
    """
    micros = np.fromiter(
        (_NAT if v is None else (v - _EPOCH) // _MICROSECOND for v in values),
        dtype=np.int64,
        count=len(values),
    )
    return pd.Series(micros.view("datetime64[us]")).dt.tz_localize("UTC")


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

    Pass `states` (from `qualify` with details, as the features read response times) and
    `stages` (from `contact_stages`) computed at the same `as_of` to share them between
    models; `features=False` skips the static features and `touches=False` the touch frame
    (Kaplan-Meier and Aalen-Johansen need neither).
    """
    transition = Transition(transition)
    if states is None:
        states = qualify(records, config, as_of=as_of, details=features)
    if stages is None:
        stages = contact_stages(records, states, as_of=as_of)
    clusters = clusters_of(records, stages)
    members = _units(stages, transition, clusters)
    if transition is Transition.LEAD_TO_WON:
        frame = _account_frame(records, stages, members, as_of)
    else:
        start_col, end_col = _ENDPOINTS[transition]
        frame = _relationship_frame(stages, clusters, start_col, end_col)
    before = (frame["end"] < frame["start"]) | (frame["competing"] < frame["start"])
    excluded = int(before.sum())
    frame = frame.loc[~before].reset_index(drop=True)
    wanted = set(frame["id"]) if features or touches else set()
    unit_of_contact = {c: unit for unit, people in members.items() for c in people}
    touch_frame = _touch_frame(records, as_of, unit_of_contact, wanted)
    if not features:
        return Spells(transition, unit_of(transition), frame, touch_frame, (), excluded)
    frame, names = _static_features(frame, touch_frame, states, unit_of_contact)
    return Spells(transition, unit_of(transition), frame, touch_frame, names, excluded)


def clusters_of(records: WorkspaceRecords, stages: list[ContactStages]) -> dict[str, str]:
    """Contact id -> the account it belongs to: its own, else the (first, by id) account of a
    deal it is on; `contact:{id}` when it has neither, so a buying committee is one unit even
    when a member was stored without an account."""
    deal_account = {d.deal_id: d.account_id for d in records.deals if d.account_id}
    found = {}
    for s in stages:
        account = s.account_id or min(
            (deal_account[d] for d in s.deal_ids if d in deal_account), default=None
        )
        found[s.contact_id] = f"account:{account}" if account else f"contact:{s.contact_id}"
    return found


def _units(
    stages: list[ContactStages], transition: Transition, clusters: dict[str, str]
) -> dict[str, list[str]]:
    """Unit id -> member contact ids (one contact per unit for relationship transitions)."""
    if unit_of(transition) == "relationship":
        return {s.contact_id: [s.contact_id] for s in stages}
    units: dict[str, list[str]] = defaultdict(list)
    for s in stages:
        units[clusters[s.contact_id]].append(s.contact_id)
    return units


def _segment_columns(stages: list[ContactStages]) -> dict[str, list[str]]:
    return {
        "channel": [s.channel or NONE_LABEL for s in stages],
        "owner": [s.owner or NONE_LABEL for s in stages],
        "stakeholder": [
            s.stakeholder_type.value if s.stakeholder_type else NONE_LABEL for s in stages
        ],
    }


def _relationship_frame(
    stages: list[ContactStages], clusters: dict[str, str], start_col: str, end_col: str
) -> pd.DataFrame:
    started = [s for s in stages if getattr(s, start_col) is not None]
    return pd.DataFrame(
        {
            "id": pd.Series([s.contact_id for s in started], dtype="object"),
            "cluster": pd.Series([clusters[s.contact_id] for s in started], dtype="object"),
            "start": utc_series([getattr(s, start_col) for s in started]),
            "end": utc_series([getattr(s, end_col) for s in started]),
            "competing": utc_series([None] * len(started)),
            **_segment_columns(started),
        }
    )


def _account_frame(
    records: WorkspaceRecords,
    stages_of: list[ContactStages],
    members: dict[str, list[str]],
    as_of: datetime,
) -> pd.DataFrame:
    """One lead-to-won spell per unit with a lead: first lead, first won / lost close after it."""
    stages = {s.contact_id: s for s in stages_of}
    account_leads: dict[str, datetime] = {}
    for lead in records.leads:
        at = lead.created_at
        if lead.account_id is None or at is None or at > as_of:
            continue
        unit = f"account:{lead.account_id}"
        account_leads[unit] = min(at, account_leads.get(unit, at))
    deals = {d.deal_id: d for d in records.deals}
    rows: list[tuple[str, datetime, datetime | None, datetime | None, ContactStages]] = []
    for unit, people in sorted(members.items()):
        group = [stages[c] for c in people]
        leads = [s.lead_at for s in group if s.lead_at is not None]
        if unit in account_leads:
            leads.append(account_leads[unit])
        if not leads:
            continue
        start = min(leads)
        closes: dict[DealStatus, list[datetime]] = {DealStatus.WON: [], DealStatus.LOST: []}
        for deal_id in sorted({d for s in group for d in s.deal_ids}):
            deal = deals[deal_id]
            at = deal.closed_at
            if deal.status in closes and at is not None and start <= at <= as_of:
                closes[deal.status].append(at)
        captured = [s for s in group if s.captured_at is not None] or group
        primary = min(captured, key=lambda s: (s.captured_at or as_of, s.contact_id))
        won = min(closes[DealStatus.WON], default=None)
        rows.append((unit, start, won, min(closes[DealStatus.LOST], default=None), primary))
    return pd.DataFrame(
        {
            "id": pd.Series([r[0] for r in rows], dtype="object"),
            "cluster": pd.Series([r[0] for r in rows], dtype="object"),
            "start": utc_series([r[1] for r in rows]),
            "end": utc_series([r[2] for r in rows]),
            "competing": utc_series([r[3] for r in rows]),
            **_segment_columns([r[4] for r in rows]),
        }
    )


_GROUPS = {
    (kind, direction): (
        ("inbound" if direction is Direction.INBOUND else "outbound")
        if interaction_class(kind) == "conversation"
        else interaction_class(kind)
    )
    for kind in InteractionType
    for direction in Direction
}
"""(type, direction) -> the touch group: reaction, inbound, outbound (conversation) or signal."""


def _touch_frame(
    records: WorkspaceRecords, as_of: datetime, unit_of_contact: dict[str, str], ids: set[str]
) -> pd.DataFrame:
    unit = unit_of_contact.get
    kept = (
        [
            (u, i)
            for i in records.interactions
            if (u := unit(i.contact_id)) in ids and i.occurred_at <= as_of
        ]
        if ids
        else []
    )
    return pd.DataFrame(
        {
            "id": pd.Series([u for u, _ in kept], dtype="object"),
            "at": utc_series([i.occurred_at for _, i in kept]),
            "group": pd.Series([_GROUPS[i.type, i.direction] for _, i in kept], dtype="object"),
            "type": pd.Series([i.type._value_ for _, i in kept], dtype="object"),
        }
    )


def _static_features(
    frame: pd.DataFrame,
    touches: pd.DataFrame,
    states: list[RelationshipState],
    unit_of_contact: dict[str, str],
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """log(1 + count) per interaction type, two-way and response time, all at spell start.

    Two-way and response times are the qualification fold's (`RelationshipState`), so they
    mean what they mean everywhere: a unit is two-way at its start when a member relationship
    was; its response time is the median delay of the members' inbound conversational
    interactions answered by the start, in log(1 + hours).
    """
    known = touches.merge(frame[["id", "start"]], on="id")
    known = known.loc[known["at"] <= known["start"]]
    counts = known.groupby(["id", "type"]).size().unstack(fill_value=0)
    counts = counts.astype(float).apply(np.log1p).add_prefix("log_count_")
    frame = frame.merge(counts, left_on="id", right_index=True, how="left")
    count_cols = [str(c) for c in counts.columns]
    frame[count_cols] = frame[count_cols].fillna(0.0)
    wanted = set(frame["id"])
    two_way: list[tuple[str, datetime]] = []
    answers: list[tuple[str, datetime, float]] = []
    for state in states:
        unit = unit_of_contact.get(state.contact_id)
        if unit is None or unit not in wanted:
            continue
        if state.reciprocal_at is not None:
            two_way.append((unit, state.reciprocal_at))
        answers += [
            (unit, r.answered_at, r.hours)
            for r in state.response_times
            if r.answered_at is not None and r.hours is not None
        ]
    starts = frame.set_index("id")["start"]
    since = pd.DataFrame(
        {
            "id": pd.Series([u for u, _ in two_way], dtype="object"),
            "at": utc_series([at for _, at in two_way]),
        }
    )
    since = since.loc[since["at"] <= since["id"].map(starts)]
    frame["reciprocal"] = frame["id"].isin(set(since["id"])).astype(float)
    replies = pd.DataFrame(
        {
            "id": pd.Series([u for u, _, _ in answers], dtype="object"),
            "at": utc_series([at for _, at, _ in answers]),
            "hours": pd.Series([h for _, _, h in answers], dtype="float64"),
        }
    )
    replies = replies.loc[replies["at"] <= replies["id"].map(starts)]
    hours = frame["id"].map(replies.groupby("id")["hours"].median())
    frame["answered_before"] = hours.notna().astype(float)
    frame["log_response_hours"] = np.log1p(hours.fillna(0.0).clip(lower=0.0))
    features = (*count_cols, "reciprocal", "answered_before", "log_response_hours")
    return frame, features
