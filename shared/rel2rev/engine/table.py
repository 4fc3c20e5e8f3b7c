"""A run's journeys built by an engine, as the `JourneyTable` every model computes on.

The same table `JourneyTable.from_journeys(build_journeys(...))` gives, without one object
per touch: the engine joins and orders the touches (`rel2rev.engine.journeys`), and the
columns come back as arrays. Deals stay records: they are few next to the interactions, and
their as-of state (`rel2rev.cutoff`) is decided per deal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rel2rev.attribution.journeys import Journey
from rel2rev.attribution.table import (
    NONE_LABEL,
    FloatArray,
    IntArray,
    JourneyTable,
    seconds_of,
)
from rel2rev.cutoff import close_of, known_at
from rel2rev.engine import frames
from rel2rev.engine.backends import Engine
from rel2rev.engine.journeys import DIMENSION_COLUMNS, Inputs, journey_expressions
from rel2rev.records import Deal, DealStatus, WorkspaceRecords

_DIMENSION_NAMES = {"contact_id": "contact"}


@dataclass(frozen=True)
class RunJourneys:
    """A run's journeys and, for each won deal among them, when it closed; and every deal of
    the journeys as known at the as-of (name, account, stage and amount: what finance joins
    credit lines on, and the open pipeline; empty for journeys built from `Journey` objects
    alone, which carry none)."""

    table: JourneyTable
    closed: dict[str, datetime]
    deals: dict[str, Deal] = field(default_factory=dict)


def run_journeys(
    records: WorkspaceRecords,
    engine: Engine,
    *,
    as_of: datetime,
    lookback: timedelta,
    since: datetime | None = None,
) -> RunJourneys:
    """The journeys of `build_journeys(records, as_of=, lookback=, since=)`, built by `engine`."""
    records = known_at(records, as_of)
    deals = [
        d
        for d in records.deals
        if since is None or (close := close_of(d)) is None or close >= since
    ]
    inputs = Inputs(
        interactions=engine.load("interactions", frames.interactions_frame(records.interactions)),
        contacts=engine.load("contacts", frames.contacts_frame(records.contacts)),
        deals=engine.load("deals", frames.deals_frame(deals, as_of, lookback)),
        roles=engine.load("roles", frames.roles_frame(deals)),
        leads=engine.load("leads", frames.leads_frame(records.leads)),
    )
    found = journey_expressions(inputs, as_of=as_of, lookback_start=as_of - lookback)
    touches = engine.to_arrow(found.touches)
    facts = engine.to_arrow(found.deals)
    idle: list[str] = engine.to_arrow(found.touchless)["journey"].to_pylist()

    kind = touches["kind"].to_numpy()
    order = touches["order"].to_numpy()
    per_deal = np.bincount(order[kind == 0], minlength=len(deals))
    free = np.flatnonzero(kind == 1)
    starts = free[np.flatnonzero(np.diff(order[free], prepend=-1) != 0)]
    names = touches["journey"].take(pa.array(starts)).to_pylist() if len(starts) else []
    per_free = np.diff(np.append(starts, len(kind)))
    names += idle  # touchless: no touches, after the deal-less journeys with touches
    per_idle = np.zeros(len(idle), dtype=np.int64)
    lengths = np.concatenate([per_deal, per_free, per_idle]).astype(np.int64)

    won = [d.status is DealStatus.WON for d in deals]
    ends = [close_of(d) or as_of for d in deals]
    linked = facts["linked"].to_numpy(zero_copy_only=False)
    lead_s = _seconds(facts["lead_at"])
    conversions = np.array(won + [False] * len(names), dtype=np.float64)
    n = len(deals) + len(names)
    stage_s = np.full((n, 3), np.nan)
    stage_s[: len(deals), 0] = lead_s
    stage_s[: len(deals), 1] = [seconds_of(d.created_at) for d in deals]
    stage_s[: len(deals), 2] = [seconds_of(d.closed_at) for d in deals]
    table = JourneyTable(
        ids=[d.deal_id for d in deals] + names,
        conversions=conversions,
        nulls=1.0 - conversions,
        amounts=[d.amount if w else None for d, w in zip(deals, won, strict=True)]
        + [None] * len(names),
        end_s=np.array([e.timestamp() for e in ends] + [as_of.timestamp()] * len(names)),
        stage_s=stage_s,
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        touch_s=_seconds(touches["at"]),
        dimensions={
            _DIMENSION_NAMES.get(column, column): _codes(touches[column])
            for column in DIMENSION_COLUMNS
        },
        reasons=[
            None
            if per_deal[row]
            else ("no_touch_in_lookback" if linked[row] else "no_linked_contact")
            for row in range(len(deals))
        ]
        + [None] * len(names),
    )
    closed = {
        d.deal_id: d.closed_at or end for d, w, end in zip(deals, won, ends, strict=True) if w
    }
    return RunJourneys(table=table, closed=closed, deals={d.deal_id: d for d in deals})


def journeys_of(journeys: Sequence[Journey], deals: Sequence[Deal] = ()) -> RunJourneys:
    """`RunJourneys` of journeys built record by record (`build_journeys`): the reference
    every engine is tested and measured against; `deals` (as known at the as-of) are those
    of the journeys."""
    closed: dict[str, datetime] = {}
    for j in journeys:
        moment = j.closed_at or j.converted_at
        if j.converted and moment is not None:
            closed[j.journey_id] = moment
    ids = {j.journey_id for j in journeys}
    known = {d.deal_id: d for d in deals if d.deal_id in ids}
    return RunJourneys(table=JourneyTable.from_journeys(journeys), closed=closed, deals=known)


def _seconds(column: pa.ChunkedArray) -> FloatArray:
    """Seconds since the epoch of a UTC timestamp column (NaN where null), exact to the µs."""
    micros = pc.cast(column, pa.timestamp("us", tz="UTC")).cast(pa.int64())
    values = micros.to_numpy(zero_copy_only=False).astype(np.float64)
    seconds: FloatArray = values / 1e6
    return seconds


def _codes(column: pa.ChunkedArray) -> tuple[IntArray, list[str]]:
    """Integer codes and sorted labels, nulls and empty text as `NONE_LABEL`."""
    filled = pc.fill_null(column, NONE_LABEL)
    filled = pc.if_else(pc.equal(filled, ""), NONE_LABEL, filled)
    encoded = pc.dictionary_encode(filled).combine_chunks()
    labels: list[str] = encoded.dictionary.to_pylist()
    rank = np.empty(len(labels), dtype=np.int64)
    rank[sorted(range(len(labels)), key=labels.__getitem__)] = np.arange(len(labels))
    indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return rank[indices], sorted(labels)
