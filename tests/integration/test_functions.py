"""The handlers invoked directly with the sample events in events/functions/ (real shapes)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import http_api_event, request_from_http_event, sign_request
from rel2rev.records import Identifier, IdentifierKind
from rel2rev.storage import record_repository
from rel2rev.storage.queue import EventMessage

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[2] / "events" / "functions"
GENERIC = Connection(workspace="acme", source="generic", signing_secret="sample-generic-secret")


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return data


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> Any:
    local_stack.connections.register(GENERIC)
    return local_stack


def test_ingest_sample_is_refused_as_stale_then_accepted_when_re_signed(stack: Any) -> None:
    event = sample("ingest")
    stale = stack.invoke("IngestFunction", event)
    assert stale["statusCode"] == 401
    assert json.loads(stale["body"])["error"]["code"] == "unauthorized"

    now = datetime.now(UTC)
    fresh = sign_request("generic", GENERIC, request_from_http_event(event), now)
    answer = stack.invoke("IngestFunction", http_api_event(fresh, "generic", "acme", "fn-1", now))
    assert answer["statusCode"] == 202
    body = json.loads(answer["body"])
    assert body["request_id"] == "fn-1"
    assert body["accepted"] == len(body["event_ids"]) > 0


def test_processor_sample_is_stored_and_a_poison_record_is_quarantined(stack: Any) -> None:
    from rel2rev.storage import quarantine_store

    event = sample("processor")
    poisoned = copy.deepcopy(event)
    poisoned["Records"].insert(1, {**poisoned["Records"][0], "messageId": "poison", "body": "{"})
    answer = stack.invoke("ProcessorFunction", poisoned)
    assert answer == {"batchItemFailures": []}
    (kept,) = quarantine_store(stack.name("RecordsTable")).entries("unknown")
    assert (kept.event_id, kept.body) == ("message-poison", "{")

    first = EventMessage.model_validate_json(event["Records"][0]["body"]).events[0]
    repo = record_repository(stack.name("RecordsTable"))
    ada = repo.contact_by_identifier(
        "acme", Identifier(kind=IdentifierKind.LINKEDIN, value="Ada-Lovelace")
    )
    assert ada is not None
    assert ada.name == "Ada Lovelace"
    assert ada.updated_at == first.occurred_at
    (touch,) = repo.interactions_of_contact("acme", ada.contact_id)
    assert touch.campaign == "q4-launch"

    again = stack.invoke("ProcessorFunction", event)
    assert again == {"batchItemFailures": []}
    assert repo.contact_by_identifier("acme", ada.identifiers[0]) == ada


def test_authorizer_api_and_job_samples_drive_the_finance_side(stack: Any) -> None:
    """A sample key is refused; a real one is authorised; the schedule and run samples run."""
    from rel2rev.storage.api_keys import api_key_store

    refused = sample("authorizer")
    with pytest.raises(PermissionError, match="Unauthorized"):
        stack.invoke("AuthorizerFunction", refused)

    _, secret = api_key_store().create("acme", name="samples")
    request = sample("authorizer")
    request["headers"]["authorization"] = request["identitySource"][0] = f"Bearer {secret}"
    verdict = stack.invoke("AuthorizerFunction", request)
    assert verdict["isAuthorized"] is True
    assert verdict["context"]["workspace"] == "acme"

    api = sample("api")
    api["requestContext"]["authorizer"]["lambda"] = verdict["context"]
    before = stack.invoke("ApiFunction", api)
    assert before["statusCode"] == 404  # no finished run yet: nothing to serve

    (scheduled,) = stack.invoke("ModelJobFunction", sample("model_job_schedule"))["runs"]
    assert scheduled["workspace"] == "acme"
    assert scheduled["status"] in {"succeeded", "partial"}
    after = stack.invoke("ApiFunction", api)
    assert after["statusCode"] == 200
    assert "linear" in json.loads(after["body"])["models"]

    run_request = sample("model_job_run")
    run_request["Records"][0]["body"] = json.dumps(
        {"workspace": "acme", "run_id": scheduled["run_id"]}
    )
    assert stack.invoke("ModelJobFunction", run_request) == {"batchItemFailures": []}


def test_quarantine_sample_keeps_the_dead_lettered_event(stack: Any) -> None:
    from rel2rev.storage import quarantine_store

    event = sample("quarantine")
    assert stack.invoke("QuarantineFunction", event) == {"batchItemFailures": []}
    (sent,) = EventMessage.model_validate_json(event["Records"][0]["body"]).events
    kept = {e.event_id: e for e in quarantine_store(stack.name("RecordsTable")).entries("acme")}
    assert kept[sent.event_id].event == sent
    assert kept[sent.event_id].reason.startswith("dead-lettered")


def test_erasure_sample_forgets_the_sample_person(stack: Any) -> None:
    from rel2rev.storage import erasure_receipts

    repo = record_repository(stack.name("RecordsTable"))
    ada = Identifier(kind=IdentifierKind.EMAIL, value="ada@example.com")
    stack.invoke("ProcessorFunction", sample("processor"))
    assert repo.contact_by_identifier("acme", ada) is not None
    assert stack.invoke("ErasureFunction", sample("erasure")) == {"batchItemFailures": []}
    assert repo.contact_by_identifier("acme", ada) is None
    receipt = erasure_receipts(stack.name("RecordsTable")).get("acme", "er-sample0000000000000001")
    assert (receipt.status, receipt.counts.interactions) == ("done", 1)
