"""The `pipedrive` source: webhooks v2 (`meta` / `data` / `previous`), one change per request.

Mapped entities: person (contact), deal, activity (interaction) and lead; deletions and
other entities are skipped. The sender is proven by HTTP Basic auth with the user and
password configured on the Pipedrive webhook and on the connection (constant-time compare).

Archived pages of Pipedrive's own API (written by `rel2rev backfill pipedrive`, marked with the
`x-rel2rev-backfill` header) are parsed by `rel2rev.ingest.sources.pipedrive_objects` with the
same mappers and record ids as the webhooks, so a replay of the archive gives the same events
and a backfilled record and a webhook about it are one record. A live request carrying that
header is refused by `verify`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    accepted,
    constant_time_equal,
    error_text,
    load_json,
    parse_amount,
    parse_instant,
    validation_details,
)
from rel2rev.money import Money, is_known_currency
from rel2rev.records import (
    MAX_KEY_CHARS,
    MAX_TEXT_CHARS,
    DealStatus,
    Direction,
    Identifier,
    IdentifierKind,
    InteractionType,
)

_TYPES = {
    "call": InteractionType.CALL,
    "meeting": InteractionType.MEETING,
    "lunch": InteractionType.MEETING,
    "email": InteractionType.EMAIL,
}
_STATUSES = {"open": DealStatus.OPEN, "won": DealStatus.WON, "lost": DealStatus.LOST}
_CHANNELS = {
    InteractionType.CALL: "phone",
    InteractionType.EMAIL: "email",
    InteractionType.MEETING: "meeting",
}

Ref = str | int


class PipedriveMeta(BaseModel):
    """The `meta` block of a v2 webhook (fields rel2rev reads; others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    action: str = Field(min_length=1, max_length=32)
    entity: str = Field(min_length=1, max_length=64)
    id: Ref | None = None
    entity_id: Ref | None = None
    company_id: Ref | None = None
    timestamp: Ref | None = None
    version: str | None = None
    merged_to_id: Ref | None = Field(
        None, description="On the delete of a merged object: the object it was merged into"
    )


class PipedriveDelivery(BaseModel):
    """A whole v2 webhook body."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    meta: PipedriveMeta
    data: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None


def basic_authorization(user: str, password: str) -> str:
    """The `Authorization` header value for HTTP Basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class FieldError(Exception):
    """A field of a Pipedrive object that cannot be read (its name and why)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class PipedriveAdapter:
    """Pipedrive webhooks v2 for persons, deals, activities and leads."""

    name = "pipedrive"
    content_types = frozenset({"application/json"})

    def verify(self, request: RawRequest, connection: Connection, now: datetime) -> None:
        """Check HTTP Basic credentials against the connection. A live request marked as a
        backfill page is refused: only the backfill writes such pages."""
        if request.header(BACKFILL_HEADER) is not None:
            raise AuthenticationError(f"{BACKFILL_HEADER} is not accepted on the webhook endpoint")
        user = connection.basic_user or ""
        password = connection.basic_password.get_secret_value() if connection.basic_password else ""
        if not user or not password:
            raise AuthenticationError("connection has no basic auth credentials configured")
        scheme, _, credential = (request.header("authorization") or "").strip().partition(" ")
        if scheme.lower() != "basic":
            raise AuthenticationError("missing HTTP Basic credentials")
        try:
            decoded = base64.b64decode(credential.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationError("malformed HTTP Basic credentials") from None
        given_user, _, given_password = decoded.partition(":")
        user_ok = constant_time_equal(given_user, user)
        password_ok = constant_time_equal(given_password, password)
        if not (user_ok and password_ok):
            raise AuthenticationError("wrong HTTP Basic credentials")

    def parse(self, request: RawRequest, connection: Connection) -> list[Event]:
        """Zero or one event: the change the delivery describes; or the events of an archived
        backfill page."""
        object_type = request.header(BACKFILL_HEADER)
        if object_type is not None:
            from rel2rev.ingest.sources.pipedrive_objects import parse_page

            return parse_page(request, object_type, connection)
        document = load_json(request.body)
        try:
            delivery = PipedriveDelivery.model_validate(document)
        except ValidationError as exc:
            raise InputError("invalid Pipedrive webhook", details=validation_details(exc)) from None
        meta, data = delivery.meta, delivery.data
        mapper = PAYLOADS.get(meta.entity.lower())
        if _is_person_merge(meta):
            mapper = _person_merge
            data = {"id": meta.entity_id, "merged_to_id": meta.merged_to_id}
        elif meta.action.lower() not in {"create", "change"} or mapper is None or data is None:
            return []  # deletions and entities rel2rev does not store
        try:
            payload = mapper(data, connection)
            clock = field_time(data, "update_time") or _meta_time(meta)
            occurred = clock or request.received_at
        except ValidationError as exc:
            raise InputError(
                "invalid Pipedrive webhook", details=validation_details(exc, "data")
            ) from None
        except FieldError as exc:
            raise InputError(
                "invalid Pipedrive webhook",
                details=[{"path": f"data.{exc.field}", "message": exc.message}],
            ) from None
        if payload is None:
            return []
        identity = _identity(meta, payload.model_dump_json(), clock)
        event_id = event_id_for(
            "pipedrive", request.workspace, meta.company_id, meta.entity, meta.action, identity
        )
        return [
            Event(
                event_id=event_id,
                workspace=request.workspace,
                source="pipedrive",
                request_id=request.request_id,
                received_at=request.received_at,
                occurred_at=occurred,
                payload=payload,
            )
        ]

    def acknowledge(self, request: RawRequest, events: Sequence[Event]) -> WebhookResponse:
        """202 with the accepted count and event ids."""
        return accepted(request, events)


def _is_person_merge(meta: PipedriveMeta) -> bool:
    """Webhooks v2 send a merge as the delete of the merged person, naming the survivor."""
    return (
        meta.action.lower() == "delete"
        and meta.entity.lower() == "person"
        and meta.merged_to_id is not None
        and meta.entity_id is not None
    )


def _person_merge(data: dict[str, Any], connection: Connection) -> Payload | None:
    merged, survivor = ref(data, "id"), ref(data, "merged_to_id")
    if merged is None or survivor is None or merged == survivor:
        return None
    return ContactMerge(people=[person_ids(merged), person_ids(survivor)])


def _identity(meta: PipedriveMeta, payload: str, clock: datetime | None) -> str:
    """What makes a delivery this delivery: Pipedrive's own id, else the entity and the change
    time, else the content and the source's clock if any (two different changes never share
    an id; a redelivery of the same change does, whenever it arrives)."""
    if meta.id is not None:
        return str(meta.id)
    if meta.entity_id is not None and meta.timestamp is not None:
        return f"{meta.entity_id}@{meta.timestamp}"
    stamp = clock.isoformat() if clock else ""
    return "content:" + hashlib.sha256(f"{stamp}|{payload}".encode()).hexdigest()


def _meta_time(meta: PipedriveMeta) -> datetime | None:
    if meta.timestamp is None:
        return None
    try:
        return parse_instant(meta.timestamp)
    except ValueError as exc:
        raise FieldError("meta.timestamp", str(exc)) from None


def field_time(data: dict[str, Any], field: str) -> datetime | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None


MAX_PIPEDRIVE_ID = 10**18
"""Pipedrive ids are positive integers (lead ids are UUIDs); anything beyond is refused."""


def ref(data: dict[str, Any], field: str) -> str | None:
    """An id field as text; v1-style `{"value": 3, ...}` objects are accepted too. An integer
    id must be positive and below `MAX_PIPEDRIVE_ID`, a text id at most `MAX_KEY_CHARS`."""
    value = data.get(field)
    if isinstance(value, dict):
        value = value.get("value", value.get("id"))
    if value is None or value == "" or isinstance(value, bool | dict | list):
        return None
    if isinstance(value, int | Decimal):
        if value != int(value) or not 0 < value < MAX_PIPEDRIVE_ID:
            raise FieldError(field, f"not a Pipedrive id (a positive integer): {str(value)[:40]}")
        return str(int(value))
    text = str(value).strip()
    if not text or len(text) > MAX_KEY_CHARS:
        raise FieldError(field, f"an id has 1 to {MAX_KEY_CHARS} characters")
    return text


def _text(data: dict[str, Any], field: str, limit: int = 256) -> str | None:
    value = data.get(field)
    return value.strip()[:limit] or None if isinstance(value, str) else None


def person_ids(person_id: str) -> list[Identifier]:
    """A Pipedrive person's identifiers: `pipedrive:<person id>`."""
    return [Identifier(kind=IdentifierKind.PIPEDRIVE, value=person_id)]


