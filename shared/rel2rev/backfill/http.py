"""A small JSON API client for the CRM vendors' REST APIs, over `requests`.

It injects the credential header (never logged, never put in an error or an archive), keeps
to the vendor's rate limit on the client side (N requests per rolling window), and retries
connection errors, 429 and 5xx: `Retry-After` (seconds) when the vendor sends it, exponential
backoff otherwise. 401/403 are `AuthenticationError`s naming the vendor and the credential;
any other error answer is final (`ApiError`). Sleep and clock are injectable for tests.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from pydantic import SecretStr

from rel2rev.errors import AuthenticationError, Rel2revError
from rel2rev.ingest.connections import Connection
from rel2rev.transport import RETRY_STATUSES, _retry_after


class ApiError(Rel2revError):
    """The vendor's API answered with an error that retrying will not fix."""

    status = 502
    code = "upstream_error"


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` calls per rolling `seconds` (HubSpot private apps: 100 per 10 s)."""

    requests: int
    seconds: float


class RateLimiter:
    """Waits before a call that would exceed the limit (a rolling window of call times)."""

    def __init__(
        self, limit: RateLimit, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self._limit = limit
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()

    def acquire(self) -> None:
        """Return when one more call fits in the window, and count it."""
        while True:
            now = self._clock()
            while self._calls and now - self._calls[0] >= self._limit.seconds:
                self._calls.popleft()
            if len(self._calls) < self._limit.requests:
                self._calls.append(now)
                return
            self._sleep(self._calls[0] + self._limit.seconds - now)


@dataclass(frozen=True)
class ApiResponse:
    """A successful answer: the URL called (with its query), the raw body and its JSON, and
    the answer's headers when the caller reads them (Salesforce's usage and locators)."""

    method: str
    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Credential:
    """How a vendor is authenticated: a header and its secret value, and names for errors."""

    vendor: str
    what: str
    header: str
    value: SecretStr


def api_token(connection: Connection, described: str) -> SecretStr:
    """The connection's `api_token`; an AuthenticationError before any call when it has none
    (`described` says what the token is, e.g. "a Pipedrive API token")."""
    token = connection.api_token
    if token is None or not token.get_secret_value():
        raise AuthenticationError(
            f"the {connection.source} connection of workspace {connection.workspace!r} has no "
            f"api_token ({described})"
        )
    return token


class RetryingSession:
    """A `requests` session that sends a request until an answer not worth retrying comes:
    connection errors, 429 and 5xx are retried (`Retry-After` honoured, exponential backoff
    otherwise). `calls` and `retries` count what it did (not thread-safe: one per run)."""

    def __init__(
        self,
        *,
        scrub: Callable[[str], str],
        message: Callable[[requests.Response], str],
        attempts: int = 6,
        backoff_seconds: float = 1.0,
        timeout_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        before: Callable[[], None] | None = None,
        seen: Callable[[requests.Response], None] | None = None,
    ) -> None:
        """`scrub` removes secrets from a text, `message` is an error answer's message;
        `before` runs before every attempt (a rate limiter), `seen` sees every answer."""
        self._scrub = scrub
        self._message = message
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds
        self._sleep = sleep
        self._before = before
        self._seen = seen
        self._session = requests.Session()
        self.calls = 0
        self.retries = 0

    def send(self, method: str, url: str, *, label: str, **kwargs: Any) -> requests.Response:
        """The first answer not worth retrying (`kwargs` go to `requests`); after the last
        attempt, `ApiError` "`label`: gave up after N attempts (the last problem)"."""
        problem = "no attempt made"
        for attempt in range(1, self._attempts + 1):
            if self._before is not None:
                self._before()
            self.calls += 1
            try:
                response = self._session.request(method, url, timeout=self._timeout, **kwargs)
            except requests.RequestException as exc:
                problem = self._scrub(f"{type(exc).__name__}: {exc}")
                wait = self._backoff * 2 ** (attempt - 1)
            else:
                if self._seen is not None:
                    self._seen(response)
                if response.status_code not in RETRY_STATUSES:
                    return response
                problem = f"HTTP {response.status_code}: {self._message(response)}"
                wait = _retry_after(response) or self._backoff * 2 ** (attempt - 1)
            if attempt < self._attempts:
                self.retries += 1
                self._sleep(wait)
        raise ApiError(f"{label}: gave up after {self._attempts} attempts ({problem})")


class ApiClient:
    """GET/POST JSON against one vendor's base URL (not thread-safe: one per run)."""

    def __init__(
        self,
        base_url: str,
        credential: Credential,
        limit: RateLimit,
        *,
        attempts: int = 6,
        backoff_seconds: float = 1.0,
        timeout_seconds: float = 60.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """`sleep` and `clock` default to `time.sleep` and `time.monotonic` (tests share a
        fake pair with the local server)."""
        sleep = sleep or time.sleep
        self.base_url = base_url.rstrip("/")
        self._credential = credential
        self._session = RetryingSession(
            scrub=self._scrub,
            message=self._message,
            attempts=attempts,
            backoff_seconds=backoff_seconds,
            timeout_seconds=timeout_seconds,
            sleep=sleep,
            before=RateLimiter(limit, clock or time.monotonic, sleep).acquire,
        )

    def get(self, path: str, params: Mapping[str, str | list[str]] | None = None) -> ApiResponse:
        """GET `path` with query parameters (lists repeat the name)."""
        return self._call("GET", path, params=params)

    def post(self, path: str, body: Any) -> ApiResponse:
        """POST a JSON body to `path`."""
        return self._call("POST", path, body=body)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | list[str]] | None = None,
        body: Any = None,
    ) -> ApiResponse:
        vendor = self._credential.vendor
        secret = self._credential.value.get_secret_value()
        headers = {self._credential.header: secret, "Accept": "application/json"}
        response = self._session.send(
            method,
            f"{self.base_url}{path}",
            label=f"{vendor} {method} {path}",
            params=params,
            json=body,
            headers=headers,
        )
        if response.ok:
            return ApiResponse(method, response.url, response.content, dict(response.headers))
        if response.status_code in (401, 403):
            raise AuthenticationError(
                f"{vendor} rejected the {self._credential.what} "
                f"({response.status_code}): {self._message(response)}"
            )
        problem = f"HTTP {response.status_code}: {self._message(response)}"
        raise ApiError(f"{vendor} {method} {path}: {problem}")

    def _message(self, response: requests.Response) -> str:
        """The vendor's error message (its JSON `message`, or Pipedrive's `error`, when there is
        one), without secrets."""
        try:
            document = response.json()
        except ValueError:
            document = None
        text = None
        if isinstance(document, dict):
            text = document.get("message") or document.get("error")
        return self._scrub(str(text if text else response.text)[:300])

    def _scrub(self, text: str) -> str:
        secret = self._credential.value.get_secret_value()
        return text.replace(secret, "[redacted]") if secret else text
