"""The generic source: signature, schema, normalisation and event ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ingest_support import NOW, RecordingSink, lookup, raw

from rel2rev.errors import AuthenticationError, InputError
from rel2rev.ingest.events import DealUpsert, InteractionEvent
from rel2rev.ingest.native import sign_generic
from rel2rev.ingest.sources.generic_format import delivery_schema
from rel2rev.ingest.webhook import receive_webhook
from rel2rev.records import IdentifierKind

SECRET = "gen-secret"
SCHEMA_FILE = Path(__file__).parents[3] / "docs" / "generic-event.schema.json"

INTERACTION: dict[str, Any] = {
    "event": "interaction",
    "type": "comment",
    "direction": "inbound",
    "channel": "LinkedIn",
    "occurred_at": "2026-11-20T10:00:00+01:00",
    "contact": {"email": "ada@example.com", "linkedin": "ada-l"},
    "cost": {"amount": "12.5", "currency": "EUR"},
}
DEAL: dict[str, Any] = {
    "event": "deal",
    "id": "evt-deal-1",
    "deal_id": "d-1",
    "amount": {"amount": "1000", "currency": "JPY"},
    "status": "won",
    "closed_at": "2026-11-19T23:30:00-05:00",
    "contact_roles": [{"contact": {"email": "ada@example.com"}, "role": "champion"}],
}


def signed(body: bytes, t: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = int(NOW.timestamp()) if t is None else t
    return {
        "Content-Type": "application/json",
        "X-Rel2rev-Signature": sign_generic(secret, body, stamp),
    }


def send(document: Any, headers: dict[str, str] | None = None) -> RecordingSink:
    body = json.dumps(document).encode()
    sink = RecordingSink()
    receive_webhook(raw("generic", body, headers or signed(body)), lookup, sink, NOW)
    return sink


def test_single_event_is_normalised() -> None:
    (event,) = send(INTERACTION).enqueued
    payload = event.payload
    assert isinstance(payload, InteractionEvent)
    assert payload.occurred_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert event.occurred_at == payload.occurred_at
    assert payload.channel == "linkedin"
    assert payload.cost is not None
    assert payload.cost.amount == Decimal("12.50")
    assert {(i.kind, i.value) for i in payload.contact} == {
        (IdentifierKind.EMAIL, "ada@example.com"),
        (IdentifierKind.LINKEDIN, "ada-l"),
    }


def test_batch_and_deal_money_dates_and_roles() -> None:
    sink = send({"events": [INTERACTION, DEAL]})
    assert len(sink.enqueued) == 2
    deal = sink.enqueued[1].payload
    assert isinstance(deal, DealUpsert)
    assert deal.amount is not None
    assert (deal.amount.amount, deal.amount.currency) == (Decimal(1000), "JPY")
    assert deal.closed_at == datetime(2026, 11, 20, 4, 30, tzinfo=UTC)
    assert deal.contact_roles[0].role == "champion"
    assert len(sink.archived) == 1


def test_client_id_decides_the_event_id() -> None:
    first = send(DEAL).enqueued[0].event_id
    changed = send({**DEAL, "status": "lost"}).enqueued[0].event_id
    assert first == changed  # same client id: same event, stored once


def test_content_hash_ignores_formatting_and_key_order() -> None:
    a = json.dumps(INTERACTION).encode()
    b = json.dumps(dict(reversed(INTERACTION.items())), indent=2).encode()
    ids = []
    for body in (a, b):
        sink = RecordingSink()
        receive_webhook(raw("generic", body, signed(body)), lookup, sink, NOW)
        ids.append(sink.enqueued[0].event_id)
    assert ids[0] == ids[1]
    assert send({**INTERACTION, "channel": "twitter"}).enqueued[0].event_id != ids[0]


def test_event_ids_are_namespaced_by_workspace() -> None:
    body = json.dumps(DEAL).encode()
    request = raw("generic", body, signed(body)).model_copy(update={"workspace": "other"})
    sink = RecordingSink()
    receive_webhook(request, lambda w, s: lookup("acme", s), sink, NOW)
    assert sink.enqueued[0].event_id != send(DEAL).enqueued[0].event_id


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing"),
        ("v1=abc", "malformed"),
        ("t=notanumber,v1=abc", "malformed"),
        (f"t={int(NOW.timestamp())},v1={'0' * 64}", "does not match"),
        (f"t={int(NOW.timestamp()) - 301},v1=%s", "tolerance"),
        (f"t={int(NOW.timestamp()) + 301},v1=%s", "tolerance"),
    ],
)
def test_bad_signatures_are_401_and_nothing_is_kept(header: str | None, message: str) -> None:
    body = json.dumps(INTERACTION).encode()
    headers = {"Content-Type": "application/json"}
    if header is not None:
        if "%s" in header:
            t = int(header.split(",")[0][2:])
            header = header % sign_generic(SECRET, body, t).split("v1=")[1]
        headers["X-Rel2rev-Signature"] = header
    sink = RecordingSink()
    with pytest.raises(AuthenticationError, match=message) as caught:
        receive_webhook(raw("generic", body, headers), lookup, sink, NOW)
    assert caught.value.status == 401
    assert (sink.archived, sink.enqueued) == ([], [])


def test_signature_over_a_different_body_or_secret_fails() -> None:
    body = json.dumps(INTERACTION).encode()
    for headers in (signed(body + b" "), signed(body, secret="wrong")):
        with pytest.raises(AuthenticationError):
            receive_webhook(raw("generic", body, headers), lookup, RecordingSink(), NOW)


def test_any_of_several_v1_signatures_may_match() -> None:
    body = json.dumps(INTERACTION).encode()
    t = int(NOW.timestamp())
    good = sign_generic(SECRET, body, t).split("v1=")[1]
    header = f"t={t},v1={'f' * 64},v1={good}"
    headers = {"Content-Type": "application/json", "X-Rel2rev-Signature": header}
    sink = RecordingSink()
    receive_webhook(raw("generic", body, headers), lookup, sink, NOW)
    assert len(sink.enqueued) == 1


def details(document: Any) -> list[dict[str, str]]:
    with pytest.raises(InputError) as caught:
        send(document)
    assert caught.value.status == 400
    return caught.value.details


def test_schema_errors_name_each_field_path() -> None:
    bad_time = {**INTERACTION, "occurred_at": "yesterday"}
    naive = {**INTERACTION, "occurred_at": "2026-11-20T10:00:00"}
    found = details({"events": [INTERACTION, DEAL, INTERACTION, bad_time, naive, {"x": 1}]})
    paths = [d["path"] for d in found]
    assert "events[3].occurred_at" in paths
    assert "events[4].occurred_at" in paths
    assert "events[5].event" in paths
    assert all(d["message"] for d in found)


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({**DEAL, "amount": {"amount": 12.5, "currency": "EUR"}}, "amount.amount"),
        ({**DEAL, "amount": {"amount": "1.005", "currency": "EUR"}}, "amount"),
        ({**DEAL, "amount": {"amount": "10", "currency": "XYZ"}}, "amount"),
        ({**DEAL, "amount": {"amount": "10", "currency": "eur"}}, "amount.currency"),
        ({**DEAL, "status": "maybe"}, "status"),
        ({**INTERACTION, "contact": {}}, "contact"),
        ({**INTERACTION, "contact": {"fax": "1"}}, "contact.fax.[key]"),
        ({**INTERACTION, "surprise": True}, "surprise"),
        ({"events": []}, "events"),
        ({"events": [DEAL], "extra": 1}, "extra"),
    ],
)
def test_invalid_fields(document: dict[str, Any], path: str) -> None:
    assert path in [d["path"] for d in details(document)]


@pytest.mark.parametrize("body", [b"{", b"[1, 2]", b'"text"', b"NaN", b'{"a": Infinity}', b"\xff"])
def test_malformed_json_is_400(body: bytes) -> None:
    with pytest.raises(InputError):
        receive_webhook(raw("generic", body, signed(body)), lookup, RecordingSink(), NOW)


def test_schema_document_is_generated_from_the_models() -> None:
    committed = json.loads(SCHEMA_FILE.read_text())
    assert committed == delivery_schema(), (
        "regenerate: python -m rel2rev.ingest > docs/generic-event.schema.json"
    )
