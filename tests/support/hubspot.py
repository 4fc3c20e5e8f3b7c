"""A small HubSpot portal as seed data, its connection and the test client on fake time."""

from __future__ import annotations

from typing import Any

from rel2rev.backfill.hubspot import HubSpotClient, hubspot_client
from rel2rev.ingest.connections import Connection
from support.backfill import NOW, FakeTime

TOKEN = "pat-eu1-secret-token-0123"
WORKSPACE = "bf"


def iso(day: int, hour: int = 9) -> str:
    """A HubSpot datetime text in October 2026."""
    return f"2026-10-{day:02d}T{hour:02d}:00:00.000Z"


def contact(object_id: int, day: int, **more: str) -> dict[str, Any]:
    """A contact modified on `day`, at its company 9001."""
    properties = {
        "email": f"person{object_id}@example.com",
        "firstname": "Person",
        "lastname": str(object_id),
        "createdate": iso(1),
        "lastmodifieddate": iso(day),
        **more,
    }
    return {
        "id": str(object_id),
        "properties": properties,
        "associations": {"companies": ["9001"]},
    }


def seed(contacts: int = 5) -> dict[str, list[dict[str, Any]]]:
    """`contacts` contacts (ids 201...), a won deal with its stage history, an e-mail reply."""
    people = [contact(201 + i, 2 + i % 20) for i in range(contacts)]
    deal = {
        "id": "7001",
        "properties": {
            "dealname": "Engines",
            "amount": "24000.00",
            "dealstage": "closedwon",
            "createdate": iso(3),
            "closedate": iso(20),
            "hubspot_owner_id": "77",
            "hs_lastmodifieddate": iso(20, 10),
        },
        "history": {
            "dealstage": [
                ("appointmentscheduled", iso(3)),
                ("contractsent", iso(10)),
                ("closedwon", iso(20)),
            ]
        },
        "associations": {"contacts": ["201", "202"], "companies": ["9001"]},
    }
    email = {
        "id": "8001",
        "properties": {
            "hs_timestamp": iso(5, 14),
            "hs_email_direction": "INCOMING_EMAIL",
            "hs_email_subject": "Re: engines",
            "hs_lastmodifieddate": iso(5, 15),
        },
        "associations": {"contacts": ["201"], "companies": ["9001"]},
    }
    return {"contacts": people, "deals": [deal], "emails": [email]}


def connection(url: str, token: str = TOKEN, workspace: str = WORKSPACE) -> Connection:
    """The portal's connection, its API at `url`."""
    return Connection(
        workspace=workspace,
        source="hubspot",
        signing_secret="h-secret",
        portal_id="62515",
        currency="EUR",
        api_token=token,
        api_base_url=url,
    )


def client(url: str, time: FakeTime, token: str = TOKEN, **options: Any) -> HubSpotClient:
    """The HubSpot client of the test connection, on the fake time, pages of 2 objects."""
    options.setdefault("page_size", 2)
    return hubspot_client(
        connection(url, token), now=lambda: NOW, sleep=time.sleep, clock=time.clock, **options
    )
