"""The webhook request as the ingest endpoint saw it, its archived form, and the answer.

`RawRequest` is what every source adapter verifies and parses. Its archived form keeps the
body and only the headers that matter for audit and replay; secrets (the Authorization
header's credential, secret query parameters) never reach the archive in clear.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rel2rev.errors import InputError
from rel2rev.records import UtcDatetime

ARCHIVE_VERSION = 1
ARCHIVED_HEADERS = frozenset(
    {
        "content-type",
        "user-agent",
        "soapaction",
        "x-rel2rev-signature",
        "x-hubspot-signature",
        "x-hubspot-signature-v3",
        "x-hubspot-signature-version",
        "x-hubspot-request-timestamp",
        "authorization",
        "x-rel2rev-backfill",
    }
)
"""Headers kept in the archive (the Authorization credential is redacted)."""

SECRET_QUERY_KEYS = frozenset({"token", "secret", "password", "api_key", "apikey", "key"})
"""Query parameters whose values are secrets and are redacted in the archive."""

REDACTED = "[redacted]"


class RawRequest(BaseModel):
    """One HTTP request to `POST /v1/hooks/{workspace}/{source}`, exactly as received."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: str = Field(min_length=1, max_length=128)
    source: str = Field(min_length=1, max_length=64)
    request_id: str = Field(min_length=1, max_length=256)
    received_at: UtcDatetime
    method: str = "POST"
    url: str = Field(description="Full URL as the sender called it (scheme, host, path, query)")
    headers: dict[str, str] = Field(default_factory=dict, description="Keys lower-cased")
    query: dict[str, str] = Field(default_factory=dict)
    body: bytes = b""

    @field_validator("headers", mode="before")
    @classmethod
    def _lower_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(k).lower(): v for k, v in value.items()}
        return value

    @field_validator("method")
    @classmethod
    def _upper_method(cls, value: str) -> str:
        return value.upper()

    def header(self, name: str) -> str | None:
        """A header's value by case-insensitive name, or None."""
        return self.headers.get(name.lower())

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower-cased ('' when absent)."""
        value = self.header("content-type") or ""
        return value.split(";", 1)[0].strip().lower()

    def to_archive(self) -> bytes:
        """The archived form: JSON with the body base64-encoded and secrets redacted."""
        headers = {k: v for k, v in self.headers.items() if k in ARCHIVED_HEADERS}
        if "authorization" in headers:
            headers["authorization"] = redact_authorization(headers["authorization"])
        document = {
            "version": ARCHIVE_VERSION,
            "workspace": self.workspace,
            "source": self.source,
            "request_id": self.request_id,
            "received_at": self.received_at.isoformat(),
            "method": self.method,
            "url": redact_url(self.url),
            "headers": dict(sorted(headers.items())),
            "query": {k: _redact_query_value(k, v) for k, v in sorted(self.query.items())},
            "body_base64": base64.b64encode(self.body).decode("ascii"),
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_archive(cls, data: bytes) -> RawRequest:
        """Rebuild a request from `to_archive()` output (secrets stay redacted)."""
        try:
            document: dict[str, Any] = json.loads(data)
            if document.pop("version", None) != ARCHIVE_VERSION:
                raise InputError("unsupported archive version")
            document["body"] = base64.b64decode(document.pop("body_base64"), validate=True)
            return cls.model_validate(document)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"not an archived request: {exc}") from None


def redact_authorization(value: str) -> str:
    """Keep an Authorization header's scheme and (for Basic) the user, never the secret."""
    scheme, _, credential = value.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(credential.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            user = ""
        return f"Basic user={user} {REDACTED}" if user else f"Basic {REDACTED}"
    return f"{scheme} {REDACTED}" if scheme else REDACTED


def redact_url(url: str) -> str:
    """The URL with the values of secret query parameters replaced."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, _redact_query_value(k, v)) for k, v in pairs])
    return urlunsplit(parts._replace(query=query))


def _redact_query_value(key: str, value: str) -> str:
    return REDACTED if key.lower() in SECRET_QUERY_KEYS else value


class WebhookResponse(BaseModel):
    """What the ingest endpoint answers a sender that was accepted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status_code: int = 202
    content_type: str = "application/json"
    body: str
