"""Funnel aggregates for a period: counts, conversion, speed, revenue and return on relationships.

Two bases, chosen by `cohort`:
- `cohort=None` (event date): each stage counts the relationships that reached it inside
  `period`; revenue is the won deals closed in it; costs and interaction counts are those
  occurring in it. Conversion rates are then ratios of period counts (they can exceed 1).
- `cohort="month"`: the relationships captured inside `period`, grouped by capture month and
  followed to `as_of`; revenue is their won deals, costs and counts their interactions.
Rows are split by the relationship's capture attributes (`by`): capture channel, capture
campaign, owner or stakeholder type, so revenue (credited to each deal's primary relationship)
and cost (of each relationship's interactions) land in the same row. Return on relationships =
revenue ÷ cost per currency, where costs are known.

Revenue ties out: `won` is every deal won (closed won) inside `period`, per currency; each is
in exactly one row, or in `unplaced` with the reason it is in none (`no_captured_contact`: no
linked contact had been captured; `captured_outside_period`: with capture cohorts, its primary
relationship was captured before the period). Rows' revenue + unplaced = won, to the cent.
Stage counts count *relationships* (a won deal with four contacts on it makes four "won"
relationships); `won_deals` counts deals.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from rel2rev.errors import UnprocessableError
from rel2rev.funnel.config import QualificationConfig
from rel2rev.funnel.qualification import RelationshipState, qualify
from rel2rev.funnel.stages import ContactStages, Stage, contact_stages, primary_contacts, sum_money
from rel2rev.money import Money
from rel2rev.records import (
    CONVERSATIONAL_TYPES,
    REACTION_TYPES,
    DealStatus,
    Interaction,
    UtcDatetime,
    WorkspaceRecords,
)

Split = Literal["channel", "campaign", "owner", "stakeholder"]
Cohort = Literal["month"]
NONE_LABEL = "(none)"
STEP_PAIRS: tuple[tuple[Stage, Stage], ...] = (
    (Stage.CAPTURED, Stage.QUALIFIED),
    (Stage.QUALIFIED, Stage.LEAD),
    (Stage.LEAD, Stage.OPPORTUNITY),
    (Stage.OPPORTUNITY, Stage.WON),
)
_RATIO = Decimal("0.0001")


class StageCounts(BaseModel):
    """Relationships per stage."""

    model_config = ConfigDict(frozen=True)

    captured: int = 0
    qualified: int = 0
    lead: int = 0
    opportunity: int = 0
    won: int = 0
    lost: int = 0


class Engagement(BaseModel):
    """Vanity beside relationship: one-way reactions vs two-way conversation.

    `reactions`: view, like, follow, share. `conversations`: conversational interactions
    (comment, email, reply, DM, call, meeting, event attended). `signals`: the rest (posts,
    forms, ad clicks, registrations, referrals). `exchanges`: inbound conversational
    interactions the company answered. `reciprocal`: two-way relationships (an inbound and an
    outbound conversational interaction). See docs/definitions.md.
    """

    model_config = ConfigDict(frozen=True)

    reactions: int = 0
    conversations: int = 0
    signals: int = 0
    exchanges: int = 0
    reciprocal: int = 0


class FunnelRow(BaseModel):
    """The funnel of one (cohort, segment) cell; None in either means "all"."""

    model_config = ConfigDict(frozen=True)

    cohort: str | None = None
    segment: str | None = None
    counts: StageCounts
    conversion: dict[str, float | None]
    win_rate: float | None
    median_days: dict[str, float | None]
    revenue: list[Money]
    revenue_per_qualified: list[Money]
    cost: list[Money]
    costed_interactions: int = 0
    """Interactions whose cost is known (what `cost` covers)."""
    return_on_relationships: dict[str, Decimal]
    engagement: Engagement


class ResponseTimeRow(BaseModel):
    """How fast the company answers inbound interactions, per owner and channel (hours; p90 is
    the nearest-rank percentile; unanswered inbound count in `inbound` but not in the times)."""

    model_config = ConfigDict(frozen=True)

    owner: str
    channel: str
    inbound: int
    answered: int
    median_hours: float | None
    p90_hours: float | None
    mean_hours: float | None


class UnplacedRevenue(BaseModel):
    """Won revenue of the period that is in no row, and why (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    reason: Literal["no_captured_contact", "captured_outside_period"]
    deals: int
    revenue: list[Money]


class FunnelReport(BaseModel):
    """Funnel metrics for a workspace and period; `rows()` flattens for CSV/Parquet.

    `won`/`won_deals`: every deal won inside the period; rows' revenue + `unplaced` = `won`.
    """

    model_config = ConfigDict(frozen=True)

    workspace: str
    as_of: UtcDatetime
    period_from: UtcDatetime
    period_to: UtcDatetime
    by: Split | None
    cohort: Cohort | None
    segments: list[FunnelRow]
    total: FunnelRow
    response_times: list[ResponseTimeRow]
    won: list[Money] = []
    won_deals: int = 0
    unplaced: list[UnplacedRevenue] = []

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per segment row then the total; money as decimal strings per currency."""
        currencies = sorted(
            {m.currency for r in [*self.segments, self.total] for m in [*r.revenue, *r.cost]}
        )
        return [_flat(r, currencies) for r in [*self.segments, self.total]]


def _flat(row: FunnelRow, currencies: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"cohort": row.cohort, "segment": row.segment}
    out.update(row.counts.model_dump())
    out.update({f"rate_{k}": v for k, v in row.conversion.items()})
    out["win_rate"] = row.win_rate
    out.update({f"median_days_{k}": v for k, v in row.median_days.items()})
    out.update(row.engagement.model_dump())
    for name, values in (
        ("revenue", row.revenue),
        ("revenue_per_qualified", row.revenue_per_qualified),
        ("cost", row.cost),
    ):
        found = {m.currency: str(m.amount) for m in values}
        out.update({f"{name}_{c.lower()}": found.get(c) for c in currencies})
    for c in currencies:
        ror = row.return_on_relationships.get(c)
        out[f"return_on_relationships_{c.lower()}"] = str(ror) if ror is not None else None
    return out


def _segment(stages: ContactStages, by: Split | None) -> str | None:
    if by is None:
        return None
    value = {
        "channel": stages.channel,
        "campaign": stages.campaign,
        "owner": stages.owner,
        "stakeholder": stages.stakeholder_type.value if stages.stakeholder_type else None,
    }[by]
    return value or NONE_LABEL


def _inside(moment: datetime | None, period: tuple[datetime, datetime]) -> bool:
    return moment is not None and period[0] <= moment < period[1]


class _Cell:
    """Accumulates one row."""

    def __init__(self) -> None:
        self.reached: dict[Stage, list[ContactStages]] = {s: [] for s in Stage}
        self.revenue: list[Money] = []
        self.cost: list[Money] = []
        self.costed = 0
        self.touches = 0
        self.reactions = 0
        self.conversations = 0
        self.exchanges = 0
        self.reciprocal = 0

    def count(self, item: Interaction, answered: bool) -> None:
        """Count one interaction of the cell (and its cost)."""
        self.touches += 1
        self.reactions += item.type in REACTION_TYPES
        self.conversations += item.type in CONVERSATIONAL_TYPES
        self.exchanges += answered
        if item.cost is not None:
            self.cost.append(item.cost)
            self.costed += 1

    def row(self, cohort: str | None, segment: str | None) -> FunnelRow:
        counts = StageCounts(**{s.value: len(v) for s, v in self.reached.items()})
        conversion = {
            f"{a.value}_to_{b.value}": _ratio(len(self.reached[b]), len(self.reached[a]))
            for a, b in STEP_PAIRS
        }
        decided = counts.won + counts.lost
        medians = {}
        for a, b in STEP_PAIRS:
            days = [
                (later - earlier).total_seconds() / 86_400
                for s in self.reached[b]
                if (earlier := s.moment(a)) is not None
                and (later := s.moment(b)) is not None
                and later >= earlier
            ]
            medians[f"{a.value}_to_{b.value}"] = statistics.median(days) if days else None
        revenue = sum_money(self.revenue)
        cost = sum_money(self.cost)
        per_qualified = (
            [Money.rounded(m.amount / counts.qualified, m.currency) for m in revenue]
            if counts.qualified
            else []
        )
        spent = {m.currency: m.amount for m in cost if m.amount > 0}
        ror = {
            m.currency: (m.amount / spent[m.currency]).quantize(_RATIO, ROUND_HALF_EVEN)
            for m in revenue
            if m.currency in spent
        }
        return FunnelRow(
            cohort=cohort,
            segment=segment,
            counts=counts,
            conversion=conversion,
            win_rate=_ratio(counts.won, decided),
            median_days=medians,
            revenue=revenue,
            revenue_per_qualified=per_qualified,
            cost=cost,
            costed_interactions=self.costed,
            return_on_relationships=ror,
            engagement=Engagement(
                reactions=self.reactions,
                conversations=self.conversations,
                signals=self.touches - self.reactions - self.conversations,
                exchanges=self.exchanges,
                reciprocal=self.reciprocal,
            ),
        )


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def response_time_rows(
    states: Iterable[RelationshipState],
    keep: Callable[[str, datetime], bool] = lambda contact_id, received_at: True,
) -> list[ResponseTimeRow]:
    """Response-time distribution per (owner, channel) of the inbound interactions `keep`s."""
    groups: dict[tuple[str, str], list[float | None]] = defaultdict(list)
    for state in states:
        for r in state.response_times:
            if not keep(state.contact_id, r.received_at):
                continue
            groups[(r.owner or NONE_LABEL, r.channel)].append(r.hours)
    rows = []
    for (owner, channel), delays in sorted(groups.items()):
        hours = sorted(h for h in delays if h is not None)
        rows.append(
            ResponseTimeRow(
                owner=owner,
                channel=channel,
                inbound=len(delays),
                answered=len(hours),
                median_hours=statistics.median(hours) if hours else None,
                p90_hours=hours[math.ceil(0.9 * len(hours)) - 1] if hours else None,
                mean_hours=statistics.fmean(hours) if hours else None,
            )
        )
    return rows


def funnel_metrics(
    records: WorkspaceRecords,
    *,
    as_of: datetime,
    period: tuple[datetime, datetime],
    by: Split | None = None,
    cohort: Cohort | None = None,
    config: QualificationConfig | None = None,
    states: Sequence[RelationshipState] | None = None,
    stages: Sequence[ContactStages] | None = None,
) -> FunnelReport:
    """Funnel metrics of `records` over `period` = [from, to), split `by`, per capture `cohort`.

    Pass `states` (from `qualify` at the same `as_of`, with details: response times feed the
    exchange counts) and `stages` (from `contact_stages`) to reuse them across calls.
    """
    if period[0] >= period[1]:
        raise UnprocessableError("period must start before it ends")
    if states is None:
        states = qualify(records, config, as_of=as_of)
    if stages is None:
        stages = contact_stages(records, states, as_of=as_of)
    reciprocal_at = {s.contact_id: s.reciprocal_at for s in states}
    answered = {
        r.interaction_id for s in states for r in s.response_times if r.answered_at is not None
    }

    def keys(s: ContactStages) -> tuple[str | None, str | None] | None:
        if cohort is None:
            return (None, _segment(s, by))
        if s.captured_at is None or not _inside(s.captured_at, period):
            return None
        return (s.captured_at.strftime("%Y-%m"), _segment(s, by))

    cells: dict[tuple[str | None, str | None], _Cell] = defaultdict(_Cell)
    total = _Cell()
    contact_keys = {s.contact_id: keys(s) for s in stages}
    for s in stages:
        key = contact_keys[s.contact_id]
        if key is None:
            continue
        for stage in Stage:
            moment = s.moment(stage)
            if moment is not None and (cohort is not None or _inside(moment, period)):
                cells[key].reached[stage].append(s)
                total.reached[stage].append(s)
        recip = reciprocal_at.get(s.contact_id)
        if recip is not None and (cohort is not None or _inside(recip, period)):
            cells[key].reciprocal += 1
            total.reciprocal += 1
    for item in records.interactions:
        key = contact_keys.get(item.contact_id)
        if key is None or item.occurred_at > as_of:
            continue
        if cohort is None and not _inside(item.occurred_at, period):
            continue
        exchanged = item.interaction_id in answered
        for cell in (cells[key], total):
            cell.count(item, exchanged)
    primary = primary_contacts(records, stages)
    won: list[Money] = []
    won_deals = 0
    unplaced: dict[str, list[Money]] = defaultdict(list)
    unplaced_deals: dict[str, int] = defaultdict(int)
    for deal in records.deals:
        closed = deal.closed_at
        if deal.status is not DealStatus.WON or closed is None or closed > as_of:
            continue
        if not _inside(closed, period):
            continue
        won_deals += 1
        amounts = [deal.amount] if deal.amount is not None else []
        won += amounts
        lead = primary.get(deal.deal_id)
        key = contact_keys.get(lead.contact_id) if lead is not None else None
        if key is None:
            reason = "no_captured_contact" if lead is None else "captured_outside_period"
            unplaced[reason] += amounts
            unplaced_deals[reason] += 1
            continue
        cells[key].revenue += amounts
        total.revenue += amounts
    return FunnelReport(
        workspace=records.workspace,
        as_of=as_of,
        period_from=period[0],
        period_to=period[1],
        by=by,
        cohort=cohort,
        segments=[
            cells[k].row(k[0], k[1]) for k in sorted(cells, key=lambda k: (k[0] or "", k[1] or ""))
        ]
        if (by is not None or cohort is not None)
        else [],
        total=total.row(None, None),
        response_times=response_time_rows(
            states,
            keep=lambda cid, at: (
                contact_keys.get(cid) is not None and (cohort is not None or _inside(at, period))
            ),
        ),
        won=sum_money(won),
        won_deals=won_deals,
        unplaced=[
            UnplacedRevenue(
                reason=reason,  # type: ignore[arg-type]
                deals=unplaced_deals[reason],
                revenue=sum_money(unplaced[reason]),
            )
            for reason in sorted(unplaced_deals)
        ],
    )
