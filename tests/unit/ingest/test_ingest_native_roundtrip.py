"""Records -> native signed request -> verify -> parse -> events that match the records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ingest_support import BASE_URL, CONNECTIONS, NOW, WORKSPACE, RecordingSink, lookup, world

from rel2rev.ingest.events import (
    ContactUpsert,
    DealContactRemoved,
    DealUpsert,
    Event,
    InteractionEvent,
    LeadUpsert,
)
from rel2rev.ingest.native import SUPPORTED, UnsupportedRecordError, build_requests
from rel2rev.ingest.webhook import receive_webhook
from rel2rev.records import DealStatus, IdentifierKind, Interaction, WorkspaceRecords


def deliver(source: str, records: WorkspaceRecords) -> list[Event]:
    sink = RecordingSink()
    requests = build_requests(source, CONNECTIONS[source], records, now=NOW, base_url=BASE_URL)
    for n, request in enumerate(requests):
        raw = request.to_raw(WORKSPACE, source, f"req-{n}", NOW + timedelta(seconds=1))
        response = receive_webhook(raw, lookup, sink, NOW + timedelta(seconds=1))
        assert response.status_code in {200, 202}
    assert len(sink.archived) == len(requests)
    return sink.enqueued


def payloads(events: list[Event], kind: type) -> list:  # type: ignore[type-arg]
    return [e.payload for e in events if isinstance(e.payload, kind)]


def email_of(identifiers: list) -> set[str]:  # type: ignore[type-arg]
    return {i.value for i in identifiers if i.kind is IdentifierKind.EMAIL}


@pytest.mark.parametrize("source", ["generic", "hubspot", "salesforce", "pipedrive"])
def test_round_trip_carries_contacts_leads_and_deals(source: str) -> None:
    records = world(source)
    events = deliver(source, records)
    assert {e.source for e in events} == {source}
    assert len({e.event_id for e in events}) == len(events)

    contacts = payloads(events, ContactUpsert)
    emails = set().union(*(email_of(c.identifiers) for c in contacts))
    assert emails == {"ada@example.com", "bob@example.com"}

    deals = {d.deal_id: d for d in payloads(events, DealUpsert) if d.status is not None}
    won = records.deals[0]
    assert deals[won.deal_id].status is DealStatus.WON
    amounts = [d.amount for d in payloads(events, DealUpsert) if d.deal_id == won.deal_id]
    assert won.amount in amounts
    closed = [d.closed_at for d in payloads(events, DealUpsert) if d.closed_at is not None]
    assert won.closed_at is not None
    assert any(c.date() == won.closed_at.date() for c in closed)
    assert deals[records.deals[1].deal_id].status is DealStatus.OPEN

    leads = payloads(events, LeadUpsert)
    assert len(leads) == 1
    assert leads[0].created_at == records.leads[0].created_at
    assert not payloads(events, DealContactRemoved)


@pytest.mark.parametrize("source", ["generic", "salesforce", "pipedrive"])
def test_round_trip_carries_interactions(source: str) -> None:
    records = world(source)
    events = deliver(source, records)
    got = {i.interaction_id: i for i in payloads(events, InteractionEvent)}
    for record in records.interactions:
        event = got[record.interaction_id]
        assert (event.type, event.direction, event.occurred_at) == (
            record.type,
            record.direction,
            record.occurred_at,
        )
        assert event.content == record.content
        if source != "pipedrive":
            assert event.channel == record.channel


def test_generic_round_trip_is_exact_for_every_field() -> None:
    records = world("generic")
    events = deliver("generic", records)
    (ada,) = [c for c in payloads(events, ContactUpsert) if c.name == "Ada Lovelace"]
    source = records.contacts[0]
    assert (ada.account_id, ada.stakeholder_type, ada.owner, ada.created_at) == (
        source.account_id,
        source.stakeholder_type,
        source.owner,
        source.created_at,
    )
    (deal,) = [d for d in payloads(events, DealUpsert) if d.deal_id == "d-won"]
    won = records.deals[0]
    assert (deal.amount, deal.stage, deal.closed_at, deal.created_at, deal.name) == (
        won.amount,
        won.stage,
        won.closed_at,
        won.created_at,
        won.name,
    )
    assert email_of(deal.contact_roles[0].contact) == {"ada@example.com"}
    (lead,) = payloads(events, LeadUpsert)
    assert (lead.lead_id, lead.status, lead.channel) == ("lead-1", "Working", "webinar")
    occurred = {e.occurred_at for e in events}
    assert source.updated_at in occurred


def test_hubspot_cannot_carry_interactions() -> None:
    assert "interaction" not in SUPPORTED["hubspot"]
    records = world("generic")
    with pytest.raises(UnsupportedRecordError, match="generic"):
        build_requests("hubspot", CONNECTIONS["hubspot"], records, now=NOW, base_url=BASE_URL)


def test_hubspot_builder_refuses_a_currency_it_cannot_state() -> None:
    records = world("hubspot")
    usd = records.deals[0].model_copy(
        update={"amount": records.deals[0].amount.model_copy(update={"currency": "USD"})}  # type: ignore[union-attr]
    )
    bad = records.model_copy(update={"deals": [usd]})
    with pytest.raises(UnsupportedRecordError, match="currency"):
        build_requests("hubspot", CONNECTIONS["hubspot"], bad, now=NOW, base_url=BASE_URL)


def test_builders_are_deterministic() -> None:
    for source in SUPPORTED:
        first = build_requests(
            source, CONNECTIONS[source], world(source), now=NOW, base_url=BASE_URL
        )
        again = build_requests(
            source, CONNECTIONS[source], world(source), now=NOW, base_url=BASE_URL
        )
        assert [r.body for r in first] == [r.body for r in again]


def test_same_delivery_twice_gives_the_same_event_ids() -> None:
    for source in SUPPORTED:
        first = deliver(source, world(source))
        again = deliver(source, world(source))
        assert [e.event_id for e in first] == [e.event_id for e in again]


def test_pipedrive_sends_amounts_as_exact_json_numbers() -> None:
    requests = build_requests(
        "pipedrive", CONNECTIONS["pipedrive"], world("pipedrive"), now=NOW, base_url=BASE_URL
    )
    bodies = [r.body for r in requests if b'"entity": "deal"' in r.body]
    assert any(b'"value": 12500.50' in body for body in bodies)


def test_interaction_without_known_contact_uses_external_identifier() -> None:
    records = world("generic")
    stray = Interaction(**{**records.interactions[0].model_dump(), "contact_id": "c-unknown"})
    events = deliver("generic", WorkspaceRecords(workspace=WORKSPACE, interactions=[stray]))
    (event,) = payloads(events, InteractionEvent)
    assert [(i.kind, i.value) for i in event.contact] == [(IdentifierKind.EXTERNAL, "c-unknown")]
