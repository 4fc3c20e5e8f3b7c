"""The `generic` source: rel2rev's own signed JSON format (see `generic_format`).

Signature: header `X-Rel2rev-Signature: t=<unix seconds>,v1=<hex>` where the hex is
HMAC-SHA256(signing secret, f"{t}.{body}"); several `v1=` entries are allowed (secret
rotation) and any one may match; `t` must be within 5 minutes of our clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from rel2rev.errors import AuthenticationError, InputError
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
from rel2rev.ingest.request import RawRequest, WebhookResponse
from rel2rev.ingest.sources.base import (
    SIGNATURE_TOLERANCE_SECONDS,
    accepted,
    load_json,
    secret_bytes,
    validation_details,
)
from rel2rev.ingest.sources.generic_format import (
    EVENT_MODELS,
    MAX_BATCH,
    GenericContact,
    GenericDeal,
    GenericInteraction,
    GenericLead,
    GenericMoney,
    IdentifierMap,
)
from rel2rev.money import Money
from rel2rev.records import Identifier

SIGNATURE_HEADER = "x-rel2rev-signature"

GenericModel = GenericInteraction | GenericContact | GenericLead | GenericDeal


def signature(secret: bytes, body: bytes, timestamp: int) -> str:
    """Hex HMAC-SHA256 of `f"{timestamp}.".encode() + body`."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: bytes, body: bytes, timestamp: int) -> str:
    """The `X-Rel2rev-Signature` header value for a body signed at `timestamp`."""
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def _parse_signature_header(value: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for item in value.split(","):
        key, _, val = item.strip().partition("=")
        if key == "t" and val.isdigit() and len(val) <= 12:
            timestamp = int(val)
        elif key == "v1" and val:
            candidates.append(val.lower())
    if timestamp is None or not candidates:
        raise AuthenticationError("malformed X-Rel2rev-Signature header (want t=...,v1=...)")
    return timestamp, candidates


class GenericAdapter:
    """Signed JSON events from engagement tools and automation platforms."""

    name = "generic"
    content_types = frozenset({"application/json"})

    def verify(self, request: RawRequest, connection: Connection, now: datetime) -> None:
        """Check the HMAC signature and the timestamp tolerance."""
        header = request.header(SIGNATURE_HEADER)
        if not header:
            raise AuthenticationError("missing X-Rel2rev-Signature header")
        timestamp, candidates = _parse_signature_header(header)
        secret = secret_bytes(connection.signing_secret, "signing secret")
        if abs(now.timestamp() - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
            raise AuthenticationError("signature timestamp outside the 5-minute tolerance")
        expected = signature(secret, request.body, timestamp)
        # Compare against every candidate so timing does not reveal which one matched.
        matches = [hmac.compare_digest(expected.encode(), c.encode()) for c in candidates]
        if not any(matches):
            raise AuthenticationError("signature does not match")

    def parse(self, request: RawRequest, connection: Connection) -> list[Event]:
        """One event or a batch; every invalid field is reported with its path."""
        document = load_json(request.body)
        if not isinstance(document, dict):
            raise InputError(
                "body must be a JSON object",
                details=[{"path": "", "message": 'expected an event or {"events": [...]}'}],
            )
        if "events" in document and "event" not in document:
            items, prefixes = self._batch_items(document)
        else:
            items, prefixes = [document], [""]
        models: list[GenericModel] = []
        details: list[dict[str, Any]] = []
        for item, prefix in zip(items, prefixes, strict=True):
            model = _validate_event(item, prefix, details)
            if model is not None:
                models.append(model)
        if details:
            raise InputError("invalid generic event", details=details)
        return [_to_event(model, request) for model in models]

    def acknowledge(self, request: RawRequest, events: Sequence[Event]) -> WebhookResponse:
        """202 with the accepted count and event ids."""
        return accepted(request, events)

    @staticmethod
    def _batch_items(document: dict[str, Any]) -> tuple[list[Any], list[str]]:
        extra = sorted(set(document) - {"events"})
        if extra:
            raise InputError(
                "unexpected fields in batch",
                details=[{"path": key, "message": "extra field not permitted"} for key in extra],
            )
        events = document["events"]
        if not isinstance(events, list) or not 1 <= len(events) <= MAX_BATCH:
            raise InputError(
                "invalid batch",
                details=[
                    {"path": "events", "message": f"expected a list of 1 to {MAX_BATCH} events"}
                ],
            )
        return events, [f"events[{i}]" for i in range(len(events))]


def _validate_event(item: Any, prefix: str, details: list[dict[str, Any]]) -> GenericModel | None:
    kind = item.get("event") if isinstance(item, dict) else None
    model_type = EVENT_MODELS.get(kind) if isinstance(kind, str) else None
    if model_type is None:
        path = f"{prefix}.event" if prefix else "event"
        if not isinstance(item, dict):
            path = prefix
        choices = ", ".join(EVENT_MODELS)
        details.append({"path": path, "message": f"expected an object with event one of {choices}"})
        return None
    try:
        model: GenericModel = model_type.model_validate(item)  # type: ignore[assignment]
    except ValidationError as exc:
        details.extend(validation_details(exc, prefix))
        return None
    return model


def _identifiers(identifiers: IdentifierMap) -> list[Identifier]:
    return [Identifier(kind=k, value=v) for k, v in sorted(identifiers.items())]


def _money(value: GenericMoney | None) -> Money | None:
    return None if value is None else Money.of(Decimal(value.amount), value.currency)


def _to_event(model: GenericModel, request: RawRequest) -> Event:
    if model.id is not None:
        event_id = event_id_for("generic", request.workspace, "id", model.id)
    else:
        canonical = json.dumps(model.model_dump(mode="json"), sort_keys=True)
        event_id = event_id_for("generic", request.workspace, "content", canonical)
    payload: Payload
    if isinstance(model, GenericInteraction):
        payload = InteractionEvent(
            interaction_id=model.interaction_id or model.id or event_id,
            contact=_identifiers(model.contact),
            account_id=model.account,
            type=model.type,
            direction=model.direction,
            channel=model.channel.lower(),
            occurred_at=model.occurred_at,
            owner=model.owner,
            campaign=model.campaign,
            content=model.content,
            cost=_money(model.cost),
        )
    elif isinstance(model, GenericContact):
        payload = ContactUpsert(
            identifiers=_identifiers(model.identifiers),
            name=model.name,
            account_id=model.account,
            stakeholder_type=model.stakeholder_type,
            owner=model.owner,
            created_at=model.created_at,
        )
    elif isinstance(model, GenericLead):
        payload = LeadUpsert(
            lead_id=model.lead_id,
            contact=_identifiers(model.contact) if model.contact else [],
            account_id=model.account,
            created_at=model.created_at,
            status=model.status,
            owner=model.owner,
            channel=model.channel.lower() if model.channel else None,
        )
    else:
        payload = DealUpsert(
            deal_id=model.deal_id,
            name=model.name,
            account_id=model.account,
            amount=_money(model.amount),
            stage=model.stage,
            status=model.status,
            created_at=model.created_at,
            closed_at=model.closed_at,
            owner=model.owner,
            contact_roles=[
                ContactRoleRef(contact=_identifiers(role.contact), role=role.role)
                for role in model.contact_roles
            ],
        )
    return Event(
        event_id=event_id,
        workspace=request.workspace,
        source="generic",
        request_id=request.request_id,
        received_at=request.received_at,
        occurred_at=model.occurred_at or request.received_at,
        payload=payload,
    )


ADAPTER = GenericAdapter()
