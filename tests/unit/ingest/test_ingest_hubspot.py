"""The hubspot source: HubSpot's published signature vectors, v3 rules, portal, mapping."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from ingest_support import CONNECTIONS, NOW, RecordingSink, lookup, raw

from rel2rev.errors import AuthenticationError, InputError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import (
    ContactMerge,
    ContactUpsert,
    DealContactRemoved,
    DealUpsert,
    LeadUpsert,
)
from rel2rev.ingest.native import sign_hubspot_v3
from rel2rev.ingest.sources import hubspot
from rel2rev.ingest.webhook import receive_webhook
from rel2rev.records import DealStatus

# HubSpot's documented examples ("Validating requests", v1 and v2 sections).
DOC_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
DOC_V1_BODY = (
    b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
    b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
    b'"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
)
DOC_V1_HASH = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
DOC_V2_POST_HASH = "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"
DOC_V2_GET_HASH = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
DOC_URI = "https://www.example.com/webhook_uri"

URL = "https://hooks.example.com/v1/hooks/acme/hubspot"
SECRET = "hs-client-secret"


def item(kind: str, object_id: int = 501, **extra: Any) -> dict[str, Any]:
    return {
        "eventId": 100 + object_id,
        "subscriptionId": 7,
        "portalId": 62515,
        "occurredAt": 1795262400000,  # NOW in ms
        "subscriptionType": kind,
        "attemptNumber": 0,
        "objectId": object_id,
        "changeSource": "CRM",
        **extra,
    }


def v3_headers(
    body: bytes, url: str = URL, at: datetime = NOW, secret: str = SECRET
) -> dict[str, str]:
    stamp = int(at.timestamp() * 1000)
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": sign_hubspot_v3(secret, "POST", url, body, stamp),
        "X-HubSpot-Request-Timestamp": str(stamp),
    }


def deliver(items: list[dict[str, Any]], connection: Connection | None = None) -> RecordingSink:
    body = json.dumps(items).encode()
    sink = RecordingSink()
    conn = connection or CONNECTIONS["hubspot"]
    receive_webhook(raw("hubspot", body, v3_headers(body), url=URL), lambda w, s: conn, sink, NOW)
    return sink


def test_published_v1_vector() -> None:
    assert hubspot.signature_v1(DOC_SECRET.encode(), DOC_V1_BODY) == DOC_V1_HASH


def test_published_v2_vectors() -> None:
    body = b'{"example_field":"example_value"}'
    assert hubspot.signature_v2(DOC_SECRET.encode(), "POST", DOC_URI, body) == DOC_V2_POST_HASH
    assert hubspot.signature_v2(DOC_SECRET.encode(), "GET", DOC_URI, b"") == DOC_V2_GET_HASH


def test_published_v1_delivery_is_accepted_and_parsed() -> None:
    conn = Connection(
        workspace="acme",
        source="hubspot",
        signing_secret=DOC_SECRET,
        portal_id="62515",
        hubspot_signature_version="v1",
    )
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature": DOC_V1_HASH,
        "X-HubSpot-Signature-Version": "v1",
    }
    sink = RecordingSink()
    receive_webhook(raw("hubspot", DOC_V1_BODY, headers), lambda w, s: conn, sink, NOW)
    (event,) = sink.enqueued
    assert isinstance(event.payload, ContactUpsert)
    assert event.payload.identifiers[0].key == "hubspot:123"
    assert event.payload.created_at == datetime(2019, 7, 26, 4, 0, tzinfo=UTC)


def test_v2_delivery_signs_the_full_uri() -> None:
    conn = CONNECTIONS["hubspot"].model_copy(update={"hubspot_signature_version": "v2"})
    body = json.dumps([item("contact.creation")]).encode()
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature": hubspot.signature_v2(SECRET.encode(), "POST", URL, body),
        "X-HubSpot-Signature-Version": "v2",
    }
    sink = RecordingSink()
    receive_webhook(raw("hubspot", body, headers, url=URL), lambda w, s: conn, sink, NOW)
    assert len(sink.enqueued) == 1
    with pytest.raises(AuthenticationError):
        receive_webhook(
            raw("hubspot", body, headers, url=URL + "?x=1"), lambda w, s: conn, sink, NOW
        )


def test_v3_matches_an_independent_computation_with_decoded_uri() -> None:
    url = "https://hooks.example.com/v1/hooks/acme/hubspot?next=%2Fdeals%3Fa%3D1&who=%40me%20x"
    decoded = "https://hooks.example.com/v1/hooks/acme/hubspot?next=/deals?a%3D1&who=@me%20x"
    assert hubspot.decode_v3_uri(url) == decoded
    body = b'[{"eventId":1}]'
    expected = base64.b64encode(
        hmac.new(
            SECRET.encode(), b"POST" + decoded.encode() + body + b"1795262400000", hashlib.sha256
        ).digest()
    ).decode()
    assert hubspot.signature_v3(SECRET.encode(), "post", url, body, 1795262400000) == expected


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h: {**h, "X-HubSpot-Signature-v3": base64.b64encode(b"x" * 32).decode()},
        lambda h: {k: v for k, v in h.items() if k != "X-HubSpot-Request-Timestamp"},
        lambda h: {k: v for k, v in h.items() if k != "X-HubSpot-Signature-v3"},
        lambda h: {**h, "X-HubSpot-Request-Timestamp": "soon"},
    ],
)
def test_v3_forged_or_missing_is_401(mutate: Any) -> None:
    body = json.dumps([item("contact.creation")]).encode()
    sink = RecordingSink()
    with pytest.raises(AuthenticationError):
        receive_webhook(raw("hubspot", body, mutate(v3_headers(body)), url=URL), lookup, sink, NOW)
    assert (sink.archived, sink.enqueued) == ([], [])


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=5, seconds=1), -timedelta(minutes=5, seconds=1)]
)
def test_v3_outside_five_minutes_is_401(skew: timedelta) -> None:
    body = json.dumps([item("contact.creation")]).encode()
    headers = v3_headers(body, at=NOW + skew)
    with pytest.raises(AuthenticationError, match="5-minute"):
        receive_webhook(raw("hubspot", body, headers, url=URL), lookup, RecordingSink(), NOW)


def test_v3_connection_refuses_a_v1_only_request() -> None:
    body = json.dumps([item("contact.creation")]).encode()
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature": hubspot.signature_v1(SECRET.encode(), body),
        "X-HubSpot-Signature-Version": "v1",
    }
    with pytest.raises(AuthenticationError):
        receive_webhook(raw("hubspot", body, headers, url=URL), lookup, RecordingSink(), NOW)


def test_wrong_portal_is_401_and_nothing_is_kept() -> None:
    body = json.dumps(
        [item("contact.creation"), {**item("deal.creation", 9), "portalId": 1}]
    ).encode()
    sink = RecordingSink()
    with pytest.raises(AuthenticationError, match="portal"):
        receive_webhook(raw("hubspot", body, v3_headers(body), url=URL), lookup, sink, NOW)
    assert (sink.archived, sink.enqueued) == ([], [])


def test_deal_mapping_stage_amount_close_date_and_associations() -> None:
    closed_ms = str(int(datetime(2026, 11, 1, tzinfo=UTC).timestamp() * 1000))
    sink = deliver(
        [
            item("deal.creation", 9001),
            item("deal.propertyChange", 9001, propertyName="dealstage", propertyValue="closedwon"),
            item("deal.propertyChange", 9002, propertyName="dealstage", propertyValue="closedlost"),
            item(
                "deal.propertyChange",
                9003,
                propertyName="dealstage",
                propertyValue="presentationscheduled",
            ),
            item("deal.propertyChange", 9001, propertyName="amount", propertyValue="1234.570"),
            item("deal.propertyChange", 9001, propertyName="closedate", propertyValue=closed_ms),
            item(
                "deal.associationChange",
                9001,
                associationType="DEAL_TO_CONTACT",
                fromObjectId=9001,
                toObjectId=501,
                associationRemoved=False,
            ),
            item(
                "contact.associationChange",
                501,
                associationType="CONTACT_TO_DEAL",
                fromObjectId=501,
                toObjectId=9002,
                associationRemoved=True,
            ),
        ]
    )
    payloads = [e.payload for e in sink.enqueued]
    assert all(e.occurred_at == NOW for e in sink.enqueued)
    deals = [p for p in payloads if isinstance(p, DealUpsert)]
    assert deals[0].deal_id == "hubspot:9001"
    assert deals[0].created_at == NOW
    assert [d.status for d in deals[1:4]] == [DealStatus.WON, DealStatus.LOST, DealStatus.OPEN]
    assert deals[4].amount is not None
    assert (deals[4].amount.amount, deals[4].amount.currency) == (Decimal("1234.57"), "EUR")
    assert deals[5].closed_at == datetime(2026, 11, 1, tzinfo=UTC)
    assert deals[6].contact_roles[0].contact[0].key == "hubspot:501"
    removed = payloads[7]
    assert isinstance(removed, DealContactRemoved)
    assert removed.deal_id == "hubspot:9002"


def test_an_amount_finer_than_the_currency_unit_is_a_400_naming_the_field() -> None:
    with pytest.raises(InputError) as caught:
        deliver([item("deal.propertyChange", 9001, propertyName="amount", propertyValue="9.995")])
    assert caught.value.status == 400
    (detail,) = caught.value.details
    assert detail["path"] == "[0].propertyValue"
    assert "finer than the EUR minor unit" in detail["message"]


def test_contact_properties_and_lifecycle_lead() -> None:
    sink = deliver(
        [
            item("contact.propertyChange", propertyName="email", propertyValue="ada@example.com"),
            item("contact.propertyChange", propertyName="lifecyclestage", propertyValue="lead"),
            item("contact.propertyChange", propertyName="favourite_colour", propertyValue="red"),
            item("contact.deletion"),
            item("company.creation", 3),
        ]
    )
    email, lead = (e.payload for e in sink.enqueued)
    assert isinstance(email, ContactUpsert)
    assert {i.key for i in email.identifiers} == {"hubspot:501", "email:ada@example.com"}
    assert isinstance(lead, LeadUpsert)
    assert (lead.lead_id, lead.status) == ("hubspot:contact:501", "lead")


def test_contact_merge_names_every_person_once() -> None:
    merge = item(
        "contact.merge", 501, primaryObjectId=501, mergedObjectIds=[502, 501], newObjectId=503
    )
    (event,) = deliver([merge]).enqueued
    assert isinstance(event.payload, ContactMerge)
    people = [[i.key for i in person] for person in event.payload.people]
    assert people == [["hubspot:501"], ["hubspot:503"], ["hubspot:502"]]


def test_a_merge_of_one_person_is_nothing_to_store() -> None:
    assert deliver([item("contact.merge", 501, primaryObjectId=501)]).enqueued == []


def test_amount_needs_the_connection_currency() -> None:
    conn = CONNECTIONS["hubspot"].model_copy(update={"currency": None})
    change = item("deal.propertyChange", 9001, propertyName="amount", propertyValue="10")
    assert deliver([change], conn).enqueued == []


def test_only_skipped_events_still_answer_202_with_zero() -> None:
    body = json.dumps([item("contact.deletion")]).encode()
    sink = RecordingSink()
    response = receive_webhook(raw("hubspot", body, v3_headers(body), url=URL), lookup, sink, NOW)
    assert response.status_code == 202
    assert json.loads(response.body)["accepted"] == 0
    assert len(sink.archived) == 1


def test_retries_share_the_event_id() -> None:
    first = deliver([item("contact.creation")]).enqueued[0].event_id
    retry = deliver([{**item("contact.creation"), "attemptNumber": 3}]).enqueued[0].event_id
    other = deliver([{**item("contact.creation"), "eventId": 999}]).enqueued[0].event_id
    assert first == retry != other


@pytest.mark.parametrize(
    ("items", "path"),
    [
        (
            [
                item("contact.creation"),
                {k: v for k, v in item("deal.creation").items() if k != "eventId"},
            ],
            "[1].eventId",
        ),
        (
            [item("deal.propertyChange", propertyName="amount", propertyValue="lots")],
            "[0].propertyValue",
        ),
        (
            [item("deal.propertyChange", propertyName="closedate", propertyValue="someday")],
            "[0].propertyValue",
        ),
        ([{**item("contact.creation"), "occurredAt": "noon"}], "[0].occurredAt"),
    ],
)
def test_schema_errors_name_the_field(items: list[dict[str, Any]], path: str) -> None:
    with pytest.raises(InputError) as caught:
        deliver(items)
    assert path in [d["path"] for d in caught.value.details]


@pytest.mark.parametrize("body", [b"[", b"{}", b"[]", json.dumps([1] * 101).encode()])
def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(InputError):
        receive_webhook(
            raw("hubspot", body, v3_headers(body), url=URL), lookup, RecordingSink(), NOW
        )


def test_out_of_range_timestamps_are_400() -> None:
    association = item(
        "deal.associationChange",
        9001,
        associationType="DEAL_TO_CONTACT",
        fromObjectId=9001,
        toObjectId=501,
        occurredAt=10**20,
    )
    with pytest.raises(InputError) as caught:
        deliver([association])
    assert caught.value.details[0]["path"] == "[0].occurredAt"
