"""Merging events into stored state: per-field versions, idempotence, capture, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rel2rev import apply
from rel2rev.apply import RecordKind
from rel2rev.errors import UnapplicableError
from rel2rev.ingest.events import (
    ContactRoleRef,
    ContactUpsert,
    DealContactRemoved,
    DealUpsert,
    Event,
    InteractionEvent,
    Payload,
)
from rel2rev.money import Money
from rel2rev.records import Contact, Deal, DealStatus, Identifier, IdentifierKind, Interaction

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
ADA = [Identifier(kind=IdentifierKind.EMAIL, value="ada@example.com")]


def _event(payload: Payload, at: datetime, event_id: str, source: str = "hubspot") -> Event:
    return Event(
        event_id=event_id,
        workspace="acme",
        source=source,
        request_id="r",
        received_at=at,
        occurred_at=at,
        payload=payload,
    )


def _contact(name: str | None, at: datetime, event_id: str, **fields: object) -> apply.Change:
    payload = ContactUpsert(identifiers=ADA, name=name, **fields)  # type: ignore[arg-type]
    return apply.contact_change(_event(payload, at, event_id), payload, "c-1", ADA)


def test_newer_field_wins_whatever_the_arrival_order() -> None:
    newer = _contact("Ada Lovelace", T0 + timedelta(hours=1), "e2", owner="bob")
    older = _contact("Ada L.", T0, "e1", owner="carol", account_id="example.com")
    in_order = apply.apply_change(apply.apply_change(None, older), newer)
    reversed_ = apply.apply_change(apply.apply_change(None, newer), older)
    assert in_order == reversed_
    record = apply.to_record(in_order)
    assert isinstance(record, Contact)
    assert record.name == "Ada Lovelace"
    assert record.owner == "bob"
    assert record.account_id == "example.com", "a field only the older event sent is kept"
    assert record.updated_at == T0 + timedelta(hours=1)
    assert record.source == "hubspot"


def test_applying_the_same_change_twice_changes_nothing() -> None:
    change = _contact("Ada", T0, "e1")
    once = apply.apply_change(None, change)
    assert apply.apply_change(once, change) is once


def test_fields_not_sent_leave_state_alone() -> None:
    state = apply.apply_change(None, _contact("Ada", T0, "e1", owner="bob"))
    later = apply.apply_change(state, _contact(None, T0 + timedelta(days=1), "e2"))
    record = apply.to_record(later)
    assert isinstance(record, Contact)
    assert (record.name, record.owner) == ("Ada", "bob")


def test_same_clock_ties_break_by_event_id_deterministically() -> None:
    a = _contact("A", T0, "e-a")
    b = _contact("B", T0, "e-b")
    assert apply.apply_change(apply.apply_change(None, a), b) == apply.apply_change(
        apply.apply_change(None, b), a
    )


def test_capture_keeps_the_earliest_moment_and_fills_account_only_when_absent() -> None:
    payload = InteractionEvent(
        interaction_id="i1",
        contact=ADA,
        type="comment",
        direction="inbound",
        channel="LinkedIn",
        occurred_at=T0 + timedelta(days=2),
        account_id="other.com",
    )
    event = _event(payload, T0 + timedelta(days=2), "e3", source="generic")
    crm = apply.apply_change(None, _contact("Ada", T0 + timedelta(days=5), "e1"))
    crm = apply.apply_change(
        crm,
        _contact(
            None,
            T0 + timedelta(days=6),
            "e2",
            created_at=T0 + timedelta(days=4),
            account_id="example.com",
        ),
    )
    captured = apply.apply_change(
        crm,
        apply.capture_change(
            event, "c-1", ADA, captured_at=payload.occurred_at, account_id=payload.account_id
        ),
    )
    record = apply.to_record(captured)
    assert isinstance(record, Contact)
    assert record.created_at == T0 + timedelta(days=2), "first interaction is the capture"
    assert record.account_id == "example.com"
    interaction = apply.to_record(
        apply.apply_change(None, apply.interaction_change(event, payload, "c-1"))
    )
    assert isinstance(interaction, Interaction)
    assert interaction.channel == "linkedin"
    assert interaction.contact_id == "c-1"


def test_identifiers_accumulate_without_duplicates() -> None:
    more = [Identifier(kind=IdentifierKind.HUBSPOT, value="501"), *ADA]
    first = apply.apply_change(None, _contact("Ada", T0, "e1"))
    payload = ContactUpsert(identifiers=[Identifier(kind="email", value="ADA@example.com"), *more])
    second = apply.apply_change(
        first, apply.contact_change(_event(payload, T0, "e2"), payload, "c-1", payload.identifiers)
    )
    assert [i.key for i in second.identifiers] == ["email:ada@example.com", "hubspot:501"]


def test_deal_roles_add_and_remove_by_source_clock() -> None:
    deal = DealUpsert(
        deal_id="d1",
        amount=Money.of("1200.00", "EUR"),
        status=DealStatus.WON,
        contact_roles=[ContactRoleRef(contact=ADA, role="champion")],
    )
    removal = DealContactRemoved(deal_id="d1", contact=ADA)
    added = apply.deal_change(_event(deal, T0, "e1"), deal, {"c-1": "champion"})
    removed_later = apply.deal_removal_change(
        _event(removal, T0 + timedelta(hours=1), "e2"), removal, "c-1"
    )
    removed_earlier = apply.deal_removal_change(
        _event(removal, T0 - timedelta(hours=1), "e0"), removal, "c-1"
    )
    gone = apply.to_record(apply.apply_change(apply.apply_change(None, removed_later), added))
    kept = apply.to_record(apply.apply_change(apply.apply_change(None, added), removed_earlier))
    assert isinstance(gone, Deal)
    assert isinstance(kept, Deal)
    assert gone.contact_roles == []
    assert [r.contact_id for r in kept.contact_roles] == ["c-1"]
    assert kept.amount == Money.of("1200.00", "EUR")
    assert kept.status is DealStatus.WON


def test_a_change_only_applies_to_its_own_record() -> None:
    state = apply.apply_change(None, _contact("Ada", T0, "e1"))
    other = _contact("Bob", T0, "e2").model_copy(update={"kind": RecordKind.DEAL})
    with pytest.raises(ValueError, match="only to the record it names"):
        apply.apply_change(state, other)


def test_a_record_over_budget_drops_its_oldest_history_first() -> None:
    state = apply.RecordState(kind=RecordKind.DEAL, workspace="acme", record_id="d1")
    for day in range(180):
        deal = DealUpsert(deal_id="d1", name="n" * 250, stage=f"stage {day}")
        at = T0 + timedelta(days=day)
        state = apply.apply_change(state, apply.deal_change(_event(deal, at, f"e{day}"), deal, {}))
    full = len(state.model_dump_json().encode())
    kept, doc = apply.within_budget(state, budget=full // 3)
    assert len(doc.encode()) <= full // 3
    assert doc == kept.model_dump_json()
    stages = kept.history["stage"]
    assert 1 <= len(stages) < len(state.history["stage"])
    assert max(stages) == max(state.history["stage"]), "the newest versions stay"
    assert kept.fields == state.fields


def test_a_record_that_cannot_fit_is_unapplicable() -> None:
    people = [Identifier(kind=IdentifierKind.EMAIL, value=f"p{i}@example.com") for i in range(50)]
    state = apply.RecordState(
        kind=RecordKind.CONTACT, workspace="acme", record_id="c1", identifiers=people
    )
    with pytest.raises(UnapplicableError, match="over the 500-byte record budget"):
        apply.within_budget(state, budget=500)
