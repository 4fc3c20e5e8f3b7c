"""The local HTTP API: serve the template's HttpApi routes by invoking their functions.

Requests become API Gateway HTTP API (payload format 2.0) events; routes with a Lambda
authorizer first call the authorizer with its REQUEST event (simple or IAM-policy responses)
and pass its context on as `requestContext.authorizer.lambda`, as API Gateway does.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from rel2rev.local.resources import ACCOUNT, REGION
from rel2rev.local.template import Authorizer, Route, TemplateModel

Invoke = Callable[[str, Any], Any]
Pages = Mapping[str, Callable[[], tuple[str, bytes]]]
_log = logging.getLogger(__name__)
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form")


class _Denied(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _is_text(content_type: str) -> bool:
    return content_type.lower().startswith(_TEXT_TYPES) or "+json" in content_type


class LocalGateway:
    """Routes HTTP requests to the template's functions as HTTP API v2 events."""

    def __init__(self, template: TemplateModel, invoke: Invoke, pages: Pages | None = None) -> None:
        self._routes = [(route, route.pattern()) for route in template.routes]
        self._pages = dict(pages or {})
        self._authorizers = template.authorizers
        self._invoke = invoke
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- events ------------------------------------------------------------------------------
    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route serving (method, path) and its path parameters; static routes first."""
        candidates = []
        for route, pattern in self._routes:
            found = pattern.match(path)
            if found and route.method in (method, "ANY"):
                candidates.append((route.path.count("{"), route, found.groupdict()))
        if not candidates:
            return None
        _, route, params = min(candidates, key=lambda c: c[0])
        return route, params

    def event(
        self,
        route: Route,
        params: dict[str, str],
        *,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> dict[str, Any]:
        """The HTTP API v2 event for a request."""
        url = urlsplit(target)
        now = datetime.now(UTC)
        text = not body or _is_text(headers.get("content-type", ""))
        try:
            body_text = body.decode() if text else base64.b64encode(body).decode()
        except UnicodeDecodeError:
            text, body_text = False, base64.b64encode(body).decode()
        query: dict[str, str] = {}
        for key, value in parse_qsl(url.query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        cookies = [c.strip() for c in headers.get("cookie", "").split(";") if c.strip()]
        route_key = f"{route.method} {route.path}"
        return {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": url.path,
            "rawQueryString": url.query,
            "cookies": cookies or None,
            "headers": headers,
            "queryStringParameters": query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": "local",
                "domainName": headers.get("host", "127.0.0.1"),
                "domainPrefix": "local",
                "http": {
                    "method": method,
                    "path": url.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "body": body_text if body else None,
            "isBase64Encoded": not text,
        }

    def authorize(self, authorizer: Authorizer, event: dict[str, Any]) -> dict[str, Any]:
        """Call the authorizer; its context, or `_Denied` with 401/403."""
        headers = event["headers"]
        identity = [headers.get(h) for h in authorizer.identity_headers]
        if any(value is None for value in identity):
            raise _Denied(401, "Unauthorized")
        route = event["requestContext"]["routeKey"].replace(" ", "/", 1)
        request = {
            **event,
            "type": "REQUEST",
            "routeArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:local/$default/{route}",
            "identitySource": identity,
        }
        try:
            answer = self._invoke(authorizer.function, request)
        except Exception as exc:
            if str(exc) == "Unauthorized":
                raise _Denied(401, "Unauthorized") from None
            raise
        if authorizer.simple_responses:
            allowed = bool(answer.get("isAuthorized"))
        else:
            statements = answer.get("policyDocument", {}).get("Statement", [])
            allowed = bool(statements) and all(s.get("Effect") == "Allow" for s in statements)
        if not allowed:
            raise _Denied(403, "Forbidden")
        context: dict[str, Any] = dict(answer.get("context") or {})
        if "principalId" in answer:
            context.setdefault("principalId", answer["principalId"])
        return context

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Serve one request: (status, headers, body)."""
        path = urlsplit(target).path
        if method == "GET" and path in self._pages:
            content_type, page = self._pages[path]()
            return 200, {"content-type": content_type}, page
        matched = self.match(method, path)
        if matched is None:
            return _json(404, {"message": "Not Found"})
        route, params = matched
        event = self.event(route, params, method=method, target=target, headers=headers, body=body)
        if route.authorizer:
            try:
                context = self.authorize(self._authorizers[route.authorizer], event)
            except _Denied as denied:
                return _json(denied.status, {"message": str(denied)})
            event["requestContext"]["authorizer"] = {"lambda": context}
        try:
            result = self._invoke(route.function, event)
        except Exception:
            _log.exception("%s failed on %s %s", route.function, method, route.path)
            return _json(500, {"message": "Internal Server Error"})
        return _response(result)

    # --- server ------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve in a background thread; return the bound port."""
        gateway = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers: dict[str, str] = {}
                for name, value in self.headers.items():
                    key = name.lower()
                    headers[key] = f"{headers[key]},{value}" if key in headers else value
                headers.setdefault("x-forwarded-proto", "http")
                headers.setdefault("x-forwarded-for", self.client_address[0])
                status, out_headers, payload = gateway.handle(
                    self.command, self.path, headers, body
                )
                self.send_response(status)
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the functions log what matters."""

        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return int(self._server.server_address[1])

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(body).encode()


def _response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """Interpret a payload-2.0 handler result the way HTTP API does."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return _json(200, result)
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(key).lower()] = ",".join(map(str, values))
    if result.get("cookies"):
        headers["set-cookie"] = "; ".join(result["cookies"])
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return int(result["statusCode"]), headers, body
