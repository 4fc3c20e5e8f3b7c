"""Every AWS call the ingest, processor, quarantine and reconcile handlers make is allowed by
their template policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import http_api_event, request_from_http_event, sign_request
from rel2rev.local import LocalStack
from rel2rev.local.hubspot_api import HubSpotApiServer
from rel2rev.storage import clients

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[2] / "events" / "functions"
GENERIC = Connection(workspace="acme", source="generic", signing_secret="sample-generic-secret")
HUBSPOT_SEED = {
    "deals": [
        {
            "id": "7001",
            "properties": {
                "dealname": "Engines",
                "amount": "24000.00",
                "dealstage": "closedwon",
                "createdate": "2026-10-03T09:00:00.000Z",
                "hs_lastmodifieddate": "2026-10-20T09:00:00.000Z",
            },
        }
    ]
}
# IAM actions that authorise an API operation when the names differ.
ACTION_OF = {"sqs:SendMessageBatch": "sqs:SendMessage"}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(deliver=False) as local, HubSpotApiServer(HUBSPOT_SEED, token="t") as api:
        local.connections.register(GENERIC)
        local.connections.register(
            Connection(
                workspace="acme",
                source="hubspot",
                signing_secret="h-secret",
                currency="EUR",
                api_token="t",
                api_base_url=api.url,
            )
        )
        yield local


def _allowed(stack: LocalStack, function: str) -> set[str]:
    """Actions of the function's SAM `Policies`, or of its explicit `Role`'s policies."""
    resources = stack.template.resources
    properties = resources[function]["Properties"]
    documents = properties.get("Policies", [])
    if "Role" in properties:
        (role,) = properties["Role"].values()  # {"Fn::GetAtt": [RoleId, "Arn"]}
        role_id = role[0] if isinstance(role, list) else role.split(".")[0]
        documents = [p["PolicyDocument"] for p in resources[role_id]["Properties"]["Policies"]]
    return {
        action
        for policy in documents
        for statement in policy.get("Statement", [])
        if statement["Effect"] == "Allow"
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }


class _Recorder:
    """IAM actions of the calls made while each function runs (`label`)."""

    def __init__(self) -> None:
        self.label = ""
        self.calls: dict[str, set[str]] = {}

    def __call__(self, model: Any, **_: Any) -> None:
        action = f"{model.service_model.signing_name}:{model.name}"
        self.calls.setdefault(self.label, set()).add(ACTION_OF.get(action, action))


def test_handlers_call_only_what_their_policies_allow(stack: LocalStack) -> None:
    now = datetime.now(UTC)
    sample = json.loads((EVENTS / "ingest.json").read_text())
    request = sign_request("generic", GENERIC, request_from_http_event(sample), now)
    warm = stack.invoke("IngestFunction", http_api_event(request, "generic", "acme", "w", now))
    assert warm["statusCode"] == 202
    sqs = stack.client("sqs")
    received = sqs.receive_message(QueueUrl=stack.ref("EventsQueue"), MaxNumberOfMessages=10)
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        }
        for m in received["Messages"]
    ]
    cold = {**records[0], "messageId": "cold", "body": "{"}  # cold start: imports the handler
    assert stack.invoke("ProcessorFunction", {"Records": [cold]}) == {"batchItemFailures": []}
    recorder = _Recorder()
    for factory in (
        clients.dynamodb_client,
        clients.s3_client,
        clients.sqs_client,
        clients.ssm_client,
    ):
        factory().meta.events.register("before-call", recorder)

    recorder.label = "IngestFunction"
    answer = stack.invoke("IngestFunction", http_api_event(request, "generic", "acme", "r", now))
    assert answer["statusCode"] == 202
    recorder.label = "ProcessorFunction"
    assert stack.invoke("ProcessorFunction", {"Records": records}) == {"batchItemFailures": []}
    unreadable = {**records[0], "messageId": "poison", "body": "{"}
    assert stack.invoke("ProcessorFunction", {"Records": [unreadable]}) == {
        "batchItemFailures": []
    }, "quarantined"
    recorder.label = "QuarantineFunction"
    dead = {**records[0], "messageId": "dead"}
    assert stack.invoke("QuarantineFunction", {"Records": [dead]}) == {"batchItemFailures": []}
    recorder.label = "ReconcileFunction"
    (reconciled,) = stack.invoke("ReconcileFunction", {"trigger": "schedule"})["outcomes"]
    assert reconciled["status"] == "done", reconciled

    assert {"s3:PutObject", "sqs:SendMessage"} <= recorder.calls["IngestFunction"]
    assert {"dynamodb:PutItem", "dynamodb:BatchGetItem"} <= recorder.calls["ProcessorFunction"]
    assert recorder.calls["QuarantineFunction"] == {"dynamodb:PutItem"}
    assert recorder.calls["ReconcileFunction"] == {
        "ssm:GetParametersByPath",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:BatchGetItem",
        "s3:PutObject",
        "sqs:SendMessage",
    }
    for function, calls in recorder.calls.items():
        assert calls <= _allowed(stack, function), (function, calls - _allowed(stack, function))
