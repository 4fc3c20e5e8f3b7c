"""HubSpot CRM v3 objects (API pages, not webhooks) as normalised events.

`rel2rev backfill hubspot` reads these pages and `HubSpotAdapter.parse` re-reads them from the
archive, both through `parse_page`, so a replay gives the same event ids. Record identity is
the webhook adapter's (`hubspot:<id>` contacts and deals, `hubspot:contact:<id>` leads), so a
backfilled record and a webhook about it are one record. Event ids come from the workspace,
the object type and id, and the object's last-modified time (or a history entry's time): a
backfill run again gives duplicates, stored once.

Shapes: https://developers.hubspot.com/docs/api-reference/latest/crm/objects/deals/guide
(`results[].id/properties/propertiesWithHistory/associations`, `paging.next.after`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rel2rev.errors import InputError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import (
    ContactRoleRef,
    ContactUpsert,
    DealUpsert,
    Event,
    InteractionEvent,
    LeadUpsert,
    Payload,
    event_id_for,
)
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.base import load_json, parse_instant
from rel2rev.ingest.sources.hubspot import (
    LEAD_STAGES,
    contact_ids,
    deal_amount,
    deal_record_id,
    deal_status,
    lead_record_id,
)
from rel2rev.records import Direction, Identifier, IdentifierKind, InteractionType

MODIFIED = "hs_lastmodifieddate"
"""Last-modified property of every object but contacts (which use `lastmodifieddate`)."""


@dataclass(frozen=True)
class HubSpotObject:
    """One CRM object, as the API returns it (`id`, `properties`, history, associations)."""

    object_id: int
    properties: Mapping[str, Any]
    history: Mapping[str, list[dict[str, Any]]]
    associations: Mapping[str, list[int]]

    def text(self, name: str) -> str | None:
        """A property's value, stripped; None when absent or empty."""
        value = self.properties.get(name)
        text = str(value).strip() if value is not None else ""
        return text or None

    def instant(self, name: str) -> datetime | None:
        """A date property as UTC; None when absent."""
        value = self.text(name)
        return parse_instant(value) if value is not None else None

    def first(self, kind: str) -> int | None:
        """The lowest associated id of a kind (`companies`), if any."""
        ids = self.associations.get(kind, [])
        return min(ids) if ids else None


_Part = tuple[str, datetime | None, Payload]
"""One event of an object: what distinguishes it, its own time (a history entry's) or None
(the object's last-modified time), and the patch."""


@dataclass(frozen=True)
class ObjectType:
    """What rel2rev reads of one HubSpot object type and how it becomes events."""

    name: str
    modified: str
    properties: tuple[str, ...]
    history: tuple[str, ...]
    associations: tuple[str, ...]
    normalise: Callable[[HubSpotObject, datetime, Connection], Iterator[_Part]]


def _contact(obj: HubSpotObject, at: datetime, _: Connection) -> Iterator[_Part]:
    ids = contact_ids(obj.object_id)
    more = [
        Identifier(kind=kind, value=value)
        for kind, name in (
            (IdentifierKind.EMAIL, "email"),
            (IdentifierKind.PHONE, "phone"),
            (IdentifierKind.PHONE, "mobilephone"),
        )
        if (value := obj.text(name))
    ]
    name = " ".join(part for part in (obj.text("firstname"), obj.text("lastname")) if part)
    company = obj.first("companies")
    yield (
        "contact",
        None,
        ContactUpsert(
            identifiers=[*ids, *more],
            name=name[:256] or None,
            account_id=str(company) if company is not None else None,
            owner=obj.text("hubspot_owner_id"),
            created_at=obj.instant("createdate"),
        ),
    )
    stages = obj.history.get("lifecyclestage")
    if stages is None and obj.text("lifecyclestage"):
        stages = [{"value": obj.text("lifecyclestage"), "timestamp": at.isoformat()}]
    for entry in stages or []:
        value = str(entry.get("value") or "").strip()
        if value.lower() in LEAD_STAGES:
            when = parse_instant(entry["timestamp"])
            lead = LeadUpsert(
                lead_id=lead_record_id(obj.object_id), contact=ids, created_at=when, status=value
            )
            yield f"lifecyclestage@{when.isoformat()}", when, lead


