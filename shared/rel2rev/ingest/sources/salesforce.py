"""The `salesforce` source: Outbound Messages (SOAP `notifications`) from Workflow or Flow.

One message carries up to 100 `Notification`s, each with one sObject (Lead, Contact,
Opportunity, Task or Event). XML is parsed with defusedxml: DTDs, entities and external
references are rejected (400). The sender is proven by a per-connection secret `?token=` in
the endpoint URL (constant-time compare) and by `OrganizationId` matching the connection.
Salesforce redelivers an unacknowledged message for up to 24 hours with the same
Notification `Id`, which is what event ids are built from.

Archived pages of the org's own REST and Bulk APIs (written by `rel2rev backfill salesforce`,
marked with the `x-rel2rev-backfill` header) are parsed by
`rel2rev.ingest.sources.salesforce_objects`, which reads each API record as a `Notification`
and maps it with the same functions (`sobject_payloads`): one record identity for both paths.
A live request carrying that header is refused by `verify`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import ValidationError

from rel2rev.errors import AuthenticationError, InputError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import (
    ContactMerge,
    ContactRoleRef,
    ContactUpsert,
    DealUpsert,
    Event,
    InteractionEvent,
    LeadUpsert,
    Payload,
    event_id_for,
)
from rel2rev.ingest.request import RawRequest, WebhookResponse
from rel2rev.ingest.sources.base import (
    BACKFILL_HEADER,
    constant_time_equal,
    error_text,
    parse_amount,
    parse_instant,
    validation_details,
)
from rel2rev.money import Money, is_known_currency
from rel2rev.records import (
    DealStatus,
    Direction,
    Identifier,
    IdentifierKind,
    InteractionType,
    StakeholderType,
)

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAX_NOTIFICATIONS = 100

ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}"><soapenv:Body>'
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)

_TYPES = {
    "call": InteractionType.CALL,
    "email": InteractionType.EMAIL,
    "listemail": InteractionType.EMAIL,
    "meeting": InteractionType.MEETING,
    "linkedin": InteractionType.DM,
}
_DEFAULT_CHANNELS = {
    InteractionType.CALL: "phone",
    InteractionType.EMAIL: "email",
    InteractionType.MEETING: "meeting",
}

Fields = dict[str, str | None]


class Notification:
    """One `Notification`: its id, the sObject type and its fields (nil -> None). A record
    read through the API is one too, with its record `Id` as the notification id."""

    def __init__(self, notification_id: str, sobject_type: str, fields: Fields) -> None:
        self.notification_id = notification_id
        self.sobject_type = sobject_type
        self.fields = fields

    def text(self, name: str) -> str | None:
        """A field's trimmed text, None when absent, nil or empty."""
        value = self.fields.get(name)
        return value.strip() or None if value is not None else None


class OutboundMessage:
    """A parsed `notifications` message."""

    def __init__(self, organization_id: str, notifications: list[Notification]) -> None:
        self.organization_id = organization_id
        self.notifications = notifications


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _bad(message: str, path: str = "") -> InputError:
    return InputError(
        "invalid Salesforce outbound message", details=[{"path": path, "message": message}]
    )