def deal_record_id(deal_id: str) -> str:
    """A Pipedrive deal's record id: `pipedrive:<deal id>`."""
    return f"pipedrive:{deal_id}"


def lead_record_id(lead_id: str) -> str:
    """A Pipedrive lead's record id: `pipedrive:lead:<lead id>`."""
    return f"pipedrive:lead:{lead_id}"


def deal_status(status: str | None) -> DealStatus | None:
    """`open`, `won` or `lost` (any case) as a status; None for anything else."""
    return _STATUSES.get((status or "").strip().lower())


def _values(data: dict[str, Any], *fields: str) -> list[str]:
    out: list[str] = []
    for field in fields:
        items = data.get(field)
        for item in items if isinstance(items, list) else []:
            value = item.get("value") if isinstance(item, dict) else item
            if isinstance(value, str) and value.strip():
                out.append(value.strip())
    return out


def _person(data: dict[str, Any], connection: Connection) -> Payload | None:
    person_id = ref(data, "id")
    if person_id is None:
        raise FieldError("id", "a person needs an id")
    ids = person_ids(person_id)
    ids += [
        Identifier(kind=IdentifierKind.EMAIL, value=v) for v in _values(data, "emails", "email")
    ]
    ids += [
        Identifier(kind=IdentifierKind.PHONE, value=v) for v in _values(data, "phones", "phone")
    ]
    return ContactUpsert(
        identifiers=ids[:20],
        name=_text(data, "name"),
        account_id=ref(data, "org_id"),
        owner=ref(data, "owner_id"),
        created_at=field_time(data, "add_time"),
    )


