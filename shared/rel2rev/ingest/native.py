"""Native webhook builders: stored records -> signed requests as each source would send them.

The inverse of the source adapters, for tests and the demo: `build_requests` turns a
`WorkspaceRecords` into the deliveries a source would make about those records, signed with
the connection's secret at `now`. What a source cannot carry (see `SUPPORTED`) raises
`UnsupportedRecordError`; send those records through `generic` instead.

Native ids: a record id of the form `<source>:<id>` (what the adapters produce) is sent as
`<id>`; contacts use their identifier of the source's kind when they have one. Otherwise a
stable id is derived from the record id (numeric for HubSpot/Pipedrive, 18 characters for
Salesforce), so the same record always gets the same native id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.sax.saxutils import escape, quoteattr

from pydantic import BaseModel, ConfigDict

from rel2rev.ingest.connections import Connection
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources import generic, hubspot, salesforce
from rel2rev.ingest.sources.generic_format import MAX_BATCH
from rel2rev.ingest.sources.pipedrive import basic_authorization
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    Deal,
    DealStatus,
    Direction,
    IdentifierKind,
    Interaction,
    InteractionType,
    Lead,
    WorkspaceRecords,
)

SUPPORTED: dict[str, frozenset[str]] = {
    "generic": frozenset({"contact", "interaction", "lead", "deal"}),
    "hubspot": frozenset({"contact", "lead", "deal"}),
    "salesforce": frozenset({"contact", "interaction", "lead", "deal"}),
    "pipedrive": frozenset({"contact", "interaction", "lead", "deal"}),
}
"""Record kinds each source's webhooks can carry (HubSpot webhooks carry no engagements)."""

Record = Contact | Interaction | Lead | Deal


class UnsupportedRecordError(ValueError):
    """The source's webhooks cannot carry this record (or its amount's currency)."""


class NativeRequest(BaseModel):
    """One HTTP request as the source would send it."""

    model_config = ConfigDict(frozen=True)

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    def to_raw(
        self, workspace: str, source: str, request_id: str, received_at: datetime
    ) -> RawRequest:
        """The `RawRequest` the ingest endpoint would see for this request."""
        query = dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))
        return RawRequest(
            workspace=workspace,
            source=source,
            request_id=request_id,
            received_at=received_at,
            method=self.method,
            url=self.url,
            headers=self.headers,
            query=query,
            body=self.body,
        )


def hook_url(base_url: str, workspace: str, source: str) -> str:
    """`{base_url}/v1/hooks/{workspace}/{source}`."""
    return f"{base_url.rstrip('/')}/v1/hooks/{workspace}/{source}"


def sign_generic(secret: str, body: bytes, t: int) -> str:
    """The `X-Rel2rev-Signature` header value for `body` signed at unix time `t`."""
    return generic.signature_header(secret.encode(), body, t)


def sign_hubspot_v3(secret: str, method: str, url: str, body: bytes, timestamp_ms: int) -> str:
    """The `X-HubSpot-Signature-v3` header value."""
    return hubspot.signature_v3(secret.encode(), method, url, body, timestamp_ms)


def build_requests(
    source: str,
    connection: Connection,
    records: WorkspaceRecords,
    *,
    now: datetime,
    base_url: str,
) -> list[NativeRequest]:
    """Signed native deliveries carrying every record in `records` (contacts first)."""
    builders = {
        "generic": _generic,
        "hubspot": _hubspot,
        "salesforce": _salesforce,
        "pipedrive": _pipedrive,
    }
    if source not in builders:
        raise UnsupportedRecordError(f"unknown source {source!r}")
    _check_supported(source, records)
    url = hook_url(base_url, records.workspace, source)
    if source == "salesforce" and connection.token is not None:
        url += f"?token={connection.token.get_secret_value()}"
    return builders[source](connection, records, now, url)


def _check_supported(source: str, records: WorkspaceRecords) -> None:
    present = {
        kind
        for kind, items in (
            ("contact", records.contacts),
            ("interaction", records.interactions),
            ("lead", records.leads),
            ("deal", records.deals),
        )
        if items
    }
    missing = present - SUPPORTED[source]
    if missing:
        raise UnsupportedRecordError(
            f"{source} webhooks cannot carry {', '.join(sorted(missing))}; send them as generic"
        )


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def _numeric(record_id: str, prefix: str) -> int:
    """`prefix:123` or `123` -> 123; anything else -> a stable derived number."""
    bare = record_id.removeprefix(prefix)
    return int(bare) if bare.isdigit() and len(bare) <= 15 else int(_digest(record_id)[:12], 16)


