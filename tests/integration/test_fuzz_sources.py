"""Fuzz: thousands of hostile but validly signed bodies per source (issue 10's proof).

For each source (generic, hubspot, salesforce, pipedrive) a seeded generator mutates real native
deliveries (`rel2rev.ingest.native.build_requests`): huge, negative, fractional and exponent
numbers, deep nesting, unicode, nulls, wrong types, long strings, whitespace ids, duplicate
keys, impossible dates, and for Salesforce XML oddities (encodings, entities, DTDs, nested or
nil elements, CDATA, unknown sObjects). What is proven:

- the ingest logic (`receive_webhook` with the ingest function's own sink) never fails with
  anything but a deliberate 4xx, and answers within a CPU budget, whatever the content;
- every event it accepts, sent through the stack's events queue to the real processor, is
  stored (its applied-event marker exists) or quarantined: nothing lost, nothing dead-lettered;
- a sample posted through the real gateway gets no 5xx, the same status as in-process, and its
  accepted events are stored or quarantined too.
"""

from __future__ import annotations

import copy
import gc
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from xml.sax.saxutils import escape

import pytest
import requests
from defusedxml.ElementTree import fromstring
from stack_support import connections as four_connections

from rel2rev.errors import Rel2revError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import Event
from rel2rev.ingest.native import NativeRequest, build_requests, hook_url, sign_request
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.salesforce import OUTBOUND_NS, SOAP_NS, SOBJECT_NS, XSI_NS
from rel2rev.ingest.webhook import receive_webhook
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    ContactRole,
    Deal,
    DealStatus,
    Direction,
    Identifier,
    IdentifierKind,
    Interaction,
    InteractionType,
    Lead,
    WorkspaceRecords,
)
from rel2rev.storage import event_queue, quarantine_store
from rel2rev.storage.archive import RawArchive
from rel2rev.storage.queue import EventQueue
from rel2rev.storage.sink import AwsWebhookSink

pytestmark = pytest.mark.integration

SOURCES = ("generic", "hubspot", "salesforce", "pipedrive")
BODIES = 2500
"""Hostile bodies per source handled in-process."""
OVER_HTTP = 75
"""Of those, posted through the gateway, per source."""
CPU_BUDGET = 0.1
"""Seconds of CPU any body under 1 MiB may cost (issue 10)."""
SEED = 20261128
ORG = "00D000000000071EAA"
BULK, HTTP = "fuzz", "fuzz-http"
CONTENT_TYPES = {
    "generic": "application/json",
    "hubspot": "application/json",
    "pipedrive": "application/json",
    "salesforce": "text/xml; charset=utf-8",
}


def connections(workspace: str) -> dict[str, Connection]:
    return four_connections(workspace, org=ORG, currency="EUR")


def lookup(workspace: str, source: str) -> Connection | None:
    return connections(workspace).get(source) if workspace in (BULK, HTTP) else None


