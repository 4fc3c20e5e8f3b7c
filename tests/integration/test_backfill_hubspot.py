"""`rel2rev backfill hubspot` on the embedded stack, against the local HubSpot API."""

from __future__ import annotations

from collections.abc import Iterator
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
from support.hubspot import TOKEN, connection, seed

from rel2rev.cli import main as cli
from rel2rev.ingest.connections import Connection
from rel2rev.local.hubspot_api import HubSpotApiServer
from rel2rev.money import Money
from rel2rev.records import DealStatus, Identifier, IdentifierKind
from rel2rev.storage import checkpoint_store, record_repository

pytestmark = pytest.mark.integration

WORKSPACE = "bfi"


@pytest.fixture(scope="module")
def api() -> Iterator[HubSpotApiServer]:
    with HubSpotApiServer(seed(), token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def stack(local_stack: Any, api: HubSpotApiServer) -> Any:
    local_stack.connections.register(hubspot(api.url))
    return local_stack


def hubspot(url: str) -> Connection:
    return connection(url, workspace=WORKSPACE)


def test_backfill_then_webhook_and_replay_store_one_record_each(
    stack: Any, api: HubSpotApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    out = backfill(stack, "hubspot", WORKSPACE, capsys)
    assert "contacts: 5 objects" in out.out
    records = stored(stack, WORKSPACE)
    (deal,) = records.deals
    assert (deal.deal_id, deal.status, deal.stage) == ("hubspot:7001", DealStatus.WON, "closedwon")
    assert deal.amount == Money.of("24000.00", "EUR")
    assert len(deal.contact_roles) == 2
    assert len(records.contacts) == 5
    (reply,) = records.interactions
    assert reply.type == "email_reply"
    ada = record_repository(stack.name("RecordsTable")).contact_by_identifier(
        WORKSPACE, Identifier(kind=IdentifierKind.HUBSPOT, value="201")
    )
    assert ada is not None
    assert ada.contact_id == reply.contact_id
    assert ada.account_id == "9001"
    pages = archived(stack, WORKSPACE, "hubspot")
    assert pages
    assert all(TOKEN.encode() not in page for page in pages)
    assert TOKEN not in out.out + out.err
    saved = checkpoint_store(stack.name("RecordsTable")).get(WORKSPACE, "hubspot", "deals")
    assert saved is not None
    assert saved.passes == 1
    assert saved.cursor is None

    # The webhook about the same deal (renamed since) is the same record, not a second one.
    (deal,) = renamed_by_webhook(stack, hubspot(api.url), "hubspot:7001", "closedwon")
    assert (deal.name, deal.status) == ("Engines, phase 2", DealStatus.WON)
    replay_changes_nothing(stack, WORKSPACE, "hubspot")


def test_an_invalid_token_fails_clearly_and_writes_nothing(
    stack: Any, api: HubSpotApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.connections.register(connection(api.url, token="pat-wrong", workspace="bfx"))
    assert cli(["backfill", "hubspot", "--workspace", "bfx"]) == 2
    err = capsys.readouterr().err
    assert "HubSpot rejected the private-app token (401)" in err
    assert "pat-wrong" not in err
    nothing_written(stack, "bfx", "hubspot", "contacts")
