"""Helpers to build small journeys by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from rel2rev.attribution import Journey, Touch
from rel2rev.money import Money

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def journey(
    journey_id: str,
    channels: Sequence[str],
    *,
    converted: bool = True,
    amount: str | None = None,
    currency: str = "EUR",
    days: Sequence[float] | None = None,
    end_day: float | None = None,
    lead_day: float | None = None,
    opportunity_day: float | None = None,
) -> Journey:
    """A journey whose touch k happens on day `days[k]` (default k) after T0."""
    days = list(days) if days is not None else list(range(len(channels)))
    end = T0 + timedelta(days=end_day if end_day is not None else (max(days, default=0)))
    return Journey(
        journey_id=journey_id,
        converted=converted,
        amount=Money.of(amount, currency) if amount is not None else None,
        converted_at=end if converted else None,
        ends_at=end,
        lead_created_at=T0 + timedelta(days=lead_day) if lead_day is not None else None,
        opportunity_created_at=(
            T0 + timedelta(days=opportunity_day) if opportunity_day is not None else None
        ),
        closed_at=end if converted else None,
        touches=[
            Touch(at=T0 + timedelta(days=d), channel=c) for c, d in zip(channels, days, strict=True)
        ],
    )
