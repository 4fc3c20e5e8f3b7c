"""The backfill's test doubles (a fake clock, a recording sink, checkpoints in memory) and the
runs every vendor's client must pass: resume after a fault, retries without loss, a revoked
credential, replay and rerun giving the same ids, a live request posing as a backfill page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from rel2rev.backfill.checkpoints import Checkpoint
from rel2rev.errors import AuthenticationError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import Event
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.base import SourceAdapter
from rel2rev.ingest.webhook import replay_request

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


class FakeTime:
    """A clock that sleeping advances (shared by the client and the local server)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Sink:
    """Records what the backfill delivers; `fail_after` raises on that many deliveries."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.requests: list[RawRequest] = []
        self.events: list[Event] = []
        self.fail_after = fail_after

    def deliver(self, request: RawRequest, events: Sequence[Event]) -> None:
        if self.fail_after is not None and len(self.requests) >= self.fail_after:
            raise ConnectionError("injected fault")
        self.requests.append(request)
        self.events.extend(events)


class Checkpoints:
    """`CheckpointStore` in memory."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, str, str], Checkpoint] = {}
        self.puts = 0

    def get(self, workspace: str, source: str, object_type: str) -> Checkpoint | None:
        return self.saved.get((workspace, source, object_type))

    def put(self, checkpoint: Checkpoint) -> None:
        self.puts += 1
        key = (checkpoint.workspace, checkpoint.source, checkpoint.object_type)
        self.saved[key] = checkpoint


Run = Callable[[Sink, Checkpoints], list[Checkpoint]]
"""One backfill of a test's client into a sink and a checkpoint store."""
Key = tuple[str, str, str]
"""(workspace, source, object type) of a checkpoint."""


def ids(sink: Sink) -> set[str]:
    """The event ids delivered."""
    return {e.event_id for e in sink.events}


def payloads(sink: Sink, kind: type[Any]) -> list[Any]:
    """The payloads of one kind delivered, in order."""
    return [e.payload for e in sink.events if isinstance(e.payload, kind)]


def resume_after_a_fault(run: Run, key: Key, before_resuming: Callable[[], None]) -> None:
    """A run whose sink fails at its third page (pages of 2), then one resuming from its
    checkpoints (`before_resuming` runs in between: clear the server's log to see what the
    resumed run asks): together they deliver what one whole run does, no page twice."""
    whole = Sink()
    run(whole, Checkpoints())
    store, broken = Checkpoints(), Sink(fail_after=2)
    with pytest.raises(ConnectionError):
        run(broken, store)
    saved = store.get(*key)
    assert saved is not None
    assert saved.unfinished
    assert saved.objects == 4
    before_resuming()
    rest = Sink()
    run(rest, store)
    assert ids(broken) | ids(rest) == ids(whole)
    assert ids(broken) & ids(rest) == set(), "no page read twice"
    final = store.get(*key)
    assert final is not None
    assert (final.objects, final.unfinished) == (5, False)


def second_run(run: Run, change: Callable[[], None]) -> tuple[Sink, list[Checkpoint]]:
    """A run, `change` (modify the seed, clear the server's log), then an incremental run:
    what the second delivered and its checkpoints (two passes each)."""
    store = Checkpoints()
    run(Sink(), store)
    change()
    later = Sink()
    done = run(later, store)
    assert done[0].passes == 2
    return later, done


def retried_without_loss(run: Run, throttle: Callable[[], None]) -> None:
    """A run, `throttle` (make the server refuse some of the next requests), a second run:
    both deliver the same events in the same order."""
    calm = Sink()
    run(calm, Checkpoints())
    throttle()
    throttled = Sink()
    run(throttled, Checkpoints())
    assert [e.event_id for e in throttled.events] == [e.event_id for e in calm.events]


def refused_writing_nothing(run: Run) -> str:
    """The message of the AuthenticationError a run stops with, having delivered and
    checkpointed nothing."""
    sink, store = Sink(), Checkpoints()
    with pytest.raises(AuthenticationError) as caught:
        run(sink, store)
    assert (sink.requests, sink.events, store.saved) == ([], [], {})
    return caught.value.message


def revoked_mid_run(run: Run, revoke: Callable[[], None], key: Key) -> None:
    """`revoke` (the credential) after the second page: the run stops with an
    AuthenticationError, and its checkpoint covers exactly the whole pages delivered."""
    sink, store = Sink(), Checkpoints()

    class Revoking(Sink):
        def deliver(self, request: RawRequest, events: Sequence[Event]) -> None:
            sink.deliver(request, events)
            if len(sink.requests) == 2:
                revoke()

    with pytest.raises(AuthenticationError):
        run(Revoking(), store)
    saved = store.get(*key)
    assert saved is not None
    assert saved.objects == 4 == len(sink.requests) * 2
    assert {e.request_id for e in sink.events} == {r.request_id for r in sink.requests}


def replayed_alike(sink: Sink, connection: Connection) -> None:
    """Replaying every archived page (through its archived form) gives the events delivered."""
    replayed = [
        event.event_id
        for request in sink.requests
        for event in replay_request(RawRequest.from_archive(request.to_archive()), connection)
    ]
    assert replayed == [e.event_id for e in sink.events]


def rerun_alike(run: Run) -> None:
    """Two runs from scratch deliver the same events and the same request ids."""
    first, second = Sink(), Sink()
    run(first, Checkpoints())
    run(second, Checkpoints())
    assert ids(first) == ids(second)
    assert [r.request_id for r in first.requests] == [r.request_id for r in second.requests]


def live_page_refused(
    run: Run, adapter: SourceAdapter, connection: Connection, **live: Any
) -> None:
    """The first page of a run, sent live (POST, with `live`'s other changes), is refused by
    the webhook adapter for its backfill marker."""
    sink = Sink()
    run(sink, Checkpoints())
    page = sink.requests[0].model_copy(update={"method": "POST", **live})
    with pytest.raises(AuthenticationError, match="x-rel2rev-backfill"):
        adapter.verify(page, connection, NOW)