def _deal(obj: HubSpotObject, at: datetime, connection: Connection) -> Iterator[_Part]:
    deal_id = deal_record_id(obj.object_id)
    amount = obj.text("amount")
    currency = obj.text("deal_currency_code") or connection.currency
    company = obj.first("companies")
    roles = [ContactRoleRef(contact=contact_ids(c)) for c in sorted(obj.associations["contacts"])]
    history = obj.history.get("dealstage")
    stage = obj.text("dealstage") if history is None else None
    yield (
        "deal",
        None,
        DealUpsert(
            deal_id=deal_id,
            name=(obj.text("dealname") or "")[:256] or None,
            account_id=str(company) if company is not None else None,
            amount=deal_amount(amount, currency) if amount is not None else None,
            stage=stage,
            status=deal_status(stage) if stage is not None else None,
            created_at=obj.instant("createdate"),
            closed_at=obj.instant("closedate"),
            owner=obj.text("hubspot_owner_id"),
            contact_roles=roles[:200],
        ),
    )
    for entry in history or []:
        value = str(entry.get("value") or "").strip()
        if value:
            when = parse_instant(entry["timestamp"])
            change = DealUpsert(deal_id=deal_id, stage=value, status=deal_status(value))
            yield f"dealstage@{when.isoformat()}", when, change


@dataclass(frozen=True)
class _Touch:
    """How one engagement type becomes an interaction."""

    singular: str
    channel: str
    time: tuple[str, ...]
    content: str
    kind: Callable[[HubSpotObject], tuple[InteractionType, Direction]]


def _engagement(touch: _Touch) -> Callable[..., Iterator[_Part]]:
    def normalise(obj: HubSpotObject, _: datetime, __: Connection) -> Iterator[_Part]:
        occurred = next((t for name in touch.time if (t := obj.instant(name))), None)
        if occurred is None:
            return  # no time, no touch (as for Salesforce activities without one)
        kind, direction = touch.kind(obj)
        company = obj.first("companies")
        content = obj.text(touch.content)
        for contact in sorted(obj.associations["contacts"]):
            yield (
                f"contact:{contact}",
                None,
                InteractionEvent(
                    interaction_id=f"hubspot:{touch.singular}:{obj.object_id}:{contact}",
                    contact=contact_ids(contact),
                    account_id=str(company) if company is not None else None,
                    type=kind,
                    direction=direction,
                    channel=touch.channel,
                    occurred_at=occurred,
                    owner=obj.text("hubspot_owner_id"),
                    content=content,
                ),
            )

    return normalise


def _email(obj: HubSpotObject) -> tuple[InteractionType, Direction]:
    if (obj.text("hs_email_direction") or "").upper() == "INCOMING_EMAIL":
        return InteractionType.EMAIL_REPLY, Direction.INBOUND
    return InteractionType.EMAIL, Direction.OUTBOUND


def _call(obj: HubSpotObject) -> tuple[InteractionType, Direction]:
    inbound = (obj.text("hs_call_direction") or "").upper() == "INBOUND"
    return InteractionType.CALL, Direction.INBOUND if inbound else Direction.OUTBOUND


_ENGAGEMENT_ASSOCIATIONS = ("contacts", "companies")

OBJECT_TYPES: dict[str, ObjectType] = {
    kind.name: kind
    for kind in (
        ObjectType(
            "contacts",
            "lastmodifieddate",
            (
                "email", "phone", "mobilephone", "firstname", "lastname", "hubspot_owner_id",
                "createdate", "lifecyclestage", "lastmodifieddate",
            ),
            ("lifecyclestage",),
            ("companies",),
            _contact,
        ),
        ObjectType(
            "deals",
            MODIFIED,
            (
                "dealname", "amount", "deal_currency_code", "dealstage", "closedate",
                "createdate", "hubspot_owner_id", MODIFIED,
            ),
            ("dealstage",),
            ("contacts", "companies"),
            _deal,
        ),
        ObjectType(
            "emails",
            MODIFIED,
            (
                "hs_timestamp", "hs_email_direction", "hs_email_subject", "hubspot_owner_id",
                MODIFIED,
            ),
            (),
            _ENGAGEMENT_ASSOCIATIONS,
            _engagement(_Touch("email", "email", ("hs_timestamp",), "hs_email_subject", _email)),
        ),
        ObjectType(
            "calls",
            MODIFIED,
            ("hs_timestamp", "hs_call_direction", "hs_call_title", "hubspot_owner_id", MODIFIED),
            (),
            _ENGAGEMENT_ASSOCIATIONS,
            _engagement(_Touch("call", "phone", ("hs_timestamp",), "hs_call_title", _call)),
        ),
        ObjectType(
            "meetings",
            MODIFIED,
            (
                "hs_timestamp", "hs_meeting_start_time", "hs_meeting_title", "hubspot_owner_id",
                MODIFIED,
            ),
            (),
            _ENGAGEMENT_ASSOCIATIONS,
            _engagement(
                _Touch(
                    "meeting",
                    "meeting",
                    ("hs_meeting_start_time", "hs_timestamp"),
                    "hs_meeting_title",
                    lambda _: (InteractionType.MEETING, Direction.OUTBOUND),
                )
            ),
        ),
        ObjectType(
            "notes",
            MODIFIED,
            ("hs_timestamp", "hs_note_body", "hubspot_owner_id", MODIFIED),
            (),
            _ENGAGEMENT_ASSOCIATIONS,
            _engagement(
                _Touch(
                    "note",
                    "crm",
                    ("hs_timestamp",),
                    "hs_note_body",
                    lambda _: (InteractionType.OTHER, Direction.OUTBOUND),
                )
            ),
        ),
    )
}  # fmt: skip
"""Object types in the order a backfill reads them: people and deals before engagements."""


