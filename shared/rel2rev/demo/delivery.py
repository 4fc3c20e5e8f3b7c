"""Delivering the plan: each source's native, signed requests, sent concurrently with retries.

`demo_connections` makes one connection per source with fresh secrets (what a user configures
when pointing each CRM's webhook at rel2rev). `native_deliveries` builds the requests with the
native builders; `send_all` posts them from a thread pool through `Transport`, which retries
connection errors, 5xx and 429.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr

from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import (
    NativeRequest,
    build_requests,
    generic_event,
    hook_url,
    sign_generic,
    sign_request,
)
from rel2rev.ingest.sources.generic_format import MAX_BATCH
from rel2rev.records import Contact, Deal, Interaction, Lead, WorkspaceRecords
from rel2rev.transport import Delivery, OutgoingRequest, Sent, Transport


def demo_connections(workspace: str) -> dict[str, Connection]:
    """One connection per source, with fresh random secrets."""

    def secret() -> SecretStr:
        return SecretStr(secrets.token_hex(24))  # hex: never starts with "-" on a command line

    return {
        "generic": Connection(workspace=workspace, source="generic", signing_secret=secret()),
        "hubspot": Connection(
            workspace=workspace,
            source="hubspot",
            signing_secret=secret(),
            portal_id="6200123",
            currency="EUR",
        ),
        "salesforce": Connection(
            workspace=workspace,
            source="salesforce",
            token=secret(),
            organization_id="00D5g000004xDemo",
            currency="USD",
        ),
        "pipedrive": Connection(
            workspace=workspace,
            source="pipedrive",
            basic_user="rel2rev-hooks",
            basic_password=secret(),
        ),
    }


def _signed(label: str, source: str, connection: Connection, request: NativeRequest) -> Delivery:
    """A delivery re-signed on every attempt, as senders do (fresh signature timestamps)."""

    def build() -> OutgoingRequest:
        fresh = sign_request(source, connection, request, datetime.now(UTC))
        return OutgoingRequest(fresh.url, dict(fresh.headers), fresh.body)

    return Delivery(label, build)


def native_deliveries(
    parts: dict[str, WorkspaceRecords],
    connections: dict[str, Connection],
    api_url: str,
    *,
    directory: Sequence[Contact] = (),
    label: str = "",
) -> list[Delivery]:
    """The requests carrying `parts` (source -> records), signed afresh on every attempt.

    CRM records go through the native builders. Generic events are built here against the
    whole contact `directory`, so a touch names its person by every identifier the person
    has (email, LinkedIn, CRM ids) even when the CRM, not the generic feed, owns the contact.
    """
    now = datetime.now(UTC)
    out: list[Delivery] = []
    for source, records in parts.items():
        if source == "generic":
            requests = _generic_requests(records, directory, connections[source], now, api_url)
        else:
            named = _with_named_people(records, directory)
            requests = build_requests(source, connections[source], named, now=now, base_url=api_url)
        for n, request in enumerate(requests, start=1):
            name = f"{label}{source} request {n}/{len(requests)}"
            out.append(_signed(name, source, connections[source], request))
    return out


def _with_named_people(records: WorkspaceRecords, directory: Sequence[Contact]) -> WorkspaceRecords:
    """`records` plus the people its leads and deals name that it does not carry (read
    through the CRM's API before): a CRM builder names people by the contacts it is given.
    Those ride along unchanged, so they are stored once."""
    own = {c.contact_id for c in records.contacts}
    named = {lead.contact_id for lead in records.leads} | {
        role.contact_id for deal in records.deals for role in deal.contact_roles
    }
    extra = [c for c in directory if c.contact_id in named - own]
    return (
        records.model_copy(update={"contacts": [*records.contacts, *extra]}) if extra else records
    )


def _generic_requests(
    records: WorkspaceRecords,
    directory: Sequence[Contact],
    connection: Connection,
    now: datetime,
    api_url: str,
) -> list[NativeRequest]:
    contacts = {c.contact_id: c for c in [*directory, *records.contacts]}
    items: list[Contact | Interaction | Lead | Deal] = [
        *records.contacts,
        *records.leads,
        *records.deals,
        *records.interactions,
    ]
    secret = connection.signing_secret.get_secret_value() if connection.signing_secret else ""
    url = hook_url(api_url, records.workspace, "generic")
    out = []
    for start in range(0, len(items), MAX_BATCH):
        events = [generic_event(item, contacts) for item in items[start : start + MAX_BATCH]]
        body = json.dumps({"events": events}, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "rel2rev-demo-engagement-feed",
            "X-Rel2rev-Signature": sign_generic(secret, body, int(now.timestamp())),
        }
        out.append(NativeRequest(method="POST", url=url, headers=headers, body=body))
    return out


def with_duplicates(deliveries: Sequence[Delivery], fraction: float, seed: int) -> list[Delivery]:
    """The deliveries shuffled, with a `fraction` of them sent twice (redeliveries)."""
    rng = random.Random(seed)
    count = max(1, round(len(deliveries) * fraction)) if deliveries else 0
    again = [
        Delivery(f"{d.label} (redelivery)", d.build, d.expected)
        for d in rng.sample(list(deliveries), count)
    ]
    mixed = [*deliveries, *again]
    rng.shuffle(mixed)
    return mixed


@dataclass(frozen=True)
class DeliveryStats:
    """What a batch of deliveries took."""

    requests: int
    retries: int


def send_all(
    deliveries: Sequence[Delivery],
    transport: Transport,
    *,
    workers: int = 8,
    on_sent: Callable[[Sent], None] | None = None,
) -> DeliveryStats:
    """Send every delivery from a thread pool; the first failure cancels the rest and raises."""
    before = transport.retries
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(transport.send, d) for d in deliveries]
        try:
            for future in as_completed(futures):
                sent = future.result()
                if on_sent is not None:
                    on_sent(sent)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return DeliveryStats(requests=len(deliveries), retries=transport.retries - before)
