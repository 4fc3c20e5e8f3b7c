"""`rel2rev backfill pipedrive` on the embedded stack, against the local Pipedrive API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from stack_support import (
    archived,
    backfill,
    nothing_written,
    renamed_by_webhook,
    replay_changes_nothing,
    stored,
)
from support.pipedrive import TOKEN, connection, seed

from rel2rev.cli import main as cli
from rel2rev.ingest.connections import Connection
from rel2rev.local.pipedrive_api import PipedriveApiServer
from rel2rev.money import Money
from rel2rev.records import DealStatus, Identifier, IdentifierKind
from rel2rev.storage import checkpoint_store, record_repository

pytestmark = pytest.mark.integration

WORKSPACE = "pdi"


@pytest.fixture(scope="module")
def api() -> Iterator[PipedriveApiServer]:
    with PipedriveApiServer(seed(), token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def stack(local_stack: Any, api: PipedriveApiServer) -> Any:
    local_stack.connections.register(pipedrive(api.url))
    return local_stack


def pipedrive(url: str) -> Connection:
    return connection(url, workspace=WORKSPACE)


def test_backfill_then_webhook_and_replay_store_one_record_each(
    stack: Any, api: PipedriveApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    out = backfill(stack, "pipedrive", WORKSPACE, capsys)
    assert "persons: 5 objects" in out.out
    records = stored(stack, WORKSPACE)
    won, lost = sorted(records.deals, key=lambda d: d.deal_id)
    assert (won.deal_id, won.status, won.stage) == ("pipedrive:7001", DealStatus.WON, "3")
    assert won.amount == Money.of("24000.5", "EUR")
    assert won.closed_at == datetime(2026, 10, 20, 9, tzinfo=UTC)
    assert len(won.contact_roles) == 2, "the person and the second participant"
    assert (lost.deal_id, lost.status) == ("pipedrive:7002", DealStatus.LOST)
    assert len(records.contacts) == 5
    assert len(records.interactions) == 3
    (lead,) = records.leads
    assert lead.lead_id.startswith("pipedrive:lead:")
    ada = record_repository(stack.name("RecordsTable")).contact_by_identifier(
        WORKSPACE, Identifier(kind=IdentifierKind.PIPEDRIVE, value="201")
    )
    assert ada is not None
    assert ada.account_id == "9001"
    assert lead.contact_id == ada.contact_id
    pages = archived(stack, WORKSPACE, "pipedrive")
    assert pages
    assert all(TOKEN.encode() not in page for page in pages)
    assert TOKEN not in out.out + out.err
    saved = checkpoint_store(stack.name("RecordsTable")).get(WORKSPACE, "pipedrive", "deals")
    assert saved is not None
    assert (saved.passes, saved.cursor) == (1, None)

    # The webhook about the same deal (renamed since) is the same record, not a second one.
    deals = renamed_by_webhook(
        stack,
        pipedrive(api.url),
        "pipedrive:7001",
        "3",
        amount=Money.of("24000.5", "EUR"),
        closed_at=datetime(2026, 10, 20, 9, tzinfo=UTC),
    )
    assert len(deals) == 2
    (deal,) = [d for d in deals if d.deal_id == "pipedrive:7001"]
    assert (deal.name, deal.status) == ("Engines, phase 2", DealStatus.WON)
    replay_changes_nothing(stack, WORKSPACE, "pipedrive")


def test_an_invalid_token_fails_clearly_and_writes_nothing(
    stack: Any, api: PipedriveApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.connections.register(connection(api.url, token="f" * 40, workspace="pdx"))
    assert cli(["backfill", "pipedrive", "--workspace", "pdx"]) == 2
    err = capsys.readouterr().err
    assert "Pipedrive rejected the API token (401): unauthorized access" in err
    assert "f" * 40 not in err
    nothing_written(stack, "pdx", "pipedrive", "persons")
