"""Webhook -> archive -> SQS -> processor -> DynamoDB on the embedded stack, over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from stack_support import connections

from rel2rev.cli import main as cli
from rel2rev.ingest.native import NativeRequest, build_requests, sign_generic
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    ContactRole,
    Deal,
    DealStatus,
    Identifier,
    IdentifierKind,
    Interaction,
    Lead,
    WorkspaceRecords,
)
from rel2rev.storage import RecordRepository, record_repository

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
EPOCH, FAR = NOW - timedelta(days=365), NOW + DAY


def world(workspace: str, source: str, at: datetime = NOW - 3 * DAY) -> WorkspaceRecords:
    """A person at example.com, a call, a lead and a won deal, as `source` would know them."""
    ada = Contact(
        workspace=workspace,
        source=source,
        updated_at=at,
        contact_id=f"{source}-c1",
        identifiers=[Identifier(kind=IdentifierKind.EMAIL, value=f"ada.{source}@example.com")],
        name="Ada",
        account_id="example.com",
        created_at=at,
    )
    call = Interaction(
        workspace=workspace,
        source=source,
        updated_at=at,
        interaction_id=f"{source}-i1",
        contact_id=ada.contact_id,
        type="call",
        direction="outbound",
        channel="phone",
        occurred_at=at + timedelta(hours=1),
    )
    lead = Lead(
        workspace=workspace,
        source=source,
        updated_at=at,
        lead_id=f"{source}-l1",
        contact_id=ada.contact_id,
        account_id="example.com",
        created_at=at + timedelta(hours=2),
    )
    deal = Deal(
        workspace=workspace,
        source=source,
        updated_at=at,
        deal_id=f"{source}-d1",
        name="Big",
        account_id="example.com",
        amount=Money.of("1000.00", "EUR"),
        stage="closedwon",
        status=DealStatus.WON,
        created_at=at + timedelta(hours=3),
        closed_at=at + DAY,
        contact_roles=[ContactRole(contact_id=ada.contact_id, role="buyer")],
    )
    # HubSpot webhooks carry no engagements: interactions come through generic.
    interactions = [] if source == "hubspot" else [call]
    return WorkspaceRecords(
        workspace=workspace, contacts=[ada], interactions=interactions, leads=[lead], deals=[deal]
    )


def post(request: NativeRequest) -> requests.Response:
    return requests.request(
        request.method, request.url, headers=request.headers, data=request.body, timeout=30
    )


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> Any:
    for workspace in ("all", "dup", "order", "bad"):
        for connection in connections(workspace).values():
            local_stack.connections.register(connection)
    return local_stack


@pytest.fixture(scope="module")
def repo(stack: Any) -> RecordRepository:
    return record_repository(stack.name("RecordsTable"))


def items(stack: Any, workspace: str) -> list[dict[str, Any]]:
    """Every stored item of a workspace (a test-only scan)."""
    client = stack.client("dynamodb")
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(
        TableName=stack.name("RecordsTable"),
        FilterExpression="begins_with(PK, :p)",
        ExpressionAttributeValues={":p": {"S": f"W#{workspace}#"}},
    ):
        found += page["Items"]
    return sorted(found, key=lambda i: i["PK"]["S"])


def archived(stack: Any, workspace: str) -> list[str]:
    response = stack.client("s3").list_objects_v2(
        Bucket=stack.name("ArchiveBucket"), Prefix=f"raw/{workspace}/"
    )
    return [o["Key"] for o in response.get("Contents", [])]


def deliver(stack: Any, workspace: str, source: str, records: WorkspaceRecords) -> list[str]:
    """Post a source's native deliveries; the request ids of the accepted ones."""
    connection = connections(workspace)[source]
    ids = []
    for request in build_requests(source, connection, records, now=NOW, base_url=stack.api_url):
        response = post(request)
        assert response.status_code in (200, 202), response.text
        if response.headers["content-type"].startswith("application/json"):
            ids.append(response.json()["request_id"])
    return ids


