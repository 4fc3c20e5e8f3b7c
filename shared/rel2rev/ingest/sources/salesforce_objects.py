"""Salesforce API records (backfill pages, not Outbound Messages) as normalised events.

`rel2rev backfill salesforce` reads these pages and `SalesforceAdapter.parse` re-reads them from
the archive, both through `parse_page`, so a replay gives the same event ids. A page is a REST
query answer (JSON `records`, relationship fields nested) or a Bulk API 2.0 result set (CSV,
relationship fields as `Parent.Field` columns, nulls empty). Each record is read as a webhook
`Notification` and Lead, Contact, Opportunity, Task and Event records go through the webhook's
own mapping (`sobject_payloads`), so record identity is the webhook's: people by their
Salesforce id, leads and deals `salesforce:<Id>`, accounts by `AccountId`. Event ids come from
the workspace, the object type, the record Id and its SystemModstamp (an OpportunityHistory
row, which never changes, by its Id alone): a backfill run again gives duplicates, stored once.

Shapes: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
(`totalSize`, `done`, `nextRecordsUrl`, `records[].attributes`) and
https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_get_job_results.htm
(CSV result sets).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from rel2rev.errors import InputError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import (
    ContactRoleRef,
    DealUpsert,
    Event,
    InteractionEvent,
    Payload,
    event_id_for,
)
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.base import load_json, parse_instant, validation_details
from rel2rev.ingest.sources.salesforce import (
    FieldError,
    Fields,
    Notification,
    changed_at,
    deal_status,
    flag,
    record_id,
    salesforce_identifier,
    sf_id,
    sf_ref,
    sobject_payloads,
)
from rel2rev.records import DealStatus, Direction, InteractionType

MODIFIED = "SystemModstamp"
"""Every object type's last-modified field: incremental passes filter and order on it."""
CSV_MEDIA_TYPE = "text/csv"

Normalise = Callable[[Notification, Connection], list[tuple[str, Payload]]]


@dataclass(frozen=True)
class ObjectType:
    """What rel2rev reads of one sObject type and how a record becomes patches."""

    name: str
    fields: tuple[str, ...]
    normalise: Normalise
    optional: tuple[str, ...] = ()
    """Fields only some orgs have (`CurrencyIsoCode`: multi-currency orgs): read when the
    object's describe lists them."""
    immutable: bool = False
    """Rows never change after they are written (history): ids without the modified time."""


def _stage_change(n: Notification, _: Connection) -> list[tuple[str, Payload]]:
    """An OpportunityHistory row: the stage it moved to, dated by the row. Its status is the
    opportunity's IsClosed/IsWon when the row's stage is the current one, else the default
    closed stage names decide, else open."""
    stage, opportunity = n.text("StageName"), sf_ref(n, "OpportunityId")
    if stage is None or opportunity is None:
        return []
    current = stage == n.text("Opportunity.StageName")
    closed = flag(n, "Opportunity.IsClosed") if current else None
    won = flag(n, "Opportunity.IsWon") if current else None
    status = deal_status(stage, closed, won) or DealStatus.OPEN
    return [("stage", DealUpsert(deal_id=record_id(opportunity), stage=stage, status=status))]


def _contact_role(n: Notification, _: Connection) -> list[tuple[str, Payload]]:
    """An OpportunityContactRole: the contact (with its role) on the opportunity."""
    opportunity, contact = sf_ref(n, "OpportunityId"), sf_ref(n, "ContactId")
    if opportunity is None or contact is None:
        return []
    role = ContactRoleRef(contact=[salesforce_identifier(contact)], role=n.text("Role"))
    return [("role", DealUpsert(deal_id=record_id(opportunity), contact_roles=[role]))]


