"""The `hubspot` source: CRM object webhook batches (a JSON array of up to 100 events).

Verification: `X-HubSpot-Signature-v3` (base64 HMAC-SHA256 over method + decoded URI + body +
`X-HubSpot-Request-Timestamp`, ms, 5-minute window) whenever the header is present or the
connection asks for v3; the older `X-HubSpot-Signature` v2 (sha256 hex of secret + method +
URI + body) or v1 (sha256 hex of secret + body) only for connections configured for them.
Every event's `portalId` must be the connection's portal.

Archived pages of the CRM's own API (written by `rel2rev backfill hubspot`, marked with the
`x-rel2rev-backfill` header) are parsed by `rel2rev.ingest.sources.hubspot_objects`, so a
replay of the archive gives the same events. A live request carrying that header is refused
by `verify`, so no webhook can pass itself off as a backfill page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rel2rev.errors import AuthenticationError, InputError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import (
    ContactMerge,
    ContactRoleRef,
    ContactUpsert,
    DealContactRemoved,
    DealUpsert,
    Event,
    LeadUpsert,
    Payload,
    event_id_for,
)
from rel2rev.ingest.request import RawRequest, WebhookResponse
from rel2rev.ingest.sources.base import (
    BACKFILL_HEADER,
    SIGNATURE_TOLERANCE_SECONDS,
    accepted,
    error_text,
    load_json,
    parse_amount,
    parse_instant,
    secret_bytes,
    utc_from_epoch,
    validation_details,
)
from rel2rev.money import Money, is_known_currency
from rel2rev.records import MAX_LABEL_CHARS, DealStatus, Identifier, IdentifierKind

MAX_EVENTS = 100
MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

# HubSpot's v3 rule: these percent-escapes in the request URI are decoded before signing.
_V3_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip

LEAD_STAGES = frozenset({"lead", "marketingqualifiedlead", "salesqualifiedlead"})
"""Contact lifecycle stages that make the contact a lead."""

WON_STAGES = frozenset({"closedwon"})
LOST_STAGES = frozenset({"closedlost"})

HubSpotId = Annotated[int, Field(ge=0, lt=10**18)]
"""HubSpot object, portal, event and subscription ids: non-negative integers."""
MAX_PROPERTY_CHARS = 65536
"""HubSpot's own limit for a property value."""


