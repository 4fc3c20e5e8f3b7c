"""Helpers for integration tests on the embedded stack: the four sources' connections of a
test workspace, webhooks delivered through the gateway, a workspace filled with a simulated
world, and what a `rel2rev backfill` left behind (archived pages, records, checkpoints)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import requests

from rel2rev.cli import main as cli
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import build_requests
from rel2rev.records import Deal, DealStatus, WorkspaceRecords
from rel2rev.storage import checkpoint_store, record_repository

if TYPE_CHECKING:
    from _pytest.capture import CaptureResult

PIPELINE_ORG = "00D000000000062EAA"
EPOCH, FAR = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
"""The window `stored` reads records in."""


def connections(
    workspace: str, *, org: str = PIPELINE_ORG, currency: str | None = None
) -> dict[str, Connection]:
    """generic, hubspot (EUR), salesforce and pipedrive connections of `workspace`, with the
    secrets the tests sign with; `currency` is the Salesforce and Pipedrive fallback."""
    return {
        "generic": Connection(workspace=workspace, source="generic", signing_secret="g-secret"),
        "hubspot": Connection(
            workspace=workspace,
            source="hubspot",
            signing_secret="h-secret",
            portal_id="62515",
            currency="EUR",
        ),
        "salesforce": Connection(
            workspace=workspace,
            source="salesforce",
            token="sf-token",
            organization_id=org,
            currency=currency,
        ),
        "pipedrive": Connection(
            workspace=workspace,
            source="pipedrive",
            basic_user="pd",
            basic_password="pd-pass",
            currency=currency,
        ),
    }


def deliver(
    stack: Any,
    connection: Connection,
    records: WorkspaceRecords,
    *,
    now: datetime,
    status: int = 202,
) -> None:
    """`records` sent through the stack's gateway as the connection's source's own signed
    webhooks; each must be answered `status` (Salesforce acknowledges with 200)."""
    for request in build_requests(
        connection.source, connection, records, now=now, base_url=stack.api_url
    ):
        answer = requests.request(
            request.method, request.url, headers=request.headers, data=request.body, timeout=30
        )
        assert answer.status_code == status, answer.text


def with_world(stack: Any, records: WorkspaceRecords, *, now: datetime) -> Any:
    """`stack` once `records` arrived as generic webhooks of their workspace and were
    processed."""
    connection = Connection(workspace=records.workspace, source="generic", signing_secret="s3cret")
    stack.connections.register(connection)
    deliver(stack, connection, records, now=now)
    stack.drain(timeout=120)
    return stack


def api_keys(workspaces: tuple[str, ...], *, name: str) -> dict[str, str]:
    """A new API key of each workspace: workspace -> the key's secret."""
    from rel2rev.storage.api_keys import api_key_store

    return {w: api_key_store().create(w, name=name)[1] for w in workspaces}


def backfill(
    stack: Any, source: str, workspace: str, capsys: pytest.CaptureFixture[str]
) -> CaptureResult[str]:
    """`rel2rev backfill <source>` run to success and its events processed; what it printed."""
    assert cli(["backfill", source, "--workspace", workspace]) == 0
    stack.drain()
    return capsys.readouterr()


def archived(stack: Any, workspace: str, source: str) -> list[bytes]:
    """The bodies of the source's archived requests of `workspace`."""
    s3 = stack.client("s3")
    bucket = stack.name("ArchiveBucket")
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"raw/{workspace}/{source}/")
    return [
        s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
        for o in listing.get("Contents", [])
    ]


def stored(stack: Any, workspace: str) -> WorkspaceRecords:
    """The workspace's records (2026)."""
    return record_repository(stack.name("RecordsTable")).records_in_window(workspace, EPOCH, FAR)


def renamed_by_webhook(
    stack: Any, connection: Connection, deal_id: str, stage: str, *, status: int = 202, **more: Any
) -> list[Deal]:
    """The source's webhook about a backfilled won deal, renamed "Engines, phase 2" since,
    delivered and processed (`more`: other fields of the deal): the workspace's deals after."""
    renamed = Deal(
        workspace=connection.workspace,
        source=connection.source,
        updated_at=datetime(2026, 11, 1, tzinfo=UTC),
        deal_id=deal_id,
        name="Engines, phase 2",
        stage=stage,
        status=DealStatus.WON,
        created_at=datetime(2026, 10, 3, 9, tzinfo=UTC),
        **more,
    )
    changes = WorkspaceRecords(workspace=connection.workspace, deals=[renamed])
    deliver(stack, connection, changes, now=datetime.now(UTC), status=status)
    stack.drain()
    return stored(stack, connection.workspace).deals


def replay_changes_nothing(stack: Any, workspace: str, source: str) -> None:
    """`rel2rev replay` of the source's archive leaves the workspace's records as they are."""
    before = stored(stack, workspace)
    assert cli(["replay", "--workspace", workspace, "--source", source]) == 0
    stack.drain()
    assert stored(stack, workspace) == before


def nothing_written(stack: Any, workspace: str, source: str, object_type: str) -> None:
    """No request of `workspace` archived, and no checkpoint of its first object type."""
    s3 = stack.client("s3")
    listing = s3.list_objects_v2(Bucket=stack.name("ArchiveBucket"), Prefix=f"raw/{workspace}/")
    assert listing.get("KeyCount", 0) == 0
    checkpoints = checkpoint_store(stack.name("RecordsTable"))
    assert checkpoints.get(workspace, source, object_type) is None
