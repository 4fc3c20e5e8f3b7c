"""The demo's pure parts: the delivery plan, redeliveries, reconciliation, the schedule event."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from rel2rev.api.models import DealCredit, DealGap, DealLine
from rel2rev.demo.delivery import (
    demo_connections,
    native_deliveries,
    with_duplicates,
)
from rel2rev.demo.finance import reconcile
from rel2rev.demo.flow import DemoConfig, DemoError, DemoFlow, schedule_event
from rel2rev.demo.hubspot_history import hubspot_seed
from rel2rev.demo.plan import plan_delivery
from rel2rev.importer import Row, batches, validate
from rel2rev.money import Money
from rel2rev.records import DealStatus, InteractionType, StakeholderType
from rel2rev.simulate import World, WorldConfig, simulate_world
from rel2rev.transport import Delivery, OutgoingRequest

END = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return simulate_world(WorldConfig(seed=4, accounts=40, end=END))


def test_plan_delivers_every_record_exactly_once(world: World) -> None:
    plan = plan_delivery(world)
    parts = [*plan.live.values(), *plan.api.values()]
    interactions = [i.interaction_id for part in parts for i in part.interactions]
    backfilled = [row["interaction_id"] for row in plan.backfill]
    assert sorted(interactions + backfilled) == sorted(
        i.interaction_id for i in world.records.interactions
    )
    for kind in ("contacts", "leads"):
        delivered = sum(len(getattr(part, kind)) for part in parts)
        assert delivered == len(getattr(world.records, kind))
    live = {d.deal_id: d for part in plan.live.values() for d in part.deals}
    read = {d.deal_id: d for d in plan.api["hubspot"].deals}
    assert live.keys() | read.keys() == {d.deal_id for d in world.records.deals}
    for deal_id in live.keys() & read.keys():  # open at the cutoff: its later state is live
        assert read[deal_id].status is DealStatus.OPEN
        assert read[deal_id].updated_at < plan.api_before <= live[deal_id].updated_at
    assert all(row["occurred_at"] < plan.backfill_before.isoformat() for row in plan.backfill)
    validate(batches([Row(n, row) for n, row in enumerate(plan.backfill, 1)]), "demo")


def test_plan_routes_by_what_each_source_carries(world: World) -> None:
    plan = plan_delivery(world)
    crm = {a.account_id: a.crm for a in world.accounts}
    assert not plan.live["hubspot"].interactions  # HubSpot webhooks carry no engagements
    assert {d.amount.currency for d in plan.live["hubspot"].deals if d.amount} == {"EUR"}
    assert {d.amount.currency for d in plan.live["salesforce"].deals if d.amount} == {"USD"}
    for source in ("hubspot", "salesforce", "pipedrive"):
        part = plan.live[source]
        assert {crm[c.account_id or ""] for c in part.contacts} <= {source}
        assert all(d.deal_id.startswith(f"{source}:") for d in part.deals)
    assert {i.channel for i in plan.live["salesforce"].interactions} <= {"email", "call", "meeting"}
    crm_types = {
        c.stakeholder_type for s in ("hubspot", "pipedrive") for c in plan.live[s].contacts
    }
    assert crm_types == {StakeholderType.CUSTOMER}  # their webhooks carry no stakeholder type
    assert {c.stakeholder_type for c in plan.live["generic"].contacts} == {
        StakeholderType.PARTNER,
        StakeholderType.SUPPLIER,
        StakeholderType.EMPLOYEE,
    }
    assert {i.type for i in plan.live["pipedrive"].interactions} <= {InteractionType.MEETING}
    won = {d.deal_id: d.amount for d in world.records.deals if d.status is DealStatus.WON}
    assert plan.booked == won


def test_hubspot_history_goes_through_its_api_as_hubspot_objects(world: World) -> None:
    plan = plan_delivery(world)
    history = plan.api["hubspot"]
    assert history.contacts
    assert history.deals
    assert history.interactions
    older = [*history.contacts, *history.leads, *history.deals, *history.interactions]
    assert all(r.updated_at < plan.api_before for r in older)
    assert {(i.channel, i.source) for i in history.interactions} == {("email", "generic")}
    seed = hubspot_seed(history, world.records.contacts)
    assert [len(seed[k]) for k in ("contacts", "deals", "emails")] == [
        len(history.contacts),
        len(history.deals),
        len(history.interactions),
    ]
    deal = seed["deals"][0]
    assert deal["history"]["dealstage"][0][0] == "appointmentscheduled"
    assert deal["associations"]["contacts"]
    assert all(c["id"].isdigit() for c in seed["contacts"])


def test_stale_updates_are_older_open_versions(world: World) -> None:
    plan = plan_delivery(world, stale_deals=3)
    final = {d.deal_id: d for d in world.records.deals}
    stale = [d for part in plan.stale.values() for d in part.deals]
    assert len(stale) == 3
    for deal in stale:
        newer = final[deal.deal_id]
        assert deal.updated_at < newer.updated_at
        assert deal.status is DealStatus.OPEN
        assert deal.amount is not None
        assert newer.amount is not None
        assert deal.amount.amount < newer.amount.amount
        assert deal.contact_roles == []


def test_deliveries_are_signed_native_requests(world: World) -> None:
    plan = plan_delivery(world)
    connections = demo_connections("demo")
    deliveries = native_deliveries(
        plan.live, connections, "http://127.0.0.1:1", directory=world.records.contacts
    )
    by_source = {d.label.split()[0] for d in deliveries}
    assert by_source == {"hubspot", "salesforce", "pipedrive", "generic"}
    headers = {d.label.split()[0]: d.build().headers for d in deliveries}
    assert "X-HubSpot-Signature-v3" in headers["hubspot"]
    assert "X-Rel2rev-Signature" in headers["generic"]
    assert headers["pipedrive"]["Authorization"].startswith("Basic ")
    salesforce = next(d.build() for d in deliveries if d.label.startswith("salesforce"))
    assert "token=" in salesforce.url
    assert b"<notifications" in salesforce.body
    # Generic touches of CRM-owned people name them by their email, never a made-up id.
    generic = next(d.build() for d in deliveries if d.label.startswith("generic"))
    assert b'"external"' not in generic.body


def test_redeliveries_repeat_some_requests_exactly() -> None:
    deliveries = [
        Delivery(f"d{n}", lambda n=n: OutgoingRequest(f"http://x/{n}", {}, b"")) for n in range(40)
    ]
    mixed = with_duplicates(deliveries, 0.1, seed=1)
    assert len(mixed) == 44
    again = [d for d in mixed if d.label.endswith("(redelivery)")]
    assert len(again) == 4
    originals = {d.label: d for d in deliveries}
    for d in again:
        assert d.build() == originals[d.label.removesuffix(" (redelivery)")].build()


def _credit(
    deal_id: str, amount: str, lines: dict[str, list[str]], gaps: tuple[str, ...] = ()
) -> DealCredit:
    money = Money.of(amount, "EUR")
    return DealCredit(
        deal_id=deal_id,
        closed_at=END,
        amount=money,
        unattributed=[
            DealGap(model=model, by="channel", reason="no_touch_in_lookback") for model in gaps
        ],
        lines=[
            DealLine(
                model=model,
                by="channel",
                value=f"c{n}",
                share=0.5,
                amount=Money.of(part, "EUR"),
            )
            for model, parts in lines.items()
            for n, part in enumerate(parts)
        ],
    )


def test_reconcile_checks_every_model_to_the_cent() -> None:
    booked = {"d1": Money.of("100.00", "EUR"), "d2": Money.of("10.01", "EUR")}
    models = ["linear", "markov"]
    good = [
        _credit("d1", "100.00", {"linear": ["50.00", "50.00"], "markov": ["99.99", "0.01"]}),
        _credit("d2", "10.01", {"linear": ["5.01", "5.00"]}, gaps=("markov",)),
    ]
    check = reconcile(good, booked, models, ["channel"])
    assert check.ok
    assert (check.deals, check.checks, check.unattributed) == (2, 4, 1)
    assert check.models == {"linear", "markov"}
    off = [
        _credit("d1", "100.00", {"linear": ["50.00", "49.99"]}, gaps=("markov", "markov")),
        _credit("d9", "1.00", {"linear": ["1.00"]}),
    ]
    check = reconcile(off, booked, models, ["channel"])
    assert not check.ok
    assert any("linear by channel sums to 99.99 EUR" in p for p in check.problems)
    assert any(
        "markov by channel credited False, unattributed 2 times" in p for p in check.problems
    )
    assert any(p.startswith("d9") for p in check.problems)
    assert check.missing == ["d2"]
    lost = [_credit("d1", "100.00", {"linear": ["100.00"]}), good[1]]
    check = reconcile(lost, booked, models, ["channel"])
    assert check.problems == ["d1: markov by channel credited False, unattributed 0 times"]


def test_schedule_event_is_the_templates_scheduler_input() -> None:
    assert schedule_event() == {"trigger": "schedule"}


def test_a_failing_step_stops_with_its_name(tmp_path: Path) -> None:
    flow = DemoFlow(DemoConfig(out=tmp_path, accounts=3, days=60), Console(file=io.StringIO()))
    failing = "step 'deliver' failed: ConnectionError: refused"
    with pytest.raises(DemoError, match=failing), flow.step("deliver"):
        raise ConnectionError("refused")
    with flow.step("write"):
        flow.write_inputs()
    assert "write" in flow.result.timings
    assert (tmp_path / "world" / "backfill.jsonl").is_file()
