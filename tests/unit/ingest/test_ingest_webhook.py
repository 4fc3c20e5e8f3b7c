"""receive_webhook: order of checks, archive form, replay, and a property test on any input."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_support import BASE_URL, CONNECTIONS, NOW, WORKSPACE, RecordingSink, lookup, raw, world

from rel2rev.errors import (
    AuthenticationError,
    InputError,
    NotFoundError,
    PayloadTooLargeError,
    Rel2revError,
    UnsupportedMediaTypeError,
)
from rel2rev.ingest.native import build_requests, sign_generic, sign_hubspot_v3
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources import ADAPTERS
from rel2rev.ingest.sources.pipedrive import basic_authorization
from rel2rev.ingest.webhook import MAX_BODY_BYTES, archive_key, receive_webhook, replay_request


def generic_request(body: bytes, **headers: str) -> RawRequest:
    signature = sign_generic("gen-secret", body, int(NOW.timestamp()))
    return raw(
        "generic",
        body,
        {"Content-Type": "application/json", "X-Rel2rev-Signature": signature, **headers},
    )


def status_of(request: RawRequest, sink: RecordingSink) -> int:
    """The status the endpoint would answer (a Rel2revError's status when rejected)."""
    try:
        return receive_webhook(request, lookup, sink, NOW).status_code
    except Rel2revError as exc:
        json.dumps(exc.to_body())
        return exc.status


def test_every_source_has_an_adapter() -> None:
    assert set(ADAPTERS) == {"generic", "hubspot", "salesforce", "pipedrive"}
    assert all(name == adapter.name for name, adapter in ADAPTERS.items())


def test_unknown_source_or_workspace_is_404() -> None:
    with pytest.raises(NotFoundError):
        receive_webhook(raw("myspace", b"{}"), lookup, RecordingSink(), NOW)
    request = generic_request(b"{}").model_copy(update={"workspace": "nobody"})
    with pytest.raises(NotFoundError) as caught:
        receive_webhook(request, lookup, RecordingSink(), NOW)
    assert caught.value.status == 404


def test_size_is_checked_before_content_type_and_signature() -> None:
    big = raw("generic", b"x" * (MAX_BODY_BYTES + 1), {"Content-Type": "text/plain"})
    with pytest.raises(PayloadTooLargeError) as caught:
        receive_webhook(big, lookup, RecordingSink(), NOW)
    assert caught.value.status == 413


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/xml", "multipart/form-data"]
)
def test_wrong_content_type_is_415(content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        receive_webhook(raw("generic", b"{}", headers), lookup, RecordingSink(), NOW)
    assert caught.value.status == 415


def test_content_type_parameters_and_case_are_ignored() -> None:
    body = json.dumps({"event": "contact", "identifiers": {"email": "a@b.co"}}).encode()
    request = generic_request(body, **{"Content-Type": "Application/JSON; charset=UTF-8"})
    sink = RecordingSink()
    response = receive_webhook(request, lookup, sink, NOW)
    answer = json.loads(response.body)
    assert (response.status_code, answer["accepted"], answer["request_id"]) == (202, 1, "req-1")
    assert answer["event_ids"] == [e.event_id for e in sink.enqueued]


def test_signature_is_checked_before_the_body_is_parsed() -> None:
    request = raw("generic", b"not json", {"Content-Type": "application/json"})
    with pytest.raises(AuthenticationError):
        receive_webhook(request, lookup, RecordingSink(), NOW)


def test_archive_key_and_archived_form_keep_no_secret() -> None:
    body = b'{"a": 1}'
    request = raw(
        "pipedrive",
        body,
        {
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(b"rel2rev:pd-password").decode(),
            "Cookie": "session=1",
            "X-Forwarded-For": "10.0.0.1",
            "User-Agent": "Pipedrive Webhooks",
        },
        url=f"{BASE_URL}/v1/hooks/acme/salesforce?token=sf-url-token&x=1",
        query={"token": "sf-url-token", "x": "1"},
    )
    assert archive_key(request) == "raw/acme/pipedrive/2026/11/21/req-1"
    archived = request.to_archive()
    assert b"pd-password" not in archived
    assert b"sf-url-token" not in archived
    assert base64.b64encode(b"rel2rev:pd-password") not in archived
    back = RawRequest.from_archive(archived)
    assert back.body == body
    assert back.header("authorization") == "Basic user=rel2rev [redacted]"
    assert back.header("cookie") is None
    assert back.header("x-forwarded-for") is None
    assert back.header("user-agent") == "Pipedrive Webhooks"
    assert back.query == {"token": "[redacted]", "x": "1"}
    assert (back.workspace, back.source, back.request_id, back.received_at) == (
        "acme",
        "pipedrive",
        "req-1",
        NOW,
    )


@pytest.mark.parametrize(
    "data", [b"", b"{}", b'{"version": 1}', b'{"version": 2, "body_base64": ""}', b"\x00"]
)
def test_from_archive_rejects_what_is_not_an_archive(data: bytes) -> None:
    with pytest.raises(InputError):
        RawRequest.from_archive(data)


@pytest.mark.parametrize("source", ["generic", "hubspot", "salesforce", "pipedrive"])
def test_replay_from_the_archive_gives_the_same_events(source: str) -> None:
    (request, *_) = build_requests(
        source, CONNECTIONS[source], world(source), now=NOW, base_url=BASE_URL
    )
    sink = RecordingSink()
    receive_webhook(request.to_raw(WORKSPACE, source, "req-9", NOW), lookup, sink, NOW)
    archived = RawRequest.from_archive(sink.archived[0].to_archive())
    replayed = replay_request(archived, CONNECTIONS[source])
    assert replayed == sink.enqueued


def test_replay_works_long_after_the_signature_window() -> None:
    (request,) = build_requests(
        "generic", CONNECTIONS["generic"], world("generic"), now=NOW, base_url=BASE_URL
    )
    sink = RecordingSink()
    receive_webhook(request.to_raw(WORKSPACE, "generic", "req-1", NOW), lookup, sink, NOW)
    with pytest.raises(AuthenticationError):
        receive_webhook(
            request.to_raw(WORKSPACE, "generic", "req-2", NOW),
            lookup,
            RecordingSink(),
            NOW + timedelta(hours=1),
        )
    assert replay_request(sink.archived[0], CONNECTIONS["generic"]) == sink.enqueued


HEADER_NAMES = st.sampled_from(
    [
        "content-type",
        "authorization",
        "x-rel2rev-signature",
        "x-hubspot-signature-v3",
        "x-hubspot-request-timestamp",
        "x-hubspot-signature",
        "x-hubspot-signature-version",
        "soapaction",
    ]
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "text/xml", "application/json; charset=utf-8", "text/plain"]
)


