"""Shared helpers for the ingest tests: connections, a recording sink, a small world."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import Event
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.webhook import archive_key
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    ContactRole,
    Deal,
    DealStatus,
    Direction,
    Identifier,
    IdentifierKind,
    Interaction,
    InteractionType,
    Lead,
    StakeholderType,
    WorkspaceRecords,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
WORKSPACE = "acme"
BASE_URL = "https://hooks.example.com"

CONNECTIONS = {
    "generic": Connection(workspace=WORKSPACE, source="generic", signing_secret="gen-secret"),
    "hubspot": Connection(
        workspace=WORKSPACE,
        source="hubspot",
        signing_secret="hs-client-secret",
        portal_id="62515",
        currency="EUR",
    ),
    "salesforce": Connection(
        workspace=WORKSPACE,
        source="salesforce",
        token="sf-url-token",
        organization_id="00D5g000004ABCDEAA",
        currency="EUR",
    ),
    "pipedrive": Connection(
        workspace=WORKSPACE,
        source="pipedrive",
        basic_user="rel2rev",
        basic_password="pd-password",
        currency="EUR",
    ),
}


def lookup(workspace: str, source: str) -> Connection | None:
    """A ConnectionLookup over CONNECTIONS (workspace `acme` only)."""
    return CONNECTIONS.get(source) if workspace == WORKSPACE else None


class RecordingSink:
    """Records what `receive_webhook` archives and enqueues (implements WebhookSink)."""

    def __init__(self) -> None:
        self.archived: list[RawRequest] = []
        self.enqueued: list[Event] = []

    def archive(self, request: RawRequest) -> str:
        self.archived.append(request)
        return archive_key(request)

    def enqueue(self, events: Sequence[Event]) -> None:
        self.enqueued.extend(events)


def raw(
    source: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    url: str | None = None,
    query: dict[str, str] | None = None,
    request_id: str = "req-1",
) -> RawRequest:
    """A RawRequest for the acme workspace, received at NOW."""
    return RawRequest(
        workspace=WORKSPACE,
        source=source,
        request_id=request_id,
        received_at=NOW,
        url=url or f"{BASE_URL}/v1/hooks/{WORKSPACE}/{source}",
        headers=headers or {},
        query=query or {},
        body=body,
    )


def world(source: str) -> WorkspaceRecords:
    """Two contacts, a lead, two deals (won, open) and two interactions, ids native to source."""
    t0 = NOW - timedelta(days=30)
    prefix = {"generic": "", "hubspot": "hubspot:", "salesforce": "salesforce:"}.get(
        source, "pipedrive:"
    )
    native = {
        "hubspot": IdentifierKind.HUBSPOT,
        "salesforce": IdentifierKind.SALESFORCE,
        "pipedrive": IdentifierKind.PIPEDRIVE,
    }.get(source)
    ada_id = {"hubspot": "501", "salesforce": "0035g00000AdaAAA"}.get(source, "77")
    bob_id = {"hubspot": "502", "salesforce": "0035g00000BobAAA"}.get(source, "78")

    def ids(email: str, native_id: str) -> list[Identifier]:
        out = [Identifier(kind=IdentifierKind.EMAIL, value=email)]
        if native is not None:
            out.insert(0, Identifier(kind=native, value=native_id))
        return out

    ada = Contact(
        workspace=WORKSPACE,
        source=source,
        updated_at=t0 + timedelta(hours=1),
        contact_id="c-ada",
        identifiers=ids("ada@example.com", ada_id),
        name="Ada Lovelace",
        account_id="4100" if source == "pipedrive" else "example.com",
        stakeholder_type=StakeholderType.PARTNER,
        owner="17",
        created_at=t0,
    )
    bob = Contact(
        workspace=WORKSPACE,
        source=source,
        updated_at=t0 + timedelta(hours=2),
        contact_id="c-bob",
        identifiers=ids("bob@example.com", bob_id),
        name="Bob",
        created_at=t0 + timedelta(hours=2),
    )
    deal_ids = {
        "hubspot": ("hubspot:9001", "hubspot:9002"),
        "salesforce": ("salesforce:0065g00000WonAAA", "salesforce:0065g00000OpnAAA"),
        "pipedrive": ("pipedrive:31", "pipedrive:32"),
    }.get(source, ("d-won", "d-open"))
    won = Deal(
        workspace=WORKSPACE,
        source=source,
        updated_at=t0 + timedelta(days=20),
        deal_id=deal_ids[0],
        name="Pilot",
        account_id=ada.account_id,
        amount=Money.of(Decimal("12500.50"), "EUR"),
        stage="closedwon" if source == "hubspot" else "Closed Won",
        status=DealStatus.WON,
        created_at=t0 + timedelta(days=5),
        closed_at=t0 + timedelta(days=20),
        owner="17",
        contact_roles=[ContactRole(contact_id="c-ada")],
    )
    open_deal = Deal(
        workspace=WORKSPACE,
        source=source,
        updated_at=t0 + timedelta(days=21),
        deal_id=deal_ids[1],
        name="Expansion",
        amount=Money.of("800", "EUR"),
        stage="7" if source == "pipedrive" else "qualification",
        status=DealStatus.OPEN,
        created_at=t0 + timedelta(days=21),
        contact_roles=[ContactRole(contact_id="c-bob")],
    )
    lead = Lead(
        workspace=WORKSPACE,
        source=source,
        updated_at=t0 + timedelta(days=2),
        lead_id={"salesforce": "salesforce:00Q5g00000LeadAA"}.get(source, f"{prefix}lead-1"),
        contact_id="c-ada",
        account_id=ada.account_id,
        created_at=t0 + timedelta(days=2),
        status="lead" if source == "hubspot" else "Working",
        owner="17",
        channel="webinar",
    )
    interactions = [
        Interaction(
            workspace=WORKSPACE,
            source=source,
            updated_at=t0 + timedelta(days=1),
            interaction_id={"salesforce": "salesforce:00T5g00000CallAA"}.get(
                source, f"{prefix}activity:401" if source == "pipedrive" else "i-1"
            ),
            contact_id="c-ada",
            type=InteractionType.CALL,
            direction=Direction.INBOUND,
            channel="phone",
            occurred_at=t0 + timedelta(days=1),
            owner="17",
            content="Discovery call",
        ),
        Interaction(
            workspace=WORKSPACE,
            source=source,
            updated_at=t0 + timedelta(days=3),
            interaction_id={"salesforce": "salesforce:00U5g00000MeetAA"}.get(
                source, f"{prefix}activity:402" if source == "pipedrive" else "i-2"
            ),
            contact_id="c-bob",
            type=InteractionType.MEETING,
            direction=Direction.OUTBOUND,
            channel="meeting",
            occurred_at=t0 + timedelta(days=3, hours=4),
            content="Demo",
        ),
    ]
    return WorkspaceRecords(
        workspace=WORKSPACE,
        contacts=[ada, bob],
        interactions=[] if source == "hubspot" else interactions,
        leads=[lead],
        deals=[won, open_deal],
    )
