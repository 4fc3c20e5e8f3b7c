"""`rel2rev demo`: webhooks from every source become records, on the embedded stack.

Steps (each reusable on its own): bring the stack up, register a connection per source, post
each source's signed deliveries over HTTP (signed at send time by the native builders), wait
for the processor to drain the queue, then print and write what was stored per record type
and source.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from rich.console import Console
from rich.table import Table

from rel2rev.errors import Rel2revError
from rel2rev.ingest.connections import SOURCES, Connection
from rel2rev.ingest.native import build_requests
from rel2rev.local import LocalStack
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
    WorkspaceRecords,
)
from rel2rev.storage import record_repository

HELP = "Bring the local stack up and show webhooks from every source becoming records"
WORKSPACE = "demo"


class DemoError(Rel2revError):
    """A demo step failed; the message says which."""

    status = 500
    code = "demo_failed"


def demo_connections(workspace: str = WORKSPACE) -> dict[str, Connection]:
    """One connection per source with demo secrets."""
    return {
        "generic": Connection(workspace=workspace, source="generic", signing_secret="demo"),
        "hubspot": Connection(
            workspace=workspace,
            source="hubspot",
            signing_secret="demo",
            portal_id="62515",
            currency="EUR",
        ),
        "salesforce": Connection(
            workspace=workspace,
            source="salesforce",
            token="demo-token",
            organization_id="00D000000000062EAA",
        ),
        "pipedrive": Connection(
            workspace=workspace, source="pipedrive", basic_user="demo", basic_password="demo"
        ),
    }


def sample_records(workspace: str, source: str, now: datetime) -> WorkspaceRecords:
    """A small account as one source knows it: two people, touches, a lead and a won deal."""
    start = now - timedelta(days=20)

    def person(n: int, name: str) -> Contact:
        return Contact(
            workspace=workspace,
            source=source,
            updated_at=start,
            contact_id=f"{source}-c{n}",
            identifiers=[
                Identifier(kind=IdentifierKind.EMAIL, value=f"{name.lower()}.{source}@example.com")
            ],
            name=name,
            account_id="example.com",
            created_at=start,
        )

    people = [person(1, "Ada"), person(2, "Grace")]
    kinds = [
        (InteractionType.COMMENT, Direction.INBOUND, "linkedin"),
        (InteractionType.EMAIL, Direction.OUTBOUND, "email"),
        (InteractionType.CALL, Direction.OUTBOUND, "phone"),
        (InteractionType.MEETING, Direction.OUTBOUND, "meeting"),
    ]
    touches = [
        Interaction(
            workspace=workspace,
            source=source,
            updated_at=start + timedelta(days=n + 1),
            interaction_id=f"{source}-i{n}",
            contact_id=people[n % 2].contact_id,
            type=kind,
            direction=direction,
            channel=channel,
            occurred_at=start + timedelta(days=n + 1),
        )
        for n, (kind, direction, channel) in enumerate(kinds)
    ]
    lead = Lead(
        workspace=workspace,
        source=source,
        updated_at=start + timedelta(days=6),
        lead_id=f"{source}-l1",
        contact_id=people[0].contact_id,
        account_id="example.com",
        created_at=start + timedelta(days=6),
    )
    deal = Deal(
        workspace=workspace,
        source=source,
        updated_at=start + timedelta(days=15),
        deal_id=f"{source}-d1",
        name=f"example.com via {source}",
        account_id="example.com",
        amount=Money.of("12500.00", "EUR"),
        stage="closedwon",
        status=DealStatus.WON,
        created_at=start + timedelta(days=8),
        closed_at=start + timedelta(days=15),
        contact_roles=[ContactRole(contact_id=p.contact_id) for p in people],
    )
    # HubSpot webhooks carry no engagements (see docs/sources.md): touches go through generic.
    return WorkspaceRecords(
        workspace=workspace,
        contacts=people,
        interactions=[] if source == "hubspot" else touches,
        leads=[lead],
        deals=[deal],
    )


def deliver(stack: LocalStack, workspace: str, now: datetime) -> Counter[str]:
    """Register connections and post every source's signed deliveries; requests per source."""
    sent: Counter[str] = Counter()
    for source, connection in demo_connections(workspace).items():
        stack.connections.register(connection)
        records = sample_records(workspace, source, now)
        for request in build_requests(source, connection, records, now=now, base_url=stack.api_url):
            response = requests.request(
                request.method, request.url, headers=request.headers, data=request.body, timeout=30
            )
            if response.status_code >= 300:
                raise DemoError(
                    f"{source} delivery answered {response.status_code}: {response.text}"
                )
            sent[source] += 1
    return sent


def stored_table(records: WorkspaceRecords) -> Table:
    """Stored records per type (rows) and source (columns)."""
    table = Table(title=f"Stored records of workspace {records.workspace!r}")
    table.add_column("record type")
    for source in SOURCES:
        table.add_column(source, justify="right")
    table.add_column("total", justify="right")
    groups: dict[str, Sequence[Contact | Interaction | Lead | Deal]] = {
        "contacts": records.contacts,
        "interactions": records.interactions,
        "leads": records.leads,
        "deals": records.deals,
    }
    for name, rows in groups.items():
        counts = Counter(r.source for r in rows)
        table.add_row(name, *(str(counts[s]) for s in SOURCES), str(len(rows)))
    return table


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev demo`."""
    parser.add_argument("--out", type=Path, default=Path("out"), help="Output folder")


def run(args: argparse.Namespace) -> int:
    """Run the demo; exit 0 when every source's records were stored."""
    console = Console()
    now = datetime.now(UTC)
    args.out.mkdir(parents=True, exist_ok=True)
    with console.status("starting the embedded stack"), LocalStack() as stack:
        console.print(f"stack up: API {stack.api_url}, AWS {stack.endpoint_url}")
        sent = deliver(stack, WORKSPACE, now)
        console.print("posted " + ", ".join(f"{n} {s}" for s, n in sorted(sent.items())))
        stack.drain(timeout=120)
        repository = record_repository(stack.name("RecordsTable"))
        records = repository.records_in_window(
            WORKSPACE, now - timedelta(days=400), now + timedelta(days=1)
        )
    console.print(stored_table(records))
    path = args.out / "stored-records.json"
    path.write_text(records.model_dump_json(indent=2))
    console.print(f"wrote {path}")
    missing = [s for s in SOURCES if not any(d.source == s for d in records.deals)]
    if missing:
        raise DemoError(f"no deals stored from {', '.join(missing)}")
    return 0