# --- the valid deliveries mutated -------------------------------------------------------------

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def world(source: str) -> WorkspaceRecords:
    """Two people, a call, a lead and a won deal, as `source` would send them."""
    prefix = "" if source == "generic" else f"{source}:"
    ids = {  # Salesforce record ids are 15 or 18 letters and digits
        "salesforce": ("00T5g00000CallAA", "00Q5g00000LeadAA", "0065g00000WonAAA"),
    }.get(source, ("i-1", "lead-1", "d-1"))
    native = {
        "hubspot": (IdentifierKind.HUBSPOT, "501"),
        "salesforce": (IdentifierKind.SALESFORCE, "0035g00000AdaAAA"),
        "pipedrive": (IdentifierKind.PIPEDRIVE, "77"),
    }.get(source)
    ada_ids = [
        Identifier(kind=IdentifierKind.EMAIL, value="ada@example.com"),
        Identifier(kind=IdentifierKind.PHONE, value="+44 20 7946 0000"),
    ]
    if native is not None:
        ada_ids.insert(0, Identifier(kind=native[0], value=native[1]))
    base = {"workspace": BULK, "source": source, "updated_at": T0}
    ada = Contact(
        **base,
        contact_id="c-ada",
        identifiers=ada_ids,
        name="Ada Lovelace",
        account_id="4100" if source == "pipedrive" else "example.com",
        owner="17",
        created_at=T0 - timedelta(days=30),
    )
    bob = Contact(
        **base,
        contact_id="c-bob",
        identifiers=[Identifier(kind=IdentifierKind.EMAIL, value="bob@example.org")],
        name="Bob",
    )
    call = Interaction(
        **base,
        interaction_id=f"{prefix}activity:401" if source == "pipedrive" else f"{prefix}{ids[0]}",
        contact_id="c-ada",
        type=InteractionType.CALL,
        direction=Direction.INBOUND,
        channel="phone",
        occurred_at=T0 - timedelta(days=2),
        content="Discovery call",
    )
    lead = Lead(
        **base,
        lead_id=f"{prefix}{ids[1]}",
        contact_id="c-ada",
        account_id=ada.account_id,
        created_at=T0 - timedelta(days=20),
        status="lead" if source == "hubspot" else "Working",
        channel="webinar",
    )
    deal = Deal(
        **base,
        deal_id=f"{prefix}{ids[2]}",
        name="Pilot",
        account_id=ada.account_id,
        amount=Money.of(Decimal("12500.50"), "EUR"),
        stage="closedwon" if source == "hubspot" else "Closed Won",
        status=DealStatus.WON,
        created_at=T0 - timedelta(days=10),
        closed_at=T0 - timedelta(days=1),
        contact_roles=[
            ContactRole(contact_id="c-ada", role="buyer"),
            ContactRole(contact_id="c-bob"),
        ],
    )
    return WorkspaceRecords(
        workspace=BULK,
        contacts=[ada, bob],
        interactions=[] if source == "hubspot" else [call],
        leads=[lead],
        deals=[deal],
    )


def native_bodies(source: str) -> list[bytes]:
    requests_ = build_requests(
        source, connections(BULK)[source], world(source), now=T0, base_url="https://x.invalid"
    )
    return [r.body for r in requests_]


# --- hostile values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text written as it is (number literals no encoder writes, deep nesting)."""

    text: str


@dataclass(frozen=True, eq=False)
class Again:
    """A key written a second time in the same object (JSON allows it; parsers keep one)."""

    name: str


NUMBERS = [
    "1E+999996",
    "-1E+999996",
    "1E-999996",
    "0E+999996",
    "1e400",
    "1E+401",
    "-0",
    "-0.0",
    "0.1",
    "1.5",
    "-1",
    "1e2",
    "1E+999",
    "123456789012345678901234567890",
    "-9223372036854775809",
    "18446744073709551616",
    "1" + "0" * 399,
    "1" + "0" * 400,
    "9" * 2100,
    "0." + "0" * 300 + "1",
    "253402300800000",
    "1767225600000",
    "1767225600",
]
DATES = [
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00",
    "2026-01-01",
    "2026-13-45T00:00:00Z",
    "2026-02-30",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "2099-12-31T23:59:59.999999+00:00",
    "2100-01-01T00:00:00Z",
    "2026-01-01T25:61:61Z",
    "2026-01-01T00:00:00+25:00",
    "2026-W01-1",
    "yesterday",
    "-1",
    "1" * 4000,
]
TEXTS = [
    "",
    " ",
    "\t",
    "\n\r ",
    "\u00a0",
    "\u2003\u3000",
    "\u200b",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff x",
    "Ådä Lövelace",
    "李小龍",
    "\u202eevil\u202c",
    "e\u0301" * 150,
    "🚀" * 70,
    "\U0001d54f" * 257,
    "ADA@EXAMPLE.COM",
    " ada@example.com ",
    "not-an-email",
    "<script>alert(1)</script>",
    "'; DROP TABLE records; --",
    "../../etc/passwd",
    "%00%0d%0a",
    "null",
    "NaN",
    "Infinity",
    "true",
    "0035g00000AdaAAA",
    "closedwon",
    "lead",
    "EUR",
    "XXX",
]
LENGTHS = [64, 65, 199, 200, 201, 256, 257, 320, 321, 1000, 2000, 2001, 2100, 65_537]
PLAUSIBLE: dict[str, list[Any]] = {
    "event": ["contact", "interaction", "lead", "deal", "merge", "Contact"],
    "action": ["create", "change", "delete", "merge", "CHANGE", "added", "updated"],
    "entity": ["person", "deal", "activity", "lead", "organization", "PERSON", "note"],
    "subscriptionType": [
        "contact.creation",
        "contact.propertyChange",
        "contact.merge",
        "contact.deletion",
        "deal.creation",
        "deal.propertyChange",
        "deal.associationChange",
        "company.propertyChange",
    ],
    "propertyName": [
        "email",
        "phone",
        "mobilephone",
        "hubspot_owner_id",
        "createdate",
        "lifecyclestage",
        "dealstage",
        "amount",
        "closedate",
        "dealname",
    ],
    "associationType": ["CONTACT_TO_DEAL", "DEAL_TO_CONTACT", "COMPANY_TO_DEAL", "contact_to_deal"],
    "type": ["call", "meeting", "email", "inbound_call", "lunch", "deadline", "dm", "other"],
    "direction": ["inbound", "outbound", "sideways"],
    "status": ["open", "won", "lost", "deleted", "Working", "closed"],
    "stakeholder_type": ["customer", "partner", "alien"],
    "currency": ["EUR", "USD", "JPY", "BHD", "XXX", "eur"],
}