def _contacts(records: WorkspaceRecords) -> dict[str, Contact]:
    return {c.contact_id: c for c in records.contacts}


def _identifier(contact: Contact | None, kind: IdentifierKind) -> str | None:
    if contact is None:
        return None
    return next((i.value for i in contact.identifiers if i.kind is kind), None)


# --- generic -------------------------------------------------------------------------------


def _identifier_map(contact: Contact | None, contact_id: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for identifier in contact.identifiers if contact else []:
        out.setdefault(identifier.kind.value, identifier.value)
    return out or {"external": contact_id}


def _money(value: Money | None) -> dict[str, str] | None:
    return None if value is None else {"amount": str(value.amount), "currency": value.currency}


def _drop_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None and v != []}


def generic_event(record: Record, contacts: dict[str, Contact]) -> dict[str, Any]:
    """The generic JSON event for one record (client id = record id + its clock)."""
    stamp = _iso(record.updated_at)
    if isinstance(record, Contact):
        return _drop_none(
            {
                "event": "contact",
                "id": f"contact:{record.contact_id}:{stamp}",
                "occurred_at": stamp,
                "identifiers": _identifier_map(record, record.contact_id),
                "name": record.name,
                "account": record.account_id,
                "stakeholder_type": record.stakeholder_type.value,
                "owner": record.owner,
                "created_at": _iso(record.created_at) if record.created_at else None,
            }
        )
    if isinstance(record, Interaction):
        return _drop_none(
            {
                "event": "interaction",
                "id": f"interaction:{record.interaction_id}:{stamp}",
                "interaction_id": record.interaction_id,
                "occurred_at": _iso(record.occurred_at),
                "type": record.type.value,
                "direction": record.direction.value,
                "channel": record.channel,
                "contact": _identifier_map(contacts.get(record.contact_id), record.contact_id),
                "account": record.account_id,
                "owner": record.owner,
                "campaign": record.campaign,
                "content": record.content,
                "cost": _money(record.cost),
            }
        )
    if isinstance(record, Lead):
        contact = contacts.get(record.contact_id) if record.contact_id else None
        return _drop_none(
            {
                "event": "lead",
                "id": f"lead:{record.lead_id}:{stamp}",
                "occurred_at": stamp,
                "lead_id": record.lead_id,
                "contact": _identifier_map(contact, record.contact_id)
                if record.contact_id
                else None,
                "account": record.account_id,
                "created_at": _iso(record.created_at) if record.created_at else None,
                "status": record.status,
                "owner": record.owner,
                "channel": record.channel,
            }
        )
    return _drop_none(
        {
            "event": "deal",
            "id": f"deal:{record.deal_id}:{stamp}",
            "occurred_at": stamp,
            "deal_id": record.deal_id,
            "name": record.name,
            "account": record.account_id,
            "amount": _money(record.amount),
            "stage": record.stage,
            "status": record.status.value,
            "created_at": _iso(record.created_at) if record.created_at else None,
            "closed_at": _iso(record.closed_at) if record.closed_at else None,
            "owner": record.owner,
            "contact_roles": [
                _drop_none(
                    {
                        "contact": _identifier_map(contacts.get(r.contact_id), r.contact_id),
                        "role": r.role,
                    }
                )
                for r in record.contact_roles
            ],
        }
    )


def _all_records(records: WorkspaceRecords) -> list[Record]:
    return [*records.contacts, *records.leads, *records.deals, *records.interactions]


def _generic(
    connection: Connection, records: WorkspaceRecords, now: datetime, url: str
) -> list[NativeRequest]:
    secret = connection.signing_secret.get_secret_value() if connection.signing_secret else ""
    contacts = _contacts(records)
    out = []
    for chunk in _chunks(_all_records(records), MAX_BATCH):
        body = json.dumps({"events": [generic_event(r, contacts) for r in chunk]}).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "rel2rev-native-builder",
            "X-Rel2rev-Signature": sign_generic(secret, body, int(now.timestamp())),
        }
        out.append(NativeRequest(method="POST", url=url, headers=headers, body=body))
    return out


