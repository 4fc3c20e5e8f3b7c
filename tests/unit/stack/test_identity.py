"""Identity resolution: known identifiers win, unknown people get deterministic ids."""

from __future__ import annotations

import pytest

from rel2rev.identity import new_contact_id, resolve
from rel2rev.records import Identifier, IdentifierKind

EMAIL = Identifier(kind=IdentifierKind.EMAIL, value="Ada@Example.com")
HUBSPOT = Identifier(kind=IdentifierKind.HUBSPOT, value="501")
LINKEDIN = Identifier(kind=IdentifierKind.LINKEDIN, value="ada-l")


def test_unknown_person_gets_a_deterministic_id_per_workspace() -> None:
    first = resolve("acme", [EMAIL, HUBSPOT], {})
    again = resolve("acme", [EMAIL, HUBSPOT], {})
    assert first.created
    assert first.contact_id == again.contact_id == new_contact_id("acme", [EMAIL.normalised()])
    assert resolve("other", [EMAIL], {}).contact_id != first.contact_id
    assert [i.key for i in first.attach] == ["email:ada@example.com", "hubspot:501"]
    assert resolve("acme", [HUBSPOT, EMAIL], {}).contact_id == first.contact_id


def test_emails_match_case_insensitively() -> None:
    lower = Identifier(kind=IdentifierKind.EMAIL, value="ada@example.com")
    assert resolve("acme", [EMAIL], {}).contact_id == resolve("acme", [lower], {}).contact_id


def test_known_identifier_wins_and_new_ones_are_attached() -> None:
    found = resolve("acme", [LINKEDIN, HUBSPOT], {"hubspot:501": "c-known"})
    assert not found.created
    assert found.contact_id == "c-known"
    assert [i.key for i in found.attach] == ["linkedin:ada-l"]
    assert found.conflicts == ()


def test_identifiers_of_two_people_are_reported_not_moved() -> None:
    known = {"email:ada@example.com": "c-ada", "hubspot:501": "c-other"}
    found = resolve("acme", [EMAIL, HUBSPOT], known)
    assert found.contact_id == "c-ada"
    assert found.attach == ()
    assert [i.key for i in found.conflicts] == ["hubspot:501"]


def test_no_identifiers_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one identifier"):
        resolve("acme", [], {})
