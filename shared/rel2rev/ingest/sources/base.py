"""What a source adapter is, and the helpers adapters share (JSON, error paths, answers)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from pydantic import SecretStr, ValidationError

from rel2rev.errors import AuthenticationError, InputError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import Event
from rel2rev.ingest.request import RawRequest, WebhookResponse

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_AMOUNT = Decimal(10) ** 15
SIGNATURE_TOLERANCE_SECONDS = 300
"""How far a signed timestamp may be from our clock, either way (5 minutes)."""
BACKFILL_HEADER = "x-rel2rev-backfill"
"""Marks an archived page of a CRM's API, written only by the backfill (`rel2rev.backfill`);
its value is the page's kind, an object type (`deals`). Every adapter refuses it on a live
webhook and parses a page carrying it with its vendor's page parser."""


class SourceAdapter(Protocol):
    """Proves a source's requests authentic and turns its native payloads into events."""

    @property
    def name(self) -> str:
        """The `{source}` path segment, e.g. "hubspot"."""
        ...

    @property
    def content_types(self) -> frozenset[str]:
        """Media types (no parameters, lower-case) the source sends."""
        ...

    def verify(self, request: RawRequest, connection: Connection, now: datetime) -> None:
        """Raise `AuthenticationError` unless the request provably comes from the connection."""
        ...

    def parse(self, request: RawRequest, connection: Connection) -> list[Event]:
        """The events the request carries; `InputError` (with field paths) if malformed."""
        ...

    def acknowledge(self, request: RawRequest, events: Sequence[Event]) -> WebhookResponse:
        """The success answer the source expects."""
        ...


def accepted(request: RawRequest, events: Sequence[Event]) -> WebhookResponse:
    """The JSON 202 answer: how many events were accepted, their ids, the request id."""
    body = {
        "accepted": len(events),
        "event_ids": [event.event_id for event in events],
        "request_id": request.request_id,
    }
    return WebhookResponse(status_code=202, content_type="application/json", body=json.dumps(body))


MAX_NUMBER_CHARS = 400
"""The longest JSON number literal read; the models then bound each field's value and name
the field (ids, amounts and timestamps need far fewer digits)."""
MAX_EXPONENT = 400
"""Largest |exponent| of a JSON number: `1E+999996` would become a million-digit integer,
seconds of CPU per request."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _OutOfRange:
    """A number literal refused before conversion; reported with its path after decoding."""

    def __init__(self, message: str) -> None:
        self.message = message


def _bounded(text: str) -> str | _OutOfRange:
    if len(text) > MAX_NUMBER_CHARS:
        return _OutOfRange(f"number {text[:20]}... has more than {MAX_NUMBER_CHARS} characters")
    return text


def _decimal(text: str) -> Decimal | _OutOfRange:
    bounded = _bounded(text)
    if isinstance(bounded, _OutOfRange):
        return bounded
    number = Decimal(bounded)
    if abs(number.adjusted()) > MAX_EXPONENT:
        return _OutOfRange(f"number {text} is out of range (exponent beyond ±{MAX_EXPONENT})")
    return number


def _integer(text: str) -> int | _OutOfRange:
    bounded = _bounded(text)
    return bounded if isinstance(bounded, _OutOfRange) else int(bounded)


def _out_of_range(document: Any) -> list[dict[str, Any]]:
    """Where the refused numbers are, as `[{"path", "message"}]` (the first 20)."""
    found: list[dict[str, Any]] = []
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), document)]
    while stack and len(found) < 20:
        loc, value = stack.pop()
        if isinstance(value, _OutOfRange):
            found.append({"path": field_path(loc), "message": value.message})
        elif isinstance(value, dict):
            stack += [((*loc, k), v) for k, v in reversed(value.items())]
        elif isinstance(value, list):
            stack += [((*loc, i), v) for i, v in reversed(list(enumerate(value)))]
    return found


def load_json(body: bytes) -> Any:
    """Decode a JSON body (numbers with a fraction become Decimal, never float). Number
    literals are bounded in length and exponent before conversion, so no body can make a
    gigantic integer; a refused number is a 400 naming where it is."""
    try:
        document = json.loads(
            body, parse_float=_decimal, parse_int=_integer, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError) as exc:
        message = str(exc) if not isinstance(exc, RecursionError) else "nesting too deep"
        raise InputError(
            "body is not valid JSON", details=[{"path": "", "message": message}]
        ) from None
    refused = _out_of_range(document)
    if refused:
        raise InputError("a number in the body is out of range", details=refused)
    return document


def field_path(loc: Sequence[int | str], prefix: str = "") -> str:
    """`("events", 3, "occurred_at")` -> `events[3].occurred_at` (after an optional prefix)."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def validation_details(exc: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    """Pydantic errors as `[{"path": ..., "message": ...}]`."""
    return [
        {
            "path": field_path(error["loc"], prefix),
            "message": error["msg"].removeprefix("Value error, "),
        }
        for error in exc.errors(include_url=False)
    ]


def secret_bytes(secret: SecretStr | None, what: str) -> bytes:
    """A connection secret as bytes; a connection without it cannot verify anything."""
    if secret is None or not secret.get_secret_value():
        raise AuthenticationError(f"connection has no {what} configured")
    return secret.get_secret_value().encode()


def constant_time_equal(given: str, expected: str) -> bool:
    """Compare secrets without revealing where they differ."""
    return hmac.compare_digest(given.encode(), expected.encode())


def utc_from_epoch(value: int | Decimal) -> datetime:
    """A UTC datetime from epoch seconds, or milliseconds when the number is that large."""
    number = Decimal(value)
    scale = 1000 if number.copy_abs() >= 100_000_000_000 else 1_000_000
    try:
        return EPOCH + timedelta(microseconds=int(number * scale))
    except (OverflowError, ArithmeticError):
        raise ValueError(f"timestamp out of range: {value}") from None


def parse_instant(value: object) -> datetime:
    """An aware UTC datetime from epoch seconds/ms, or an ISO 8601 text (date-only = 00:00Z).

    Naive ISO texts are read as UTC (CRMs send UTC without an offset); raises ValueError.
    """
    if isinstance(value, bool):
        raise ValueError("not a timestamp")
    if isinstance(value, int | Decimal):
        return utc_from_epoch(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not a timestamp")
    text = value.strip()
    if text.lstrip("-").isdigit():
        return utc_from_epoch(int(text))
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def error_text(exc: ValueError) -> str:
    """A one-line message for a value error (pydantic's own messages, without their frame)."""
    if isinstance(exc, ValidationError):
        return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
    return str(exc)


def parse_amount(value: object) -> Decimal:
    """A finite Decimal from a decimal text or JSON number (never through float)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError("not a decimal amount")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except ArithmeticError:
        raise ValueError(f"not a decimal amount: {value!r}") from None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"amount must be a finite decimal below {MAX_AMOUNT}")
    return amount
