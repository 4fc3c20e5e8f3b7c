"""Benchmark: the survival step at 100k relationships and 1M interactions.

Times each stage of what the modelling job runs for survival: qualification (the shared
pass), spells + preparation, Kaplan-Meier by capture channel for the three transitions, static
Cox with the PH test, time-varying Cox and Aalen-Johansen. Target: the whole step < 30 s on
2 cores. Usage: python bench/survival.py [--contacts 100000] [--interactions 1000000].
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import numpy as np

from rel2rev.funnel import contact_stages, qualify
from rel2rev.job.compute import records_held
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    Deal,
    DealStatus,
    Direction,
    Interaction,
    InteractionType,
    Lead,
    StakeholderType,
    WorkspaceRecords,
)
from rel2rev.survival import (
    competing_risks,
    prepare,
    spells_from_records,
    survival_analysis,
    survival_drivers,
)

T = TypeVar("T")
T0 = datetime(2025, 1, 1, tzinfo=UTC)
AS_OF = T0 + timedelta(days=365)
CHANNELS = ["linkedin", "email", "webinar", "referral", "paid", "direct"]


def world(contacts: int, interactions: int, seed: int = 1) -> WorkspaceRecords:
    """A seeded world: accounts of ~5 contacts, touches over a year, leads, deals won/lost."""
    rng = np.random.default_rng(seed)
    base = {"workspace": "bench", "source": "generic"}
    kinds = list(InteractionType)
    captured = rng.uniform(0, 300, contacts)
    owners = rng.integers(0, 20, contacts)
    stake = list(StakeholderType)
    people = [
        Contact(**base, updated_at=T0, contact_id=f"c{i}", account_id=f"a{i // 5}",
                owner=f"owner{owners[i]}", stakeholder_type=stake[i % 7 % 5],
                created_at=T0 + timedelta(days=float(captured[i])))
        for i in range(contacts)
    ]  # fmt: skip
    who = rng.integers(0, contacts, interactions)
    when = captured[who] + rng.exponential(30.0, interactions)
    kind = rng.integers(0, len(kinds), interactions)
    inbound = rng.random(interactions) < 0.55
    channel = rng.integers(0, len(CHANNELS), interactions)
    touches = [
        Interaction(**base, updated_at=T0, interaction_id=f"i{j}", contact_id=f"c{who[j]}",
                    type=kinds[kind[j]],
                    direction=Direction.INBOUND if inbound[j] else Direction.OUTBOUND,
                    channel=CHANNELS[channel[j]], occurred_at=T0 + timedelta(days=float(when[j])))
        for j in range(interactions)
        if when[j] <= 365
    ]  # fmt: skip
    lead_ids = np.flatnonzero(rng.random(contacts) < 0.3)
    lead_at = captured[lead_ids] + rng.exponential(20.0, len(lead_ids))
    leads = [
        Lead(**base, updated_at=T0, lead_id=f"l{i}", contact_id=f"c{i}",
             created_at=T0 + timedelta(days=float(t)))
        for i, t in zip(lead_ids, lead_at, strict=True)
        if t <= 365
    ]  # fmt: skip
    deals = []
    for n, (i, t) in enumerate(zip(lead_ids, lead_at, strict=True)):
        if n % 3 or t > 300:
            continue
        close = t + rng.exponential(40.0)
        deals.append(
            Deal(**base, updated_at=T0, deal_id=f"d{i}", account_id=f"a{i // 5}",
                 amount=Money.of(int(rng.integers(1, 100)) * 100, "EUR"),
                 status=DealStatus.WON if rng.random() < 0.4 else DealStatus.LOST,
                 created_at=T0 + timedelta(days=float(t) + 1),
                 closed_at=T0 + timedelta(days=float(close)))
        )  # fmt: skip
    return WorkspaceRecords(
        workspace="bench", contacts=people, interactions=touches, leads=leads, deals=deals
    )


def timed(label: str, fn: Callable[[], T], laps: dict[str, tuple[float, float]]) -> T:
    """Run `fn`, record and print its wall-clock and CPU seconds (CPU of all its threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    laps[label] = (time.perf_counter() - wall, time.process_time() - cpu)
    print(f"{label:<46} {laps[label][0]:8.2f} s wall {laps[label][1]:8.2f} s cpu", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min), cores: {os.cpu_count()}")
    setup: dict[str, tuple[float, float]] = {}
    records = timed(
        "build records (not part of the step)",
        lambda: world(args.contacts, args.interactions),
        setup,
    )
    print(f"{len(records.contacts)} contacts, {len(records.interactions)} interactions, "
          f"{len(records.leads)} leads, {len(records.deals)} deals")  # fmt: skip
    with records_held():  # as the job holds its records
        steps(records)


def steps(records: WorkspaceRecords) -> None:
    """Time every step of the survival section on `records`."""
    laps: dict[str, tuple[float, float]] = {}
    states = timed(
        "qualification (details=False)",
        lambda: qualify(records, as_of=AS_OF, details=False),
        laps,
    )
    stages = timed(
        "stage moments per contact", lambda: contact_stages(records, states, as_of=AS_OF), laps
    )
    common = {"as_of": AS_OF, "states": states, "stages": stages}
    spells = timed(
        "spells + preparation (lead_to_won)",
        lambda: prepare(
            spells_from_records(records, transition="lead_to_won", **common).frame,
            as_of=AS_OF,
            resolution=timedelta(days=1),
        ),
        laps,
    )
    print(f"  {len(spells)} lead spells, {int(spells['event'].sum())} won")
    for transition in ("capture_to_qualified", "qualified_to_lead", "lead_to_won"):
        report = timed(
            f"Kaplan-Meier by channel: {transition}",
            lambda t=transition: survival_analysis(records, transition=t, by="channel", **common),
            laps,
        )
        print(f"  n={report.n} events={report.events} median={report.overall.median}")
    cox = timed(
        "Cox + PH test: lead_to_won",
        lambda: survival_drivers(records, transition="lead_to_won", **common),
        laps,
    )
    print(f"  {len(cox.hazard_ratios)} features, concordance {cox.concordance}, {cox.insufficient}")
    tv = timed(
        "time-varying Cox: lead_to_won",
        lambda: survival_drivers(records, transition="lead_to_won", time_varying=True, **common),
        laps,
    )
    print(f"  {len(tv.hazard_ratios)} features, {tv.insufficient}")
    cr = timed("Aalen-Johansen won vs lost", lambda: competing_risks(records, **common), laps)
    print(f"  won={cr.won} lost={cr.lost}")
    wall = sum(w for w, _ in laps.values())
    cpu = sum(c for _, c in laps.values())
    print(f"{'whole survival step':<46} {wall:8.2f} s wall {cpu:8.2f} s cpu (target < 30 s)")
    print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
