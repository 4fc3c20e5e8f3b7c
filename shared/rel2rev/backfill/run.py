"""The vendor-neutral backfill: page through each object type, store like webhooks, checkpoint.

For each object type, in the vendor's order (people and deals before engagements), a pass
reads pages from the vendor client. Each API answer is archived as a `RawRequest` and its
events are queued, exactly as an accepted webhook delivery is (`BackfillSink.deliver`), so
the processor stores them the same way and `rel2rev replay` can re-read them. The checkpoint
is saved after every page: an interrupted pass resumes at its cursor; a finished pass
records the latest last-modified time seen (`high_water`), and the next run without `since`
asks only for what changed from `high_water - OVERLAP` on. Re-reading a page is harmless:
its events have the same ids and are stored once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from rel2rev.backfill.checkpoints import Checkpoint, CheckpointStore, later
from rel2rev.errors import InputError
from rel2rev.ingest.events import Event
from rel2rev.ingest.request import RawRequest

OVERLAP = timedelta(minutes=10)
"""How far before the high-water mark an incremental pass starts: changes saved just before
the last pass ended may reach the vendor's search index late."""


@dataclass(frozen=True)
class Fetched:
    """One API answer: its archived form (no credentials), its events and object count."""

    request: RawRequest
    events: list[Event]
    objects: int


@dataclass(frozen=True)
class Page:
    """One step of a pass: the answers read, the cursor of the next step (None: the pass is
    complete) and the latest last-modified time among its objects."""

    fetched: list[Fetched]
    cursor: str | None
    modified: datetime | None = None
    objects: int = field(init=False)
    events: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "objects", sum(f.objects for f in self.fetched))
        object.__setattr__(self, "events", sum(len(f.events) for f in self.fetched))


class VendorClient(Protocol):
    """Reads one vendor's objects for one connection."""

    @property
    def source(self) -> str:
        """The source name (`hubspot`)."""
        ...

    @property
    def object_types(self) -> tuple[str, ...]:
        """Every object type, in the order to read them."""
        ...

    def count(self, object_type: str, since: datetime | None) -> int | None:
        """How many objects a pass will read (for progress), or None when unknown."""
        ...

    def pages(self, object_type: str, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        """The pages of a pass: every object (`since` None) or those modified at or after
        `since`, starting at `cursor` (None: the beginning)."""
        ...


class BackfillSink(Protocol):
    """Where answers go: archive the request, then queue its events (as a webhook is)."""

    def deliver(self, request: RawRequest, events: Sequence[Event]) -> None: ...


class Progress(Protocol):
    """Hears how a backfill goes (the CLI draws progress bars)."""

    def start(self, object_type: str, total: int | None, done: int) -> None: ...

    def advance(self, object_type: str, objects: int, events: int) -> None: ...

    def finish(self, object_type: str) -> None: ...


def order(client: VendorClient, wanted: Sequence[str] | None) -> list[str]:
    """The object types to read, in the client's order; InputError for unknown ones."""
    if not wanted:
        return list(client.object_types)
    unknown = sorted(set(wanted) - set(client.object_types))
    if unknown:
        known = ", ".join(client.object_types)
        raise InputError(f"unknown {client.source} object types {unknown}; known: {known}")
    return [name for name in client.object_types if name in wanted]


def run_backfill(
    client: VendorClient,
    sink: BackfillSink,
    checkpoints: CheckpointStore,
    workspace: str,
    *,
    now: Callable[[], datetime],
    object_types: Sequence[str] | None = None,
    since: datetime | None = None,
    progress: Progress | None = None,
) -> list[Checkpoint]:
    """Backfill each object type (see the module docstring); the final checkpoints."""
    run = _Run(client, sink, checkpoints, workspace, now, progress)
    return [run.object_type(name, since) for name in order(client, object_types)]


@dataclass(frozen=True)
class _Run:
    client: VendorClient
    sink: BackfillSink
    checkpoints: CheckpointStore
    workspace: str
    now: Callable[[], datetime]
    progress: Progress | None

    def object_type(self, object_type: str, since: datetime | None) -> Checkpoint:
        """One pass over an object type: resumed, incremental or full."""
        checkpoint, start, cursor = self._begin(object_type, since)
        progress = self.progress
        if progress is not None:
            total = self.client.count(object_type, start)
            progress.start(object_type, total, checkpoint.objects)
        for page in self.client.pages(object_type, start, cursor):
            for fetched in page.fetched:
                self.sink.deliver(fetched.request, fetched.events)
            checkpoint = checkpoint.model_copy(
                update={
                    "cursor": page.cursor,
                    "pass_max": later(checkpoint.pass_max, page.modified),
                    "pages": checkpoint.pages + 1,
                    "objects": checkpoint.objects + page.objects,
                    "events": checkpoint.events + page.events,
                    "updated_at": self.now(),
                }
            )
            if page.cursor is not None:
                self.checkpoints.put(checkpoint)
            if progress is not None:
                progress.advance(object_type, page.objects, page.events)
        checkpoint = checkpoint.model_copy(
            update={
                "cursor": None,
                "pass_since": None,
                "high_water": later(checkpoint.high_water, checkpoint.pass_max),
                "pass_max": None,
                "passes": checkpoint.passes + 1,
                "updated_at": self.now(),
            }
        )
        self.checkpoints.put(checkpoint)
        if progress is not None:
            progress.finish(object_type)
        return checkpoint

    def _begin(
        self, object_type: str, since: datetime | None
    ) -> tuple[Checkpoint, datetime | None, str | None]:
        """The checkpoint to go on from, the pass's lower bound and its cursor."""
        saved = self.checkpoints.get(self.workspace, self.client.source, object_type)
        if saved is not None and saved.unfinished and (since is None or saved.pass_since == since):
            return saved, saved.pass_since, saved.cursor
        high_water = saved.high_water if saved else None
        start = since if since is not None else (high_water - OVERLAP if high_water else None)
        fresh = Checkpoint(
            workspace=self.workspace,
            source=self.client.source,
            object_type=object_type,
            pass_since=start,
            high_water=high_water,
            passes=saved.passes if saved else 0,
            updated_at=self.now(),
        )
        return fresh, start, None
