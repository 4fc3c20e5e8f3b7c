"""Issue 10, "a 2xx means stored", proven through the real gateway of the embedded stack.

What is proven, each with validly signed requests:

- identifiers that are only whitespace are refused (400), leaving nothing archived or queued;
- over-long ids (HubSpot `objectId` of 2,100 digits or `1E+999`, Pipedrive `data.id` and
  `org_id` of 2,100 characters, Salesforce `Id` of 1,500) are refused (400), leaving nothing;
- each such 400 names the offending field (as docs/sources.md promises);
- a Salesforce contact carrying 240 KB of text is refused naming the field, or accepted and
  stored under DynamoDB's 400 KB item limit (the text kept in the archive only), also after two
  such updates; nothing reaches the dead-letter queue;
- free text over 2,000 characters is kept, cut with the documented marker;
- a Salesforce body declaring an unknown encoding is a 400, not a 500;
- a 409-byte body holding `1E+999996` is a 4xx, handled within 100 ms of CPU;
- Pipedrive deliveries without `meta.id`, `entity_id` or `timestamp` get event ids from their
  content: two different deals are both stored, a redelivery is still one event;
- one event that cannot be applied (a record over its size budget, a write that always fails,
  an event queued by an older release that no longer validates) does not sink its neighbours
  in a queue message: they are stored, it is quarantined with the reason and its request, the
  dead-letter queue stays empty.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from stack_support import connections as four_connections

from rel2rev.apply import RecordKind
from rel2rev.errors import Rel2revError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import (
    ContactRoleRef,
    ContactUpsert,
    DealUpsert,
    Event,
    InteractionEvent,
    Payload,
    QuarantinedEvent,
    event_id_for,
)
from rel2rev.ingest.native import NativeRequest, hook_url, sign_request
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.salesforce import OUTBOUND_NS, SOAP_NS, SOBJECT_NS, XSI_NS
from rel2rev.ingest.webhook import archive_key, receive_webhook
from rel2rev.records import (
    MAX_TEXT_CHARS,
    TRUNCATED,
    Direction,
    Identifier,
    IdentifierKind,
    InteractionType,
)
from rel2rev.storage import quarantine_store, record_repository
from rel2rev.storage.clients import dynamodb_client
from rel2rev.storage.queue import EventMessage

pytestmark = pytest.mark.integration

ORG = "00D000000000062EAA"
CONTENT_TYPES = {
    "generic": "application/json",
    "hubspot": "application/json",
    "pipedrive": "application/json",
    "salesforce": "text/xml; charset=utf-8",
}
MAX_ITEM_BYTES = 400 * 1024
REFUSED = "refused"
"""The workspace every refused request goes to: it must stay empty."""


def connections(workspace: str) -> dict[str, Connection]:
    return four_connections(workspace, org=ORG)


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> Any:
    for workspace in (REFUSED, "big", "text", "noid", "budget", "fault", "backlog"):
        for connection in connections(workspace).values():
            local_stack.connections.register(connection)
    return local_stack


# --- native bodies -------------------------------------------------------------------------


def hubspot_body(object_id: str) -> bytes:
    """A contact.creation batch with `object_id` written as the raw JSON literal given."""
    return (
        '[{"eventId":101,"subscriptionId":1001,"portalId":62515,"occurredAt":1767225600000,'
        f'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":{object_id}}}]'
    ).encode()


def pipedrive_body(data: dict[str, Any], meta: dict[str, Any] | None = None) -> bytes:
    envelope = meta or {
        "action": "create",
        "entity": "deal",
        "entity_id": "31",
        "id": "0f6b2f5c-1b6f-4a43-9f7e-2a1d6b1c0c11",
        "company_id": "1",
        "timestamp": "2026-01-01T00:00:00Z",
        "version": "2.0",
    }
    return json.dumps({"meta": envelope, "data": data, "previous": None}).encode()


def salesforce_body(
    fields: dict[str, str],
    *,
    notification_id: str = "04l000000000001AAA",
    declaration: str = '<?xml version="1.0" encoding="UTF-8"?>',
) -> bytes:
    """An Outbound Message with one Contact notification (field values taken as XML text)."""
    inner = "".join(f"<sf:{name}>{value}</sf:{name}>" for name, value in fields.items())
    return (
        f'{declaration}<soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns:xsi="{XSI_NS}">'
        f'<soapenv:Body><notifications xmlns="{OUTBOUND_NS}"><OrganizationId>{ORG}'
        f"</OrganizationId><Notification><Id>{notification_id}</Id>"
        f'<sObject xsi:type="sf:Contact" xmlns:sf="{SOBJECT_NS}">{inner}</sObject>'
        "</Notification></notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()


ADA = {
    "Id": "0035g00000AdaAAA",
    "LastName": "Lovelace",
    "Email": "ada@example.com",
    "LastModifiedDate": "2026-01-01T00:00:00Z",
}
BIG = "x" * 240_000


# --- sending and looking ---------------------------------------------------------------------


def signed(workspace: str, source: str, body: bytes, base_url: str) -> NativeRequest:
    """`body` as `source` would send it to `base_url`, with a valid proof of origin now."""
    request = NativeRequest(
        method="POST",
        url=hook_url(base_url, workspace, source),
        headers={"Content-Type": CONTENT_TYPES[source]},
        body=body,
    )
    return sign_request(source, connections(workspace)[source], request, datetime.now(UTC))


def post(stack: Any, workspace: str, source: str, body: bytes) -> requests.Response:
    request = signed(workspace, source, body, stack.api_url)
    return requests.post(request.url, headers=request.headers, data=request.body, timeout=60)


def refusal(response: requests.Response) -> list[dict[str, Any]]:
    """The field details of a 400 answer."""
    assert response.status_code == 400, response.text[:500]
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    details: list[dict[str, Any]] = error.get("details", [])
    return details


def archived(stack: Any, workspace: str) -> list[str]:
    response = stack.client("s3").list_objects_v2(
        Bucket=stack.name("ArchiveBucket"), Prefix=f"raw/{workspace}/"
    )
    return [o["Key"] for o in response.get("Contents", [])]


def items(stack: Any, workspace: str) -> list[dict[str, Any]]:
    """Every item of a workspace in the records table (records, markers, quarantine)."""
    found: list[dict[str, Any]] = []
    paginator = stack.client("dynamodb").get_paginator("scan")
    for page in paginator.paginate(
        TableName=stack.name("RecordsTable"),
        FilterExpression="begins_with(PK, :p)",
        ExpressionAttributeValues={":p": {"S": f"W#{workspace}#"}},
    ):
        found += page["Items"]
    return found


def dead_letters(stack: Any) -> int:
    """Messages in the events dead-letter queue (visible or in flight)."""
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.ref("EventsDeadLetterQueue"),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def quarantined(stack: Any, workspace: str) -> list[QuarantinedEvent]:
    return list(quarantine_store(stack.name("RecordsTable")).entries(workspace))


def assert_nothing_lost(stack: Any, workspace: str) -> None:
    """Nothing waits in the dead-letter queue, nothing was moved out of it."""
    assert dead_letters(stack) == 0
    drained = [e for e in quarantined(stack, workspace) if e.reason.startswith("dead-lettered")]
    assert drained == []


def assert_left_nothing(stack: Any) -> None:
    """A refused request archived, queued and stored nothing."""
    stack.drain()
    assert archived(stack, REFUSED) == []
    assert items(stack, REFUSED) == []


# --- 1. accepted, then lost: refused at the door instead --------------------------------------

WHITESPACE_IDS = {
    "email-space": (
        {"event": "contact", "identifiers": {"email": " "}, "name": "Ada"},
        "identifiers.email",
    ),
    "phone-tab": (
        {
            "event": "interaction",
            "occurred_at": "2026-01-01T10:00:00Z",
            "type": "call",
            "direction": "inbound",
            "channel": "phone",
            "contact": {"phone": "\t"},
        },
        "contact.phone",
    ),
}


@pytest.mark.parametrize("case", list(WHITESPACE_IDS))
def test_whitespace_identifiers_are_refused_and_leave_nothing(stack: Any, case: str) -> None:
    document, _ = WHITESPACE_IDS[case]
    response = post(stack, REFUSED, "generic", json.dumps(document).encode())
    refusal(response)
    assert_left_nothing(stack)


OVERLONG = {
    "hubspot-objectId-2100-digits": ("hubspot", hubspot_body("7" * 2100), "[0].objectId"),
    "hubspot-objectId-1E+999": ("hubspot", hubspot_body("1E+999"), "[0].objectId"),
    "pipedrive-data.id-2100-chars": (
        "pipedrive",
        pipedrive_body({"id": "d" * 2100, "title": "Pilot"}),
        "data.id",
    ),
    "pipedrive-org_id-2100-chars": (
        "pipedrive",
        pipedrive_body({"id": 31, "title": "Pilot", "org_id": "o" * 2100}),
        "data.org_id",
    ),
    "salesforce-Id-1500-chars": (
        "salesforce",
        salesforce_body({**ADA, "Id": "0" * 1500}),
        "notifications.Notification[0].sObject.Id",
    ),
}


@pytest.mark.parametrize("case", list(OVERLONG))
def test_over_long_ids_are_refused_and_leave_nothing(stack: Any, case: str) -> None:
    source, body, _ = OVERLONG[case]
    refusal(post(stack, REFUSED, source, body))
    assert_left_nothing(stack)


NAMING = [
    pytest.param(
        "generic",
        json.dumps(WHITESPACE_IDS["email-space"][0]).encode(),
        ("identifiers.email",),
        id="generic-email-space",
    ),
    pytest.param(
        "generic",
        json.dumps(WHITESPACE_IDS["phone-tab"][0]).encode(),
        ("contact.phone",),
        id="generic-phone-tab",
    ),
    pytest.param(
        "generic",
        json.dumps(
            {"event": "contact", "identifiers": {"email": "a@example.com"}, "name": "  "}
        ).encode(),
        ("name",),
        id="generic-name-spaces",
    ),
    pytest.param(
        "generic",
        json.dumps(
            {"event": "contact", "identifiers": {"email": "a@example.com"}, "account": "a" * 201}
        ).encode(),
        ("account",),
        id="generic-account-201-chars",
    ),
    *(
        pytest.param(
            source,
            body,
            (path,),
            id=case,
        )
        for case, (source, body, path) in OVERLONG.items()
    ),
    pytest.param(
        "salesforce",
        salesforce_body({**ADA, "LastName": BIG}),
        (
            "notifications.Notification[0].sObject.LastName",
            "notifications.Notification[0].sObject.name",
        ),
        id="salesforce-LastName-240KB",
    ),
    pytest.param(
        "salesforce",
        salesforce_body({**ADA, "Email": BIG}),
        ("notifications.Notification[0].sObject.Email",),
        id="salesforce-Email-240KB",
    ),
]


@pytest.mark.parametrize(("source", "body", "paths"), NAMING)
def test_the_refusal_names_the_offending_field(
    stack: Any, source: str, body: bytes, paths: tuple[str, ...]
) -> None:
    details = refusal(post(stack, REFUSED, source, body))
    assert {d["path"] for d in details} & set(paths), details


@pytest.mark.parametrize("field", ["Description", "LastName"])
def test_a_240_kb_salesforce_field_is_refused_or_stored_within_the_item_limit(
    stack: Any, field: str
) -> None:
    """Two updates of one contact, each carrying 240 KB in `field`."""
    workspace = "big"
    before = archived(stack, workspace)
    answers = [
        post(
            stack,
            workspace,
            "salesforce",
            salesforce_body(
                {**ADA, field: BIG, "LastModifiedDate": f"2026-01-0{day}T00:00:00Z"},
                notification_id=f"04l00000000{field[:4]}{day}AAA",
            ),
        )
        for day in (1, 2)
    ]
    stack.drain()
    assert_nothing_lost(stack, workspace)
    assert quarantined(stack, workspace) == []
    assert max((len(json.dumps(i)) for i in items(stack, workspace)), default=0) < MAX_ITEM_BYTES
    if field == "LastName":
        for answer in answers:
            assert "notifications.Notification[0].sObject.name" in {
                d["path"] for d in refusal(answer)
            }
        assert archived(stack, workspace) == before
        return
    assert [a.status_code for a in answers] == [200, 200]
    assert all("<Ack>true</Ack>" in a.text for a in answers)
    contact = record_repository(stack.name("RecordsTable")).contact_by_identifier(
        workspace, Identifier(kind=IdentifierKind.SALESFORCE, value=ADA["Id"])
    )
    assert contact is not None
    assert contact.updated_at == datetime(2026, 1, 2, tzinfo=UTC), "both updates applied"
    assert contact.name == "Lovelace"
    new = sorted(set(archived(stack, workspace)) - set(before))
    assert len(new) == 2
    kept = stack.client("s3").get_object(Bucket=stack.name("ArchiveBucket"), Key=new[0])
    assert BIG.encode() in RawRequest.from_archive(kept["Body"].read()).body, "archive keeps it"


# --- free text: kept up to 2,000 characters, then cut with a marker (docs/sources.md) -----

LONG_TEXT = "Notes. " * 500
"""3,500 characters of free text."""


def free_text_delivery(source: str) -> tuple[bytes, str]:
    """A delivery of an interaction whose free text is `LONG_TEXT`, and its interaction id."""
    if source == "generic":
        document = {
            "event": "interaction",
            "interaction_id": "notes-1",
            "occurred_at": "2026-01-01T10:00:00Z",
            "type": "meeting",
            "direction": "outbound",
            "channel": "meeting",
            "contact": {"email": "ada@example.com"},
            "content": LONG_TEXT,
        }
        return json.dumps(document).encode(), "notes-1"
    if source == "pipedrive":
        data = {
            "id": 401,
            "type": "meeting",
            "subject": LONG_TEXT,
            "person_id": 77,
            "marked_as_done_time": "2026-01-01T10:00:00Z",
            "update_time": "2026-01-01T10:00:00Z",
        }
        meta = {"action": "create", "entity": "activity", "id": "pd-notes-1", "company_id": "1"}
        return pipedrive_body(data, meta), "pipedrive:activity:401"
    task = (
        salesforce_body({"Id": "00T5g00000CallAA", "WhoId": ADA["Id"], "Subject": LONG_TEXT})
        .replace(b'xsi:type="sf:Contact"', b'xsi:type="sf:Task"')
        .replace(
            b"</sf:Subject>",
            b"</sf:Subject><sf:CompletedDateTime>2026-01-01T10:00:00Z</sf:CompletedDateTime>",
        )
    )
    return task, "salesforce:00T5g00000CallAA"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "generic",
        ),
        pytest.param(
            "salesforce",
        ),
        pytest.param(
            "pipedrive",
        ),
    ],
)
def test_long_free_text_is_kept_cut_with_the_documented_marker(stack: Any, source: str) -> None:
    workspace = "text"
    body, interaction_id = free_text_delivery(source)
    response = post(stack, workspace, source, body)
    assert response.status_code in (200, 202), response.text[:300]
    stack.drain()
    stored = record_repository(stack.name("RecordsTable")).get(
        workspace, RecordKind.INTERACTION, interaction_id
    )
    content = getattr(stored, "content", None)
    assert content is not None
    assert len(content) == MAX_TEXT_CHARS
    assert content == LONG_TEXT[: MAX_TEXT_CHARS - len(TRUNCATED)] + TRUNCATED


# --- 4. malformed XML is a 400, never a 500 -------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        salesforce_body(ADA, declaration='<?xml version="1.0" encoding="UF-8"?>'),
        salesforce_body(ADA, declaration='<?xml version="1.0" encoding="x-unknown-9"?>'),
        salesforce_body(ADA, declaration='<?xml version="1.0" encoding="UTF-16"?>'),
        salesforce_body({**ADA, "LastName": "Love\x01lace"}),
        b"\xff\xfe<\x00?\x00x\x00",
    ],
    ids=["UF-8", "unknown-codec", "utf16-declared-utf8-sent", "control-char", "garbage-bom"],
)
def test_a_salesforce_body_in_a_bad_encoding_is_a_400(stack: Any, body: bytes) -> None:
    response = post(stack, REFUSED, "salesforce", body)
    refusal(response)
    assert_left_nothing(stack)


# --- 5. a 409-byte body cannot cost seconds of CPU -------------------------------------------

BOMB = "1E+999996"


def number_bomb(source: str) -> bytes:
    """A 409-byte body of `source` with `1E+999996` where the source sends a number."""
    body = {
        "generic": '{"event":"contact","identifiers":{"email":"ada@example.com"},'
        f'"name":"Ada","created_at":{BOMB}}}',
        "hubspot": hubspot_body(BOMB).decode(),
        "pipedrive": pipedrive_body({"id": 31, "title": "Pilot", "currency": "EUR"})
        .decode()
        .replace('"id": 31', f'"id": 31, "value": {BOMB}'),
    }[source]
    assert len(body) < 409
    return body.ljust(409).encode()


@pytest.mark.parametrize("source", ["generic", "hubspot", "pipedrive"])
def test_a_409_byte_number_bomb_is_refused_over_http(stack: Any, source: str) -> None:
    body = number_bomb(source)
    assert len(body) == 409
    response = post(stack, REFUSED, source, body)
    assert 400 <= response.status_code < 500, response.text[:300]
    assert_left_nothing(stack)


@pytest.mark.parametrize("source", ["generic", "hubspot", "pipedrive"])
def test_a_409_byte_number_bomb_costs_under_100_ms_of_cpu(source: str) -> None:
    now = datetime.now(UTC)
    request = signed(REFUSED, source, number_bomb(source), "https://hooks.example.com")
    raw = request.to_raw(REFUSED, source, "bomb-1", now)
    sink = CollectingSink()
    started = time.process_time()
    status = _status(raw, sink, now)
    spent = time.process_time() - started
    assert 400 <= status < 500
    assert spent < 0.1, f"{spent:.3f} s of CPU for a 409-byte body"
    assert sink.events == []


class CollectingSink:
    """A WebhookSink that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def archive(self, request: RawRequest) -> str:
        return archive_key(request)

    def enqueue(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


def _status(raw: RawRequest, sink: CollectingSink, now: datetime) -> int:
    try:
        return receive_webhook(raw, lambda w, s: connections(w).get(s), sink, now).status_code
    except Rel2revError as error:
        return error.status


# --- 6. event ids from content when Pipedrive sends none ------------------------------------


BARE_META = {"action": "create", "entity": "deal", "company_id": "1", "version": "2.0"}
"""A Pipedrive `meta` without `id`, `entity_id` or `timestamp`."""


def test_pipedrive_deliveries_without_ids_are_told_apart_by_content(stack: Any) -> None:
    workspace = "noid"
    deals = [
        pipedrive_body({"id": deal_id, "title": title, "status": "open"}, BARE_META)
        for deal_id, title in ((101, "Pilot"), (102, "Expansion"))
    ]
    answers = [post(stack, workspace, "pipedrive", body) for body in deals]
    assert [a.status_code for a in answers] == [202, 202]
    first, second = (a.json()["event_ids"] for a in answers)
    assert len(first) == len(second) == 1
    assert first != second, "two different deals, two events"
    stack.drain()
    repo = record_repository(stack.name("RecordsTable"))
    names = {
        deal_id: getattr(repo.get(workspace, RecordKind.DEAL, f"pipedrive:{deal_id}"), "name", None)
        for deal_id in (101, 102)
    }
    assert names == {101: "Pilot", 102: "Expansion"}
    assert_nothing_lost(stack, workspace)
    assert quarantined(stack, workspace) == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            {"id": 103, "title": "Renewal", "update_time": "2026-01-01T09:00:00Z"},
            id="with-update_time",
        ),
        pytest.param(
            {"id": 104, "title": "Upsell"},
            id="no-time-at-all",
        ),
    ],
)
def test_a_pipedrive_redelivery_without_ids_is_the_same_event(
    stack: Any, data: dict[str, Any]
) -> None:
    body = pipedrive_body(data, BARE_META)
    first = post(stack, "noid", "pipedrive", body)
    time.sleep(0.01)
    again = post(stack, "noid", "pipedrive", body)
    assert first.status_code == again.status_code == 202
    assert first.json()["event_ids"] == again.json()["event_ids"]


