"""Delivering webhook requests over HTTP the way a well-behaved sender does.

A `Transport` posts requests with a pooled session per thread and retries what a
real sender retries: connection errors, 5xx and 429 (honouring `Retry-After`), with
exponential backoff. Requests are built at send time (`Delivery.build`), so signatures carry
a fresh timestamp on every attempt. Any other answer is final and raised as `DeliveryError`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class OutgoingRequest:
    """One signed HTTP request: full URL (with query), headers and body."""

    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Delivery:
    """Something to deliver: a label for messages and a builder run on every attempt."""

    label: str
    build: Callable[[], OutgoingRequest]
    expected: frozenset[int] = field(default=frozenset({200, 202}))


class DeliveryError(RuntimeError):
    """A delivery got a final non-success answer, or ran out of retries."""


@dataclass(frozen=True)
class Sent:
    """A delivered request's answer."""

    label: str
    status: int
    body: str
    attempts: int


class Transport:
    """Posts deliveries; thread-safe (one pooled session per thread)."""

    def __init__(
        self,
        *,
        attempts: int = 5,
        backoff_seconds: float = 0.2,
        timeout_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._local = threading.local()
        self._lock = threading.Lock()
        self.retries = 0

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def send(self, delivery: Delivery) -> Sent:
        """Deliver once successfully or raise `DeliveryError` saying why."""
        problem = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            request = delivery.build()
            try:
                response = self._session().post(
                    request.url,
                    data=request.body,
                    headers=request.headers,
                    timeout=self.timeout_seconds,
                )
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"
                wait = self.backoff_seconds * 2 ** (attempt - 1)
            else:
                if response.status_code in delivery.expected:
                    return Sent(delivery.label, response.status_code, response.text, attempt)
                problem = f"HTTP {response.status_code}: {response.text[:300]}"
                if response.status_code not in RETRY_STATUSES:
                    raise DeliveryError(f"{delivery.label}: {problem}")
                wait = _retry_after(response) or self.backoff_seconds * 2 ** (attempt - 1)
            if attempt < self.attempts:
                with self._lock:
                    self.retries += 1
                self._sleep(wait)
        raise DeliveryError(f"{delivery.label}: gave up after {self.attempts} attempts ({problem})")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return min(float(value), 30.0)
    except ValueError:
        return None