def long_text(rng: random.Random) -> str:
    length = rng.choice(LENGTHS) if rng.random() < 0.9 else rng.choice([240_000, 300_000])
    return rng.choice(["x", "é", "🚀", " ", "7"]) * length


def hostile_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(DATES)
    if roll < 0.5:
        return long_text(rng)
    return rng.choice(TEXTS)


def hostile_value(rng: random.Random, old: Any, key: object) -> Any:
    """Something a sloppy or hostile sender could put where `old` was."""
    name = key if isinstance(key, str) else ""
    roll = rng.random()
    if name in PLAUSIBLE and roll < 0.35:
        return rng.choice(PLAUSIBLE[name])
    if roll < 0.55:
        return Raw(rng.choice(NUMBERS))
    if roll < 0.8:
        return hostile_text(rng)
    if roll < 0.85:
        depth = rng.choice([3, 50, 900, 5000, 5000, 100_000])
        opening, closing = rng.choice([("[", "]"), ('{"a":', "}")])
        return Raw(opening * depth + "1" + closing * depth)
    choices: list[Callable[[], Any]] = [
        lambda: None,
        lambda: True,
        lambda: [],
        lambda: {},
        lambda: [old, old],
        lambda: {"value": old},
        lambda: {"id": old, "value": old},
        lambda: str(old),
        lambda: f"  {old}  " if isinstance(old, str) else old,
        lambda: -old if isinstance(old, int | Decimal) and not isinstance(old, bool) else old,
        lambda: old * 1000 if isinstance(old, int) and not isinstance(old, bool) else old,
    ]
    return rng.choice(choices)()


# --- JSON mutation ----------------------------------------------------------------------------


