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
    assert found.merged == ()


def test_identifiers_of_two_contacts_merge_them_into_the_smaller_id() -> None:
    known = {"email:ada@example.com": "c-b", "hubspot:501": "c-a"}
    found = resolve("acme", [EMAIL, HUBSPOT, LINKEDIN], known)
    assert found.contact_id == "c-a"
    assert found.merged == ("c-b",)
    assert [i.key for i in found.attach] == ["linkedin:ada-l"]


def test_canonical_reads_merged_contacts_as_their_survivor() -> None:
    from datetime import UTC, datetime

    from rel2rev.identity import canonical
    from rel2rev.records import Contact, ContactRole, Deal, Interaction, WorkspaceRecords

    at = datetime(2026, 1, 1, tzinfo=UTC)
    base = {"workspace": "w", "source": "generic", "updated_at": at}
    records = WorkspaceRecords(
        workspace="w",
        contacts=[Contact(**base, contact_id=c) for c in ("a", "b", "c")],
        interactions=[
            Interaction(
                **base,
                interaction_id=f"i{c}",
                contact_id=c,
                type="dm",
                direction="inbound",
                channel="linkedin",
                occurred_at=at,
            )
            for c in ("a", "b", "c")
        ],
        deals=[Deal(**base, deal_id="d", contact_roles=[ContactRole(contact_id=c) for c in "cba"])],
    )
    # c was merged into b, b into a: a chain
    read = canonical(records, {"c": "b", "b": "a"})
    assert [c.contact_id for c in read.contacts] == ["a"]
    assert {i.contact_id for i in read.interactions} == {"a"}
    assert [r.contact_id for r in read.deals[0].contact_roles] == ["a"]


def test_no_identifiers_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one identifier"):
        resolve("acme", [], {})
