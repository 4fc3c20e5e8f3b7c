"""Every answer the finance API gives while the tests run, checked against openapi.json.

`install()` wraps the HTTP API resolver the API function uses, and the local gateway's own
answers (401/403 from the authorizer's verdict), so each answer any test observes is
recorded; `problems()` then checks each one against the committed document: the route and
method exist, the status is documented for them, the content type is documented for that
status, and a JSON body validates against its schema.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from jsonschema import Draft202012Validator

from rel2rev.local.gateway import LocalGateway

DOCUMENT = Path(__file__).resolve().parents[1] / "openapi.json"


@dataclass(frozen=True)
class Observed:
    """One answer of the API: the request's method and path, and what was sent back."""

    method: str
    path: str
    status: int
    content_type: str
    body: str
    gateway: bool = False
    """Seen at the gateway: its other routes (webhooks, pages) are not the finance API's."""


OBSERVED: list[Observed] = []
GATEWAY_STATUSES = (401, 403)
"""Answers the gateway gives itself, from the authorizer's verdict."""


def install() -> None:
    """Record every answer of every `APIGatewayHttpResolver` from now on (once)."""
    original = APIGatewayHttpResolver.resolve
    if getattr(original, "observed", False):
        return

    def resolve(self: APIGatewayHttpResolver, event: Any, context: Any) -> dict[str, Any]:
        answer = original(self, event, context)
        headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        multi = {k.lower(): v for k, v in (answer.get("multiValueHeaders") or {}).items()}
        content_type = str(headers.get("content-type") or (multi.get("content-type") or [""])[0])
        body = answer.get("body") or ""
        if answer.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8", errors="replace")
        http = (event.get("requestContext") or {}).get("http") or {}
        OBSERVED.append(
            Observed(
                method=str(http.get("method", "")).lower(),
                path=str(event.get("rawPath", "")),
                status=int(answer["statusCode"]),
                content_type=content_type.split(";", maxsplit=1)[0].strip().lower(),
                body=body,
            )
        )
        return answer

    resolve.observed = True  # type: ignore[attr-defined]
    APIGatewayHttpResolver.resolve = resolve  # type: ignore[method-assign]
    handle = LocalGateway.handle

    def handled(
        self: LocalGateway, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        status, sent, content = handle(self, method, target, headers, body)
        if status not in GATEWAY_STATUSES:  # the function's answers: recorded by `resolve`
            return status, sent, content
        OBSERVED.append(
            Observed(
                method=method.lower(),
                path=target.split("?", 1)[0],
                status=status,
                content_type=sent.get("content-type", "").split(";", 1)[0].strip().lower(),
                body=content.decode("utf-8", errors="replace"),
                gateway=True,
            )
        )
        return status, sent, content

    LocalGateway.handle = handled  # type: ignore[method-assign]


@cache
def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text())
    return document


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    """Each documented path template as a pattern matching concrete (raw) paths, literal
    segments first (`/v1/survival/drivers` before `/v1/survival/{transition}`)."""
    templates = sorted(_document()["paths"], key=lambda t: (t.count("{"), t))
    return [
        (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"), template)
        for template in templates
    ]


def _problem(seen: Observed) -> str | None:
    where = f"{seen.method.upper()} {seen.path} -> {seen.status}"
    template = next((t for pattern, t in _routes() if pattern.match(seen.path)), None)
    if template is None:
        return None if seen.gateway or seen.status == 404 else f"{where}: no documented route"
    operation = _document()["paths"][template].get(seen.method)
    if operation is None:
        return None if seen.status in (404, 405) else f"{where}: method not documented"
    response = operation["responses"].get(str(seen.status))
    if response is None:
        return f"{where}: status not documented"
    content = response.get("content") or {}
    if not content:
        return None if not seen.body else f"{where}: a body where none is documented"
    if seen.content_type not in content:
        return f"{where}: content type {seen.content_type!r} not in {sorted(content)}"
    schema = content[seen.content_type].get("schema")
    if seen.content_type != "application/json" or schema is None:
        return None
    validator = Draft202012Validator({**schema, "components": _document()["components"]})
    errors = sorted(validator.iter_errors(json.loads(seen.body)), key=lambda e: list(e.path))
    if errors:
        return f"{where}: {errors[0].message} at {list(errors[0].path)}"
    return None


def problems() -> list[str]:
    """What the recorded answers do not match in the document (each problem once)."""
    found = (_problem(seen) for seen in dict.fromkeys(OBSERVED))
    return sorted({p for p in found if p is not None})