# --- 2 and 3. one bad event beside good ones: the good are stored, the bad quarantined ----


def queued_event(workspace: str, name: str, payload: Payload) -> Event:
    now = datetime.now(UTC).replace(microsecond=0)
    return Event(
        event_id=event_id_for("generic", workspace, "id", name),
        workspace=workspace,
        source="generic",
        request_id=f"req-{name}",
        received_at=now,
        occurred_at=now,
        payload=payload,
    )


def neighbours(workspace: str) -> tuple[Event, Event]:
    """Two valid events: a contact, and a call with another person."""
    contact = queued_event(
        workspace,
        "ada",
        ContactUpsert(
            identifiers=[Identifier(kind=IdentifierKind.EMAIL, value="ada@example.com")],
            name="Ada",
        ),
    )
    call = queued_event(
        workspace,
        "call",
        InteractionEvent(
            interaction_id="call-1",
            contact=[Identifier(kind=IdentifierKind.PHONE, value="+44 20 7946 0000")],
            type=InteractionType.CALL,
            direction=Direction.INBOUND,
            channel="phone",
            occurred_at=datetime(2026, 1, 1, 10, tzinfo=UTC),
        ),
    )
    return contact, call


ROLE = "\U0001d54f" * 256
"""The longest role label (256 characters), four bytes each in UTF-8."""


