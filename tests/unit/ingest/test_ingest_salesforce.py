"""The salesforce source: SOAP outbound messages, safe XML, token and org checks, Ack."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ingest_support import CONNECTIONS, NOW, RecordingSink, lookup, raw

from rel2rev.errors import AuthenticationError, InputError, UnsupportedMediaTypeError
from rel2rev.ingest.events import (
    ContactMerge,
    ContactUpsert,
    DealUpsert,
    InteractionEvent,
    LeadUpsert,
)
from rel2rev.ingest.sources.salesforce import ACK
from rel2rev.ingest.webhook import receive_webhook
from rel2rev.records import DealStatus, Direction, InteractionType

TOKEN = {"token": "sf-url-token"}
XML = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}


def envelope(*notifications: str, org: str = "00D5g000004ABCDEAA") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<OrganizationId>{org}</OrganizationId><ActionId>04k5g000000AAAAAAA</ActionId>"
        '<SessionId xsi:nil="true"/>'
        + "".join(notifications)
        + "</notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()


def notification(nid: str, sobject_type: str, **fields: str | None) -> str:
    inner = "".join(
        f'<sf:{k} xsi:nil="true"/>' if v is None else f"<sf:{k}>{v}</sf:{k}>"
        for k, v in fields.items()
    )
    return (
        f"<Notification><Id>{nid}</Id>"
        f'<sObject xsi:type="sf:{sobject_type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        f"{inner}</sObject></Notification>"
    )


OPPORTUNITY = notification(
    "04l000000000001AAA",
    "Opportunity",
    Id="0065g00000WonAAA",
    Name="Pilot &amp; more",
    AccountId="0015g00000AccAAA",
    Amount="12500.5",
    StageName="Closed Won",
    IsClosed="true",
    IsWon="true",
    CloseDate="2026-11-18",
    ContactId="0035g00000AdaAAA",
    CreatedDate="2026-10-01T09:00:00.000Z",
    LastModifiedDate="2026-11-18T16:30:00.000Z",
)


def send(
    body: bytes, query: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[RecordingSink, str]:
    sink = RecordingSink()
    response = receive_webhook(
        raw("salesforce", body, headers or XML, query=TOKEN if query is None else query),
        lookup,
        sink,
        NOW,
    )
    assert (response.status_code, response.content_type.split(";")[0]) == (200, "text/xml")
    return sink, response.body


def test_opportunity_is_acknowledged_and_mapped() -> None:
    sink, answer = send(envelope(OPPORTUNITY))
    assert answer == ACK
    assert "<Ack>true</Ack>" in answer
    (event,) = sink.enqueued
    deal = event.payload
    assert isinstance(deal, DealUpsert)
    assert deal.deal_id == "salesforce:0065g00000WonAAA"
    assert deal.name == "Pilot & more"
    assert deal.status is DealStatus.WON
    assert deal.amount is not None
    assert (deal.amount.amount, deal.amount.currency) == (Decimal("12500.50"), "EUR")
    assert deal.closed_at == datetime(2026, 11, 18, tzinfo=UTC)
    assert deal.contact_roles[0].contact[0].key == "salesforce:0035g00000AdaAAA"
    assert event.occurred_at == datetime(2026, 11, 18, 16, 30, tzinfo=UTC)


def test_lead_contact_task_and_event() -> None:
    body = envelope(
        notification(
            "04l000000000002AAA",
            "Lead",
            Id="00Q5g00000LeadAA",
            FirstName="Ada",
            LastName="Lovelace",
            Email="ada@example.com",
            Website="https://www.example.com/about",
            Status="Working",
            LeadSource="Webinar",
            CreatedDate="2026-10-01T09:00:00Z",
        ),
        notification(
            "04l000000000003AAA",
            "Contact",
            Id="0035g00000AdaAAA",
            Email="ada@example.com",
            LastName="Lovelace",
            AccountId=None,
            Stakeholder_Type__c="Partner",
        ),
        notification(
            "04l000000000004AAA",
            "Task",
            Id="00T5g00000CallAA",
            WhoId="0035g00000AdaAAA",
            TaskSubtype="Call",
            CallType="Inbound",
            Subject="Discovery",
            CompletedDateTime="2026-10-02T10:00:00.000+0000",
        ),
        notification(
            "04l000000000005AAA",
            "Event",
            Id="00U5g00000MeetAA",
            WhoId="00Q5g00000LeadAA",
            StartDateTime="2026-10-05T15:00:00.000Z",
        ),
        notification("04l000000000006AAA", "Task", Id="00T5g00000NoWho", Subject="x"),
        notification("04l000000000007AAA", "Account", Id="0015g00000AccAAA"),
    )
    sink, _ = send(body)
    kinds = [type(e.payload) for e in sink.enqueued]
    assert kinds == [ContactUpsert, LeadUpsert, ContactUpsert, InteractionEvent, InteractionEvent]
    person, lead, contact, call, meeting = (e.payload for e in sink.enqueued)
    assert isinstance(person, ContactUpsert)
    assert isinstance(lead, LeadUpsert)
    assert isinstance(contact, ContactUpsert)
    assert isinstance(call, InteractionEvent)
    assert isinstance(meeting, InteractionEvent)
    assert (person.name, person.account_id) == ("Ada Lovelace", "example.com")
    assert (lead.lead_id, lead.status, lead.channel) == (
        "salesforce:00Q5g00000LeadAA",
        "Working",
        "webinar",
    )
    assert contact.stakeholder_type == "partner"
    assert contact.account_id is None
    assert (call.type, call.direction, call.channel) == (
        InteractionType.CALL,
        Direction.INBOUND,
        "phone",
    )
    assert call.occurred_at == datetime(2026, 10, 2, 10, tzinfo=UTC)
    assert (meeting.type, meeting.direction) == (InteractionType.MEETING, Direction.OUTBOUND)
    assert meeting.contact[0].key == "salesforce:00Q5g00000LeadAA"


def test_a_contact_merged_into_a_master_is_one_person_with_it() -> None:
    merged = notification(
        "04l000000000008AAA",
        "Contact",
        Id="0035g00000BobAAA",
        Email="bob@example.com",
        MasterRecordId="0035g00000AdaAAA",
    )
    sink, _ = send(envelope(merged))
    contact, merge = (e.payload for e in sink.enqueued)
    assert isinstance(contact, ContactUpsert)
    assert isinstance(merge, ContactMerge)
    keys = [{i.key for i in person} for person in merge.people]
    assert keys == [
        {"salesforce:0035g00000BobAAA", "email:bob@example.com"},
        {"salesforce:0035g00000AdaAAA"},
    ]
    assert len({e.event_id for e in sink.enqueued}) == 2


def test_redelivery_keeps_event_ids() -> None:
    first, _ = send(envelope(OPPORTUNITY))
    again, _ = send(envelope(OPPORTUNITY))
    assert [e.event_id for e in first.enqueued] == [e.event_id for e in again.enqueued]


def test_fifteen_character_org_id_matches() -> None:
    sink, _ = send(envelope(OPPORTUNITY, org="00D5g000004ABCD"))
    assert len(sink.enqueued) == 1


@pytest.mark.parametrize("query", [{}, {"token": "wrong"}, {"token": ""}, {"tok": "sf-url-token"}])
def test_wrong_or_missing_token_is_401(query: dict[str, str]) -> None:
    sink = RecordingSink()
    with pytest.raises(AuthenticationError):
        receive_webhook(
            raw("salesforce", envelope(OPPORTUNITY), XML, query=query), lookup, sink, NOW
        )
    assert (sink.archived, sink.enqueued) == ([], [])


def test_other_organization_is_401() -> None:
    sink = RecordingSink()
    body = envelope(OPPORTUNITY, org="00D000000000OTHER")
    with pytest.raises(AuthenticationError, match="OrganizationId"):
        receive_webhook(raw("salesforce", body, XML, query=TOKEN), lookup, sink, NOW)
    assert sink.archived == []


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>&xxe;</OrganizationId>
</notifications></soapenv:Body></soapenv:Envelope>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>&lol3;</OrganizationId>
</notifications></soapenv:Body></soapenv:Envelope>"""