def test_every_source_is_archived_queued_and_stored(stack: Any, repo: RecordRepository) -> None:
    request_ids = {s: deliver(stack, "all", s, world("all", s)) for s in connections("all")}
    stack.drain()
    keys = archived(stack, "all")
    for source in connections("all"):
        assert any(k.startswith(f"raw/all/{source}/{NOW:%Y/%m/%d}/") for k in keys), source
    for request_id in request_ids["generic"]:
        assert f"raw/all/generic/{NOW:%Y/%m/%d}/{request_id}" in keys

    stored = repo.records_in_window("all", EPOCH, FAR)
    assert {d.source for d in stored.deals} == set(connections("all"))
    for deal in stored.deals:
        assert deal.amount == Money.of("1000.00", "EUR")
        assert deal.status is DealStatus.WON
    assert {i.source for i in stored.interactions} == {"generic", "salesforce", "pipedrive"}
    assert {lead.source for lead in stored.leads} >= {"generic", "salesforce", "pipedrive"}

    for source in connections("all"):
        email = Identifier(kind=IdentifierKind.EMAIL, value=f"ADA.{source}@example.com")
        contact = repo.contact_by_identifier("all", email)
        assert contact is not None, source
        # HubSpot contact webhooks carry no company: its contact has no account.
        assert contact.account_id == (None if source == "hubspot" else "example.com")
    generic = repo.contact_by_identifier(
        "all", Identifier(kind=IdentifierKind.EMAIL, value="ada.generic@example.com")
    )
    assert generic is not None
    (call,) = repo.interactions_of_contact("all", generic.contact_id)
    assert (call.type, call.channel, call.occurred_at) == (
        "call",
        "phone",
        NOW - 3 * DAY + timedelta(hours=1),
    )
    assert generic.created_at == NOW - 3 * DAY, "captured at its first known moment"
    (deal,) = [d for d in stored.deals if d.source == "generic"]
    assert [r.contact_id for r in deal.contact_roles] == [generic.contact_id]
    accounts = {d.source for d in stored.deals if d.account_id == "example.com"}
    assert {d.source for d in repo.deals_of_account("all", "example.com")} == accounts
    assert {"generic", "salesforce", "pipedrive"} <= accounts
    assert len(repo.contacts_of_account("all", "example.com")) == 3
    with_account = [lead for lead in stored.leads if lead.account_id == "example.com"]
    assert len(repo.leads_of_account("all", "example.com")) == len(with_account)
    inside = repo.records_in_window("all", NOW - 3 * DAY + timedelta(minutes=30), NOW)
    assert all(c.created_at != NOW - 3 * DAY for c in inside.contacts), "window start honoured"
    assert len(inside.interactions) == 3


def test_a_duplicate_delivery_is_stored_once(stack: Any) -> None:
    (request,) = build_requests(
        "generic",
        connections("dup")["generic"],
        world("dup", "generic"),
        now=NOW,
        base_url=stack.api_url,
    )
    first = post(request)
    stack.drain()
    before = items(stack, "dup")
    second = post(request)
    stack.drain()
    assert first.status_code == second.status_code == 202
    assert first.json()["event_ids"] == second.json()["event_ids"]
    assert first.json()["request_id"] != second.json()["request_id"]
    assert items(stack, "dup") == before
    assert len(archived(stack, "dup")) == 2, "every accepted delivery is archived"
    markers = [i for i in before if i["type"]["S"] == "event"]
    assert len(markers) == len(first.json()["event_ids"])


def test_out_of_order_updates_keep_the_newest_state(stack: Any, repo: RecordRepository) -> None:
    base = world("order", "generic")
    ada = base.contacts[0]
    newer = ada.model_copy(update={"name": "Ada Lovelace", "owner": "bob", "updated_at": NOW - DAY})
    older = ada.model_copy(update={"name": "Ada L.", "owner": "carol", "updated_at": NOW - 2 * DAY})
    for contact in (newer, older):
        deliver(stack, "order", "generic", WorkspaceRecords(workspace="order", contacts=[contact]))
        stack.drain()
    stored = repo.contact_by_identifier("order", ada.identifiers[0])
    assert stored is not None
    assert (stored.name, stored.owner) == ("Ada Lovelace", "bob")
    assert stored.updated_at == NOW - DAY


