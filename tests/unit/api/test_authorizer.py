"""API keys (stored hashed) and the Lambda authorizer: active keys pass, others are 401."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from rel2rev.errors import NotFoundError
from rel2rev.storage.api_keys import api_key_store, bearer_secret, hash_secret

ROOT = Path(__file__).resolve().parents[3]


def _authorizer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "authorizer_app", ROOT / "functions" / "authorizer" / "app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["authorizer_app"] = module
    spec.loader.exec_module(module)
    return module


class Context:
    function_name = "AuthorizerFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
    aws_request_id = "req-1"


def _event(authorization: str | None) -> dict[str, Any]:
    headers = {"authorization": authorization} if authorization else {}
    return {"version": "2.0", "type": "REQUEST", "routeKey": "GET /v1/runs", "headers": headers}


def test_keys_are_stored_only_hashed(aws: dict[str, Any]) -> None:
    key, secret = api_key_store().create("acme", name="finance")
    items = boto3.resource("dynamodb").Table("results").scan()["Items"]
    assert all(secret not in str(item) for item in items)
    assert any(item["pk"] == f"APIKEY#{hash_secret(secret)}" for item in items)
    assert api_key_store().authenticate(secret) == key
    assert api_key_store().workspaces() == ["acme"]


def test_list_and_revoke_are_per_workspace(aws: dict[str, Any]) -> None:
    store = api_key_store()
    key, secret = store.create("acme")
    store.create("other")
    assert [k.key_id for k in store.list("acme")] == [key.key_id]
    with pytest.raises(NotFoundError):
        store.revoke("other", key.key_id)
    revoked = store.revoke("acme", key.key_id)
    assert revoked.revoked_at is not None
    assert store.authenticate(secret) is None
    assert store.list("acme")[0].revoked_at == revoked.revoked_at


def test_authorizer_passes_the_workspace_and_rejects_the_rest(aws: dict[str, Any]) -> None:
    app = _authorizer()
    key, secret = api_key_store().create("acme")
    answer = app.lambda_handler(_event(f"Bearer {secret}"), Context())
    assert answer == {
        "isAuthorized": True,
        "context": {"workspace": "acme", "key_id": key.key_id},
    }
    for header in (None, "Bearer", f"Basic {secret}", "Bearer r2r_unknown"):
        with pytest.raises(PermissionError, match=r"^Unauthorized$"):
            app.lambda_handler(_event(header), Context())
    api_key_store().revoke("acme", key.key_id)
    with pytest.raises(PermissionError, match=r"^Unauthorized$"):
        app.lambda_handler(_event(f"Bearer {secret}"), Context())


@pytest.mark.parametrize(
    ("header", "secret"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("", None), (None, None)],
)
def test_bearer_secret(header: str | None, secret: str | None) -> None:
    assert bearer_secret(header) == secret