_CAMPAIGN_RESPONSES = {
    "email": InteractionType.EMAIL_REPLY,
    "referral program": InteractionType.REFERRAL,
    "advertisement": InteractionType.AD_CLICK,
    "banner ads": InteractionType.AD_CLICK,
    "webinar": InteractionType.EVENT_REGISTERED,
    "conference": InteractionType.EVENT_REGISTERED,
    "trade show": InteractionType.EVENT_REGISTERED,
}
"""A response to a campaign of a type (Campaign.Type, lower-cased) is this kind of touch."""


def _campaign_kind(n: Notification) -> tuple[InteractionType, Direction]:
    """Attended/registered statuses first, then the campaign type of a response; a member who
    has not responded was reached by us (an e-mail campaign's send, else `other`)."""
    status = (n.text("Status") or "").lower()
    campaign_type = (n.text("Campaign.Type") or "").lower()
    if "attend" in status:
        return InteractionType.EVENT_ATTENDED, Direction.INBOUND
    if "regist" in status:
        return InteractionType.EVENT_REGISTERED, Direction.INBOUND
    if flag(n, "HasResponded"):
        return _CAMPAIGN_RESPONSES.get(campaign_type, InteractionType.OTHER), Direction.INBOUND
    sent = InteractionType.EMAIL if campaign_type == "email" else InteractionType.OTHER
    return sent, Direction.OUTBOUND


def _campaign_member(n: Notification, _: Connection) -> list[tuple[str, Payload]]:
    """A CampaignMember: one campaign touch of its contact (else its lead)."""
    person = sf_ref(n, "ContactId") or sf_ref(n, "LeadId")
    responded = n.text("FirstRespondedDate") if flag(n, "HasResponded") else None
    occurred = responded or n.text("CreatedDate")
    if person is None or occurred is None:
        return []
    kind, direction = _campaign_kind(n)
    campaign_type = n.text("Campaign.Type")
    touch = InteractionEvent(
        interaction_id=record_id(sf_id(n)),
        contact=[salesforce_identifier(person)],
        type=kind,
        direction=direction,
        channel=(campaign_type or "campaign").lower()[:64],
        occurred_at=_instant(occurred, "FirstRespondedDate" if responded else "CreatedDate"),
        campaign=n.text("Campaign.Name") or sf_ref(n, "CampaignId"),
        content=n.text("Status"),
    )
    return [("interaction", touch)]


def _instant(value: str, field: str) -> datetime:
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None


_STAMPS = ("CreatedDate", "LastModifiedDate", MODIFIED)

OBJECT_TYPES: dict[str, ObjectType] = {
    kind.name: kind
    for kind in (
        ObjectType(
            "Contact",
            (
                "Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "AccountId",
                "OwnerId", "MasterRecordId", *_STAMPS,
            ),
            sobject_payloads,
        ),
        ObjectType(
            "Lead",
            (
                "Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "Website",
                "Status", "LeadSource", "OwnerId", "ConvertedContactId", *_STAMPS,
            ),
            sobject_payloads,
        ),
        ObjectType(
            "Opportunity",
            (
                "Id", "Name", "AccountId", "Amount", "StageName", "IsClosed", "IsWon",
                "CloseDate", "ContactId", "OwnerId", *_STAMPS,
            ),
            sobject_payloads,
            optional=("CurrencyIsoCode",),
        ),
        ObjectType(
            "OpportunityHistory",
            (
                "Id", "OpportunityId", "StageName", "Opportunity.StageName",
                "Opportunity.IsClosed", "Opportunity.IsWon", "CreatedDate", MODIFIED,
            ),
            _stage_change,
            immutable=True,
        ),
        ObjectType(
            "OpportunityContactRole",
            ("Id", "OpportunityId", "ContactId", "Role", "IsPrimary", *_STAMPS),
            _contact_role,
        ),
        ObjectType(
            "Task",
            (
                "Id", "WhoId", "AccountId", "OwnerId", "Subject", "TaskSubtype", "Type",
                "CallType", "ActivityDate", "CompletedDateTime", *_STAMPS,
            ),
            sobject_payloads,
        ),
        ObjectType(
            "Event",
            (
                "Id", "WhoId", "AccountId", "OwnerId", "Subject", "EventSubtype", "Type",
                "StartDateTime", "ActivityDateTime", *_STAMPS,
            ),
            sobject_payloads,
        ),
        ObjectType(
            "CampaignMember",
            (
                "Id", "CampaignId", "Campaign.Name", "Campaign.Type", "ContactId", "LeadId",
                "Status", "HasResponded", "FirstRespondedDate", *_STAMPS,
            ),
            _campaign_member,
        ),
    )
}  # fmt: skip
"""Object types in the order a backfill reads them: people and deals before touches."""


