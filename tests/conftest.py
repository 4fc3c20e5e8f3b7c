"""Shared fixtures: DynamoDB limits moto does not enforce, and the embedded local stack."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from openapi_observer import OBSERVED, install, problems

MAX_BATCH_WRITE = 25
MAX_BATCH_GET = 100
MAX_TRANSACTION_ITEMS = 100
MAX_ITEM_BYTES = 400 * 1024


def _powertools_environment() -> None:
    """The Powertools settings every deployed function has (the template's Globals), set
    before any test module imports the code, so domain code run in-process behaves as in
    Lambda (its metrics flush under their namespace)."""
    from rel2rev.local.template import load_template

    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    for name, value in variables.items():
        if name.startswith("POWERTOOLS_METRICS_"):
            os.environ.setdefault(name, str(value))


_powertools_environment()
install()


@pytest.fixture(scope="session", autouse=True)
def responses_match_openapi() -> Iterator[None]:
    """At the end of the session, every API answer the tests observed conforms to the
    committed openapi.json (`tests/openapi_observer.py`)."""
    yield
    if OBSERVED:
        found = problems()
        assert not found, "answers not described by openapi.json:\n" + "\n".join(found[:20])


def _value_size(value: dict[str, Any]) -> int:
    """Approximate DynamoDB size of one AttributeValue (the documented sizing rules)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        return len(str(inner).lstrip("-").replace(".", "")) // 2 + 2
    if kind == "B":
        return len(inner if isinstance(inner, bytes | bytearray) else str(inner).encode())
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in inner)
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in inner.items())
    return len(json.dumps(inner, default=str).encode())


def item_size(item: dict[str, Any]) -> int:
    """Approximate DynamoDB size of an item given as AttributeValues."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _reject(operation: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": "ValidationException", "Message": message}}, operation)


def _check_item(operation: str, item: dict[str, Any]) -> None:
    if item_size(item) > MAX_ITEM_BYTES:
        raise _reject(operation, "Item size has exceeded the maximum allowed size")


def enforce_dynamodb_limits(params: dict[str, Any], model: Any, **_: Any) -> None:
    """botocore `before-parameter-build` hook: raise what real DynamoDB would answer."""
    operation = model.name
    if operation == "PutItem":
        _check_item(operation, params.get("Item", {}))
    elif operation == "BatchWriteItem":
        requests = [r for rs in params.get("RequestItems", {}).values() for r in rs]
        if len(requests) > MAX_BATCH_WRITE:
            raise _reject(
                operation,
                "1 validation error detected: Value at 'requestItems' failed to satisfy "
                "constraint: Member must have length less than or equal to 25",
            )
        for request in requests:
            _check_item(operation, request.get("PutRequest", {}).get("Item", {}))
    elif operation == "BatchGetItem":
        keys = [k for spec in params.get("RequestItems", {}).values() for k in spec["Keys"]]
        if len(keys) > MAX_BATCH_GET:
            raise _reject(operation, "Too many items requested for the BatchGetItem call")
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        items = params.get("TransactItems", [])
        if len(items) > MAX_TRANSACTION_ITEMS:
            raise _reject(
                operation,
                "1 validation error detected: Value at 'transactItems' failed to satisfy "
                "constraint: Member must have length less than or equal to 100",
            )
        for entry in items:
            _check_item(operation, entry.get("Put", {}).get("Item", {}))


@pytest.fixture(scope="session", autouse=True)
def dynamodb_limits() -> Iterator[None]:
    """Every DynamoDB client created in this process enforces real DynamoDB's limits."""
    original = botocore.session.Session.create_client

    def create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = original(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            # Registered last, so it sees the AttributeValues boto3's resource layer built.
            client.meta.events.register_last(
                "before-parameter-build.dynamodb", enforce_dynamodb_limits
            )
        return client

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session.Session, "create_client", create_client)
        yield


@pytest.fixture(scope="module")
def local_stack() -> Iterator[Any]:
    """One embedded stack (moto + gateway + queue pollers) per test module."""
    from rel2rev.local import LocalStack

    with LocalStack() as stack:
        yield stack