def object_type_named(name: str) -> ObjectType:
    """The object type of a name; InputError naming the known ones otherwise."""
    found = OBJECT_TYPES.get(name)
    if found is None:
        raise InputError(f"unknown HubSpot object type {name!r}; known: {', '.join(OBJECT_TYPES)}")
    return found


def read_object(item: Any) -> HubSpotObject:
    """One `results[]` entry (or a single-object answer); ValueError when it is none."""
    if not isinstance(item, dict) or not str(item.get("id", "")).isdigit():
        raise ValueError("not a HubSpot CRM object (no numeric id)")
    properties = item.get("properties") or {}
    history = item.get("propertiesWithHistory") or {}
    associations: dict[str, list[int]] = {}
    for kind, block in (item.get("associations") or {}).items():
        ids = {int(a["id"]) for a in block.get("results", []) if str(a.get("id", "")).isdigit()}
        associations[kind] = sorted(ids)
    if not isinstance(properties, dict) or not isinstance(history, dict):
        raise ValueError("properties and propertiesWithHistory must be objects")
    return HubSpotObject(
        object_id=int(item["id"]),
        properties=properties,
        history={k: list(v) for k, v in history.items() if isinstance(v, list)},
        associations=associations,
    )


def page_objects(document: Any) -> list[HubSpotObject]:
    """The objects of a page: a list or search answer (`results`), or one object."""
    items = document.get("results") if isinstance(document, dict) else None
    if items is None:
        return [read_object(document)]
    if not isinstance(items, list):
        raise ValueError("results must be an array")
    return [read_object(item) for item in items]


def object_events(
    kind: ObjectType,
    obj: HubSpotObject,
    request: RawRequest,
    connection: Connection,
) -> list[Event]:
    """The events of one object; its last-modified time is their ordering clock."""
    modified = obj.instant(kind.modified)
    if modified is None:
        raise ValueError(f"{kind.name} {obj.object_id} has no {kind.modified}")
    obj = HubSpotObject(
        obj.object_id,
        obj.properties,
        obj.history,
        {name: list(obj.associations.get(name, [])) for name in kind.associations},
    )
    events = []
    for part, own_time, payload in kind.normalise(obj, modified, connection):
        # A history entry is identified by its own time, so a later edit of the object gives
        # the same id for it; the rest of the object is identified by its last-modified time.
        version = "history" if own_time is not None else modified.isoformat()
        event_id = event_id_for(
            "hubspot", request.workspace, "backfill", kind.name, obj.object_id, version, part
        )
        events.append(
            Event(
                event_id=event_id,
                workspace=request.workspace,
                source="hubspot",
                request_id=request.request_id,
                received_at=request.received_at,
                occurred_at=own_time or modified,
                payload=payload,
            )
        )
    return events


def parse_page(request: RawRequest, object_type_name: str, connection: Connection) -> list[Event]:
    """The events of an archived API page of `object_type_name` (InputError if malformed)."""
    kind = object_type_named(object_type_name)
    return [
        event
        for obj in page_objects(load_json(request.body))
        for event in object_events(kind, obj, request, connection)
    ]
