"""`rel2rev demo`: the sample webhooks of every source become records, on the embedded stack.

Steps (each reusable on its own): bring the stack up, register the sample connections
(docs/sources.md), post each source's sample delivery from `events/webhooks/` over HTTP,
re-signed at send time, wait for the processor to drain the queue, then print and write what
was stored per record type and source.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from rich.console import Console
from rich.table import Table

from rel2rev.errors import Rel2revError
from rel2rev.ingest.connections import SOURCES, Connection
from rel2rev.ingest.native import request_from_http_event, sign_request
from rel2rev.local import LocalStack
from rel2rev.local.template import TEMPLATE_PATH
from rel2rev.records import Contact, Deal, Interaction, Lead, WorkspaceRecords
from rel2rev.storage import record_repository

HELP = "Bring the local stack up and show webhooks from every source becoming records"
SAMPLES = TEMPLATE_PATH.parent / "events" / "webhooks"
SAMPLE_WORKSPACE = "acme"


class DemoError(Rel2revError):
    """A demo step failed; the message says which."""

    status = 500
    code = "demo_failed"


def sample_connections(workspace: str = SAMPLE_WORKSPACE) -> dict[str, Connection]:
    """The connections the samples were signed for (docs/sources.md, "Samples")."""
    return {
        "generic": Connection(
            workspace=workspace, source="generic", signing_secret="sample-generic-secret"
        ),
        "hubspot": Connection(
            workspace=workspace,
            source="hubspot",
            signing_secret="sample-hubspot-client-secret",
            portal_id="62515",
            currency="EUR",
        ),
        "salesforce": Connection(
            workspace=workspace,
            source="salesforce",
            token="sample-salesforce-token",
            organization_id="00D5g000004ABCDEAA",
            currency="EUR",
        ),
        "pipedrive": Connection(
            workspace=workspace,
            source="pipedrive",
            basic_user="rel2rev-hooks",
            basic_password="sample-pipedrive-password",
        ),
    }


def post_samples(stack: LocalStack, now: datetime) -> dict[str, int]:
    """Register the sample connections and post each source's sample, re-signed; HTTP status."""
    answers: dict[str, int] = {}
    for source, connection in sample_connections().items():
        stack.connections.register(connection)
        sample = json.loads((SAMPLES / f"{source}.json").read_text())
        request = sign_request(
            source, connection, request_from_http_event(sample, base_url=stack.api_url), now
        )
        response = requests.request(
            request.method, request.url, headers=request.headers, data=request.body, timeout=30
        )
        if response.status_code >= 300:
            raise DemoError(f"{source} sample answered {response.status_code}: {response.text}")
        answers[source] = response.status_code
    return answers


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
    """Run the demo; exit 0 when records from every source were stored."""
    console = Console()
    now = datetime.now(UTC)
    args.out.mkdir(parents=True, exist_ok=True)
    with LocalStack() as stack:
        console.print(f"stack up: API {stack.api_url}, AWS {stack.endpoint_url}")
        answers = post_samples(stack, now)
        console.print("posted " + ", ".join(f"{s} -> {code}" for s, code in answers.items()))
        stack.drain(timeout=120)
        records = record_repository(stack.name("RecordsTable")).records_in_window(
            SAMPLE_WORKSPACE, now - timedelta(days=2 * 365), now + timedelta(days=1)
        )
    console.print(stored_table(records))
    path = args.out / "stored-records.json"
    path.write_text(records.model_dump_json(indent=2))
    console.print(f"wrote {path}")
    every = [*records.contacts, *records.interactions, *records.leads, *records.deals]
    missing = [s for s in SOURCES if not any(r.source == s for r in every)]
    if missing:
        raise DemoError(f"nothing stored from {', '.join(missing)}")
    return 0
