"""The local gateway and template reader: routes, path parameters, authorizers, env values."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from rel2rev.local.gateway import LocalGateway
from rel2rev.local.resources import LocalNames
from rel2rev.local.template import TemplateModel


class Calls:
    """Records invocations and answers like the template's functions would."""

    def __init__(self, authorized: bool = True) -> None:
        self.authorized = authorized
        self.events: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        self.events.append((function, event))
        if event.get("type") == "REQUEST":
            return {"isAuthorized": self.authorized, "context": {"workspace": "acme"}}
        return {"statusCode": 200, "headers": {"X-Seen": "yes"}, "body": "ok"}


@pytest.fixture(scope="module")
def template() -> TemplateModel:
    return TemplateModel()


def _authorized_route(template: TemplateModel) -> str:
    route = next(r for r in template.routes if r.authorizer and "{" not in r.path)
    return route.path


def test_webhook_route_becomes_an_http_api_v2_event(template: TemplateModel) -> None:
    calls = Calls()
    body = b"\x00\x01binary"
    status, headers, payload = LocalGateway(template, calls).handle(
        "POST",
        "/v1/hooks/acme/generic?token=abc&x=1&x=2",
        {"host": "127.0.0.1:8787", "content-type": "application/octet-stream"},
        body,
    )
    assert (status, headers["x-seen"], payload) == (200, "yes", b"ok")
    ((function, event),) = calls.events
    assert function == "IngestFunction"
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/hooks/{workspace}/{source}"
    assert event["pathParameters"] == {"workspace": "acme", "source": "generic"}
    assert event["rawQueryString"] == "token=abc&x=1&x=2"
    assert event["queryStringParameters"] == {"token": "abc", "x": "1,2"}
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body
    assert event["requestContext"]["domainName"] == "127.0.0.1:8787"
    assert event["requestContext"]["http"]["method"] == "POST"


def test_routes_without_a_match_are_404(template: TemplateModel) -> None:
    calls = Calls()
    status, _, payload = LocalGateway(template, calls).handle("DELETE", "/v1/hooks/a/b", {}, b"")
    assert status == 404
    assert json.loads(payload) == {"message": "Not Found"}
    assert calls.events == []


def test_static_routes_win_over_parameter_routes(template: TemplateModel) -> None:
    gateway = LocalGateway(template, Calls())
    statics = [r for r in template.routes if "{" not in r.path]
    for route in statics:
        matched = gateway.match(route.method, route.path)
        assert matched is not None
        assert matched[0] == route


def test_authorizer_missing_identity_is_401_without_calling_it(template: TemplateModel) -> None:
    calls = Calls()
    status, _, _ = LocalGateway(template, calls).handle("GET", _authorized_route(template), {}, b"")
    assert status == 401
    assert calls.events == []


def test_authorizer_denial_is_403(template: TemplateModel) -> None:
    calls = Calls(authorized=False)
    path = _authorized_route(template)
    status, _, _ = LocalGateway(template, calls).handle(
        "GET", path, {"authorization": "Bearer nope"}, b""
    )
    assert status == 403
    ((function, event),) = calls.events
    assert event["type"] == "REQUEST"
    assert event["identitySource"] == ["Bearer nope"]
    assert function in template.functions


def test_authorizer_context_reaches_the_route_function(template: TemplateModel) -> None:
    calls = Calls()
    path = _authorized_route(template)
    status, _, _ = LocalGateway(template, calls).handle(
        "GET", path, {"authorization": "Bearer key"}, b""
    )
    assert status == 200
    (_, request), (_, event) = calls.events
    assert request["type"] == "REQUEST"
    assert event["requestContext"]["authorizer"] == {"lambda": {"workspace": "acme"}}


def test_function_environment_resolves_to_local_names(template: TemplateModel) -> None:
    names = LocalNames(template, "r2r-test", "http://127.0.0.1:4566")
    env = names.resolver.resolve(template.functions["IngestFunction"].environment)
    assert (
        env["REL2REV_EVENTS_QUEUE_URL"] == "http://127.0.0.1:4566/123456789012/r2r-test-EventsQueue"
    )
    assert env["REL2REV_ARCHIVE_BUCKET"] == "r2r-test-archivebucket"
    assert env["REL2REV_TABLE_NAME"] == "r2r-test-RecordsTable"
    assert env["REL2REV_CONNECTIONS_PREFIX"] == template.parameters["ConnectionsParameterPrefix"]
    assert names.resolver.resolve({"Fn::Sub": "${EventsQueue.Arn}/x/${AWS::Region}"}) == (
        "arn:aws:sqs:us-east-1:123456789012:r2r-test-EventsQueue/x/us-east-1"
    )


def test_swagger_ui_and_the_openapi_document_are_served_without_invoking(
    template: TemplateModel,
) -> None:
    from pathlib import Path

    from rel2rev.local import swagger

    calls = Calls()
    gateway = LocalGateway(template, calls, swagger.PAGES)
    status, headers, page = gateway.handle("GET", "/docs", {}, b"")
    assert (status, headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert b"SwaggerUIBundle" in page
    assert b"/v1/attribution/deals" in page  # the spec is inline, no CDN or fetch
    assert b"https://" not in page.split(b"<script>")[0]
    status, _, spec = gateway.handle("GET", "/openapi.json?x=1", {}, b"")
    committed = Path(__file__).parents[3] / "openapi.json"
    assert status == 200
    assert json.loads(spec) == json.loads(committed.read_text())
    assert calls.events == []
    assert gateway.handle("POST", "/docs", {}, b"")[0] == 404  # only GET, no route there