def object_type_named(name: str) -> ObjectType:
    """The object type of a name; InputError naming the known ones otherwise."""
    found = OBJECT_TYPES.get(name)
    if found is None:
        known = ", ".join(OBJECT_TYPES)
        raise InputError(f"unknown Salesforce object type {name!r}; known: {known}")
    return found


def _flatten(record: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str | None]]:
    """A REST record's fields as text, relationship objects as `Parent.Field` (as in CSV)."""
    for name, value in record.items():
        if name == "attributes":
            continue
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}.")
        elif isinstance(value, bool):
            yield f"{prefix}{name}", "true" if value else "false"
        else:
            yield f"{prefix}{name}", None if value is None else str(value)


def _rows(request: RawRequest) -> list[Fields]:
    if request.media_type == CSV_MEDIA_TYPE:
        try:
            text = request.body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"a Bulk API result set must be UTF-8 CSV: {exc.reason}") from None
        return [dict(row) for row in csv.DictReader(io.StringIO(text, newline=""))]
    document = load_json(request.body)
    records = document.get("records") if isinstance(document, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError("a Salesforce query answer must have a `records` array of objects")
    return [dict(_flatten(record)) for record in records]


def page_records(request: RawRequest, object_type_name: str) -> list[Notification]:
    """The records of an archived page (REST JSON or Bulk CSV) as notifications."""
    kind = object_type_named(object_type_name)
    return [Notification(row.get("Id") or "", kind.name, row) for row in _rows(request)]


def latest_modified(records: list[Notification]) -> datetime | None:
    """The latest SystemModstamp of some records (None for none)."""
    times = [parse_instant(value) for r in records if (value := r.text(MODIFIED))]
    return max(times) if times else None


def record_events(
    kind: ObjectType, record: Notification, request: RawRequest, connection: Connection
) -> list[Event]:
    """The events of one record; FieldError or ValidationError for an unreadable field."""
    stamp = record.text(MODIFIED)
    # REST writes `…000+0000`, Bulk CSV `…000Z`: the same moment gives the same id.
    moment = _instant(stamp, MODIFIED).isoformat() if stamp else None
    version = "history" if kind.immutable else moment
    created = record.text("CreatedDate") if kind.immutable else None
    occurred = _instant(created, "CreatedDate") if created else changed_at(record)
    return [
        Event(
            event_id=event_id_for(
                "salesforce",
                request.workspace,
                "backfill",
                kind.name,
                sf_id(record),
                version,
                part,
            ),
            workspace=request.workspace,
            source="salesforce",
            request_id=request.request_id,
            received_at=request.received_at,
            occurred_at=occurred or request.received_at,
            payload=payload,
        )
        for part, payload in kind.normalise(record, connection)
    ]


def parse_page(request: RawRequest, object_type_name: str, connection: Connection) -> list[Event]:
    """The events of an archived API page of `object_type_name` (InputError if malformed)."""
    kind = object_type_named(object_type_name)
    events: list[Event] = []
    details: list[dict[str, Any]] = []
    for index, record in enumerate(page_records(request, kind.name)):
        try:
            events.extend(record_events(kind, record, request, connection))
        except ValidationError as exc:
            details.extend(validation_details(exc, f"records[{index}]"))
        except FieldError as exc:
            details.append({"path": f"records[{index}].{exc.field}", "message": exc.message})
    if details:
        raise InputError(f"invalid Salesforce {kind.name} records", details=details)
    return events