# --- hubspot -------------------------------------------------------------------------------

_SUBSCRIPTIONS = {
    "contact.creation": 1001,
    "contact.propertyChange": 1002,
    "deal.creation": 2001,
    "deal.propertyChange": 2002,
    "deal.associationChange": 2003,
}


def _hubspot_contact_id(contact: Contact | None, contact_id: str) -> int:
    native = _identifier(contact, IdentifierKind.HUBSPOT)
    return int(native) if native and native.isdigit() else _numeric(contact_id, "hubspot:")


def _hubspot_events(records: WorkspaceRecords, connection: Connection) -> list[dict[str, Any]]:
    portal = int(connection.portal_id or 0)
    contacts = _contacts(records)
    events: list[dict[str, Any]] = []

    def add(kind: str, object_id: int, at: datetime, **extra: Any) -> None:
        key = _digest(kind, object_id, _ms(at), sorted(extra.items()))
        events.append(
            {
                "eventId": int(key[:9], 16),
                "subscriptionId": _SUBSCRIPTIONS[kind],
                "portalId": portal,
                "appId": 4242,
                "occurredAt": _ms(at),
                "subscriptionType": kind,
                "attemptNumber": 0,
                "objectId": object_id,
                "changeSource": "CRM",
                **extra,
            }
        )

    def prop(kind: str, object_id: int, at: datetime, name: str, value: str | None) -> None:
        if value is not None:
            add(kind, object_id, at, propertyName=name, propertyValue=value)

    for c in records.contacts:
        cid = _hubspot_contact_id(c, c.contact_id)
        add("contact.creation", cid, c.created_at or c.updated_at, changeFlag="NEW")
        for identifier in c.identifiers:
            name = {IdentifierKind.EMAIL: "email", IdentifierKind.PHONE: "phone"}.get(
                identifier.kind
            )
            if name:
                prop("contact.propertyChange", cid, c.updated_at, name, identifier.value)
        prop("contact.propertyChange", cid, c.updated_at, "hubspot_owner_id", c.owner)
    for lead in records.leads:
        if lead.contact_id is None:
            raise UnsupportedRecordError("HubSpot leads are contacts: a lead needs a contact")
        cid = _hubspot_contact_id(contacts.get(lead.contact_id), lead.contact_id)
        stage = lead.status if (lead.status or "").lower() in hubspot.LEAD_STAGES else "lead"
        prop(
            "contact.propertyChange",
            cid,
            lead.created_at or lead.updated_at,
            "lifecyclestage",
            stage,
        )
    for deal in records.deals:
        did = _numeric(deal.deal_id, "hubspot:")
        add("deal.creation", did, deal.created_at or deal.updated_at, changeFlag="NEW")
        at = deal.updated_at
        prop("deal.propertyChange", did, at, "dealname", deal.name)
        if deal.amount is not None:
            if deal.amount.currency != connection.currency:
                raise UnsupportedRecordError(
                    f"HubSpot amounts carry no currency: deal {deal.deal_id} is in "
                    f"{deal.amount.currency}, the connection in {connection.currency}"
                )
            prop("deal.propertyChange", did, at, "amount", str(deal.amount.amount))
        stage = {DealStatus.WON: "closedwon", DealStatus.LOST: "closedlost"}.get(
            deal.status, deal.stage or "appointmentscheduled"
        )
        prop("deal.propertyChange", did, at, "dealstage", stage)
        if deal.closed_at is not None:
            prop("deal.propertyChange", did, at, "closedate", str(_ms(deal.closed_at)))
        prop("deal.propertyChange", did, at, "hubspot_owner_id", deal.owner)
        for role in deal.contact_roles:
            add(
                "deal.associationChange",
                did,
                at,
                associationType="DEAL_TO_CONTACT",
                fromObjectId=did,
                toObjectId=_hubspot_contact_id(contacts.get(role.contact_id), role.contact_id),
                associationRemoved=False,
                isPrimaryAssociation=False,
            )
    return events


