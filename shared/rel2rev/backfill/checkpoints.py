"""Backfill progress per (workspace, source, object type), saved after every page."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from rel2rev.records import UtcDatetime


class Checkpoint(BaseModel):
    """Where a backfill of one object type stands.

    `cursor` is set while a pass is unfinished (the vendor's opaque position of the next page;
    `pass_since` the lower bound that pass started from, None for a full pass). `high_water`
    is the latest last-modified time seen by the last finished pass: the next run without
    `--since` asks only for what changed from then on.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: str
    source: str
    object_type: str
    cursor: str | None = None
    pass_since: UtcDatetime | None = None
    pass_max: UtcDatetime | None = Field(None, description="Latest last-modified seen this pass")
    high_water: UtcDatetime | None = None
    pages: int = Field(0, ge=0, description="Pages read by the current (or last) pass")
    objects: int = Field(0, ge=0)
    events: int = Field(0, ge=0)
    passes: int = Field(0, ge=0, description="Finished passes")
    updated_at: UtcDatetime

    @property
    def unfinished(self) -> bool:
        """A pass was interrupted and can be resumed at `cursor`."""
        return self.cursor is not None


class CheckpointStore(Protocol):
    """Keeps checkpoints (the records table in AWS)."""

    def get(self, workspace: str, source: str, object_type: str) -> Checkpoint | None:
        """The checkpoint of an object type, or None before its first page."""
        ...

    def put(self, checkpoint: Checkpoint) -> None:
        """Save (replace) a checkpoint."""
        ...


def later(first: datetime | None, second: datetime | None) -> datetime | None:
    """The later of two optional moments."""
    if first is None or second is None:
        return first or second
    return max(first, second)
