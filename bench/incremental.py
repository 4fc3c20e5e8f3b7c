"""Benchmark: incremental credit on simulated worlds with planted organic conversions.

Each seed simulates a world with a baseline hazard and touchless buyers
(`WorldConfig.baseline_hazard`, `touchless_share`), builds its journeys as the job does
(`build_journeys`, the reference every engine is tested against), adds one non-converting
journey without touches per touchless customer account that never won (the job does not
build those yet; bench/README.md, "Incremental credit"), and runs the models. It reports:

- the baseline estimate (conversion rate of the journeys without touches, 95% bootstrap
  interval) beside the planted rate (`GroundTruth.touchless_rate`), and whether it is covered;
- per model, the largest error (percentage points) of each channel's credited conversions as
  a share of *all* conversions against the planted incremental shares
  (`GroundTruth.incremental_recovery`), incremental models beside the full-credit ones.

Usage: python bench/incremental.py [--seeds 1 2 3 4 5] [--accounts 4000]
       [--baseline-hazard 0.001] [--touchless 0.15]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from rel2rev.attribution import Journey, build_journeys, run_models
from rel2rev.attribution.table import JourneyTable
from rel2rev.records import StakeholderType
from rel2rev.simulate import World, WorldConfig, simulate_world

END = datetime(2026, 10, 31, tzinfo=UTC)
MODELS = (
    "linear", "markov", "shapley", "shapley_rate", "additive_hazard", "logistic",
    "shapley_incremental", "additive_hazard_incremental", "logistic_incremental",
)  # fmt: skip


def touchless_journeys(world: World, journeys: list[Journey]) -> list[Journey]:
    """One non-converting journey without touches per customer account that has contacts
    but no interaction and no journey yet (its deal, if any, already has one)."""
    records = world.records
    touched = {i.account_id for i in records.interactions}
    dealt = {d.account_id for d in records.deals}
    accounts = sorted(
        {
            c.account_id
            for c in records.contacts
            if c.stakeholder_type is StakeholderType.CUSTOMER and c.account_id is not None
        }
        - touched
        - dealt
    )
    seen = {j.journey_id for j in journeys}
    return [
        Journey(journey_id=f"account:{a}", converted=False, ends_at=END)
        for a in accounts
        if f"account:{a}" not in seen
    ]


def measure(seed: int, accounts: int, lam0: float, touchless: float) -> dict[str, float]:
    """One world: the baseline estimate and every model's largest incremental error."""
    config = WorldConfig(
        seed=seed, accounts=accounts, days=365, end=END,
        baseline_hazard=lam0, touchless_share=touchless,
    )  # fmt: skip
    world = simulate_world(config)
    journeys = build_journeys(world.records, as_of=END)
    table = JourneyTable.from_journeys(journeys + touchless_journeys(world, journeys))
    started = time.perf_counter()
    report = run_models(
        table, MODELS, hazard_decay=timedelta(days=config.half_life_days),
        detail=False, touches=False, seed=seed,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    truth = world.truth
    assert report.baseline is not None
    b = report.baseline
    row: dict[str, float] = {
        "planted": truth.touchless_rate or 0.0,
        "rate": b.rate if b.rate is not None else float("nan"),
        "low": b.low if b.low is not None else float("nan"),
        "high": b.high if b.high is not None else float("nan"),
        "touchless": b.journeys,
        "conversions": report.converting_journeys,
        "baseline_share": truth.baseline_share,
        "seconds": seconds,
    }
    for name, result in report.models.items():
        if result.error is not None:
            row[name] = float("nan")
            continue
        shares = {v: c / report.converting_journeys for v, c in result.conversions.items()}
        row[name] = truth.incremental_recovery(shares).max_error_pp
        if result.incremental:
            row[f"{name}:baseline"] = shares.get("(baseline)", 0.0)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--accounts", type=int, default=4000)
    parser.add_argument("--baseline-hazard", type=float, default=0.001)
    parser.add_argument("--touchless", type=float, default=0.15)
    args = parser.parse_args()
    rows = [measure(s, args.accounts, args.baseline_hazard, args.touchless) for s in args.seeds]
    print(f"{'seed':>4} {'touchless':>9} {'planted':>8} {'estimate':>8} {'95% interval':>17} "
          f"{'covered':>7} {'won':>5} {'true base':>9} {'shap_inc base':>13} "
          f"{'haz_inc base':>12} {'log_inc base':>12} {'models s':>8}")  # fmt: skip
    for seed, r in zip(args.seeds, rows, strict=True):
        covered = r["low"] <= r["planted"] <= r["high"]
        print(f"{seed:>4} {r['touchless']:>9.0f} {r['planted']:>8.2%} {r['rate']:>8.2%} "
              f"{r['low']:>8.2%}–{r['high']:<8.2%} {'yes' if covered else 'no':>7} "
              f"{r['conversions']:>5.0f} {r['baseline_share']:>9.1%} "
              f"{r.get('shapley_incremental:baseline', float('nan')):>13.1%} "
              f"{r.get('additive_hazard_incremental:baseline', float('nan')):>12.1%} "
              f"{r.get('logistic_incremental:baseline', float('nan')):>12.1%} "
              f"{r['seconds']:>8.1f}")  # fmt: skip
    print()
    print("largest error vs the planted incremental shares, percentage points")
    print(f"{'model':<28}" + "".join(f"{s:>7}" for s in args.seeds) + f"{'mean':>7}{'worst':>7}")
    for name in MODELS:
        errors = np.array([r[name] for r in rows])
        print(f"{name:<28}" + "".join(f"{e:>7.2f}" for e in errors)
              + f"{np.nanmean(errors):>7.2f}{np.nanmax(errors):>7.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