def _hubspot(
    connection: Connection, records: WorkspaceRecords, now: datetime, url: str
) -> list[NativeRequest]:
    secret = connection.signing_secret.get_secret_value() if connection.signing_secret else ""
    out = []
    for chunk in _chunks(_hubspot_events(records, connection), hubspot.MAX_EVENTS):
        body = json.dumps(list(chunk), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "HubSpot Connect 2.0"}
        version = connection.hubspot_signature_version
        if version == "v3":
            stamp = _ms(now)
            headers["X-HubSpot-Signature-v3"] = sign_hubspot_v3(secret, "POST", url, body, stamp)
            headers["X-HubSpot-Request-Timestamp"] = str(stamp)
            version = "v1"  # HubSpot sends the v1 signature alongside v3
        if version == "v2":
            signature = hubspot.signature_v2(secret.encode(), "POST", url, body)
        else:
            signature = hubspot.signature_v1(secret.encode(), body)
        headers["X-HubSpot-Signature"] = signature
        headers["X-HubSpot-Signature-Version"] = version
        out.append(NativeRequest(method="POST", url=url, headers=headers, body=body))
    return out


# --- salesforce ----------------------------------------------------------------------------

_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def salesforce_id(record_id: str, key_prefix: str) -> str:
    """`salesforce:<id>` -> `<id>`; otherwise a stable 18-character id with `key_prefix`."""
    if record_id.startswith("salesforce:"):
        return record_id.removeprefix("salesforce:")
    number = int(_digest(key_prefix, record_id), 16)
    chars = []
    for _ in range(15):
        number, rest = divmod(number, len(_ID_ALPHABET))
        chars.append(_ID_ALPHABET[rest])
    return key_prefix + "".join(chars)


def _sf_contact_id(contact: Contact | None, contact_id: str) -> str:
    return _identifier(contact, IdentifierKind.SALESFORCE) or salesforce_id(contact_id, "003")


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    first, _, last = name.rpartition(" ")
    return first or None, last


def _sobject(sobject_type: str, fields: dict[str, str | None]) -> str:
    inner = "".join(f"<sf:{k}>{escape(v)}</sf:{k}>" for k, v in fields.items() if v is not None)
    return (
        f"<sObject xsi:type={quoteattr('sf:' + sobject_type)} "
        f'xmlns:sf="{salesforce.SOBJECT_NS}">{inner}</sObject>'
    )


