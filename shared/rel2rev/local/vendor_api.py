"""Plumbing of the local stand-ins for the CRM vendors' APIs (tests and the demo).

`LocalApiServer` serves on 127.0.0.1 (a free port) from a daemon thread and logs every
request; a subclass answers each one in `answer` (a JSON document, or text sent as it is with
the Content-Type its headers name). `VendorApiServer` adds a rolling-window rate limit on an
injectable clock (a test shares a fake clock with the client's sleep): a request over the
limit, or whose ordinal is in `throttle`, gets the vendor's 429 (`too_many`, with
`Retry-After`); its subclasses serve the vendor's endpoints in `route`.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

Reply = tuple[int, dict[str, str], Any]
"""Status, extra headers and body of one answer: a JSON document, or text sent as it is."""


class LocalApiServer(ABC):
    """`with Server(...) as api: api.url`; `log` holds every (method, path with query, status)."""

    content_type = "application/json;charset=utf-8"
    """Of every answer whose extra headers name none."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, int]] = []
        """Every request: (method, path with query, status)."""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL to put in a connection's `api_base_url`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @abstractmethod
    def answer(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Status, extra headers and body of one request."""


class VendorApiServer(LocalApiServer):
    """A local API with the vendor's rolling rate limit (see the module docstring)."""

    def __init__(self, *, rate_limit: tuple[int, float], clock: Callable[[], float]) -> None:
        super().__init__()
        self.rate_limit = rate_limit
        """At most (requests, per seconds), rolling."""
        self.clock = clock
        self.throttle: set[int] = set()
        """Ordinals (1-based, counting every request) answered 429 whatever the window."""
        self._calls: deque[float] = deque()

    def answer(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """The answer to one request: the vendor's 429 when over the limit, else `route`'s."""
        with self._lock:
            wait = self._over_limit(len(self.log) + 1)
        if wait is not None:
            return self.too_many(wait)
        return self.route(method, target, headers, body)

    def remaining(self) -> int:
        """Calls left in the current window."""
        with self._lock:
            self._expire(self.clock())
            return max(0, self.rate_limit[0] - len(self._calls))

    @abstractmethod
    def route(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """The vendor's answer (authentication included) to a request within the limit."""

    @abstractmethod
    def too_many(self, wait: int) -> Reply:
        """The vendor's 429 answer, telling the client to wait `wait` seconds."""

    def _expire(self, now: float) -> None:
        while self._calls and now - self._calls[0] >= self.rate_limit[1]:
            self._calls.popleft()

    def _over_limit(self, ordinal: int) -> int | None:
        """None when the call fits (and is counted), else the whole seconds to wait."""
        requests, seconds = self.rate_limit
        now = self.clock()
        self._expire(now)
        if ordinal not in self.throttle and len(self._calls) < requests:
            self._calls.append(now)
            return None
        return max(1, int(self._calls[0] + seconds - now + 0.999)) if self._calls else 1


def _handler(server: LocalApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, document = server.answer(self.command, self.path, headers, body)
            with server._lock:
                server.log.append((self.command, self.path, status))
            text = document if isinstance(document, str) else json.dumps(document)
            data = text.encode()
            self.send_response(status)
            if "Content-Type" not in extra:
                self.send_header("Content-Type", server.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read `server.log`."""

    return Handler
