"""Identity resolution: which stored contact a set of identifiers refers to (pure logic).

A person may be known by several identifiers (an email, a HubSpot id, a LinkedIn handle). Each
identifier points at most at one contact. Given the identifiers an event names and what the
store already maps them to, `resolve` picks the contact and says which identifiers to attach.
Unknown people get a deterministic id, so redelivered and replayed events capture the same
contact instead of duplicating it.

Identifiers that one event names together belong to one person. When they already point at
several contacts, those contacts are one person stored twice: they are merged into the one
with the smallest id (`Resolution.merged`), the others keep their history and a pointer to
it (`merged_into`). So who is one person is the connected groups of identifiers named
together, whatever order the events arrived in. `canonical` reads stored records through
those pointers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from rel2rev.records import ContactRole, Identifier, WorkspaceRecords


class Resolution(BaseModel):
    """The outcome of resolving one event's identifiers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_id: str
    created: bool
    """True when no identifier was known: the contact is captured now."""
    attach: tuple[Identifier, ...]
    """Normalised identifiers not mapped yet, to point at `contact_id`."""
    merged: tuple[str, ...] = ()
    """Other contacts the identifiers pointed at: the same person, merged into `contact_id`."""


def new_contact_id(workspace: str, identifiers: Sequence[Identifier]) -> str:
    """Deterministic id for a person first seen with these identifiers.

    Derived from the smallest identifier key, so two events naming the same new person with
    their identifiers in a different order capture the same contact.
    """
    first = min(i.key for i in identifiers)
    return "c-" + hashlib.sha256(f"{workspace}\x1f{first}".encode()).hexdigest()[:24]


def unique_identifiers(identifiers: Sequence[Identifier]) -> list[Identifier]:
    """Normalised identifiers without duplicates, in the order given."""
    seen: dict[str, Identifier] = {}
    for identifier in identifiers:
        normalised = identifier.normalised()
        seen.setdefault(normalised.key, normalised)
    return list(seen.values())


def resolve(
    workspace: str, identifiers: Sequence[Identifier], known: Mapping[str, str]
) -> Resolution:
    """Pick the contact for `identifiers` given `known` (identifier key -> contact id).

    The smallest of the contacts the known identifiers point at wins, the others are merged
    into it, and the unknown identifiers are attached to it; with none known, a new contact.
    """
    unique = unique_identifiers(identifiers)
    if not unique:
        raise ValueError("at least one identifier is needed to resolve a contact")
    matched = sorted({known[i.key] for i in unique if i.key in known})
    contact_id = matched[0] if matched else new_contact_id(workspace, unique)
    attach = tuple(i for i in unique if i.key not in known)
    return Resolution(
        contact_id=contact_id, created=not matched, attach=attach, merged=tuple(matched[1:])
    )


def survivor(merged_into: Mapping[str, str], contact_id: str) -> str:
    """The contact `contact_id` ends up in, following merge pointers (cycles cannot form:
    a contact is only ever merged into a smaller id)."""
    seen = contact_id
    while seen in merged_into:
        seen = merged_into[seen]
    return seen


def canonical(records: WorkspaceRecords, merged_into: Mapping[str, str]) -> WorkspaceRecords:
    """`records` with every merged contact read as the contact it was merged into: merged
    contacts left out, their interactions, leads and deal roles pointing at the survivor."""
    if not merged_into:
        return records

    def to(contact_id: str) -> str:
        return survivor(merged_into, contact_id)

    deals = []
    for deal in records.deals:
        roles: dict[str, ContactRole] = {}
        for role in deal.contact_roles:
            roles.setdefault(
                to(role.contact_id), role.model_copy(update={"contact_id": to(role.contact_id)})
            )
        deals.append(deal.model_copy(update={"contact_roles": list(roles.values())}))
    return records.model_copy(
        update={
            "contacts": [c for c in records.contacts if c.contact_id not in merged_into],
            "interactions": [
                i
                if i.contact_id not in merged_into
                else i.model_copy(update={"contact_id": to(i.contact_id)})
                for i in records.interactions
            ],
            "leads": [
                lead
                if lead.contact_id is None or lead.contact_id not in merged_into
                else lead.model_copy(update={"contact_id": to(lead.contact_id)})
                for lead in records.leads
            ],
            "deals": deals,
        }
    )