MEMBERS = range(200)
"""Buying-committee members per delivery: 200 of them take over 230 KB of a deal's record."""


def member(number: int) -> str:
    return f"member{number}@example.com"


def send(stack: Any, events: Sequence[Event]) -> None:
    """One message on the events queue, as the ingest function packs a delivery."""
    body = EventMessage(events=list(events)).model_dump_json()
    assert len(body.encode()) < 256 * 1024, "fits one SQS message"
    stack.client("sqs").send_message(QueueUrl=stack.ref("EventsQueue"), MessageBody=body)


def assert_neighbours_stored(stack: Any, workspace: str) -> None:
    """The two events of `neighbours` are stored."""
    repo = record_repository(stack.name("RecordsTable"))
    ada = repo.contact_by_identifier(
        workspace, Identifier(kind=IdentifierKind.EMAIL, value="ada@example.com")
    )
    assert ada is not None
    assert ada.name == "Ada"
    caller = repo.contact_by_identifier(
        workspace, Identifier(kind=IdentifierKind.PHONE, value="+44 20 7946 0000")
    )
    assert caller is not None
    assert [
        i.interaction_id for i in repo.interactions_of_contact(workspace, caller.contact_id)
    ] == ["call-1"]


def test_an_event_over_the_record_budget_is_quarantined_alone(stack: Any) -> None:
    """A deal's buying committee grows past what one DynamoDB item holds: the event that
    would take it there cannot be applied, its neighbours in the message can."""
    workspace = "budget"
    seed = {
        "event": "deal",
        "deal_id": "committee",
        "contact_roles": [{"contact": {"email": member(i)}, "role": ROLE} for i in MEMBERS],
    }
    answer = post(stack, workspace, "generic", json.dumps(seed, ensure_ascii=False).encode())
    assert answer.status_code == 202, answer.text[:300]
    stack.drain(timeout=60)
    repo = record_repository(stack.name("RecordsTable"))
    deal = repo.get(workspace, RecordKind.DEAL, "committee")
    assert deal is not None
    assert len(getattr(deal, "contact_roles", [])) == len(MEMBERS)

    contact, call = neighbours(workspace)
    grow = queued_event(
        workspace,
        "grow",
        DealUpsert(
            deal_id="committee",
            contact_roles=[
                ContactRoleRef(
                    contact=[Identifier(kind=IdentifierKind.EMAIL, value=member(len(MEMBERS) + i))],
                    role=ROLE,
                )
                for i in MEMBERS
            ],
        ),
    )
    send(stack, [contact, grow, call])
    stack.drain(timeout=60)

    assert_neighbours_stored(stack, workspace)
    (entry,) = quarantined(stack, workspace)
    assert entry.event == grow, "kept whole, to be retried after a fix"
    assert entry.event is not None
    assert entry.event.request_id == "req-grow", "with the request it came from"
    assert "budget" in entry.reason
    deal = repo.get(workspace, RecordKind.DEAL, "committee")
    assert len(getattr(deal, "contact_roles", [])) == len(MEMBERS), "the deal as it was"
    assert_nothing_lost(stack, workspace)


