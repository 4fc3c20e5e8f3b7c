"""Who is one person does not depend on arrival order, through the real gateway: an
interaction by e-mail, a contact by phone, then a contact by e-mail and phone give one contact
holding both identifiers and the touch, in each of the six delivery orders."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import permutations
from typing import Any

import pytest
import requests

from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import sign_generic
from rel2rev.records import Identifier, IdentifierKind
from rel2rev.storage import record_repository

pytestmark = pytest.mark.integration

SECRET = "orders-secret"
EVENTS = {
    "touch by e-mail": {
        "event": "interaction", "id": "t1", "occurred_at": "2026-03-02T10:00:00Z",
        "type": "comment", "direction": "inbound", "channel": "linkedin",
        "contact": {"email": "ada@example.com"},
    },
    "contact by phone": {
        "event": "contact", "id": "c1", "occurred_at": "2026-03-03T10:00:00Z",
        "identifiers": {"phone": "+441234567890"}, "name": "Ada Lovelace",
    },
    "contact by both": {
        "event": "contact", "id": "c2", "occurred_at": "2026-03-04T10:00:00Z",
        "identifiers": {"email": "ada@example.com", "phone": "+441234567890"},
    },
}  # fmt: skip
ORDERS = list(permutations(EVENTS))


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> Any:
    for n in range(len(ORDERS)):
        local_stack.connections.register(
            Connection(workspace=f"order{n}", source="generic", signing_secret=SECRET)
        )
    return local_stack


@pytest.mark.parametrize("n", range(len(ORDERS)), ids=[" / ".join(o) for o in ORDERS])
def test_every_order_gives_one_person(stack: Any, n: int) -> None:
    workspace = f"order{n}"
    for name in ORDERS[n]:
        body = json.dumps(EVENTS[name]).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Rel2rev-Signature": sign_generic(SECRET, body, int(datetime.now(UTC).timestamp())),
        }
        url = f"{stack.api_url}/v1/hooks/{workspace}/generic"
        answer = requests.post(url, data=body, headers=headers, timeout=30)
        assert answer.status_code == 202, answer.text
        stack.drain()  # one delivery applied before the next arrives
    repo = record_repository(stack.name("RecordsTable"))
    by_email = repo.contact_by_identifier(
        workspace, Identifier(kind=IdentifierKind.EMAIL, value="ada@example.com")
    )
    by_phone = repo.contact_by_identifier(
        workspace, Identifier(kind=IdentifierKind.PHONE, value="+441234567890")
    )
    assert by_email is not None
    assert by_email == by_phone, "one contact, found by either identifier"
    assert {i.key for i in by_email.identifiers} >= {"email:ada@example.com", "phone:+441234567890"}
    assert by_email.name == "Ada Lovelace"
    touches = repo.interactions_of_contact(workspace, by_email.contact_id)
    assert [t.contact_id for t in touches] == [by_email.contact_id]
    window = repo.records_in_window(
        workspace, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)
    )
    assert len(window.contacts) == 1
