"""Queue messages: events packed 25 per message, 10 messages and 256 KiB per call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rel2rev.errors import PayloadTooLargeError
from rel2rev.ingest.events import ContactRoleRef, DealUpsert, Event, InteractionEvent
from rel2rev.records import Identifier, IdentifierKind
from rel2rev.storage.queue import MAX_BATCH_BYTES, EventMessage, batches, pack


def test_batches_hold_at_most_ten_messages() -> None:
    groups = batches([f"m{i}" for i in range(23)])
    assert [len(g) for g in groups] == [10, 10, 3]
    assert [m for g in groups for m in g] == [f"m{i}" for i in range(23)]


def test_batches_hold_at_most_256_kib() -> None:
    body = "x" * (100 * 1024)
    groups = batches([body] * 5)
    assert [len(g) for g in groups] == [2, 2, 1]
    assert all(sum(len(m) for m in g) <= MAX_BATCH_BYTES for g in groups)


def test_a_single_message_over_the_limit_is_refused() -> None:
    with pytest.raises(PayloadTooLargeError):
        batches(["x" * (MAX_BATCH_BYTES + 1)])


def _events(n: int, content: str = "") -> list[Event]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Event(
            event_id=f"e{i}",
            workspace="acme",
            source="generic",
            request_id="r",
            received_at=at,
            occurred_at=at,
            payload=InteractionEvent(
                interaction_id=f"i{i}",
                contact=[Identifier(kind=IdentifierKind.EMAIL, value="a@example.com")],
                type="post",
                direction="outbound",
                channel="linkedin",
                occurred_at=at,
                content=content or None,
            ),
        )
        for i in range(n)
    ]


def test_events_are_packed_25_per_message_in_order() -> None:
    events = _events(60)
    bodies = pack(events)
    messages = [EventMessage.model_validate_json(b) for b in bodies]
    assert [len(m.events) for m in messages] == [25, 25, 10]
    assert [e for m in messages for e in m.events] == events


def _committees(n: int, per_role: int) -> list[Event]:
    """Deals with 200 committee members, each known by `per_role` long identifiers."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Event(
            event_id=f"d{i}",
            workspace="acme",
            source="generic",
            request_id="r",
            received_at=at,
            occurred_at=at,
            payload=DealUpsert(
                deal_id=f"deal{i}",
                contact_roles=[
                    ContactRoleRef(
                        contact=[
                            Identifier(kind=IdentifierKind.EXTERNAL, value=f"{m}-{k}-" + "x" * 300)
                            for k in range(per_role)
                        ]
                    )
                    for m in range(200)
                ],
            ),
        )
        for i in range(n)
    ]


def test_messages_stay_under_256_kib() -> None:
    bodies = pack(_committees(5, per_role=1))  # about 73 KB each
    assert [len(EventMessage.model_validate_json(b).events) for b in bodies] == [3, 2]
    assert all(len(b.encode()) <= MAX_BATCH_BYTES for b in bodies)


def test_an_event_over_256_kib_is_refused() -> None:
    with pytest.raises(PayloadTooLargeError):
        pack(_committees(1, per_role=4))
