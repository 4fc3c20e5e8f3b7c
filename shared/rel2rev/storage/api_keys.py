"""API keys: bearer secrets owned by one workspace, stored only as their SHA-256 hash.

Items live in the results table: pk `APIKEY#{sha256}`, sk `APIKEY` (the authorizer's one
GetItem), gsi1pk `WS#{workspace}#KEYS`, gsi1sk `{created_at}#{key_id}` (listing per workspace);
pk `WORKSPACES`, sk `{workspace}` registers the workspace for the daily schedule.
The secret is returned once, at creation, and never stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from functools import cache
from typing import Any

from boto3.dynamodb.conditions import Key
from pydantic import BaseModel, ConfigDict

from rel2rev.errors import NotFoundError
from rel2rev.records import UtcDatetime
from rel2rev.storage.clients import dynamodb_table
from rel2rev.storage.results import ResultsSettings

KEY_PREFIX = "r2r_"


def hash_secret(secret: str) -> str:
    """Hex SHA-256 of a bearer secret: the only form in which a key is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(BaseModel):
    """A key's public record (never the secret)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str
    workspace: str
    name: str | None = None
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None = None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None


class ApiKeyStore:
    """Create, look up, list and revoke API keys in DynamoDB."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def create(
        self, workspace: str, *, name: str | None = None, now: datetime | None = None
    ) -> tuple[ApiKey, str]:
        """A new key for `workspace`: its record and the secret (shown once)."""
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        digest = hash_secret(secret)
        key = ApiKey(
            key_id="key_" + digest[:16],
            workspace=workspace,
            name=name,
            created_at=now or datetime.now(UTC),
        )
        self._table.put_item(Item={"pk": "WORKSPACES", "sk": workspace})
        self._table.put_item(
            Item={
                "pk": f"APIKEY#{digest}",
                "sk": "APIKEY",
                "gsi1pk": f"WS#{workspace}#KEYS",
                "gsi1sk": f"{key.created_at.isoformat()}#{key.key_id}",
                "key": key.model_dump_json(),
            },
            ConditionExpression="attribute_not_exists(pk)",
        )
        return key, secret

    def workspaces(self) -> list[str]:
        """Every workspace that ever had an API key: the ones the daily schedule runs."""
        found: list[str] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq("WORKSPACES")}
        while True:
            page = self._table.query(**kwargs)
            found.extend(str(item["sk"]) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def authenticate(self, secret: str) -> ApiKey | None:
        """The active key this secret belongs to, or None (unknown or revoked)."""
        item = self._table.get_item(
            Key={"pk": f"APIKEY#{hash_secret(secret)}", "sk": "APIKEY"}
        ).get("Item")
        if item is None:
            return None
        key = ApiKey.model_validate_json(str(item["key"]))
        return key if key.active else None

    def _items(self, workspace: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": Key("gsi1pk").eq(f"WS#{workspace}#KEYS"),
        }
        while True:
            page = self._table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def list(self, workspace: str) -> list[ApiKey]:
        """Every key of the workspace, oldest first, revoked ones included."""
        return [ApiKey.model_validate_json(str(item["key"])) for item in self._items(workspace)]

    def revoke(self, workspace: str, key_id: str, *, now: datetime | None = None) -> ApiKey:
        """Revoke one of the workspace's keys (idempotent); NotFoundError when unknown."""
        for item in self._items(workspace):
            key = ApiKey.model_validate_json(str(item["key"]))
            if key.key_id != key_id:
                continue
            if key.active:
                key = key.model_copy(update={"revoked_at": now or datetime.now(UTC)})
                self._table.update_item(
                    Key={"pk": item["pk"], "sk": "APIKEY"},
                    UpdateExpression="SET #k = :k",
                    ExpressionAttributeNames={"#k": "key"},
                    ExpressionAttributeValues={":k": key.model_dump_json()},
                )
            return key
        raise NotFoundError(f"key {key_id!r} not found in workspace {workspace!r}")


@cache
def api_key_store() -> ApiKeyStore:
    """The container's API key store (created once, at first use)."""
    settings = ResultsSettings()  # type: ignore[call-arg]
    return ApiKeyStore(dynamodb_table(settings.results_table))


def bearer_secret(authorization: str | None) -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header value, else None."""
    if not authorization:
        return None
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    return secret if scheme.lower() == "bearer" and secret else None