def _sf_objects(records: WorkspaceRecords) -> list[tuple[str, str]]:
    contacts = _contacts(records)
    out: list[tuple[str, str]] = []
    for c in records.contacts:
        first, last = _split_name(c.name)
        fields: dict[str, str | None] = {
            "Id": _sf_contact_id(c, c.contact_id),
            "FirstName": first,
            "LastName": last,
            "Email": _identifier(c, IdentifierKind.EMAIL),
            "Phone": _identifier(c, IdentifierKind.PHONE),
            "AccountId": c.account_id,
            "OwnerId": c.owner,
            "Stakeholder_Type__c": c.stakeholder_type.value,
            "CreatedDate": _iso(c.created_at) if c.created_at else None,
            "LastModifiedDate": _iso(c.updated_at),
        }
        out.append((f"contact:{c.contact_id}:{_iso(c.updated_at)}", _sobject("Contact", fields)))
    for lead in records.leads:
        person = contacts.get(lead.contact_id) if lead.contact_id else None
        first, last = _split_name(person.name if person else None)
        fields = {
            "Id": salesforce_id(lead.lead_id, "00Q"),
            "FirstName": first,
            "LastName": last or "(unknown)",
            "Email": _identifier(person, IdentifierKind.EMAIL),
            "Phone": _identifier(person, IdentifierKind.PHONE),
            "Website": lead.account_id,
            "Status": lead.status,
            "OwnerId": lead.owner,
            "LeadSource": lead.channel,
            "CreatedDate": _iso(lead.created_at) if lead.created_at else None,
            "LastModifiedDate": _iso(lead.updated_at),
        }
        out.append((f"lead:{lead.lead_id}:{_iso(lead.updated_at)}", _sobject("Lead", fields)))
    for deal in records.deals:
        closed = deal.status is not DealStatus.OPEN
        won = deal.status is DealStatus.WON
        stage = deal.stage or {DealStatus.WON: "Closed Won", DealStatus.LOST: "Closed Lost"}.get(
            deal.status, "Prospecting"
        )
        role = deal.contact_roles[0].contact_id if deal.contact_roles else None
        fields = {
            "Id": salesforce_id(deal.deal_id, "006"),
            "Name": deal.name,
            "AccountId": deal.account_id,
            "Amount": str(deal.amount.amount) if deal.amount else None,
            "CurrencyIsoCode": deal.amount.currency if deal.amount else None,
            "StageName": stage,
            "IsClosed": str(closed).lower(),
            "IsWon": str(won).lower(),
            "CloseDate": deal.closed_at.date().isoformat() if deal.closed_at else None,
            "ContactId": _sf_contact_id(contacts.get(role), role) if role else None,
            "OwnerId": deal.owner,
            "CreatedDate": _iso(deal.created_at) if deal.created_at else None,
            "LastModifiedDate": _iso(deal.updated_at),
        }
        out.append(
            (f"deal:{deal.deal_id}:{_iso(deal.updated_at)}", _sobject("Opportunity", fields))
        )
    for i in records.interactions:
        meeting = i.type is InteractionType.MEETING
        when = _iso(i.occurred_at)
        fields = {
            "Id": salesforce_id(i.interaction_id, "00U" if meeting else "00T"),
            "WhoId": _sf_contact_id(contacts.get(i.contact_id), i.contact_id),
            "AccountId": i.account_id,
            "Subject": i.content,
            "OwnerId": i.owner,
            "Type": {"call": "Call", "email": "Email", "meeting": "Meeting"}.get(i.type, "Other"),
            "Interaction_Type__c": i.type.value,
            "Direction__c": "Inbound" if i.direction is Direction.INBOUND else "Outbound",
            "Channel__c": i.channel,
            "Campaign__c": i.campaign,
            ("StartDateTime" if meeting else "CompletedDateTime"): when,
            "CreatedDate": when,
            "LastModifiedDate": _iso(i.updated_at),
        }
        out.append(
            (
                f"interaction:{i.interaction_id}:{_iso(i.updated_at)}",
                _sobject("Event" if meeting else "Task", fields),
            )
        )
    return out


def _salesforce(
    connection: Connection, records: WorkspaceRecords, now: datetime, url: str
) -> list[NativeRequest]:
    org = connection.organization_id or ""
    out = []
    for chunk in _chunks(_sf_objects(records), salesforce.MAX_NOTIFICATIONS):
        notifications = "".join(
            f"<Notification><Id>{salesforce_id(key, '04l')}</Id>{sobject}</Notification>"
            for key, sobject in chunk
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<soapenv:Envelope xmlns:soapenv="{salesforce.SOAP_NS}" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:xsi="{salesforce.XSI_NS}"><soapenv:Body>'
            f'<notifications xmlns="{salesforce.OUTBOUND_NS}">'
            f"<OrganizationId>{escape(org)}</OrganizationId>"
            f"<ActionId>{salesforce_id('rel2rev-action', '04k')}</ActionId>"
            '<SessionId xsi:nil="true"/>'
            f"<EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/61.0/{escape(org)}"
            "</EnterpriseUrl>"
            f"<PartnerUrl>https://example.my.salesforce.com/services/Soap/u/61.0/{escape(org)}"
            "</PartnerUrl>"
            f"{notifications}</notifications></soapenv:Body></soapenv:Envelope>"
        ).encode()
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": '""',
            "User-Agent": "Jakarta Commons-HttpClient/3.1",
        }
        out.append(NativeRequest(method="POST", url=url, headers=headers, body=body))
    return out


# --- pipedrive -----------------------------------------------------------------------------


def _pd_person_id(contact: Contact | None, contact_id: str) -> int:
    native = _identifier(contact, IdentifierKind.PIPEDRIVE)
    return int(native) if native and native.isdigit() else _numeric(contact_id, "pipedrive:")


def _org(account_id: str | None) -> int | str | None:
    return int(account_id) if account_id and account_id.isdigit() else account_id