def slots(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) pair under `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield node, key
            yield from slots(value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield node, index
            yield from slots(value)


def mutate_json(document: Any, rng: random.Random) -> Any:
    """`document` with one to four hostile edits."""
    document = copy.deepcopy(document)
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
        places = list(slots(document))
        if not places:
            return hostile_value(rng, document, None)
        parent, key = rng.choice(places)
        operation = rng.random()
        if operation < 0.65:
            parent[key] = hostile_value(rng, parent[key], key)
        elif operation < 0.75:
            del parent[key]
        elif operation < 0.85 and isinstance(parent, dict):
            parent[Again(key.name if isinstance(key, Again) else str(key))] = hostile_value(
                rng, parent[key], key
            )
        elif isinstance(parent, dict):
            extra = rng.choice([*PLAUSIBLE, "id", "email", "objectId", "unknown", "__proto__"])
            parent[extra] = hostile_value(rng, parent.get(extra), extra)
        else:
            parent.append(copy.deepcopy(parent[key]) if rng.random() < 0.5 else None)
    return document


def dump(value: Any) -> str:
    """JSON text of a mutated document (raw literals, repeated keys, lone surrogates)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        members = (
            f"{json.dumps(k.name if isinstance(k, Again) else str(k))}:{dump(v)}"
            for k, v in value.items()
        )
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def json_units(source: str) -> list[Any]:
    """The parts a delivery of `source` is made of: events (generic, HubSpot), whole bodies
    (Pipedrive sends one change per request)."""
    documents = [json.loads(body, parse_float=Decimal) for body in native_bodies(source)]
    if source == "pipedrive":
        return documents
    (document,) = documents
    units: list[Any] = document["events"] if source == "generic" else document
    return units


def fresh_identity(source: str, unit: Any, rng: random.Random) -> None:
    """Give a unit the delivery identity of a new change, so accepted bodies are new events
    (the sender's own id, or none: identity from the content)."""
    if source == "generic":
        unit.pop("id", None)
        if rng.random() < 0.7:
            unit["id"] = f"evt-{rng.getrandbits(64):x}"
    elif source == "hubspot":
        unit["eventId"] = rng.randrange(1, 10**12)
    elif rng.random() < 0.8:
        unit["meta"]["id"] = f"{rng.getrandbits(128):032x}"
    else:
        for name in ("id", "entity_id", "timestamp"):
            unit["meta"].pop(name, None)


def json_bodies(source: str, rng: random.Random) -> Iterator[bytes]:
    units = json_units(source)
    while True:
        chosen = copy.deepcopy(rng.sample(units, min(len(units), rng.choice([1, 1, 2, 3]))))
        for unit in chosen:
            if rng.random() < 0.85:
                fresh_identity(source, unit, rng)
        if source == "pipedrive":
            document: Any = chosen[0]
        elif source == "generic" and len(chosen) == 1 and rng.random() < 0.5:
            document = chosen[0]
        else:
            document = {"events": chosen} if source == "generic" else chosen
        text = dump(mutate_json(document, rng))
        yield text.encode("utf-8", "surrogatepass")


# --- Salesforce XML mutation ------------------------------------------------------------------

SF_FIELDS = [
    "Id",
    "Email",
    "Phone",
    "MobilePhone",
    "FirstName",
    "LastName",
    "Name",
    "AccountId",
    "OwnerId",
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
    "Amount",
    "CurrencyIsoCode",
    "StageName",
    "IsClosed",
    "IsWon",
    "CloseDate",
    "ContactId",
    "WhoId",
    "Subject",
    "Type",
    "TaskSubtype",
    "CompletedDateTime",
    "StartDateTime",
    "Interaction_Type__c",
    "Direction__c",
    "Channel__c",
    "Campaign__c",
    "MasterRecordId",
    "ConvertedContactId",
    "Website",
    "Status",
    "LeadSource",
    "Stakeholder_Type__c",
    "Description",
]
SF_TYPES = [
    "Contact",
    "Lead",
    "Opportunity",
    "Task",
    "Event",
    "Account",
    "",
    "sf:Contact",
    "x:y:Lead",
]
SF_ODD_VALUES = [
    "&amp;&lt;&gt;&quot;",
    "&nbsp;",
    "&#0;",
    "&#x1F680;",
    "&#xD800;",
    "<![CDATA[<b>not markup</b>]]>",
    "]]>",
    "<b>nested</b>",
    "<sf:Id>0035g00000BobAAA</sf:Id>",
    "\x01\x02",
    "<!-- comment -->0035g00000AdaAAA",
    "<?pi data?>",
    "0035g00000AdaAAA ",
    "003ABCDEFGHIJKLMNOPQ",
    "1E+999996",
    "NaN",
    "-Infinity",
    "1" * 5000,
    "0." + "0" * 600 + "1",
    "true",
    "TRUE",
]
DECLARATIONS = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<?xml version="1.0" encoding="UF-8"?>',
    '<?xml version="1.0" encoding="utf-16"?>',
    '<?xml version="1.0" encoding="ISO-8859-1"?>',
    '<?xml version="1.0" encoding="ascii"?>',
    '<?xml version="1.1" encoding="UTF-8"?>',
    '<?xml version="9.9"?>',
    "",
    "\ufeff",
    '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
    '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.com/x.dtd">',
]


@dataclass
class Notification:
    notification_id: str
    sobject_type: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    """(name, XML text already escaped or deliberately raw)."""


def sf_notifications(body: bytes) -> list[Notification]:
    """The notifications of a native Outbound Message, as editable parts."""
    found = []
    root = fromstring(body)
    for element in root.iter(f"{{{OUTBOUND_NS}}}Notification"):
        sobject = element.find(f"{{{OUTBOUND_NS}}}sObject")
        assert sobject is not None
        kind = sobject.get(f"{{{XSI_NS}}}type", "").rsplit(":", 1)[-1]
        fields = [(child.tag.rsplit("}", 1)[-1], escape(child.text or "")) for child in sobject]
        found.append(Notification(element.findtext(f"{{{OUTBOUND_NS}}}Id") or "", kind, fields))
    return found


ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
NIL, EMPTY = "\0nil", "\0empty"


def sf_field(name: str, text: str) -> str:
    if text == NIL:
        return f'<sf:{name} xsi:nil="true"/>'
    if text == EMPTY:
        return f"<sf:{name}/>"
    return f"<sf:{name}>{text}</sf:{name}>"


def render_sf(notifications: Sequence[Notification], declaration: str, org: str) -> str:
    parts = []
    for n in notifications:
        inner = "".join(sf_field(name, text) for name, text in n.fields)
        kind = f'xsi:type="sf:{n.sobject_type}"' if n.sobject_type != "-" else ""
        parts.append(
            f"<Notification><Id>{n.notification_id}</Id>"
            f'<sObject {kind} xmlns:sf="{SOBJECT_NS}">{inner}</sObject></Notification>'
        )
    return (
        f'{declaration}<soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns:xsi="{XSI_NS}">'
        f'<soapenv:Body><notifications xmlns="{OUTBOUND_NS}"><OrganizationId>{org}'
        f"</OrganizationId>{''.join(parts)}</notifications></soapenv:Body></soapenv:Envelope>"
    )


def mutate_sf_field(n: Notification, rng: random.Random) -> None:
    roll = rng.random()
    index = rng.randrange(len(n.fields)) if n.fields else None
    if index is None or roll < 0.25:
        n.fields.insert(0, (rng.choice(SF_FIELDS), hostile_xml_text(rng)))
    elif roll < 0.6:
        n.fields[index] = (n.fields[index][0], hostile_xml_text(rng))
    elif roll < 0.7:
        del n.fields[index]
    elif roll < 0.8:
        n.fields.append(n.fields[index])
    else:
        n.fields[index] = (n.fields[index][0], rng.choice([NIL, EMPTY]))


def hostile_xml_text(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return rng.choice(SF_ODD_VALUES)
    text = hostile_text(rng)
    return escape(text) if rng.random() < 0.9 else text


def salesforce_bodies(rng: random.Random) -> Iterator[bytes]:
    template = sf_notifications(native_bodies("salesforce")[0])
    while True:
        notifications = copy.deepcopy(rng.sample(template, rng.choice([1, 1, 2, 3])))
        for part in notifications:
            if rng.random() < 0.85:
                part.notification_id = "04l" + "".join(rng.choices(ALPHANUMERIC, k=15))
        declaration = DECLARATIONS[0] if rng.random() < 0.7 else rng.choice(DECLARATIONS)
        org = ORG if rng.random() < 0.95 else rng.choice([ORG[:15], f" {ORG} ", "00Dx", ""])
        for _ in range(rng.choice([1, 1, 2, 3, 5])):
            roll = rng.random()
            n = rng.choice(notifications) if notifications else None
            if n is None or roll < 0.7:
                if n is not None:
                    mutate_sf_field(n, rng)
            elif roll < 0.8:
                n.sobject_type = rng.choice([*SF_TYPES, "-"])
            elif roll < 0.85:
                n.notification_id = rng.choice(["", " ", long_text(rng), "04l&amp;x"])
            elif roll < 0.9:
                notifications.append(copy.deepcopy(n))
            elif roll < 0.93:
                notifications = notifications * rng.choice([0, 17])
            else:
                notifications.remove(n)
        text = render_sf(notifications, declaration, org)
        roll = rng.random()
        if roll < 0.03:
            text = text[: rng.randrange(len(text))]
        elif roll < 0.05:
            text += rng.choice(["<extra/>", "garbage", "\x00"])
        codec = "utf-16" if "utf-16" in declaration else "utf-8"
        if "ISO-8859-1" in declaration or "ascii" in declaration:
            codec = rng.choice(["utf-8", "latin-1"])
        yield text.encode(codec, "replace" if codec == "latin-1" else "surrogatepass")


def bodies(source: str, rng: random.Random) -> Iterator[bytes]:
    return salesforce_bodies(rng) if source == "salesforce" else json_bodies(source, rng)


# --- handling in-process, with the ingest function's own sink -------------------------------


class Collected:
    """The archive and queue behind the ingest function's `AwsWebhookSink`, kept in memory."""

    def __init__(self) -> None:
        self.archived: list[RawRequest] = []
        self.events: list[Event] = []

    def archive(self, request: RawRequest) -> str:
        self.archived.append(request)
        return request.request_id

    def enqueue(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


@dataclass
class Answer:
    """What handling one body gave: the status, the events queued, the archive writes."""

    status: int
    events: list[Event]
    archived: int
    cpu: float
    error: str = ""


def handle(workspace: str, source: str, body: bytes, request_id: str) -> Answer:
    """What the ingest function answers for `body`, signed now (500 for any other error)."""
    now = datetime.now(UTC)
    request = signed(workspace, source, body, "https://hooks.example.com", now)
    raw = request.to_raw(workspace, source, request_id, now)
    kept = Collected()
    sink = AwsWebhookSink(cast(RawArchive, kept), cast(EventQueue, kept))
    started = time.process_time()
    try:
        answer = receive_webhook(raw, lookup, sink, now)
        sink.flush()
        status, error = answer.status_code, ""
    except Rel2revError as exc:
        status, error = exc.status, exc.message
    except Exception as exc:  # what the Lambda runtime would turn into a 5xx
        status, error = 500, f"{type(exc).__name__}: {exc}"
    spent = time.process_time() - started
    return Answer(status, kept.events, len(kept.archived), spent, error[:300])


def cpu_of(workspace: str, source: str, body: bytes) -> float:
    """The CPU one body costs, measured again after a full garbage collection (a collection
    of the fuzzer's own garbage can land inside any one call)."""
    gc.collect()
    return handle(workspace, source, body, "cpu").cpu


def signed(workspace: str, source: str, body: bytes, base_url: str, now: datetime) -> NativeRequest:
    request = NativeRequest(
        method="POST",
        url=hook_url(base_url, workspace, source),
        headers={"Content-Type": CONTENT_TYPES[source]},
        body=body,
    )
    return sign_request(source, connections(workspace)[source], request, now)


# --- the stack side ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> Any:
    for workspace in (BULK, HTTP):
        for connection in connections(workspace).values():
            local_stack.connections.register(connection)
    return local_stack


def markers(stack: Any, workspace: str, event_ids: Sequence[str]) -> set[str]:
    """The event ids among `event_ids` whose applied-event marker is stored."""
    client = stack.client("dynamodb")
    table = stack.name("RecordsTable")
    found: set[str] = set()
    ids = sorted(set(event_ids))
    for start in range(0, len(ids), 100):
        keys = [
            {"PK": {"S": f"W#{workspace}#EVENT#{i}"}, "SK": {"S": "R"}}
            for i in ids[start : start + 100]
        ]
        request: Any = {table: {"Keys": keys, "ProjectionExpression": "PK"}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(table, []):
                found.add(item["PK"]["S"].rsplit("#EVENT#", 1)[1])
            request = response.get("UnprocessedKeys") or None
    return found


def dead_letters(stack: Any) -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.ref("EventsDeadLetterQueue"),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def assert_stored_or_quarantined(stack: Any, workspace: str, ids: Sequence[str]) -> None:
    """Every event id has its marker or a quarantine entry; none came from the DLQ."""
    entries = list(quarantine_store(stack.name("RecordsTable")).entries(workspace))
    kept = {e.event_id for e in entries}
    lost = sorted(set(ids) - markers(stack, workspace, ids) - kept)
    assert dead_letters(stack) == 0
    drained = [e for e in entries if e.reason.startswith("dead-lettered")]
    assert drained == [], drained[:3]
    assert lost == [], f"{len(lost)} accepted events neither stored nor quarantined: {lost[:5]}"


# --- the properties ---------------------------------------------------------------------------


@dataclass
class Run:
    """What the in-process fuzzing found, per source."""

    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    accepted: list[Event] = field(default_factory=list)
    samples: dict[str, list[tuple[bytes, Answer]]] = field(default_factory=dict)


def broken_promise(answer: Answer) -> str:
    """What is wrong with an answer, or "": a 5xx, a CPU budget overrun, an accepted request
    not archived once, a refused one archived or queued."""
    if answer.status >= 500:
        return "a 5xx"
    if answer.cpu > CPU_BUDGET:
        return f"{answer.cpu:.3f} s of CPU"
    if answer.status < 300 and answer.archived != 1:
        return f"accepted, archived {answer.archived} times"
    if answer.status >= 300 and (answer.archived or answer.events):
        return "refused, yet archived or queued"
    return ""


@pytest.fixture(scope="module")
def run() -> Run:
    found = Run()
    for number, source in enumerate(SOURCES):
        generated = bodies(source, random.Random(SEED + number))
        counts: dict[int, int] = {}
        failures: list[str] = []
        sample: list[tuple[bytes, Answer]] = []
        for index in range(BODIES):
            body = next(generated)
            answer = handle(BULK, source, body, f"{source}-{index}")
            if answer.cpu > CPU_BUDGET:
                answer.cpu = min(answer.cpu, cpu_of(BULK, source, body))
            counts[answer.status] = counts.get(answer.status, 0) + 1
            if problem := broken_promise(answer):
                failures.append(
                    f"#{index}: {problem}: {answer.status} ({answer.error}) for {body[:300]!r}"
                )
            found.accepted += answer.events
            if index % (BODIES // OVER_HTTP) == 0 and len(body) < 300_000:
                sample.append((body, answer))
        found.statuses[source] = counts
        found.failures[source] = failures
        found.samples[source] = sample[:OVER_HTTP]
    return found


@pytest.mark.parametrize("source", SOURCES)
def test_hostile_bodies_get_only_deliberate_answers(run: Run, source: str) -> None:
    """No 5xx, no body over the CPU budget, archived exactly when accepted; and the fuzzing
    reached both sides, bodies refused and bodies accepted."""
    assert run.failures[source] == [], "\n".join(run.failures[source][:10])
    counts = run.statuses[source]
    assert sum(counts.values()) == BODIES
    accepted = sum(n for status, n in counts.items() if status < 300)
    assert BODIES // 20 < accepted < BODIES - BODIES // 20, counts


def test_every_accepted_event_is_stored_or_quarantined(stack: Any, run: Run) -> None:
    """The accepted events (each id once: a repeated id is a duplicate the processor drops)
    go through the stack's queue, 25 to a message, to the real processor."""
    unique = list({e.event_id: e for e in run.accepted}.values())
    assert len(unique) > 500, "the fuzzing accepts a broad set of events"
    event_queue(stack.ref("EventsQueue")).enqueue(unique)
    stack.drain(timeout=240)
    assert_stored_or_quarantined(stack, BULK, [e.event_id for e in unique])


def test_a_sample_over_http_gets_no_5xx_and_loses_nothing(stack: Any, run: Run) -> None:
    accepted: list[str] = []
    mismatched: list[str] = []
    for source in SOURCES:
        for index, (body, expected) in enumerate(run.samples[source]):
            request = signed(HTTP, source, body, stack.api_url, datetime.now(UTC))
            response = requests.post(
                request.url, headers=request.headers, data=request.body, timeout=30
            )
            assert response.status_code < 500, f"{source} #{index}: {body[:300]!r}"
            if response.status_code != expected.status:
                mismatched.append(
                    f"{source} #{index}: HTTP {response.status_code}, in-process "
                    f"{expected.status}: {response.text[:200]} for {body[:200]!r}"
                )
            if response.status_code < 300 and source == "salesforce":  # a SOAP Ack: no ids
                accepted += [e.event_id for e in handle(HTTP, source, body, "again").events]
            elif response.status_code < 300:
                accepted += response.json()["event_ids"]
    assert mismatched == [], "\n".join(mismatched[:5])
    assert accepted, "the sample holds accepted deliveries"
    stack.drain(timeout=120)
    assert_stored_or_quarantined(stack, HTTP, accepted)
