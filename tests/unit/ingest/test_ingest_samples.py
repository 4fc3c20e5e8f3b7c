"""events/webhooks/*.json: real-shaped deliveries that verify, parse, and can be re-signed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ingest_support import CONNECTIONS, RecordingSink

from rel2rev.errors import AuthenticationError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import request_from_http_event, sign_request
from rel2rev.ingest.webhook import receive_webhook

SAMPLES = Path(__file__).parents[3] / "events" / "webhooks"

# The sample connections documented in docs/sources.md.
SAMPLE_CONNECTIONS = {
    "generic": Connection(
        workspace="acme", source="generic", signing_secret="sample-generic-secret"
    ),
    "hubspot": Connection(
        workspace="acme",
        source="hubspot",
        signing_secret="sample-hubspot-client-secret",
        portal_id="62515",
        currency="EUR",
    ),
    "salesforce": Connection(
        workspace="acme",
        source="salesforce",
        token="sample-salesforce-token",
        organization_id="00D5g000004ABCDEAA",
        currency="EUR",
    ),
    "pipedrive": Connection(
        workspace="acme",
        source="pipedrive",
        basic_user="rel2rev-hooks",
        basic_password="sample-pipedrive-password",
        currency="EUR",
    ),
}
EXPECTED_KINDS = {
    "generic": {"contact", "interaction", "lead", "deal"},
    "hubspot": {"contact", "lead", "deal"},
    "salesforce": {"contact", "interaction", "lead", "deal"},
    "pipedrive": {"deal"},
}


def load(source: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SAMPLES / f"{source}.json").read_text())
    return document


def sent_at(event: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(event["requestContext"]["timeEpoch"] / 1000, tz=UTC)


@pytest.mark.parametrize("source", sorted(SAMPLE_CONNECTIONS))
def test_sample_is_authentic_at_its_own_time_and_parses(source: str) -> None:
    event = load(source)
    assert event["version"] == "2.0"
    assert event["pathParameters"] == {"workspace": "acme", "source": source}
    at = sent_at(event)
    raw = request_from_http_event(event).to_raw(
        "acme", source, event["requestContext"]["requestId"], at
    )
    sink = RecordingSink()
    connection = SAMPLE_CONNECTIONS[source]
    response = receive_webhook(raw, lambda w, s: connection, sink, at)
    assert response.status_code in {200, 202}
    assert {e.payload.kind for e in sink.enqueued} == EXPECTED_KINDS[source]
    if source in {"generic", "hubspot"}:  # timestamped signatures go stale after 5 minutes
        later = at + timedelta(minutes=6)
        with pytest.raises(AuthenticationError):
            receive_webhook(raw, lambda w, s: connection, RecordingSink(), later)


@pytest.mark.parametrize("source", sorted(SAMPLE_CONNECTIONS))
def test_sample_re_signed_for_another_connection_and_time(source: str) -> None:
    now = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    request = request_from_http_event(load(source), "http://127.0.0.1:8787")
    assert request.url.startswith("http://127.0.0.1:8787/v1/hooks/acme/")
    # The sample's portal/org are part of its body, so keep those and change only secrets.
    ours = CONNECTIONS[source].model_copy(
        update={
            "portal_id": SAMPLE_CONNECTIONS[source].portal_id,
            "organization_id": SAMPLE_CONNECTIONS[source].organization_id,
        }
    )
    signed = sign_request(source, ours, request, now)
    sink = RecordingSink()
    receive_webhook(signed.to_raw("acme", source, "r-1", now), lambda w, s: ours, sink, now)
    assert sink.enqueued
    other = signed.to_raw("acme", source, "r-2", now)
    with pytest.raises(AuthenticationError):
        receive_webhook(other, lambda w, s: SAMPLE_CONNECTIONS[source], RecordingSink(), now)