def _pd_payloads(
    records: WorkspaceRecords,
) -> list[tuple[str, int | str, datetime, dict[str, Any]]]:
    contacts = _contacts(records)
    out: list[tuple[str, int | str, datetime, dict[str, Any]]] = []
    for c in records.contacts:
        pid = _pd_person_id(c, c.contact_id)
        data: dict[str, Any]
        emails = [i.value for i in c.identifiers if i.kind is IdentifierKind.EMAIL]
        phones = [i.value for i in c.identifiers if i.kind is IdentifierKind.PHONE]
        data = {
            "id": pid,
            "name": c.name,
            "emails": [
                {"value": e, "primary": n == 0, "label": "work"} for n, e in enumerate(emails)
            ],
            "phones": [
                {"value": p, "primary": n == 0, "label": "work"} for n, p in enumerate(phones)
            ],
            "org_id": _org(c.account_id),
            "owner_id": _org(c.owner),
            "add_time": _iso(c.created_at) if c.created_at else None,
            "update_time": _iso(c.updated_at),
        }
        out.append(("person", pid, c.updated_at, data))
    for lead in records.leads:
        lid = str(uuid.UUID(_digest("lead", lead.lead_id)[:32]))
        if lead.lead_id.startswith("pipedrive:lead:"):
            lid = lead.lead_id.removeprefix("pipedrive:lead:")
        person = (
            _pd_person_id(contacts.get(lead.contact_id), lead.contact_id)
            if lead.contact_id
            else None
        )
        data = {
            "id": lid,
            "title": f"Lead {lead.lead_id}",
            "person_id": person,
            "organization_id": _org(lead.account_id),
            "owner_id": _org(lead.owner),
            "source_name": lead.channel,
            "status": lead.status,
            "add_time": _iso(lead.created_at) if lead.created_at else None,
            "update_time": _iso(lead.updated_at),
        }
        out.append(("lead", lid, lead.updated_at, data))
    for deal in records.deals:
        did = _numeric(deal.deal_id, "pipedrive:")
        role = deal.contact_roles[0].contact_id if deal.contact_roles else None
        closed = _iso(deal.closed_at) if deal.closed_at else None
        data = {
            "id": did,
            "title": deal.name,
            "value": deal.amount.amount if deal.amount else None,
            "currency": deal.amount.currency if deal.amount else None,
            "status": deal.status.value,
            "stage_id": _org(deal.stage),
            "person_id": _pd_person_id(contacts.get(role), role) if role else None,
            "org_id": _org(deal.account_id),
            "owner_id": _org(deal.owner),
            "add_time": _iso(deal.created_at) if deal.created_at else None,
            "update_time": _iso(deal.updated_at),
            "won_time": closed if deal.status is DealStatus.WON else None,
            "lost_time": closed if deal.status is DealStatus.LOST else None,
            "close_time": closed,
        }
        out.append(("deal", did, deal.updated_at, data))
    for i in records.interactions:
        aid = _numeric(i.interaction_id, "pipedrive:activity:")
        kind = i.type.value
        data = {
            "id": aid,
            "type": f"inbound_{kind}" if i.direction is Direction.INBOUND else kind,
            "subject": i.content,
            "done": True,
            "due_date": i.occurred_at.date().isoformat(),
            "due_time": i.occurred_at.strftime("%H:%M"),
            "marked_as_done_time": _iso(i.occurred_at),
            "person_id": _pd_person_id(contacts.get(i.contact_id), i.contact_id),
            "org_id": _org(i.account_id),
            "owner_id": _org(i.owner),
            "add_time": _iso(i.occurred_at),
            "update_time": _iso(i.updated_at),
        }
        out.append(("activity", aid, i.updated_at, data))
    return out


def _json_with_decimals(document: Any) -> bytes:
    """JSON where Decimal amounts are written as exact number literals (never via float)."""
    marks: dict[str, str] = {}

    def encode(value: Any) -> Any:
        if isinstance(value, Decimal):
            mark = f"@@decimal{len(marks)}@@"
            marks[json.dumps(mark)] = str(value)
            return mark
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    text = json.dumps(document, default=encode)
    for mark, literal in marks.items():
        text = text.replace(mark, literal)
    return text.encode()


