"""Right to erasure end to end on the embedded stack: webhooks in, `rel2rev erase` and the
API route out; the person is gone from the records table, the quarantine and the archive (every
version), their raw requests replay without them, their CRM's redeliveries stay suppressed,
and the deal they were on keeps its revenue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from rel2rev.cli import main as cli
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import NativeRequest, build_requests
from rel2rev.ingest.request import RawRequest
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
from rel2rev.storage import record_repository

pytestmark = pytest.mark.integration

WS = "forget"
NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
T0 = NOW - 20 * DAY
ADA_EMAIL, ADA_PHONE, ADA_NAME = "ada.l@example.com", "+442079460000", "Ada Lovelace"
CONNECTION = Connection(workspace=WS, source="generic", signing_secret="forget-secret")


def person(contact_id: str, name: str, *ids: Identifier) -> Contact:
    return Contact(
        workspace=WS,
        source="generic",
        updated_at=T0,
        contact_id=contact_id,
        identifiers=list(ids),
        name=name,
        account_id="example.com",
        created_at=T0,
    )


def touch(interaction_id: str, contact: Contact, day: int) -> Interaction:
    return Interaction(
        workspace=WS,
        source="generic",
        updated_at=T0 + day * DAY,
        interaction_id=interaction_id,
        contact_id=contact.contact_id,
        type="meeting",
        direction="inbound",
        channel="webinar",
        occurred_at=T0 + day * DAY,
    )


EMAIL = Identifier(kind=IdentifierKind.EMAIL, value=ADA_EMAIL)
PHONE = Identifier(kind=IdentifierKind.PHONE, value=ADA_PHONE)
BOB = person("bob", "Bob Byron", Identifier(kind=IdentifierKind.EMAIL, value="bob@example.com"))
ADA_BY_EMAIL = person("ada-e", ADA_NAME, EMAIL)
ADA_BY_PHONE = person("ada-p", ADA_NAME, PHONE)
ADA_BOTH = person("ada-both", ADA_NAME, EMAIL, PHONE)


def deliver(records: WorkspaceRecords, stack: Any) -> list[NativeRequest]:
    sent = build_requests("generic", CONNECTION, records, now=NOW, base_url=stack.api_url)
    for request in sent:
        response = post(request)
        assert response.status_code == 202, response.text
    return sent


def post(request: NativeRequest) -> requests.Response:
    return requests.request(
        request.method, request.url, headers=request.headers, data=request.body, timeout=30
    )


def records(**kinds: Any) -> WorkspaceRecords:
    return WorkspaceRecords(workspace=WS, **kinds)


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> Any:
    local_stack.connections.register(CONNECTION)
    return local_stack


@pytest.fixture(scope="module")
def delivered(stack: Any) -> dict[str, list[NativeRequest]]:
    """Ada known by e-mail and by phone (two contacts until one event names both: a merge),
    with touches and a lead; Bob with a touch; a won deal on which both have a role."""
    deal = Deal(
        workspace=WS,
        source="generic",
        updated_at=T0 + 9 * DAY,
        deal_id="d1",
        name="Pilot",
        account_id="example.com",
        amount=Money.of("5000.00", "EUR"),
        status=DealStatus.WON,
        created_at=T0 + 2 * DAY,
        closed_at=T0 + 9 * DAY,
        contact_roles=[
            ContactRole(contact_id=ADA_BY_EMAIL.contact_id, role="buyer"),
            ContactRole(contact_id=BOB.contact_id, role="champion"),
        ],
    )
    lead = Lead(
        workspace=WS,
        source="generic",
        updated_at=T0 + DAY,
        lead_id="l-ada",
        contact_id=ADA_BY_PHONE.contact_id,
        account_id="example.com",
        created_at=T0 + DAY,
    )
    mixed = deliver(
        records(
            contacts=[ADA_BY_EMAIL, BOB],
            interactions=[touch("i-ada-1", ADA_BY_EMAIL, 1), touch("i-bob-1", BOB, 1)],
            deals=[deal],
        ),
        stack,
    )
    only_ada = deliver(
        records(
            contacts=[ADA_BY_PHONE, ADA_BOTH],
            interactions=[touch("i-ada-2", ADA_BY_PHONE, 3)],
            leads=[lead],
        ),
        stack,
    )
    stack.drain()
    return {"mixed": mixed, "only_ada": only_ada}


def items(stack: Any) -> list[dict[str, Any]]:
    client = stack.client("dynamodb")
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(
        TableName=stack.name("RecordsTable"),
        FilterExpression="begins_with(PK, :p)",
        ExpressionAttributeValues={":p": {"S": f"W#{WS}#"}},
    ):
        found += page["Items"]
    return found


def archive_versions(stack: Any) -> list[RawRequest]:
    """Every version of every archived request of the workspace."""
    s3, bucket = stack.client("s3"), stack.name("ArchiveBucket")
    versions = s3.list_object_versions(Bucket=bucket, Prefix=f"raw/{WS}/").get("Versions", [])
    return [
        RawRequest.from_archive(
            s3.get_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])["Body"].read()
        )
        for v in versions
    ]


def mentions_ada(blob: object) -> bool:
    text = (blob.body.decode() if isinstance(blob, RawRequest) else str(blob)).lower()
    return any(s in text for s in (ADA_EMAIL, ADA_PHONE, "lovelace"))


def window(stack: Any) -> WorkspaceRecords:
    return record_repository(stack.name("RecordsTable")).records_in_window(
        WS, NOW - 60 * DAY, NOW + DAY
    )


@pytest.fixture(scope="module")
def erased(stack: Any, delivered: dict[str, list[NativeRequest]]) -> dict[str, Any]:
    before = window(stack)
    ada = [c for c in before.contacts if any(i.key == EMAIL.key for i in c.identifiers)]
    assert len(ada) == 1, "e-mail and phone contacts were merged into one person"
    assert {i.interaction_id for i in before.interactions} == {"i-ada-1", "i-ada-2", "i-bob-1"}
    assert any(mentions_ada(i) for i in items(stack))
    assert any(mentions_ada(b) for b in archive_versions(stack))
    return {"before": before, "ada": ada[0]}


def test_erase_removes_the_person_everywhere(
    stack: Any, erased: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["erase", "--workspace", WS, "--email", ADA_EMAIL.upper(), "--json"]) == 0
    receipt = json.loads(capsys.readouterr().out)
    counts = receipt["counts"]
    assert receipt["status"] == "done"
    assert counts["contacts"] >= 2, "the merged contacts go too"
    assert (counts["interactions"], counts["leads"], counts["deal_roles"]) == (2, 1, 1)
    assert (counts["archive_deleted"], counts["archive_rewritten"]) == (1, 1)
    assert not mentions_ada(receipt), "the receipt keeps hashes, not identifiers"

    assert not [i for i in items(stack) if mentions_ada(i)]
    assert not [b for b in archive_versions(stack) if mentions_ada(b)]
    after = window(stack)
    assert {c.name for c in after.contacts} == {"Bob Byron"}
    assert {i.interaction_id for i in after.interactions} == {"i-bob-1"}
    assert after.leads == []
    (deal,) = after.deals
    assert deal.amount == Money.of("5000.00", "EUR"), "the revenue stays"
    assert [r.contact_id for r in deal.contact_roles] == [c.contact_id for c in after.contacts]


def test_replay_and_redelivery_do_not_bring_the_person_back(
    stack: Any, delivered: dict[str, list[NativeRequest]], erased: dict[str, Any]
) -> None:
    if any(mentions_ada(i) for i in items(stack)):
        pytest.skip("needs the erasure of the test above")
    assert cli(["replay", "--workspace", WS]) == 0
    for request in delivered["only_ada"]:
        assert post(request).status_code == 202
    stack.drain()
    assert not [i for i in items(stack) if mentions_ada(i)]
    after = window(stack)
    assert {c.name for c in after.contacts} == {"Bob Byron"}
    assert {i.interaction_id for i in after.interactions} == {"i-bob-1"}


def test_activity_after_the_erasure_is_a_new_relationship(
    stack: Any, erased: dict[str, Any]
) -> None:
    later = touch("i-ada-new", ADA_BY_EMAIL, 0).model_copy(
        update={"occurred_at": NOW + timedelta(minutes=5), "updated_at": NOW + timedelta(minutes=5)}
    )
    deliver(records(contacts=[ADA_BY_EMAIL.model_copy(update={"updated_at": NOW})]), stack)
    repository = record_repository(stack.name("RecordsTable"))
    stack.drain()
    assert repository.contact_by_identifier(WS, EMAIL) is None, "from before the erasure"
    again = ADA_BY_EMAIL.model_copy(update={"updated_at": later.updated_at})
    deliver(records(contacts=[again], interactions=[later]), stack)
    stack.drain()
    found = repository.contact_by_identifier(WS, EMAIL)
    assert found is not None, "activity after the erasure starts a new relationship"
    touches = repository.interactions_of_contact(WS, found.contact_id)
    assert [i.interaction_id for i in touches] == ["i-ada-new"]


def test_the_api_queues_an_erasure_and_reports_it(stack: Any) -> None:
    from rel2rev.storage.api_keys import api_key_store

    _, key = api_key_store().create(WS, name="dpo")
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{stack.api_url}/v1/erasures"
    too_many = [{"kind": "external", "value": str(n)} for n in range(19)]
    for bad in (
        {},
        {"email": " "},
        {"identifiers": [{"kind": "fax", "value": "1"}]},
        {"email": "a@example.com", "phone": "+1", "identifiers": too_many},
    ):
        answer = requests.post(url, json=bad, headers=headers, timeout=30)
        assert answer.status_code in (400, 422), answer.text
        assert "error" in answer.json()
    queued = requests.post(url, json={"email": ADA_EMAIL}, headers=headers, timeout=30)
    assert queued.status_code == 202, queued.text
    receipt = queued.json()
    assert receipt["status"] == "queued"
    stack.drain()
    done = requests.get(f"{url}/{receipt['erasure_id']}", headers=headers, timeout=30)
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert not [i for i in items(stack) if mentions_ada(i)]
    other = requests.get(f"{url}/er-unknown", headers=headers, timeout=30)
    assert other.status_code == 404