def _deal(data: dict[str, Any], connection: Connection) -> Payload | None:
    deal_id = ref(data, "id")
    if deal_id is None:
        raise FieldError("id", "a deal needs an id")
    status = deal_status(_text(data, "status"))
    amount = None
    currency = _text(data, "currency") or connection.currency
    if data.get("value") is not None and currency:
        if not is_known_currency(currency.upper()):
            raise FieldError("currency", f"unknown ISO 4217 currency {currency!r}")
        try:
            amount = Money.of(parse_amount(data["value"]), currency.upper())
        except ValueError as exc:
            raise FieldError("value", error_text(exc)) from None
    closed_at = None
    if status is DealStatus.WON:
        closed_at = field_time(data, "won_time") or field_time(data, "close_time")
    elif status is DealStatus.LOST:
        closed_at = field_time(data, "lost_time") or field_time(data, "close_time")
    person = ref(data, "person_id")
    return DealUpsert(
        deal_id=deal_record_id(deal_id),
        name=_text(data, "title"),
        account_id=ref(data, "org_id"),
        amount=amount,
        stage=ref(data, "stage_id"),
        status=status,
        created_at=field_time(data, "add_time"),
        closed_at=closed_at,
        owner=ref(data, "owner_id"),
        contact_roles=[ContactRoleRef(contact=person_ids(person))] if person else [],
    )


def _activity_type(raw: str) -> tuple[InteractionType, Direction]:
    """`call`, `meeting`, ...; custom types whose key holds `inbound` are inbound."""
    key = raw.lower()
    direction = Direction.INBOUND if "inbound" in key else Direction.OUTBOUND
    base = key.replace("inbound", "").replace("outbound", "").strip("_- ")
    if base in set(InteractionType) and base not in _TYPES:
        return InteractionType(base), direction
    return _TYPES.get(base, InteractionType.OTHER), direction


def _activity_time(data: dict[str, Any]) -> datetime | None:
    done = field_time(data, "marked_as_done_time")
    if done is not None:
        return done
    due_date = _text(data, "due_date")
    if due_date:
        due_time = _text(data, "due_time") or "00:00"
        try:
            return parse_instant(f"{due_date}T{due_time}")
        except ValueError as exc:
            raise FieldError("due_date", str(exc)) from None
    return field_time(data, "add_time")


def _activity(data: dict[str, Any], connection: Connection) -> Payload | None:
    activity_id = ref(data, "id")
    if activity_id is None:
        raise FieldError("id", "an activity needs an id")
    person = ref(data, "person_id")
    participants = data.get("participants")
    if person is None and isinstance(participants, list):
        people = [p for p in participants if isinstance(p, dict) and p.get("person_id")]
        people.sort(key=lambda p: not p.get("primary"))
        person = ref(people[0], "person_id") if people else None
    occurred = _activity_time(data)
    if person is None or occurred is None:
        return None  # no person or no time: not a touch rel2rev can place
    kind, direction = _activity_type(_text(data, "type") or "")
    return InteractionEvent(
        interaction_id=f"pipedrive:activity:{activity_id}",
        contact=person_ids(person),
        account_id=ref(data, "org_id"),
        type=kind,
        direction=direction,
        channel=_CHANNELS.get(kind, "crm"),
        occurred_at=occurred,
        owner=ref(data, "owner_id"),
        content=_text(data, "subject", MAX_TEXT_CHARS * 2),
    )


def _lead(data: dict[str, Any], connection: Connection) -> Payload | None:
    lead_id = ref(data, "id")
    if lead_id is None:
        raise FieldError("id", "a lead needs an id")
    person = ref(data, "person_id")
    channel = _text(data, "source_name", 64) or ref(data, "channel")
    return LeadUpsert(
        lead_id=lead_record_id(lead_id),
        contact=person_ids(person) if person else [],
        account_id=ref(data, "organization_id") or ref(data, "org_id"),
        created_at=field_time(data, "add_time"),
        status=_text(data, "status"),
        owner=ref(data, "owner_id"),
        channel=channel.lower()[:64] if channel else None,
    )


PAYLOADS: dict[str, Callable[[dict[str, Any], Connection], Payload | None]] = {
    "person": _person,
    "deal": _deal,
    "activity": _activity,
    "lead": _lead,
}
"""Webhook entity (and backfill object) -> the payload of its `data`; `FieldError` if unreadable."""

ADAPTER = PipedriveAdapter()
