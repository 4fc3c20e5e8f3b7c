"""One month's cost of a channel, or of one campaign on it: the unit costs are given in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from rel2rev.money import Money
from rel2rev.records import Channel, Label

Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
"""A calendar month, `YYYY-MM`."""


class CostLine(BaseModel):
    """What was spent on a channel (or one campaign of it) in one month.

    A line without `campaign` is the channel's cost not tied to a campaign (tools, salaries,
    agency fees); a channel's spend in a month is the sum of all its lines.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    month: Month = Field(description="Calendar month, YYYY-MM", examples=["2026-03"])
    channel: Channel = Field(description="Channel name as interactions carry it (lower-case)")
    campaign: Label | None = Field(None, description="Campaign name; absent: the channel's own")
    amount: Money = Field(description="Spend in the month (exact, non-negative)")

    @field_validator("channel")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @field_validator("amount")
    @classmethod
    def _not_negative(cls, value: Money) -> Money:
        if value.amount < 0:
            raise ValueError("a cost cannot be negative")
        return value

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What identifies the line: (month, channel, campaign or '', currency); a later line
        with the same key replaces it (regional budgets may pay one channel in two
        currencies)."""
        return (self.month, self.channel, self.campaign or "", self.amount.currency)


def month_of(moment: date | datetime) -> str:
    """The `YYYY-MM` month of a date or time (UTC for times)."""
    return f"{moment.year:04d}-{moment.month:02d}"


def months_between(start: date | datetime, end: date | datetime) -> list[str]:
    """Every month from `start`'s to `end`'s, both included, in order."""
    year, month = start.year, start.month
    out = []
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
