"""Identity resolution: which stored contact a set of identifiers refers to (pure logic).

A person may be known by several identifiers (an email, a HubSpot id, a LinkedIn handle). Each
identifier points at most at one contact. Given the identifiers an event names and what the
store already maps them to, `resolve` picks the contact and says which identifiers to attach.
Unknown people get a deterministic id, so redelivered and replayed events capture the same
contact instead of duplicating it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from rel2rev.records import Identifier


class Resolution(BaseModel):
    """The outcome of resolving one event's identifiers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_id: str
    created: bool
    """True when no identifier was known: the contact is captured now."""
    attach: tuple[Identifier, ...]
    """Normalised identifiers not mapped yet, to point at `contact_id`."""
    conflicts: tuple[Identifier, ...]
    """Identifiers already mapped to a *different* contact (left as they are)."""


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

    The contact of the first known identifier (in the event's order) wins; the event's other
    unknown identifiers are attached to it. Identifiers already pointing at another contact
    are reported as conflicts and not moved: merging two stored people is a deliberate,
    separate operation, never a side effect of one webhook.
    """
    unique = unique_identifiers(identifiers)
    if not unique:
        raise ValueError("at least one identifier is needed to resolve a contact")
    matched = [known[i.key] for i in unique if i.key in known]
    contact_id = matched[0] if matched else new_contact_id(workspace, unique)
    attach = tuple(i for i in unique if i.key not in known)
    conflicts = tuple(i for i in unique if known.get(i.key, contact_id) != contact_id)
    return Resolution(
        contact_id=contact_id, created=not matched, attach=attach, conflicts=conflicts
    )
