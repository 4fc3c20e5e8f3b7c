"""Applying a queue message: every event succeeds or fails alone, and poison is quarantined.

A queue message carries up to 25 events of one delivery. They are applied together (one read
and one write of what they share); if that fails, each is applied on its own, so a poison
event never takes its neighbours down. Events that still fail are retried with the message
(the stored ones are duplicates by then, counted once). An event that can never be stored as
it is (`UnapplicableError`: a record over its size budget) is quarantined at once; the others
are quarantined on the message's last delivery (`MaxReceiveCount`), with the reason and the
request they came from, so nothing waits unseen in a dead-letter queue: `rel2rev quarantine
list` shows them, `rel2rev quarantine retry` sends them through the queue again after a fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from rel2rev.errors import UnapplicableError
from rel2rev.ingest.events import MAX_REASON_CHARS, Event, QuarantinedEvent
from rel2rev.storage.records import Outcome


class Applier(Protocol):
    """What processing needs from the records repository."""

    def apply_events(self, events: Sequence[Event]) -> list[Outcome]: ...

    def apply_event(self, event: Event) -> Outcome: ...


class Quarantine(Protocol):
    """Where events that cannot be applied are kept."""

    def put(self, entries: Sequence[QuarantinedEvent]) -> None: ...


@dataclass
class Processed:
    """What happened to each event of a message."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    """Event id -> outcome, for the events applied."""
    failed: dict[str, str] = field(default_factory=dict)
    """Event id -> why, for the events to retry with the message."""
    quarantined: list[QuarantinedEvent] = field(default_factory=list)


def describe(exc: BaseException) -> str:
    """`Type: message`, cut to what a quarantine entry keeps."""
    return f"{type(exc).__name__}: {exc}"[:MAX_REASON_CHARS]


def process_message(
    events: Sequence[Event],
    applier: Applier,
    quarantine: Quarantine,
    *,
    attempts: int,
    last_attempt: bool,
    now: datetime,
) -> Processed:
    """Apply `events`; see the module docstring. The caller fails the message when
    `Processed.failed` is not empty."""
    processed = Processed()
    try:
        outcomes = applier.apply_events(events)
    except Exception:  # some event of the group fails: find which, one by one
        for event in events:
            try:
                processed.outcomes[event.event_id] = applier.apply_event(event)
            except UnapplicableError as exc:  # never storable as it is: no use retrying
                processed.quarantined.append(
                    QuarantinedEvent.of(event, describe(exc), now, attempts)
                )
            except Exception as exc:  # this event alone fails
                processed.failed[event.event_id] = describe(exc)
    else:
        processed.outcomes = {e.event_id: o for e, o in zip(events, outcomes, strict=True)}
    if processed.failed and last_attempt:
        processed.quarantined += [
            QuarantinedEvent.of(
                event,
                f"failed on every one of {attempts} deliveries: {processed.failed[event.event_id]}",
                now,
                attempts,
            )
            for event in events
            if event.event_id in processed.failed
        ]
        processed.failed = {}
    if processed.quarantined:
        quarantine.put(processed.quarantined)
    return processed
