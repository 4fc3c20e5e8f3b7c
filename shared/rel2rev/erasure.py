"""Right to erasure: forgetting a person (the rules; `rel2rev.storage.erasure` does the work).

An erasure names a person by identifiers (an email, a phone, a CRM id). Everything stored
about the person is removed: every contact they were stored as (merged ones too), all their
identifiers, interactions and leads, their roles on deals (the deals and their revenue stay),
their quarantined events and their relationship rows in past runs' results. Raw requests in
the archive that concern only them are deleted (every version); requests that also concern
others are rewritten with their emails, phones, handles and name replaced by pseudonyms.

What is kept, so the erasure holds: a receipt (when, what was removed, counts) and the
*hashes* of the person's identifiers and pseudonyms (`identifier_hash`), never the
identifiers themselves. An event that names an erased identifier and happened before the
erasure (a CRM's redelivery, a replay of the archive) is suppressed when it is applied
(`without_erased`); the person's later activity, after the erasure, is a new relationship.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from rel2rev.errors import InputError
from rel2rev.ingest.events import (
    ContactMerge,
    ContactUpsert,
    DealContactRemoved,
    DealUpsert,
    Event,
    InteractionEvent,
    LeadUpsert,
)
from rel2rev.ingest.request import RawRequest
from rel2rev.records import Identifier, IdentifierKind, Key, UtcDatetime

MAX_ERASURE_IDENTIFIERS = 20
PLAINTEXT_KINDS = frozenset(
    {
        IdentifierKind.EMAIL,
        IdentifierKind.PHONE,
        IdentifierKind.LINKEDIN,
        IdentifierKind.TWITTER,
        IdentifierKind.EXTERNAL,
    }
)
"""Identifier kinds whose value is personal text a raw request is rewritten to hide (CRM ids
are the CRM's record numbers: kept in rewritten requests, suppressed by hash)."""
ERASED_NAME = "[erased]"


class ErasureStatus(StrEnum):
    """Where an erasure stands."""

    QUEUED = "queued"
    DONE = "done"


class ErasureRequest(BaseModel):
    """A request to forget the person these identifiers name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: Key
    erasure_id: Key
    identifiers: Annotated[
        list[Identifier], Field(min_length=1, max_length=MAX_ERASURE_IDENTIFIERS)
    ]
    requested_at: UtcDatetime
    requested_by: Literal["api", "cli"]

    @classmethod
    def new(
        cls,
        workspace: str,
        identifiers: Sequence[Identifier],
        now: datetime,
        by: Literal["api", "cli"],
    ) -> ErasureRequest:
        """A request with a fresh id."""
        return cls(
            workspace=workspace,
            erasure_id=f"er-{uuid.uuid4().hex[:24]}",
            identifiers=list(identifiers),
            requested_at=now,
            requested_by=by,
        )


class ErasureCounts(BaseModel):
    """What an erasure removed or rewrote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contacts: int = Field(0, description="Contact records (each contact merged into the person)")
    identifiers: int = Field(0, description="Identifier items")
    interactions: int = 0
    leads: int = 0
    deal_roles: int = Field(0, description="Roles removed from deals (the deals stay)")
    quarantined: int = Field(0, description="Quarantined events about the person")
    relationships: int = Field(0, description="Relationship rows of past runs' results")
    archive_deleted: int = Field(0, description="Raw requests deleted (every version)")
    archive_rewritten: int = Field(0, description="Raw requests rewritten with pseudonyms")


class ErasureReceipt(BaseModel):
    """The record that an erasure was asked for and done; holds no identifier in clear."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: str
    erasure_id: str
    status: ErasureStatus
    requested_at: UtcDatetime
    requested_by: Literal["api", "cli"]
    completed_at: UtcDatetime | None = None
    identifier_hashes: list[str] = Field(
        default_factory=list,
        description="Hashes of the identifiers (and pseudonyms) suppressed from now on",
    )
    counts: ErasureCounts = ErasureCounts()

    @classmethod
    def queued(cls, request: ErasureRequest) -> ErasureReceipt:
        """The receipt of a request not carried out yet."""
        return cls(
            workspace=request.workspace,
            erasure_id=request.erasure_id,
            status=ErasureStatus.QUEUED,
            requested_at=request.requested_at,
            requested_by=request.requested_by,
            identifier_hashes=[identifier_hash(request.workspace, i) for i in request.identifiers],
        )


def identifier_hash(workspace: str, identifier: Identifier) -> str:
    """What an erasure keeps of an identifier: 128 bits of SHA-256 over workspace and key."""
    return hashlib.sha256(f"{workspace}\x1f{identifier.key}".encode()).hexdigest()[:32]


def pseudonym(workspace: str, identifier: Identifier) -> Identifier:
    """The stand-in a rewritten raw request carries instead of `identifier` (still valid input
    of its kind, so the request can be replayed; the replayed events are suppressed)."""
    tag = identifier_hash(workspace, identifier)[:12]
    if identifier.kind is IdentifierKind.EMAIL:
        return Identifier(kind=identifier.kind, value=f"erased-{tag}@erased.invalid")
    return Identifier(kind=identifier.kind, value=f"erased-{tag}")


def _erased(
    people: Sequence[Identifier], erased: Mapping[str, datetime], workspace: str, at: datetime
) -> bool:
    for identifier in people:
        when = erased.get(identifier_hash(workspace, identifier))
        if when is not None and at <= when:
            return True
    return False


def without_erased(event: Event, erased: Mapping[str, datetime]) -> Event | None:
    """`event` without the erased people it names (`erased`: identifier hash -> when it was
    erased), or None when it is about an erased person only. A person counts as erased for
    the events that happened (source clock) up to their erasure."""
    if not erased:
        return event
    ws, at, payload = event.workspace, event.occurred_at, event.payload

    def gone(people: Sequence[Identifier]) -> bool:
        return _erased(people, erased, ws, at)

    if isinstance(payload, ContactUpsert):
        return None if gone(payload.identifiers) else event
    if isinstance(payload, InteractionEvent | DealContactRemoved):
        return None if gone(payload.contact) else event
    if isinstance(payload, LeadUpsert):
        if payload.contact and gone(payload.contact):
            return None
        return event
    if isinstance(payload, ContactMerge):
        kept = [p for p in payload.people if not gone(p)]
        if len(kept) == len(payload.people):
            return event
        if len(kept) < 2:
            return None
        return event.model_copy(update={"payload": payload.model_copy(update={"people": kept})})
    if isinstance(payload, DealUpsert):
        roles = [r for r in payload.contact_roles if not gone(r.contact)]
        if len(roles) == len(payload.contact_roles):
            return event
        return event.model_copy(
            update={"payload": payload.model_copy(update={"contact_roles": roles})}
        )
    return event


def _forms(value: str) -> list[str]:
    """How a value can appear in a raw body: as is, JSON-escaped, XML-escaped."""
    return list(dict.fromkeys([value, json.dumps(value)[1:-1], html.escape(value, quote=True)]))


def _literal(replacement: str) -> Callable[[re.Match[str]], str]:
    return lambda _: replacement


def _pattern(value: str) -> re.Pattern[str]:
    """Any form of `value`, case-insensitive, not inside a longer word."""
    forms = "|".join(re.escape(f) for f in _forms(value))
    return re.compile(rf"(?<!\w)(?:{forms})(?!\w)", re.IGNORECASE)


def redact(body: bytes, replacements: Mapping[str, str]) -> bytes:
    """`body` with every occurrence of each key (any form, see `_pattern`) replaced by its
    value; longer keys first."""
    text = body.decode("utf-8", errors="surrogateescape")
    for value in sorted(replacements, key=len, reverse=True):
        text = _pattern(value).sub(_literal(replacements[value]), text)
    return text.encode("utf-8", errors="surrogateescape")


def mentions(body: bytes, values: Iterable[str]) -> bool:
    """Whether any value appears in `body` in a form `redact` replaces."""
    text = body.decode("utf-8", errors="surrogateescape")
    return any(_pattern(value).search(text) for value in values)


class Person(BaseModel):
    """Everything an erasure needs to recognise the person in stored data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: str
    identifiers: list[Identifier]
    names: list[str] = Field(default_factory=list)

    @property
    def keys(self) -> set[str]:
        """Identifier keys."""
        return {i.key for i in self.identifiers}

    def replacements(self) -> dict[str, str]:
        """Text to replace in raw requests: plaintext identifiers -> pseudonyms, names ->
        `ERASED_NAME`."""
        found = {
            i.value: pseudonym(self.workspace, i).value
            for i in self.identifiers
            if i.kind in PLAINTEXT_KINDS
        }
        return {**{n: ERASED_NAME for n in self.names if n.strip()}, **found}

    def hashes(self) -> list[str]:
        """The hashes suppressed from now on: identifiers and their pseudonyms."""
        stand_ins = [
            pseudonym(self.workspace, i) for i in self.identifiers if i.kind in PLAINTEXT_KINDS
        ]
        return sorted({identifier_hash(self.workspace, i) for i in [*self.identifiers, *stand_ins]})

    def named_in(self, event: Event) -> bool:
        """Whether the event names the person."""
        return any(i.key in self.keys for people in event.people() for i in people)

    def only_about(self, event: Event) -> bool:
        """Whether the event is about the person alone (nothing left once they are gone)."""
        forever = {h: datetime.max.replace(tzinfo=UTC) for h in self.hashes()}
        return without_erased(event, forever) is None


class ArchiveAction(StrEnum):
    """What an erasure does with one archived request."""

    KEEP = "keep"
    DELETE = "delete"
    REWRITE = "rewrite"


def archive_action(
    person: Person,
    request: RawRequest,
    parse: Callable[[RawRequest], list[Event]],
) -> tuple[ArchiveAction, RawRequest | None]:
    """Keep a request that does not concern the person; delete one only about them (or one
    that cannot be rewritten safely); rewrite one that also concerns others, with the
    person's plaintext replaced (`Person.replacements`), when the rewritten request still
    parses and no longer names them in clear."""
    try:
        events: list[Event] | None = parse(request)
    except InputError:
        events = None
    replacements = person.replacements()
    named = events is not None and any(person.named_in(e) for e in events)
    if not named and not mentions(request.body, replacements):
        return ArchiveAction.KEEP, None
    if events is None or all(person.only_about(e) for e in events):
        return ArchiveAction.DELETE, None
    rewritten = request.model_copy(update={"body": redact(request.body, replacements)})
    try:
        again = parse(rewritten)
    except InputError:
        return ArchiveAction.DELETE, None
    clear = {i.key for i in person.identifiers if i.kind in PLAINTEXT_KINDS}
    still = any(i.key in clear for e in again for people in e.people() for i in people)
    if still or mentions(rewritten.body, replacements):
        return ArchiveAction.DELETE, None
    return ArchiveAction.REWRITE, rewritten