def parse_message(body: bytes) -> OutboundMessage:
    """Parse the SOAP envelope safely; InputError for malformed or hostile XML."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        # LookupError: an encoding Python does not know (`encoding="UF-8"`)
        raise _bad(f"XML rejected: {type(exc).__name__}: {exc}") from None
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise _bad("root element must be a SOAP Envelope", "Envelope")
    body_el = root.find(f"{{{SOAP_NS}}}Body")
    message = body_el.find(f"{{{OUTBOUND_NS}}}notifications") if body_el is not None else None
    if message is None:
        raise _bad("missing Body/notifications", "Envelope.Body.notifications")
    org = (message.findtext(f"{{{OUTBOUND_NS}}}OrganizationId") or "").strip()
    if not org:
        raise _bad("missing OrganizationId", "notifications.OrganizationId")
    elements = message.findall(f"{{{OUTBOUND_NS}}}Notification")
    if not 1 <= len(elements) <= MAX_NOTIFICATIONS:
        raise _bad(f"expected 1 to {MAX_NOTIFICATIONS} Notification elements", "notifications")
    return OutboundMessage(org, [_notification(el, i) for i, el in enumerate(elements)])


def _notification(element: Element, index: int) -> Notification:
    path = f"notifications.Notification[{index}]"
    notification_id = (element.findtext(f"{{{OUTBOUND_NS}}}Id") or "").strip()
    sobject = element.find(f"{{{OUTBOUND_NS}}}sObject")
    if not notification_id or sobject is None:
        raise _bad("a Notification needs an Id and an sObject", path)
    sobject_type = _local(sobject.get(f"{{{XSI_NS}}}type", "")).rsplit(":", 1)[-1]
    fields: Fields = {}
    for child in sobject:
        nil = child.get(f"{{{XSI_NS}}}nil") == "true"
        fields[_local(child.tag)] = None if nil else (child.text or "")
    return Notification(notification_id, sobject_type, fields)


def org15(organization_id: str) -> str:
    """The case-sensitive 15-character form of an org id (18-char ids add a checksum)."""
    return organization_id.strip()[:15]


class SalesforceAdapter:
    """Salesforce Outbound Messages for leads, contacts, opportunities, tasks and events."""

    name = "salesforce"
    content_types = frozenset({"text/xml", "application/soap+xml"})

    def verify(self, request: RawRequest, connection: Connection, now: datetime) -> None:
        """Check the URL token, then (for well-formed messages) the organisation. A live
        request marked as a backfill page is refused: only the backfill writes such pages."""
        if request.header(BACKFILL_HEADER) is not None:
            raise AuthenticationError(f"{BACKFILL_HEADER} is not accepted on the webhook endpoint")
        expected = connection.token.get_secret_value() if connection.token else ""
        given = request.query.get("token", "")
        if not expected or not given or not constant_time_equal(given, expected):
            raise AuthenticationError("missing or wrong token in the endpoint URL")
        try:
            message = parse_message(request.body)
        except InputError:
            return  # parse() reports the malformed body
        configured = connection.organization_id or ""
        if not configured or org15(message.organization_id) != org15(configured):
            raise AuthenticationError("OrganizationId does not match the workspace's org")

    def parse(self, request: RawRequest, connection: Connection) -> list[Event]:
        """One or two events per notification (unsupported sObjects are skipped), or the
        events of an archived backfill page."""
        object_type = request.header(BACKFILL_HEADER)
        if object_type is not None:
            from rel2rev.ingest.sources.salesforce_objects import parse_page

            return parse_page(request, object_type, connection)
        message = parse_message(request.body)
        events: list[Event] = []
        details: list[dict[str, Any]] = []
        for index, notification in enumerate(message.notifications):
            path = f"notifications.Notification[{index}].sObject"
            if notification.sobject_type not in _MAPPERS:
                continue
            try:
                payloads = sobject_payloads(notification, connection)
                changed = changed_at(notification) or request.received_at
            except ValidationError as exc:
                details.extend(validation_details(exc, path))
                continue
            except FieldError as exc:
                details.append({"path": f"{path}.{exc.field}", "message": exc.message})
                continue
            for part, payload in payloads:
                events.append(
                    _event(
                        message,
                        notification,
                        part=part,
                        payload=payload,
                        changed=changed,
                        request=request,
                    )
                )
        if details:
            raise InputError("invalid Salesforce notification", details=details)
        return events

    def acknowledge(self, request: RawRequest, events: Sequence[Event]) -> WebhookResponse:
        """The SOAP Ack Salesforce waits for (HTTP 200), else it redelivers."""
        return WebhookResponse(status_code=200, content_type="text/xml; charset=utf-8", body=ACK)


class FieldError(Exception):
    """A field of an sObject that cannot be read (`field` names it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _instant(n: Notification, field: str) -> datetime | None:
    value = n.text(field)
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None


def changed_at(n: Notification) -> datetime | None:
    """When the sObject last changed: LastModifiedDate, else SystemModstamp, else created."""
    return (
        _instant(n, "LastModifiedDate")
        or _instant(n, "SystemModstamp")
        or _instant(n, "CreatedDate")
    )


def _event(
    message: OutboundMessage,
    n: Notification,
    *,
    part: str,
    payload: Payload,
    changed: datetime,
    request: RawRequest,
) -> Event:
    return Event(
        event_id=event_id_for(
            "salesforce", request.workspace, org15(message.organization_id), n.notification_id, part
        ),
        workspace=request.workspace,
        source="salesforce",
        request_id=request.request_id,
        received_at=request.received_at,
        occurred_at=changed,
        payload=payload,
    )


_SF_ID = re.compile(r"[A-Za-z0-9]{15,18}")
"""A Salesforce record id: 15 letters and digits, or 18 with the case-safe suffix."""


def salesforce_identifier(sf_record_id: str) -> Identifier:
    """A person's (lead's or contact's) Salesforce identifier."""
    return Identifier(kind=IdentifierKind.SALESFORCE, value=sf_record_id)


def record_id(sf_record_id: str) -> str:
    """The rel2rev id of a Salesforce lead or opportunity: `salesforce:<Id>`."""
    return f"salesforce:{sf_record_id}"


def sf_ref(n: Notification, field: str) -> str | None:
    """An id field of the sObject, checked to be a Salesforce id."""
    value = n.text(field)
    if value is not None and not _SF_ID.fullmatch(value):
        raise FieldError(
            field, f"not a Salesforce id (15 or 18 letters and digits): {value[:40]!r}"
        )
    return value


def sf_id(n: Notification) -> str:
    """The sObject's own Id (FieldError without one)."""
    found = sf_ref(n, "Id")
    if found is None:
        raise FieldError("Id", "the sObject has no Id")
    return found


def _person(n: Notification, *extra_ids: str | None) -> list[Identifier]:
    ids = [salesforce_identifier(sf_id(n))]
    ids += [salesforce_identifier(x) for x in extra_ids if x]
    for field, kind in (
        ("Email", IdentifierKind.EMAIL),
        ("Phone", IdentifierKind.PHONE),
        ("MobilePhone", IdentifierKind.PHONE),
    ):
        if value := n.text(field):
            try:
                ids.append(Identifier(kind=kind, value=value))
            except ValidationError as exc:
                raise FieldError(field, error_text(exc)) from None
    return ids


def _name(n: Notification) -> str | None:
    if name := n.text("Name"):
        return name
    parts = [p for p in (n.text("FirstName"), n.text("LastName")) if p]
    return " ".join(parts) or None


def _domain(website: str | None) -> str | None:
    if not website:
        return None
    host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    return host.removeprefix("www.") or None


def _lead(n: Notification, connection: Connection) -> list[tuple[str, Payload]]:
    ids = _person(n, sf_ref(n, "ConvertedContactId"))
    account = _domain(n.text("Website"))
    created = _instant(n, "CreatedDate")
    owner = n.text("OwnerId")
    contact = ContactUpsert(
        identifiers=ids, name=_name(n), account_id=account, owner=owner, created_at=created
    )
    source = n.text("LeadSource")
    lead = LeadUpsert(
        lead_id=record_id(sf_id(n)),
        contact=ids,
        account_id=account,
        created_at=created,
        status=n.text("Status"),
        owner=owner,
        channel=source.lower()[:64] if source else None,
    )
    return [("contact", contact), ("lead", lead)]


def _contact(n: Notification, connection: Connection) -> list[tuple[str, Payload]]:
    stakeholder = (n.text("Stakeholder_Type__c") or "").lower()
    contact = ContactUpsert(
        identifiers=_person(n),
        name=_name(n),
        account_id=n.text("AccountId"),
        owner=n.text("OwnerId"),
        created_at=_instant(n, "CreatedDate"),
        stakeholder_type=StakeholderType(stakeholder)
        if stakeholder in set(StakeholderType)
        else None,
    )
    master = sf_ref(n, "MasterRecordId")
    if master is None or master == sf_id(n):
        return [("contact", contact)]
    merge = ContactMerge(people=[_person(n), [salesforce_identifier(master)]])
    return [("contact", contact), ("merge", merge)]


def flag(n: Notification, field: str) -> bool | None:
    """A checkbox field: True, False, or None when absent or not a boolean."""
    value = (n.text(field) or "").lower()
    return {"true": True, "false": False}.get(value)


def deal_status(stage: str | None, closed: bool | None, won: bool | None) -> DealStatus | None:
    """An opportunity's status from IsClosed/IsWon; without them, from the default closed
    stage names (`Closed Won`, `Closed Lost`); None when unknown."""
    if closed is None and stage in {"Closed Won", "Closed Lost"}:
        closed, won = True, stage == "Closed Won"
    if closed is None:
        return None
    if not closed:
        return DealStatus.OPEN
    return DealStatus.WON if won else DealStatus.LOST


def _opportunity(n: Notification, connection: Connection) -> list[tuple[str, Payload]]:
    stage = n.text("StageName")
    status = deal_status(stage, flag(n, "IsClosed"), flag(n, "IsWon"))
    closed = status in (DealStatus.WON, DealStatus.LOST)
    amount = None
    currency = n.text("CurrencyIsoCode") or connection.currency
    if (raw := n.text("Amount")) is not None and currency and is_known_currency(currency):
        try:
            amount = Money.of(parse_amount(raw), currency)
        except ValueError as exc:
            raise FieldError("Amount", error_text(exc)) from None
    contact = sf_ref(n, "ContactId")
    deal = DealUpsert(
        deal_id=record_id(sf_id(n)),
        name=n.text("Name"),
        account_id=n.text("AccountId"),
        amount=amount,
        stage=stage,
        status=status,
        created_at=_instant(n, "CreatedDate"),
        closed_at=_instant(n, "CloseDate") if closed else None,
        owner=n.text("OwnerId"),
        contact_roles=[ContactRoleRef(contact=[salesforce_identifier(contact)])] if contact else [],
    )
    return [("deal", deal)]


def _activity(n: Notification, default: InteractionType, *time_fields: str) -> Payload | None:
    who = sf_ref(n, "WhoId")
    occurred = next((t for f in time_fields if (t := _instant(n, f)) is not None), None)
    if who is None or occurred is None:
        return None  # an activity without a person or a time is not a touch
    explicit = (n.text("Interaction_Type__c") or "").lower()
    if explicit in set(InteractionType):
        kind = InteractionType(explicit)
    else:
        subtype = (n.text("TaskSubtype") or n.text("EventSubtype") or "").lower()
        kind = _TYPES.get(subtype) or _TYPES.get((n.text("Type") or "").lower()) or default
    direction_text = (n.text("Direction__c") or n.text("CallType") or "").lower()
    direction = Direction.INBOUND if direction_text == "inbound" else Direction.OUTBOUND
    channel = (n.text("Channel__c") or _DEFAULT_CHANNELS.get(kind, "crm")).lower()[:64]
    subject = n.text("Subject")
    return InteractionEvent(
        interaction_id=f"salesforce:{sf_id(n)}",
        contact=[salesforce_identifier(who)],
        account_id=n.text("AccountId"),
        type=kind,
        direction=direction,
        channel=channel,
        occurred_at=occurred,
        owner=n.text("OwnerId"),
        campaign=n.text("Campaign__c"),
        content=subject or None,
    )


def _task(n: Notification, connection: Connection) -> list[tuple[str, Payload]]:
    payload = _activity(
        n, InteractionType.OTHER, "CompletedDateTime", "ActivityDate", "CreatedDate"
    )
    return [("interaction", payload)] if payload else []


def _calendar_event(n: Notification, connection: Connection) -> list[tuple[str, Payload]]:
    payload = _activity(
        n, InteractionType.MEETING, "StartDateTime", "ActivityDateTime", "CreatedDate"
    )
    return [("interaction", payload)] if payload else []


_MAPPERS: dict[str, Callable[[Notification, Connection], list[tuple[str, Payload]]]] = {
    "Lead": _lead,
    "Contact": _contact,
    "Opportunity": _opportunity,
    "Task": _task,
    "Event": _calendar_event,
}


def sobject_payloads(n: Notification, connection: Connection) -> list[tuple[str, Payload]]:
    """The patches of a Lead, Contact, Opportunity, Task or Event (each named by a part),
    from a notification or an API record; other types give none. Raises FieldError or
    pydantic's ValidationError for a field that cannot be read."""
    mapper = _MAPPERS.get(n.sobject_type)
    return mapper(n, connection) if mapper is not None else []


ADAPTER = SalesforceAdapter()
