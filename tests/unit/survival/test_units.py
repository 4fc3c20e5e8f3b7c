"""Who a spell follows: relationships clustered by account, accounts for lead to won; and
datetime conversion that never goes through a float NaN."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from rel2rev.funnel import contact_stages, qualify
from rel2rev.records import ContactRole, DealStatus, Interaction, Lead, WorkspaceRecords
from rel2rev.simulate import WorldConfig, simulate_world
from rel2rev.survival import competing_risks, survival_analysis, survival_drivers
from rel2rev.survival.spells import spells_from_records, utc_series

END = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> WorkspaceRecords:
    return simulate_world(WorldConfig(seed=4, workspace="acme", accounts=200, days=300, end=END))\
        .records  # fmt: skip


def test_datetime_columns_with_gaps_convert_exactly_every_time() -> None:
    """NaN-holding float arrays turned into datetimes raised FloatingPointError now and then;
    the conversion never builds one, so repeating it under `errstate(all="raise")` is safe."""
    values = [None, datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), None] * 50
    expected = pd.Series(
        [pd.NaT if v is None else pd.Timestamp(v) for v in values], dtype="datetime64[us, UTC]"
    )
    with np.errstate(all="raise"):
        for _ in range(2000):
            pd.testing.assert_series_equal(utc_series(values), expected)


def test_spells_with_open_ends_build_under_strict_float_errors(world: WorkspaceRecords) -> None:
    states = qualify(world, as_of=END)
    stages = contact_stages(world, states, as_of=END)
    with np.errstate(all="raise"):
        for _ in range(60):
            spells = spells_from_records(
                world, transition="lead_to_won", as_of=END, states=states, stages=stages,
                features=False, touches=False,
            )  # fmt: skip
    assert spells.frame["end"].isna().any()


def test_lead_to_won_counts_one_event_per_account_not_per_contact(world: WorkspaceRecords) -> None:
    report = survival_analysis(world, as_of=END, transition="lead_to_won")
    assert report.unit == "account"
    won_accounts = {d.account_id for d in world.deals if d.status is DealStatus.WON}
    assert report.events == len(won_accounts)
    contacts_on_won = sum(1 for c in world.contacts if c.account_id in won_accounts)
    assert contacts_on_won > 2 * report.events, "the old count: one event per contact"
    competing = competing_risks(world, as_of=END)
    assert competing.won == report.events
    assert competing.n == report.n


def test_relationship_transitions_cluster_their_errors_by_account(
    world: WorkspaceRecords,
) -> None:
    clustered = survival_drivers(world, as_of=END, transition="capture_to_qualified")
    assert clustered.insufficient is None
    assert (clustered.unit, clustered.clustered_by) == ("relationship", "account")
    assert clustered.clusters is not None
    assert clustered.clusters < clustered.n
    lead = survival_drivers(world, as_of=END, transition="lead_to_won")
    assert (lead.unit, lead.clustered_by) == ("account", None)


def test_clustered_errors_match_lifelines_sandwich_and_differ_from_naive() -> None:
    """Duplicated spells (every subject twice in one cluster) double the events but not the
    information: naive errors shrink by about √2, clustered ones stay put."""
    from rel2rev.survival.cox import fit_cox

    rng = np.random.default_rng(3)
    n = 300
    x = rng.normal(size=n)
    duration = np.ceil(rng.exponential(scale=np.exp(-0.5 * x) * 20))
    event = rng.random(n) < 0.8
    once = pd.DataFrame({"x": x, "duration": duration, "event": event, "cluster": np.arange(n)})
    twice = pd.concat([once, once], ignore_index=True)
    single = fit_cox(once, ["x"], check_ph=False, cluster="cluster")
    naive = fit_cox(twice.drop(columns="cluster"), ["x"], check_ph=False)
    robust = fit_cox(twice, ["x"], check_ph=False, cluster="cluster")
    (one,), (dup,), (rob,) = single.hazard_ratios, naive.hazard_ratios, robust.hazard_ratios
    assert single.clusters is None  # one spell per cluster: nothing to cluster
    assert robust.clusters == n
    assert dup.coef == pytest.approx(one.coef, rel=0.02)  # Efron ties shift it a little
    assert dup.se == pytest.approx(one.se / np.sqrt(2), rel=0.05)
    assert rob.se == pytest.approx(one.se, rel=0.15)
    assert rob.se > 1.2 * dup.se


def test_an_empty_workspace_has_no_account_spells() -> None:
    report = survival_analysis(WorkspaceRecords(workspace="w"), as_of=END, transition="lead_to_won")
    assert (report.n, report.events, report.unit) == (0, 0, "account")
    assert report.overall.insufficient is not None


def test_timeline_of_units_does_not_depend_on_timedelta_resolution(world: WorkspaceRecords) -> None:
    daily = survival_analysis(world, as_of=END, transition="lead_to_won")
    weekly = survival_analysis(
        world, as_of=END, transition="lead_to_won", resolution=timedelta(days=7)
    )
    assert (daily.n, daily.events) == (weekly.n, weekly.events)


def test_a_committee_member_stored_without_an_account_joins_the_deals_account(
    world: WorkspaceRecords,
) -> None:
    """A contact role on a won deal, stored without an account: still one event, not two."""
    won = next(d for d in world.deals if d.status is DealStatus.WON)
    member = next(c for c in world.contacts if c.account_id == won.account_id)
    loose = member.model_copy(update={"contact_id": "loose", "account_id": None})
    lead = next(lead for lead in world.leads if lead.account_id == won.account_id)
    records = world.model_copy(
        update={
            "contacts": [*world.contacts, loose],
            "leads": [
                *world.leads,
                lead.model_copy(update={"lead_id": "l", "contact_id": "loose"}),
            ],
            "deals": [
                d.model_copy(
                    update={"contact_roles": [*d.contact_roles, ContactRole(contact_id="loose")]}
                )
                if d.deal_id == won.deal_id
                else d
                for d in world.deals
            ],
        }
    )
    before = survival_analysis(world, as_of=END, transition="lead_to_won")
    after = survival_analysis(records, as_of=END, transition="lead_to_won")
    assert (after.n, after.events) == (before.n, before.events)


def test_static_two_way_feature_needs_conversation_both_ways() -> None:
    """Before their leads: c0 had an inbound like and an outbound e-mail (not two-way), c1 an
    inbound reply and an outbound e-mail (two-way)."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    base = {"workspace": "w", "source": "generic", "updated_at": t0}
    interactions = [
        Interaction(**base, interaction_id=f"i{n}", contact_id=f"c{n // 10}", type=kind,
                    direction=direction, channel="email", occurred_at=t0 + timedelta(days=day))
        for n, kind, direction, day in (
            (0, "like", "inbound", 0), (1, "email", "outbound", 1),
            (10, "email_reply", "inbound", 0), (11, "email", "outbound", 1),
        )
    ]  # type: ignore[arg-type]  # fmt: skip
    leads = [
        Lead(**base, lead_id=f"l{n}", contact_id=f"c{n}", created_at=t0 + timedelta(days=2))
        for n in (0, 1)
    ]
    records = WorkspaceRecords(workspace="w", interactions=interactions, leads=leads)
    spells = spells_from_records(records, transition="lead_to_won", as_of=END)
    frame = spells.frame.set_index("id")
    assert frame["reciprocal"].to_dict() == {"contact:c0": 0.0, "contact:c1": 1.0}
    assert frame["answered_before"].to_dict() == {"contact:c0": 0.0, "contact:c1": 1.0}