class HubSpotEvent(BaseModel):
    """One item of a HubSpot webhook batch (fields rel2rev reads; others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    eventId: HubSpotId
    subscriptionId: HubSpotId
    portalId: HubSpotId
    occurredAt: int = Field(ge=0, le=MAX_EPOCH_MS, description="Epoch milliseconds")
    subscriptionType: str = Field(min_length=1, max_length=100)
    attemptNumber: int = Field(0, ge=0, le=1000)
    objectId: HubSpotId | None = None
    propertyName: str | None = Field(None, max_length=MAX_LABEL_CHARS)
    propertyValue: str | None = Field(None, max_length=MAX_PROPERTY_CHARS)
    changeSource: str | None = Field(None, max_length=MAX_LABEL_CHARS)
    associationType: str | None = Field(None, max_length=MAX_LABEL_CHARS)
    fromObjectId: HubSpotId | None = None
    toObjectId: HubSpotId | None = None
    associationRemoved: bool | None = None
    primaryObjectId: HubSpotId | None = Field(None, description="contact.merge: the survivor")
    mergedObjectIds: list[HubSpotId] | None = Field(
        None, max_length=20, description="contact.merge: the contacts merged into it"
    )
    newObjectId: HubSpotId | None = Field(None, description="contact.merge: the resulting id")


def decode_v3_uri(uri: str) -> str:
    """The request URI with the percent-escapes HubSpot decodes for v3 signatures."""
    out = []
    i = 0
    while i < len(uri):
        chunk = uri[i : i + 3].upper()
        if uri[i] == "%" and chunk in _V3_DECODED:
            out.append(_V3_DECODED[chunk])
            i += 3
        else:
            out.append(uri[i])
            i += 1
    return "".join(out)


def signature_v3(secret: bytes, method: str, uri: str, body: bytes, timestamp_ms: int) -> str:
    """Base64 HMAC-SHA256 of method + decoded URI + body + timestamp."""
    source = f"{method.upper()}{decode_v3_uri(uri)}".encode() + body + str(timestamp_ms).encode()
    return base64.b64encode(hmac.new(secret, source, hashlib.sha256).digest()).decode()


def signature_v2(secret: bytes, method: str, uri: str, body: bytes) -> str:
    """Hex SHA-256 of secret + method + URI + body."""
    return hashlib.sha256(secret + method.upper().encode() + uri.encode() + body).hexdigest()


def signature_v1(secret: bytes, body: bytes) -> str:
    """Hex SHA-256 of secret + body."""
    return hashlib.sha256(secret + body).hexdigest()


def _matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.strip().encode(), expected.encode())


class HubSpotAdapter:
    """HubSpot app webhooks for contacts and deals (and their associations)."""

    name = "hubspot"
    content_types = frozenset({"application/json"})

    def verify(self, request: RawRequest, connection: Connection, now: datetime) -> None:
        """Check the signature (v3, or v2/v1 when configured), then the portal. A live request
        marked as a backfill page is refused: only the backfill writes such pages."""
        if request.header(BACKFILL_HEADER) is not None:
            raise AuthenticationError(f"{BACKFILL_HEADER} is not accepted on the webhook endpoint")
        secret = secret_bytes(connection.signing_secret, "HubSpot client secret")
        v3 = request.header("x-hubspot-signature-v3")
        if v3 is not None or connection.hubspot_signature_version == "v3":
            self._verify_v3(request, secret, v3, now)
        else:
            self._verify_legacy(request, connection, secret)
        self._check_portal(request, connection)

    @staticmethod
    def _verify_v3(request: RawRequest, secret: bytes, given: str | None, now: datetime) -> None:
        stamp = request.header("x-hubspot-request-timestamp") or ""
        if not given or not stamp:
            raise AuthenticationError("missing X-HubSpot-Signature-v3 or request timestamp")
        if not stamp.isdigit() or len(stamp) > 15:
            raise AuthenticationError("malformed X-HubSpot-Request-Timestamp")
        if abs(now.timestamp() * 1000 - int(stamp)) > SIGNATURE_TOLERANCE_SECONDS * 1000:
            raise AuthenticationError("HubSpot request timestamp outside the 5-minute window")
        expected = signature_v3(secret, request.method, request.url, request.body, int(stamp))
        if not _matches(given, expected):
            raise AuthenticationError("HubSpot v3 signature does not match")

    @staticmethod
    def _verify_legacy(request: RawRequest, connection: Connection, secret: bytes) -> None:
        given = request.header("x-hubspot-signature")
        version = (request.header("x-hubspot-signature-version") or "").lower()
        if not given:
            raise AuthenticationError("missing X-HubSpot-Signature header")
        if version != connection.hubspot_signature_version:
            raise AuthenticationError(
                f"signature version {version or '(none)'} is not the configured "
                f"{connection.hubspot_signature_version}"
            )
        if version == "v2":
            expected = signature_v2(secret, request.method, request.url, request.body)
        else:
            expected = signature_v1(secret, request.body)
        if not _matches(given, expected):
            raise AuthenticationError(f"HubSpot {version} signature does not match")

    @staticmethod
    def _check_portal(request: RawRequest, connection: Connection) -> None:
        try:
            document = load_json(request.body)
        except InputError:
            return  # parse() reports the malformed body
        items = document if isinstance(document, list) else []
        portals = {str(item.get("portalId")) for item in items if isinstance(item, dict)}
        if connection.portal_id is None or portals - {connection.portal_id}:
            raise AuthenticationError("portalId does not match the workspace's HubSpot portal")

    def parse(self, request: RawRequest, connection: Connection) -> list[Event]:
        """Events of the batch (unsupported subscription types are skipped), or of an archived
        backfill page."""
        object_type = request.header(BACKFILL_HEADER)
        if object_type is not None:
            from rel2rev.ingest.sources.hubspot_objects import parse_page

            return parse_page(request, object_type, connection)
        document = load_json(request.body)
        if not isinstance(document, list) or not 1 <= len(document) <= MAX_EVENTS:
            raise InputError(
                "body must be a JSON array of HubSpot events",
                details=[{"path": "", "message": f"expected an array of 1 to {MAX_EVENTS} events"}],
            )
        events: list[Event] = []
        details: list[dict[str, Any]] = []
        for index, item in enumerate(document):
            try:
                native = HubSpotEvent.model_validate(item)
            except ValidationError as exc:
                details.extend(validation_details(exc, f"[{index}]"))
                continue
            try:
                payload = _payload(native, connection)
            except ValueError as exc:
                details.append({"path": f"[{index}].propertyValue", "message": error_text(exc)})
                continue
            if payload is not None:
                events.append(_event(native, payload, request))
        if details:
            raise InputError("invalid HubSpot event", details=details)
        return events

    def acknowledge(self, request: RawRequest, events: Sequence[Event]) -> WebhookResponse:
        """202 with the accepted count and event ids."""
        return accepted(request, events)


def contact_ids(object_id: int) -> list[Identifier]:
    """A HubSpot contact's identifiers: `hubspot:<object id>`."""
    return [Identifier(kind=IdentifierKind.HUBSPOT, value=str(object_id))]


def deal_record_id(object_id: int) -> str:
    """A HubSpot deal's record id: `hubspot:<object id>`."""
    return f"hubspot:{object_id}"


def lead_record_id(contact_id: int) -> str:
    """The lead a contact in a lead lifecycle stage is: `hubspot:contact:<object id>`."""
    return f"hubspot:contact:{contact_id}"