INJECTED = "injected: this item never writes"


@pytest.fixture
def failing_writes() -> Iterator[Callable[[str], None]]:
    """Make every PutItem of a record key fail, as a persistent DynamoDB fault would (on the
    client the processor's repository shares)."""
    doomed: set[str] = set()

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if params.get("Item", {}).get("PK", {}).get("S") in doomed:
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": INJECTED}}, "PutItem"
            )

    events = dynamodb_client().meta.events
    events.register("before-parameter-build.dynamodb.PutItem", refuse)
    try:
        yield doomed.add
    finally:
        events.unregister("before-parameter-build.dynamodb.PutItem", refuse)


def test_an_event_that_always_fails_is_quarantined_after_its_retries(
    stack: Any, failing_writes: Callable[[str], None]
) -> None:
    workspace = "fault"
    failing_writes(f"W#{workspace}#DEAL#doomed")
    contact, call = neighbours(workspace)
    doomed = queued_event(workspace, "doomed", DealUpsert(deal_id="doomed", name="Doomed"))
    send(stack, [contact, doomed, call])
    stack.drain(timeout=60)

    assert_neighbours_stored(stack, workspace)
    repo = record_repository(stack.name("RecordsTable"))
    assert repo.get(workspace, RecordKind.DEAL, "doomed") is None
    (entry,) = quarantined(stack, workspace)
    assert entry.event == doomed
    assert INJECTED in entry.reason
    receives = int(stack.env["REL2REV_MAX_RECEIVE_COUNT"])
    assert entry.attempts == receives, "retried with its message, then quarantined"
    assert_nothing_lost(stack, workspace)


def test_a_queued_event_that_no_longer_validates_does_not_sink_its_neighbours(
    stack: Any,
) -> None:
    """A message queued by an older release (the backlog at a deploy, or a DLQ redrive) with
    an event today's models refuse: its neighbours are stored, it alone is quarantined, kept
    as JSON to be fixed and retried."""
    workspace = "backlog"
    contact, call = neighbours(workspace)
    stale = json.loads(queued_event(workspace, "stale", contact.payload).model_dump_json())
    stale["payload"]["identifiers"] = [{"kind": "phone", "value": "\t"}]
    body = {
        "events": [json.loads(contact.model_dump_json()), stale, json.loads(call.model_dump_json())]
    }
    stack.client("sqs").send_message(
        QueueUrl=stack.ref("EventsQueue"), MessageBody=json.dumps(body)
    )
    stack.drain(timeout=60)
    assert dead_letters(stack) == 0
    assert_neighbours_stored(stack, workspace)
    (entry,) = quarantined(stack, workspace)
    assert entry.event_id == stale["event_id"]
    assert entry.reason
    assert json.loads(entry.body or "{}") == stale, "the event as it was queued"
