"""Records: timezone discipline, identifier normalisation, event envelopes."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from rel2rev.ingest.events import Event, InteractionEvent, event_id_for
from rel2rev.records import Identifier, IdentifierKind, Interaction


def test_datetimes_must_be_aware_and_become_utc() -> None:
    paris = timezone(timedelta(hours=1))
    interaction = Interaction(
        workspace="acme",
        source="generic",
        updated_at=datetime(2026, 3, 1, 10, tzinfo=paris),
        interaction_id="i1",
        contact_id="c1",
        type="dm",
        direction="inbound",
        channel="linkedin",
        occurred_at=datetime(2026, 3, 1, 10, tzinfo=paris),
    )
    assert interaction.occurred_at == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert interaction.occurred_at.tzinfo is UTC
    with pytest.raises(ValidationError, match="timezone"):
        interaction.model_validate(
            {**interaction.model_dump(), "occurred_at": datetime(2026, 3, 1)}
        )


def test_identifier_keys_fold_case_only_where_case_is_meaningless() -> None:
    assert Identifier(kind=IdentifierKind.EMAIL, value=" Ada@Example.COM ").key == (
        "email:ada@example.com"
    )
    assert Identifier(kind=IdentifierKind.SALESFORCE, value="003AbC").key == "salesforce:003AbC"


def test_event_payloads_are_discriminated_and_ids_deterministic() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    event = TypeAdapter(Event).validate_python(
        {
            "event_id": event_id_for("generic", "acme", "e1"),
            "workspace": "acme",
            "source": "generic",
            "request_id": "r1",
            "received_at": now,
            "occurred_at": now,
            "payload": {
                "kind": "interaction",
                "interaction_id": "i1",
                "contact": [{"kind": "email", "value": "ada@example.com"}],
                "type": "meeting",
                "direction": "outbound",
                "channel": "meeting",
                "occurred_at": now,
                "cost": {"amount": "12.5", "currency": "EUR"},
            },
        }
    )
    assert isinstance(event.payload, InteractionEvent)
    assert str(event.payload.cost) == "12.50 EUR"
    assert Event.model_validate_json(event.model_dump_json()) == event
    assert event_id_for("generic", "acme", "e1") == event.event_id
    assert event_id_for("generic", "acme", "e2") != event.event_id