def test_replaying_the_archive_changes_nothing(stack: Any) -> None:
    deliver(stack, "all", "generic", world("all", "generic"))  # idempotent with the first test
    stack.drain()
    before = items(stack, "all")
    assert before
    assert cli(["replay", "--workspace", "all", "--from", f"{NOW:%Y-%m-%d}"]) == 0
    stack.drain()
    assert items(stack, "all") == before


def test_an_unreadable_message_is_quarantined_at_once_not_lost(stack: Any) -> None:
    from rel2rev.storage import quarantine_store

    sqs = stack.client("sqs")
    poison = ["not json at all", json.dumps({"events": [{"workspace": "all", "event_id": "x"}]})]
    for body in poison:
        sqs.send_message(QueueUrl=stack.ref("EventsQueue"), MessageBody=body)
    stack.drain(timeout=60)
    dead = sqs.receive_message(QueueUrl=stack.ref("EventsDeadLetterQueue")).get("Messages", [])
    assert dead == []
    kept = [
        *quarantine_store(stack.name("RecordsTable")).entries("unknown"),
        *quarantine_store(stack.name("RecordsTable")).entries("all"),
    ]
    by_id = {e.event_id: e for e in kept}
    assert by_id["x"].workspace == "all", "an unreadable event is kept under its workspace"
    assert json.loads(by_id["x"].body or "") == {"workspace": "all", "event_id": "x"}
    assert by_id["x"].reason.startswith("unreadable event")
    (whole,) = (e for e in kept if e.event_id != "x")
    assert (whole.body, whole.workspace) == ("not json at all", "unknown")
    assert whole.reason.startswith("unreadable message")
    assert {e.attempts for e in kept} == {1}, "quarantined on the first delivery"


def _signed(
    stack: Any,
    path: str,
    body: bytes,
    *,
    content_type: str = "application/json",
    at: datetime | None = None,
    secret: str = "g-secret",
) -> requests.Response:
    moment = at or datetime.now(UTC)
    headers = {
        "Content-Type": content_type,
        "X-Rel2rev-Signature": sign_generic(secret, body, int(moment.timestamp())),
    }
    return requests.post(f"{stack.api_url}{path}", data=body, headers=headers, timeout=30)


VALID = json.dumps(
    {
        "events": [
            {
                "event": "contact",
                "occurred_at": "2026-01-01T00:00:00Z",
                "identifiers": {"email": "x@example.com"},
            }
        ]
    }
).encode()


@pytest.mark.parametrize(
    ("path", "body", "options", "status"),
    [
        ("/v1/hooks/nobody/generic", VALID, {}, 404),
        ("/v1/hooks/bad/myspace", VALID, {}, 404),
        ("/v1/hooks/bad/generic", VALID, {"secret": "forged"}, 401),
        ("/v1/hooks/bad/generic", VALID, {"at": NOW - timedelta(minutes=10)}, 401),
        ("/v1/hooks/bad/generic", b"{not json", {}, 400),
        ("/v1/hooks/bad/generic", b'{"events": [{"event": "interaction"}]}', {}, 400),
        ("/v1/hooks/bad/generic", b" " * (1024 * 1024) + VALID, {}, 413),
        ("/v1/hooks/bad/generic", VALID, {"content_type": "text/plain"}, 415),
    ],
    ids=[
        "unknown-workspace",
        "unknown-source",
        "forged",
        "stale",
        "malformed",
        "schema",
        "too-large",
        "content-type",
    ],
)
def test_rejected_requests_leave_nothing_behind(
    stack: Any, path: str, body: bytes, options: dict[str, Any], status: int
) -> None:
    response = _signed(stack, path, body, **options)
    stack.drain()
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"]
    assert error["message"]
    if status == 400:
        assert error["details"], "400 names each offending field path"
    assert archived(stack, "bad") == []
    assert items(stack, "bad") == []


def test_unknown_routes_are_404_and_other_methods_not_served(stack: Any) -> None:
    assert requests.post(f"{stack.api_url}/v1/nowhere", timeout=10).status_code == 404
    assert requests.get(f"{stack.api_url}/v1/hooks/all/generic", timeout=10).status_code == 404
