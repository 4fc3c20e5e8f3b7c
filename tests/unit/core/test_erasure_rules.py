"""The rules of an erasure: suppression by hash and time, redaction, what to do with a request."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from rel2rev import erasure
from rel2rev.erasure import ArchiveAction, Person
from rel2rev.errors import InputError
from rel2rev.ingest.events import (
    ContactMerge,
    ContactRoleRef,
    DealUpsert,
    Event,
    InteractionEvent,
    Payload,
)
from rel2rev.ingest.request import RawRequest
from rel2rev.records import Identifier, IdentifierKind

AT = datetime(2026, 11, 1, tzinfo=UTC)
ADA = Identifier(kind=IdentifierKind.EMAIL, value="Ada@Example.com")
BOB = Identifier(kind=IdentifierKind.EMAIL, value="bob@example.com")


def event(payload: Payload, at: datetime = AT) -> Event:
    return Event(
        event_id="e1",
        workspace="ws",
        source="generic",
        request_id="r1",
        received_at=at,
        occurred_at=at,
        payload=payload,
    )


def touch(who: Identifier, at: datetime = AT) -> Event:
    return event(
        InteractionEvent(
            interaction_id="i1",
            contact=[who],
            type="call",
            direction="inbound",
            channel="phone",
            occurred_at=at,
        ),
        at,
    )


ERASED = {erasure.identifier_hash("ws", ADA.normalised()): AT + timedelta(days=1)}


def test_hashes_ignore_case_where_case_means_nothing() -> None:
    lower = Identifier(kind=IdentifierKind.EMAIL, value="ada@example.com")
    assert erasure.identifier_hash("ws", ADA) == erasure.identifier_hash("ws", lower)
    assert erasure.identifier_hash("ws", ADA) != erasure.identifier_hash("other", ADA)


def test_events_before_the_erasure_are_suppressed_later_ones_kept() -> None:
    assert erasure.without_erased(touch(ADA), ERASED) is None
    later = touch(ADA, AT + timedelta(days=2))
    assert erasure.without_erased(later, ERASED) == later
    assert erasure.without_erased(touch(BOB), ERASED) == touch(BOB)


def test_a_deal_loses_the_erased_role_and_keeps_the_rest() -> None:
    deal = event(
        DealUpsert(
            deal_id="d1",
            contact_roles=[ContactRoleRef(contact=[ADA]), ContactRoleRef(contact=[BOB])],
        )
    )
    kept = erasure.without_erased(deal, ERASED)
    assert kept is not None
    assert isinstance(kept.payload, DealUpsert)
    assert [r.contact for r in kept.payload.contact_roles] == [[BOB]]


def test_a_merge_without_the_erased_person_needs_two_left() -> None:
    carol = Identifier(kind=IdentifierKind.PHONE, value="+1555")
    three = erasure.without_erased(event(ContactMerge(people=[[ADA], [BOB], [carol]])), ERASED)
    assert three is not None
    assert isinstance(three.payload, ContactMerge)
    assert three.payload.people == [[BOB], [carol]]
    assert erasure.without_erased(event(ContactMerge(people=[[ADA], [BOB]])), ERASED) is None


def test_redaction_covers_case_and_escapes_but_not_longer_words() -> None:
    body = '{"e":"ADA@example.com","x":"<a>ada@example.com</a>","n":"Ada","w":"Canada"}'
    out = erasure.redact(body.encode(), {"ada@example.com": "gone@x.invalid", "Ada": "[erased]"})
    assert json.loads(out) == {
        "e": "gone@x.invalid",
        "x": "<a>gone@x.invalid</a>",
        "n": "[erased]",
        "w": "Canada",
    }
    assert erasure.mentions(b'{"n": "ada"}', ["Ada"])
    assert not erasure.mentions(b'{"n": "Canada"}', ["Ada"])


def _request(*people: Identifier) -> RawRequest:
    body = json.dumps({"events": [p.value for p in people]}).encode()
    return RawRequest(
        workspace="ws", source="generic", request_id="r", received_at=AT, url="https://x", body=body
    )


def _parse(request: RawRequest) -> list[Event]:
    values = json.loads(request.body)["events"]
    if not all("@" in v for v in values):
        raise InputError("bad")
    return [touch(Identifier(kind=IdentifierKind.EMAIL, value=v)) for v in values]


PERSON = Person(workspace="ws", identifiers=[ADA.normalised()], names=["Ada"])


def test_a_request_about_others_is_kept() -> None:
    assert erasure.archive_action(PERSON, _request(BOB), _parse) == (ArchiveAction.KEEP, None)


def test_a_request_only_about_the_person_is_deleted() -> None:
    assert erasure.archive_action(PERSON, _request(ADA), _parse) == (ArchiveAction.DELETE, None)


def test_a_mixed_request_is_rewritten_with_pseudonyms_that_still_parse() -> None:
    action, rewritten = erasure.archive_action(PERSON, _request(ADA, BOB), _parse)
    assert action is ArchiveAction.REWRITE
    assert rewritten is not None
    assert not erasure.mentions(rewritten.body, ["ada@example.com"])
    people = {i.key for e in _parse(rewritten) for p in e.people() for i in p}
    assert "email:bob@example.com" in people
    stand_in = erasure.pseudonym("ws", ADA.normalised())
    assert stand_in.key in people
    assert erasure.identifier_hash("ws", stand_in) in PERSON.hashes(), "replays stay suppressed"


def test_a_mixed_request_that_no_longer_parses_is_deleted() -> None:
    phone = Identifier(kind=IdentifierKind.PHONE, value="+44")
    person = Person(workspace="ws", identifiers=[phone])
    request = _request(BOB).model_copy(update={"body": b'{"events": ["bob@example.com", "+44"]}'})
    assert erasure.archive_action(person, request, _parse)[0] is ArchiveAction.DELETE