@pytest.mark.parametrize(
    "body",
    [
        XXE,
        LAUGHS,
        b"<soapenv:Envelope",
        b"not xml at all",
        b"<a/>",
        envelope(),
        envelope(*[OPPORTUNITY] * 101),
        envelope("<Notification><Id>1</Id></Notification>"),
        envelope(OPPORTUNITY).replace(b"<OrganizationId>00D5g000004ABCDEAA</OrganizationId>", b""),
    ],
)
def test_hostile_or_malformed_xml_is_400_and_nothing_is_kept(body: bytes) -> None:
    sink = RecordingSink()
    with pytest.raises(InputError) as caught:
        receive_webhook(raw("salesforce", body, XML, query=TOKEN), lookup, sink, NOW)
    assert caught.value.status == 400
    assert (sink.archived, sink.enqueued) == ([], [])


@pytest.mark.parametrize(
    ("field", "value"), [("CloseDate", "the 18th"), ("Amount", "lots"), ("LastModifiedDate", "now")]
)
def test_bad_field_values_name_their_path(field: str, value: str) -> None:
    bad = OPPORTUNITY.replace(f"<sf:{field}>", f"<sf:{field}>{value}", 1)
    bad = (
        bad.split(f"<sf:{field}>")[0]
        + f"<sf:{field}>{value}</sf:{field}>"
        + bad.split(f"</sf:{field}>")[1]
    )
    with pytest.raises(InputError) as caught:
        send(envelope(bad))
    assert caught.value.details[0]["path"] == f"notifications.Notification[0].sObject.{field}"