@st.composite
def hostile_requests(draw: st.DrawFn) -> RawRequest:
    source = draw(st.sampled_from(["generic", "hubspot", "salesforce", "pipedrive", "nope"]))
    headers = draw(st.dictionaries(HEADER_NAMES, st.text(max_size=80), max_size=6))
    headers["content-type"] = draw(CONTENT_TYPES)
    if draw(st.booleans()):
        stamp = int(NOW.timestamp())
        headers["x-rel2rev-signature"] = (
            f"t={stamp},v1={draw(st.text('0123456789abcdef', max_size=64))}"
        )
        headers["x-hubspot-request-timestamp"] = str(stamp * 1000)
    body = draw(
        st.one_of(
            st.binary(max_size=300),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                lambda inner: (
                    st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4)
                ),
                max_leaves=12,
            ).map(lambda doc: json.dumps(doc).encode()),
        )
    )
    query = draw(st.dictionaries(st.sampled_from(["token", "x"]), st.text(max_size=20), max_size=2))
    return raw(source, body, headers, query=query)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=hostile_requests())
def test_arbitrary_requests_are_rejected_cleanly_and_leave_no_trace(request: RawRequest) -> None:
    sink = RecordingSink()
    # Nothing here can sign, so every request must be rejected, with a 4xx and no trace.
    assert 400 <= status_of(request, sink) < 500
    assert (sink.archived, sink.enqueued) == ([], [])


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_signed_garbage_is_400_never_5xx(body: bytes) -> None:
    sink = RecordingSink()
    status = status_of(generic_request(body), sink)
    assert status in {202, 400}
    assert len(sink.archived) == (status == 202)


KEYS = st.sampled_from(
    [
        "event", "id", "type", "direction", "channel", "occurred_at", "contact", "identifiers",
        "email", "amount", "currency", "status", "deal_id", "lead_id", "closed_at", "created_at",
        "contact_roles", "cost", "events", "eventId", "subscriptionId", "portalId", "occurredAt",
        "subscriptionType", "objectId", "propertyName", "propertyValue", "associationType",
        "fromObjectId", "toObjectId", "meta", "data", "action", "entity", "value", "person_id",
        "add_time", "won_time", "marked_as_done_time", "due_date", "participants", "emails",
    ]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.sampled_from(
        [
            "interaction", "contact", "lead", "deal", "comment", "inbound", "won", "EUR", "JPY",
            "1e400", "NaN", "-0", "12.345", "2026-11-20T10:00:00Z", "2026-11-20", "1795262400000",
            "deal.propertyChange", "contact.creation", "deal.associationChange", "amount",
            "dealstage", "closedate", "closedwon", "DEAL_TO_CONTACT", "change", "person",
            "activity", "inbound_call", "62515", "",
        ]
    )
    | st.text(max_size=12)
)  # fmt: skip
JSON_DOCS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=25,
)


def signed_request(source: str, body: bytes) -> RawRequest:
    if source == "generic":
        return generic_request(body)
    if source == "hubspot":
        stamp = int(NOW.timestamp() * 1000)
        url = f"{BASE_URL}/v1/hooks/acme/hubspot"
        headers = {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": sign_hubspot_v3("hs-client-secret", "POST", url, body, stamp),
            "X-HubSpot-Request-Timestamp": str(stamp),
        }
        return raw("hubspot", body, headers, url=url)
    headers = {
        "Content-Type": "application/json",
        "Authorization": basic_authorization("rel2rev", "pd-password"),
    }
    return raw("pipedrive", body, headers)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(["generic", "hubspot", "pipedrive"]), document=JSON_DOCS)