def _pipedrive(
    connection: Connection, records: WorkspaceRecords, now: datetime, url: str
) -> list[NativeRequest]:
    password = connection.basic_password.get_secret_value() if connection.basic_password else ""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Pipedrive Webhooks",
        "Authorization": basic_authorization(connection.basic_user or "", password),
    }
    out = []
    for entity, entity_id, at, data in _pd_payloads(records):
        meta = {
            "action": "create",
            "entity": entity,
            "entity_id": str(entity_id),
            "id": str(uuid.UUID(_digest(entity, entity_id, _iso(at))[:32])),
            "company_id": "1",
            "correlation_id": str(uuid.UUID(_digest("corr", entity, entity_id)[:32])),
            "is_bulk_edit": False,
            "timestamp": _iso(at),
            "type": "general",
            "user_id": "1",
            "version": "2.0",
            "webhook_id": "1",
            "webhook_owner_id": "1",
            "change_source": "app",
            "attempt": 1,
            "host": "example.pipedrive.com",
        }
        body = _json_with_decimals({"data": _drop_none(data), "previous": None, "meta": meta})
        out.append(NativeRequest(method="POST", url=url, headers=headers, body=body))
    return out


# --- samples (events/webhooks/*.json) ------------------------------------------------------

_AUTH_HEADERS = frozenset(
    {
        "x-rel2rev-signature",
        "x-hubspot-signature",
        "x-hubspot-signature-v3",
        "x-hubspot-signature-version",
        "x-hubspot-request-timestamp",
        "authorization",
    }
)


def sign_request(
    source: str, connection: Connection, request: NativeRequest, now: datetime
) -> NativeRequest:
    """The same request with its proof of origin recomputed for `connection` at `now`."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _AUTH_HEADERS}
    url, body = request.url, request.body
    if source == "generic":
        secret = connection.signing_secret.get_secret_value() if connection.signing_secret else ""
        headers["X-Rel2rev-Signature"] = sign_generic(secret, body, int(now.timestamp()))
    elif source == "hubspot":
        secret = connection.signing_secret.get_secret_value() if connection.signing_secret else ""
        stamp = _ms(now)
        headers["X-HubSpot-Signature-v3"] = sign_hubspot_v3(
            secret, request.method, url, body, stamp
        )
        headers["X-HubSpot-Request-Timestamp"] = str(stamp)
        headers["X-HubSpot-Signature"] = hubspot.signature_v1(secret.encode(), body)
        headers["X-HubSpot-Signature-Version"] = "v1"
    elif source == "salesforce":
        token = connection.token.get_secret_value() if connection.token else ""
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"]
        url = parts._replace(query=urlencode([*query, ("token", token)])).geturl()
    elif source == "pipedrive":
        password = connection.basic_password.get_secret_value() if connection.basic_password else ""
        headers["Authorization"] = basic_authorization(connection.basic_user or "", password)
    return request.model_copy(update={"url": url, "headers": headers})


def http_api_event(
    request: NativeRequest, source: str, workspace: str, request_id: str, now: datetime
) -> dict[str, Any]:
    """The API Gateway HTTP API (payload v2.0) event the ingest function receives."""
    parts = urlsplit(request.url)
    return {
        "version": "2.0",
        "routeKey": "POST /v1/hooks/{workspace}/{source}",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": {k.lower(): v for k, v in request.headers.items()}
        | {"host": parts.netloc, "content-length": str(len(request.body))},
        "queryStringParameters": dict(parse_qsl(parts.query)) or None,
        "pathParameters": {"workspace": workspace, "source": source},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "r2rapi",
            "domainName": parts.netloc,
            "domainPrefix": parts.netloc.split(".")[0],
            "http": {
                "method": request.method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": request_id,
            "routeKey": "POST /v1/hooks/{workspace}/{source}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": _ms(now),
        },
        "body": request.body.decode(),
        "isBase64Encoded": False,
    }


def request_from_http_event(event: dict[str, Any], base_url: str | None = None) -> NativeRequest:
    """The request an HTTP API v2 event describes, aimed at `base_url` when given."""
    context = event["requestContext"]
    root = base_url.rstrip("/") if base_url else f"https://{context['domainName']}"
    query = event.get("rawQueryString") or ""
    url = f"{root}{event['rawPath']}" + (f"?{query}" if query else "")
    skip = {"host", "content-length"}
    headers = {k: v for k, v in event["headers"].items() if k not in skip}
    body = event.get("body") or ""
    raw_body = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    return NativeRequest(method=context["http"]["method"], url=url, headers=headers, body=raw_body)
