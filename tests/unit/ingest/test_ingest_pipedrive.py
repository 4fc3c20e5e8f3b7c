"""The pipedrive source: webhooks v2 with HTTP Basic auth."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from ingest_support import NOW, RecordingSink, lookup, raw

from rel2rev.errors import AuthenticationError, InputError
from rel2rev.ingest.events import (
    ContactMerge,
    ContactUpsert,
    DealUpsert,
    InteractionEvent,
    LeadUpsert,
)
from rel2rev.ingest.sources.pipedrive import basic_authorization
from rel2rev.ingest.webhook import receive_webhook
from rel2rev.records import DealStatus, Direction, InteractionType

AUTH = {
    "Content-Type": "application/json",
    "Authorization": basic_authorization("rel2rev", "pd-password"),
}


def meta(entity: str, action: str = "change", **extra: Any) -> dict[str, Any]:
    return {
        "action": action,
        "entity": entity,
        "entity_id": "31",
        "id": "0f6b2f5c-1b6f-4a43-9f7e-2a1d6b1c0c11",
        "company_id": "12882925",
        "timestamp": "2026-11-21T11:59:58.000Z",
        "version": "2.0",
        "attempt": 1,
        **extra,
    }


DEAL = {
    "id": 31,
    "title": "Pilot",
    "value": Decimal("12500.5"),
    "currency": "EUR",
    "status": "won",
    "stage_id": 4,
    "person_id": 77,
    "org_id": 4100,
    "owner_id": 17,
    "add_time": "2026-10-01T09:00:00Z",
    "update_time": "2026-11-18T16:30:00Z",
    "won_time": "2026-11-18T16:30:00Z",
}


def body_of(document: dict[str, Any]) -> bytes:
    return json.dumps(document, default=str).encode().replace(b'"12500.5"', b"12500.5")


def send(document: dict[str, Any], headers: dict[str, str] | None = None) -> RecordingSink:
    sink = RecordingSink()
    receive_webhook(raw("pipedrive", body_of(document), headers or AUTH), lookup, sink, NOW)
    return sink


def test_won_deal_with_exact_value() -> None:
    (event,) = send({"meta": meta("deal"), "data": DEAL, "previous": {"status": "open"}}).enqueued
    deal = event.payload
    assert isinstance(deal, DealUpsert)
    assert deal.deal_id == "pipedrive:31"
    assert deal.amount is not None
    assert (deal.amount.amount, deal.amount.currency) == (Decimal("12500.50"), "EUR")
    assert (deal.status, deal.stage, deal.account_id, deal.owner) == (
        DealStatus.WON,
        "4",
        "4100",
        "17",
    )
    assert deal.closed_at == datetime(2026, 11, 18, 16, 30, tzinfo=UTC)
    assert deal.contact_roles[0].contact[0].key == "pipedrive:77"
    assert event.occurred_at == datetime(2026, 11, 18, 16, 30, tzinfo=UTC)


def test_lost_deal_uses_lost_time_and_string_values() -> None:
    data = {
        **DEAL,
        "status": "lost",
        "value": "99.99",
        "won_time": None,
        "lost_time": "2026-11-19T08:00:00Z",
    }
    deal = send({"meta": meta("deal"), "data": data}).enqueued[0].payload
    assert isinstance(deal, DealUpsert)
    assert deal.status is DealStatus.LOST
    assert deal.closed_at == datetime(2026, 11, 19, 8, tzinfo=UTC)
    assert deal.amount is not None
    assert deal.amount.amount == Decimal("99.99")


def test_person_activity_and_lead() -> None:
    person = {
        "id": 77,
        "name": "Ada Lovelace",
        "emails": [{"value": "ada@example.com", "primary": True, "label": "work"}],
        "phones": [{"value": "+44 20 7946 0000", "primary": True}],
        "org_id": 4100,
        "add_time": "2026-10-01T09:00:00Z",
    }
    activity = {
        "id": 401,
        "type": "inbound_call",
        "subject": "Discovery",
        "done": True,
        "marked_as_done_time": "2026-10-02T10:00:00Z",
        "participants": [{"person_id": 78, "primary": False}, {"person_id": 77, "primary": True}],
    }
    lead = {
        "id": "adf21080-0e10-11eb-879b-05d71fb426ec",
        "person_id": 77,
        "organization_id": 4100,
        "source_name": "Webinar",
        "add_time": "2026-10-03T09:00:00Z",
    }
    p = send({"meta": meta("person", "create"), "data": person}).enqueued[0].payload
    a = send({"meta": meta("activity"), "data": activity}).enqueued[0].payload
    ld = send({"meta": meta("lead", "create"), "data": lead}).enqueued[0].payload
    assert isinstance(p, ContactUpsert)
    assert {i.key for i in p.identifiers} == {
        "pipedrive:77",
        "email:ada@example.com",
        "phone:+44 20 7946 0000",
    }
    assert isinstance(a, InteractionEvent)
    assert (a.type, a.direction, a.channel) == (InteractionType.CALL, Direction.INBOUND, "phone")
    assert a.contact[0].key == "pipedrive:77"
    assert a.occurred_at == datetime(2026, 10, 2, 10, tzinfo=UTC)
    assert isinstance(ld, LeadUpsert)
    assert (ld.lead_id, ld.channel, ld.account_id) == (
        "pipedrive:lead:adf21080-0e10-11eb-879b-05d71fb426ec",
        "webinar",
        "4100",
    )


def test_activity_due_date_when_not_done() -> None:
    activity = {
        "id": 5,
        "type": "meeting",
        "due_date": "2026-12-01",
        "due_time": "14:30",
        "person_id": 77,
    }
    a = send({"meta": meta("activity"), "data": activity}).enqueued[0].payload
    assert isinstance(a, InteractionEvent)
    assert (a.type, a.direction) == (InteractionType.MEETING, Direction.OUTBOUND)
    assert a.occurred_at == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "document",
    [
        {"meta": meta("deal", "delete"), "data": None, "previous": DEAL},
        {"meta": meta("organization"), "data": {"id": 1}},
        {"meta": meta("activity"), "data": {"id": 9, "type": "call"}},
    ],
)
def test_deletions_other_entities_and_personless_activities_are_skipped(
    document: dict[str, Any],
) -> None:
    sink = send(document)
    assert sink.enqueued == []
    assert len(sink.archived) == 1


def test_a_person_deleted_by_a_merge_is_one_person_with_the_survivor() -> None:
    document = {"meta": meta("person", "delete", merged_to_id="12"), "data": None}
    (event,) = send(document).enqueued
    assert isinstance(event.payload, ContactMerge)
    assert [[i.key for i in p] for p in event.payload.people] == [
        ["pipedrive:31"],
        ["pipedrive:12"],
    ]


def test_redelivery_keeps_the_event_id() -> None:
    document = {"meta": meta("deal"), "data": DEAL}
    again = {"meta": {**meta("deal"), "attempt": 2}, "data": DEAL}
    other = {"meta": {**meta("deal"), "id": "another"}, "data": DEAL}
    ids = [send(d).enqueued[0].event_id for d in (document, again, other)]
    assert ids[0] == ids[1] != ids[2]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer abc",
        basic_authorization("rel2rev", "wrong"),
        basic_authorization("someone", "pd-password"),
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"\xff\xfe").decode(),
    ],
)
def test_bad_basic_auth_is_401_and_nothing_is_kept(authorization: str | None) -> None:
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    sink = RecordingSink()
    with pytest.raises(AuthenticationError):
        receive_webhook(
            raw("pipedrive", body_of({"meta": meta("deal"), "data": DEAL}), headers),
            lookup,
            sink,
            NOW,
        )
    assert (sink.archived, sink.enqueued) == ([], [])


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"data": DEAL}, "meta"),
        ({"meta": {"entity": "deal"}, "data": DEAL}, "meta.action"),
        ({"meta": meta("deal"), "data": {**DEAL, "add_time": "soon"}}, "data.add_time"),
        ({"meta": meta("deal"), "data": {**DEAL, "value": "lots"}}, "data.value"),
        ({"meta": meta("deal"), "data": {**DEAL, "currency": "XYZ"}}, "data.currency"),
        ({"meta": meta("deal"), "data": {k: v for k, v in DEAL.items() if k != "id"}}, "data.id"),
    ],
)
def test_schema_errors_name_the_field(document: dict[str, Any], path: str) -> None:
    with pytest.raises(InputError) as caught:
        send(document)
    assert path in [d["path"] for d in caught.value.details]