def test_authentic_but_arbitrary_json_is_never_a_5xx(source: str, document: object) -> None:
    body = json.dumps(document).encode()
    sink = RecordingSink()
    status = status_of(signed_request(source, body), sink)
    assert status == 202 or 400 <= status < 500
    assert len(sink.archived) == (status == 202)
    if status != 202:
        assert sink.enqueued == []


TEMPLATES: list[tuple[str, dict[str, object], str | None]] = [
    (
        "generic",
        {
            "event": "deal",
            "deal_id": "d",
            "amount": {"amount": "1.5", "currency": "EUR"},
            "status": "won",
            "closed_at": "2026-11-20T10:00:00Z",
            "contact_roles": [{"contact": {"email": "a@b.co"}}],
        },
        None,
    ),
    (
        "generic",
        {
            "event": "interaction",
            "type": "comment",
            "direction": "inbound",
            "channel": "x",
            "occurred_at": "2026-11-20T10:00:00Z",
            "contact": {"email": "a@b.co"},
            "cost": {"amount": "1", "currency": "USD"},
        },
        None,
    ),
    (
        "hubspot",
        {
            "eventId": 1,
            "subscriptionId": 2,
            "portalId": 62515,
            "occurredAt": 1795262400000,
            "subscriptionType": "deal.propertyChange",
            "objectId": 5,
            "propertyName": "amount",
            "propertyValue": "10",
            "associationType": "DEAL_TO_CONTACT",
            "fromObjectId": 5,
            "toObjectId": 6,
        },
        "list",
    ),
    (
        "hubspot",
        {
            "eventId": 1,
            "subscriptionId": 2,
            "portalId": 62515,
            "occurredAt": 1795262400000,
            "subscriptionType": "deal.associationChange",
            "associationType": "DEAL_TO_CONTACT",
            "fromObjectId": 5,
            "toObjectId": 6,
            "associationRemoved": True,
        },
        "list",
    ),
    (
        "pipedrive",
        {
            "id": 31,
            "value": 10,
            "currency": "EUR",
            "status": "won",
            "person_id": 7,
            "won_time": "2026-11-20T10:00:00Z",
            "add_time": "2026-11-20T10:00:00Z",
            "type": "call",
            "due_date": "2026-11-20",
            "due_time": "10:00",
            "emails": [],
            "participants": [{"person_id": 7}],
            "marked_as_done_time": None,
        },
        "pipedrive",
    ),
]


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, object]:
    source, template, wrap = draw(st.sampled_from(TEMPLATES))
    keys = sorted(template)
    overrides = draw(st.dictionaries(st.sampled_from(keys), JSON_DOCS, max_size=3))
    item = {**template, **overrides}
    if wrap == "list":
        return source, [item]
    if wrap == "pipedrive":
        entity = draw(st.sampled_from(["deal", "person", "activity", "lead"]))
        return source, {"meta": {"action": "change", "entity": entity, "id": "m"}, "data": item}
    return source, item


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_documents())
def test_authentic_almost_valid_documents_are_never_a_5xx(case: tuple[str, object]) -> None:
    source, document = case
    body = json.dumps(document).encode()
    sink = RecordingSink()
    status = status_of(signed_request(source, body), sink)
    assert status == 202 or 400 <= status < 500
    assert len(sink.archived) == (status == 202)
    if status != 202:
        assert sink.enqueued == []


SF_FIELDS = [
    "Id", "WhoId", "Amount", "CurrencyIsoCode", "CloseDate", "IsClosed", "IsWon", "StageName",
    "CreatedDate", "LastModifiedDate", "CompletedDateTime", "ActivityDate", "StartDateTime",
    "Email", "Phone", "Website", "Stakeholder_Type__c", "Interaction_Type__c", "Direction__c",
    "Channel__c", "LeadSource", "ContactId",
]  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sobject=st.sampled_from(["Lead", "Contact", "Opportunity", "Task", "Event"]),
    fields=st.dictionaries(st.sampled_from(SF_FIELDS), SCALARS.map(str), min_size=1, max_size=8),
)
def test_authentic_salesforce_messages_with_arbitrary_fields_are_never_a_5xx(
    sobject: str, fields: dict[str, str]
) -> None:
    from xml.sax.saxutils import escape

    inner = "".join(f"<sf:{k}>{escape(v)}</sf:{k}>" for k, v in fields.items())
    body = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        "<OrganizationId>00D5g000004ABCDEAA</OrganizationId><Notification><Id>04l1</Id>"
        f'<sObject xsi:type="sf:{sobject}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        f"{inner}</sObject></Notification></notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()
    request = raw("salesforce", body, {"Content-Type": "text/xml"}, query={"token": "sf-url-token"})
    sink = RecordingSink()
    status = status_of(request, sink)
    assert status == 200 or 400 <= status < 500
    assert len(sink.archived) == (status == 200)