def test_json_content_type_is_415() -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        receive_webhook(
            raw(
                "salesforce",
                envelope(OPPORTUNITY),
                {"Content-Type": "application/json"},
                query=TOKEN,
            ),
            lookup,
            RecordingSink(),
            NOW,
        )


def test_amount_without_any_currency_is_left_out() -> None:
    conn = CONNECTIONS["salesforce"].model_copy(update={"currency": None})
    sink = RecordingSink()
    receive_webhook(
        raw("salesforce", envelope(OPPORTUNITY), XML, query=TOKEN), lambda w, s: conn, sink, NOW
    )
    deal = sink.enqueued[0].payload
    assert isinstance(deal, DealUpsert)
    assert deal.amount is None
    with_code = OPPORTUNITY.replace(
        "<sf:Amount>", "<sf:CurrencyIsoCode>KWD</sf:CurrencyIsoCode><sf:Amount>"
    )
    sink = RecordingSink()
    receive_webhook(
        raw("salesforce", envelope(with_code), XML, query=TOKEN), lambda w, s: conn, sink, NOW
    )
    deal = sink.enqueued[0].payload
    assert isinstance(deal, DealUpsert)
    assert deal.amount is not None
    assert (deal.amount.amount, deal.amount.currency) == (Decimal("12500.5"), "KWD")


def test_an_amount_finer_than_the_currency_unit_is_a_400_naming_the_field() -> None:
    conn = CONNECTIONS["salesforce"].model_copy(update={"currency": None})
    in_yen = OPPORTUNITY.replace(
        "<sf:Amount>", "<sf:CurrencyIsoCode>JPY</sf:CurrencyIsoCode><sf:Amount>"
    )
    with pytest.raises(InputError) as caught:
        receive_webhook(
            raw("salesforce", envelope(in_yen), XML, query=TOKEN),
            lambda w, s: conn,
            RecordingSink(),
            NOW,
        )
    assert caught.value.status == 400
    assert [d["path"].rsplit(".", 1)[-1] for d in caught.value.details] == ["Amount"]
    assert "finer than the JPY minor unit" in caught.value.details[0]["message"]
