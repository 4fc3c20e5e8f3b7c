"""What was known at a moment: the records as they stood before a cut-off.

A run as of a date sees only what was known then (docs/definitions.md, "As of"): nothing
dated at or after the cut (the start of the day after the as-of date) may change any of its
results. `known_at(records, cut)` is applied once at the start of a run, so every section reads
the same past:
- interactions that occurred at or after the cut are left out;
- contacts and leads created at or after the cut do not exist yet (a lead without a creation
  time is dated by its last update);
- a deal created at or after the cut does not exist yet. A deal that kept its dated
  `revisions` is read as its last revision before the cut (stage, status, amount, close date):
  a deal that was open then is open, whatever it became. Then (with or without revisions) a
  won or lost deal whose close (its `closed_at`, else its last update) is at or after the cut
  is open, with no stage and no close date; one closed before it without a `closed_at` gets
  that close as its `closed_at`, so every section dates it alike.
Records the cut does not change are returned as they are (the same objects).
"""

from __future__ import annotations

from datetime import datetime

from rel2rev.money import Money
from rel2rev.records import Deal, DealRevision, DealStatus, WorkspaceRecords


def known_at(records: WorkspaceRecords, cut: datetime) -> WorkspaceRecords:
    """`records` as they stood just before `cut` (see the module docstring)."""
    deals = [d for d in (_deal_at(deal, cut) for deal in records.deals) if d is not None]
    return WorkspaceRecords.model_construct(
        workspace=records.workspace,
        contacts=[c for c in records.contacts if c.created_at is None or c.created_at < cut],
        interactions=[i for i in records.interactions if i.occurred_at < cut],
        leads=[lead for lead in records.leads if (lead.created_at or lead.updated_at) < cut],
        deals=deals,
    )


def close_of(deal: Deal) -> datetime | None:
    """When a won or lost deal closed: `closed_at`, else the moment it was last updated."""
    if deal.status is DealStatus.OPEN:
        return None
    return deal.closed_at or deal.updated_at


def _deal_at(deal: Deal, cut: datetime) -> Deal | None:
    if deal.created_at is not None and deal.created_at >= cut:
        return None
    state = deal
    if deal.revisions:
        past = [r for r in deal.revisions if r.at < cut]
        if not past:
            return None if deal.created_at is None else _reopened(deal, None)
        if len(past) < len(deal.revisions):
            state = _as_revision(deal, past)
    close = close_of(state)
    if close is not None and close >= cut:
        return _reopened(state, state.amount)
    if close is not None and state.closed_at is None:
        return state.model_copy(update={"closed_at": close})
    return state


def _as_revision(deal: Deal, past: list[DealRevision]) -> Deal:
    last = past[-1]
    return deal.model_copy(
        update={
            "stage": last.stage,
            "status": last.status,
            "amount": last.amount,
            "closed_at": last.closed_at,
            "updated_at": last.at,
            "revisions": past,
        }
    )


def _reopened(deal: Deal, amount: Money | None) -> Deal:
    return deal.model_copy(
        update={"stage": None, "status": DealStatus.OPEN, "amount": amount, "closed_at": None}
    )
