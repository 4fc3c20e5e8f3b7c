"""`rel2rev backfill salesforce` on the embedded stack, against the local Salesforce org."""

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
from support.salesforce import (
    ACCOUNT,
    CLIENT_ID,
    OPPORTUNITY,
    USERNAME,
    WORKSPACE,
    connection,
    contact_id,
    private_key_pem,
    seed,
)

from rel2rev.cli import main as cli
from rel2rev.local.salesforce_api import SalesforceApiServer, public_key_of
from rel2rev.money import Money
from rel2rev.records import DealStatus, Identifier, IdentifierKind
from rel2rev.storage import checkpoint_store, record_repository

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api() -> Iterator[SalesforceApiServer]:
    key = public_key_of(private_key_pem().encode())
    with SalesforceApiServer(seed(), client_id=CLIENT_ID, username=USERNAME, public_key=key) as org:
        yield org


@pytest.fixture(scope="module")
def stack(local_stack: Any, api: SalesforceApiServer) -> Any:
    local_stack.connections.register(connection(api.url))
    return local_stack


def test_backfill_then_webhook_and_replay_store_one_record_each(
    stack: Any, api: SalesforceApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    out = backfill(stack, "salesforce", WORKSPACE, capsys)
    assert "Contact: 5 objects" in out.out
    records = stored(stack, WORKSPACE)
    (deal,) = records.deals
    assert (deal.deal_id, deal.status, deal.stage) == (
        f"salesforce:{OPPORTUNITY}",
        DealStatus.WON,
        "Signed",
    )
    assert deal.amount == Money.of("24000.00", "EUR")
    assert len(deal.contact_roles) == 2
    assert {i.type for i in records.interactions} >= {"email", "call", "meeting"}
    person = record_repository(stack.name("RecordsTable")).contact_by_identifier(
        WORKSPACE, Identifier(kind=IdentifierKind.SALESFORCE, value=contact_id(1))
    )
    assert person is not None
    assert person.account_id == ACCOUNT
    pages = archived(stack, WORKSPACE, "salesforce")
    assert pages
    for token in api.sessions:
        assert all(token.encode() not in page for page in pages)
        assert token not in out.out + out.err
    assert all(b"PRIVATE KEY" not in page for page in pages)
    saved = checkpoint_store(stack.name("RecordsTable")).get(
        WORKSPACE, "salesforce", "OpportunityHistory"
    )
    assert saved is not None
    assert (saved.passes, saved.cursor) == (1, None)

    # The Outbound Message about the same opportunity (renamed since) is the same record.
    (deal,) = renamed_by_webhook(
        stack, connection(api.url), f"salesforce:{OPPORTUNITY}", "Signed", status=200
    )
    assert (deal.name, deal.status) == ("Engines, phase 2", DealStatus.WON)
    replay_changes_nothing(stack, WORKSPACE, "salesforce")


def test_an_invalid_grant_fails_clearly_and_writes_nothing(
    stack: Any, api: SalesforceApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.connections.register(connection(api.url, username="nobody@example.com", workspace="sfx"))
    assert cli(["backfill", "salesforce", "--workspace", "sfx"]) == 2
    err = capsys.readouterr().err
    assert "Salesforce refused the JWT bearer grant of the connected app (invalid_grant)" in err
    assert "PRIVATE KEY" not in err
    nothing_written(stack, "sfx", "salesforce", "Contact")