def deal_status(stage: str) -> DealStatus:
    """Won, lost or open, from a deal stage id."""
    stage = stage.lower()
    if stage in WON_STAGES:
        return DealStatus.WON
    return DealStatus.LOST if stage in LOST_STAGES else DealStatus.OPEN


def deal_amount(value: str, currency: str | None) -> Money | None:
    """A deal amount in `currency` (the deal's or the connection's); None without one."""
    if currency is None or not is_known_currency(currency):
        return None  # HubSpot sends amounts without a currency: the connection names it
    return Money.of(parse_amount(value), currency)


def _event(native: HubSpotEvent, payload: Payload, request: RawRequest) -> Event:
    # attemptNumber is left out on purpose: retries of one event share its id.
    event_id = event_id_for(
        "hubspot",
        request.workspace,
        native.portalId,
        native.subscriptionId,
        native.eventId,
        native.objectId,
        native.occurredAt,
        native.propertyName,
    )
    return Event(
        event_id=event_id,
        workspace=request.workspace,
        source="hubspot",
        request_id=request.request_id,
        received_at=request.received_at,
        occurred_at=utc_from_epoch(native.occurredAt),
        payload=payload,
    )


def _payload(native: HubSpotEvent, connection: Connection) -> Payload | None:
    kind = native.subscriptionType
    if kind.endswith(".associationChange"):
        return _association(native)
    if kind == "contact.merge":
        return _merge(native)
    if native.objectId is None:
        return None
    at = utc_from_epoch(native.occurredAt)
    if kind == "contact.creation":
        return ContactUpsert(identifiers=contact_ids(native.objectId), created_at=at)
    if kind == "contact.propertyChange":
        return _contact_property(native.objectId, native, at)
    if kind == "deal.creation":
        return DealUpsert(deal_id=deal_record_id(native.objectId), created_at=at)
    if kind == "deal.propertyChange":
        return _deal_property(native.objectId, native, connection)
    return None  # deletions, restores, other objects: nothing rel2rev stores


def _merge(native: HubSpotEvent) -> Payload | None:
    """A HubSpot contact merge: the primary, the merged ones and the resulting id are one
    person."""
    ids = [native.primaryObjectId, native.newObjectId, *(native.mergedObjectIds or [])]
    people = [contact_ids(i) for i in dict.fromkeys(i for i in ids if i is not None)]
    return ContactMerge(people=people) if len(people) >= 2 else None


def _contact_property(object_id: int, native: HubSpotEvent, at: datetime) -> Payload | None:
    name, value = native.propertyName, (native.propertyValue or "").strip()
    ids = contact_ids(object_id)
    if not value:
        return None
    if name == "email":
        return ContactUpsert(identifiers=[*ids, Identifier(kind=IdentifierKind.EMAIL, value=value)])
    if name in {"phone", "mobilephone"}:
        return ContactUpsert(identifiers=[*ids, Identifier(kind=IdentifierKind.PHONE, value=value)])
    if name == "hubspot_owner_id":
        return ContactUpsert(identifiers=ids, owner=value)
    if name == "createdate":
        return ContactUpsert(identifiers=ids, created_at=parse_instant(value))
    if name == "lifecyclestage" and value.lower() in LEAD_STAGES:
        return LeadUpsert(
            lead_id=lead_record_id(object_id), contact=ids, created_at=at, status=value
        )
    return None


def _deal_property(object_id: int, native: HubSpotEvent, connection: Connection) -> Payload | None:
    name, value = native.propertyName, (native.propertyValue or "").strip()
    deal_id = deal_record_id(object_id)
    if not value:
        return None
    if name == "dealstage":
        return DealUpsert(deal_id=deal_id, stage=value, status=deal_status(value))
    if name == "amount":
        amount = deal_amount(value, connection.currency)
        return None if amount is None else DealUpsert(deal_id=deal_id, amount=amount)
    if name == "closedate":
        return DealUpsert(deal_id=deal_id, closed_at=parse_instant(value))
    if name == "createdate":
        return DealUpsert(deal_id=deal_id, created_at=parse_instant(value))
    if name == "dealname":
        return DealUpsert(deal_id=deal_id, name=value[:256])
    if name == "hubspot_owner_id":
        return DealUpsert(deal_id=deal_id, owner=value)
    return None


def _association(native: HubSpotEvent) -> Payload | None:
    kind = (native.associationType or "").upper()
    if native.fromObjectId is None or native.toObjectId is None:
        return None
    if kind == "CONTACT_TO_DEAL":
        contact_id, deal = native.fromObjectId, native.toObjectId
    elif kind == "DEAL_TO_CONTACT":
        deal, contact_id = native.fromObjectId, native.toObjectId
    else:
        return None  # company and other associations carry no account key rel2rev can use
    if native.associationRemoved:
        return DealContactRemoved(deal_id=deal_record_id(deal), contact=contact_ids(contact_id))
    return DealUpsert(
        deal_id=deal_record_id(deal),
        contact_roles=[ContactRoleRef(contact=contact_ids(contact_id))],
    )


ADAPTER = HubSpotAdapter()
