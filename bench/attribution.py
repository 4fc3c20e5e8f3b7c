"""Attribution benchmark: rel2rev's models vs ChannelAttribution on the same seeded journeys.

Not a test. Generates journeys with planted channel effects (P(conversion) of a journey is the
sum of the effects of the distinct channels on it, so every conversion is caused by exactly one
channel and the planted share of a channel is known), aggregates them into ChannelAttribution's
`paths` frame, and runs, in the same process and on the same in-memory frame:
rel2rev's exact Markov, all ten position models, exact and simplified Shapley; and
ChannelAttribution's `markov_model` (default settings) and `heuristic_models`. The additive
hazard model is fitted on a timed `touches` sample. For each it prints wall time, peak memory
(extra resident memory over the input, measured in a forked child), the max share deviation
from the exact Markov solution (or from rel2rev's own heuristics) and the deviation from the
planted effects.

With `--touches`, it instead measures the `touches` file format end to end: a seeded Parquet
file per size (what an analyst exports from a warehouse: `journey_id`, `ts`, `channel`,
`converted`, `revenue`, `conversion_ts`; and the same rows as CSV) and the whole `rel2rev
attribute --format touches` process for Markov, Shapley, the additive hazard and all models
together (and Markov on the CSV file); with `--baseline REV` the same commands of git
revision REV run right after on the same file, and each row prints the ratios current /
baseline.

Usage: `python bench/attribution.py [--sizes 100000 1000000] [--no-peer]`
       `python bench/attribution.py --touches [--sizes ...] [--baseline REV] [--keep DIR]`
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from revisions import run_cli, worktree

from rel2rev.attribution.io import table_from_paths
from rel2rev.attribution.positional import PRESETS
from rel2rev.attribution.run import model_credit
from rel2rev.attribution.table import JourneyTable, encode

CHANNELS = (
    "direct", "display", "email", "events", "linkedin", "organic", "paid_search", "partner",
    "podcast", "referral", "video", "webinar",
)  # fmt: skip
DAY = 86_400.0


@dataclass
class World:
    """Generated journeys: aggregated paths, a timed touches table, and the planted shares."""

    paths: pd.DataFrame
    planted: dict[str, float]
    journeys: int
    touches: int
    timed: JourneyTable
    timed_planted: dict[str, float]


def generate(n: int, seed: int, channels: tuple[str, ...] = CHANNELS, timed: int = 0) -> World:
    """`n` journeys of 1 + Poisson(3) touches; P(convert) = Σ effects of the distinct channels."""
    rng = np.random.default_rng(seed)
    v = len(channels)
    popularity = rng.dirichlet(np.full(v, 2.0))
    effect = rng.uniform(0.002, 0.05, size=v)
    lengths = np.minimum(1 + rng.poisson(3.0, size=n), 12)
    total = int(lengths.sum())
    codes = rng.choice(v, size=total, p=popularity)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    masks = np.bitwise_or.reduceat(np.left_shift(1, codes), offsets[:-1])
    members = ((masks[:, None] >> np.arange(v)) & 1).astype(np.float64)
    probability = members @ effect
    converted = rng.random(n) < probability
    planted_raw = (members * effect).sum(axis=0)
    planted = dict(zip(channels, planted_raw / planted_raw.sum(), strict=True))
    padded = np.full((n, 12), -1, dtype=np.int8)
    journey = np.repeat(np.arange(n), lengths)
    padded[journey, np.arange(total) - offsets[journey]] = codes
    unique, inverse = np.unique(padded, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    conversions = np.bincount(inverse, weights=converted, minlength=len(unique))
    nulls = np.bincount(inverse, weights=~converted, minlength=len(unique))
    names = np.array(channels, dtype=object)
    paths = [" > ".join(names[row[row >= 0]]) for row in unique]
    frame = pd.DataFrame({"path": paths, "total_conversions": conversions, "total_null": nulls})
    timed_table, timed_planted = _timed(rng, channels, popularity, max(timed, 1))
    return World(frame, planted, n, total, timed_table, timed_planted)


def _timed(
    rng: np.random.Generator, channels: tuple[str, ...], popularity: Any, n: int
) -> tuple[JourneyTable, dict[str, float]]:
    """`n` journeys from an additive hazard with planted β, ω per channel, and planted shares.

    Touches fall uniformly over 60 days; a journey converts when its integrated hazard passes
    an Exp(1) draw (touches after that are cut), else it is censored at day 60. The planted
    share of a channel is its share of the true hazard at the conversions.
    """
    v, width, horizon = len(channels), 12, 60.0
    beta = rng.uniform(0.002, 0.03, size=v)  # per day
    omega = rng.uniform(0.05, 1.0, size=v)  # per day
    counts = np.minimum(1 + rng.poisson(3.0, size=n), width)
    present = np.arange(width)[None, :] < counts[:, None]
    days = np.where(present, np.sort(rng.uniform(0, horizon, (n, width)), axis=1), np.inf)
    codes = rng.choice(v, size=(n, width), p=popularity)

    def cumulative(t: Any) -> Any:
        age = np.clip(t[:, None] - days, 0.0, None)
        return np.where(
            present, beta[codes] / omega[codes] * -np.expm1(-omega[codes] * age), 0.0
        ).sum(1)

    threshold = rng.exponential(1.0, n)
    converted = cumulative(np.full(n, horizon)) >= threshold
    low, high = np.zeros(n), np.full(n, horizon)
    for _ in range(50):
        mid = (low + high) / 2
        above = cumulative(mid) >= threshold
        high, low = np.where(above, mid, high), np.where(above, low, mid)
    end = np.where(converted, high, horizon)
    keep = present & (days <= end[:, None])
    hazard = np.where(keep, beta[codes] * np.exp(-omega[codes] * (end[:, None] - days)), 0.0)
    shares = hazard / np.maximum(hazard.sum(axis=1, keepdims=True), 1e-300)
    planted_raw = np.bincount(
        codes[keep & converted[:, None]], weights=shares[keep & converted[:, None]], minlength=v
    )
    start = 1.7e9
    table = JourneyTable(
        ids=[str(i) for i in range(n)],
        conversions=converted.astype(np.float64),
        nulls=(~converted).astype(np.float64),
        amounts=[None] * n,
        end_s=start + end * DAY,
        stage_s=np.full((n, 3), np.nan),
        offsets=np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int64),
        touch_s=start + days[keep] * DAY,
        dimensions={"channel": encode(np.array(channels, dtype=object)[codes[keep]])},
    )
    total = max(float(planted_raw.sum()), 1e-300)
    return table, dict(zip(channels, planted_raw / total, strict=True))


def _peak_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(fn: Callable[[], Any]) -> tuple[Any, tuple[float, float], tuple[float, float]]:
    """Run `fn` in a forked child: (result, (wall, CPU) seconds, (extra, whole) peak RSS MiB).

    `extra` is the peak over the resident set inherited at the fork (a lower bound: freed
    heap pages of the parent get reused); `whole` is the child's peak resident set, input and
    everything the parent held included (an upper bound)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
                clear.write("5")  # reset the peak resident set to the current one
            before = _rss_kib()
            start, cpu = time.perf_counter(), time.process_time()
            with contextlib.redirect_stdout(io.StringIO()):
                result = fn()
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            peak = _peak_kib()
            payload = pickle.dumps((result, (wall, cpu), ((peak - before) / 1024, peak / 1024)))
        except Exception as exc:  # report, never hang the parent
            payload = pickle.dumps((exc, (float("nan"), float("nan")), (float("nan"),) * 2))
        with os.fdopen(write, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as source:
        data = source.read()
    os.waitpid(pid, 0)
    result, wall, peak = pickle.loads(data)
    if isinstance(result, Exception):
        raise result
    return result, wall, peak


def _shares(conversions: Any, labels: list[str]) -> dict[str, float]:
    total = float(np.sum(conversions))
    return {label: float(c) / total for label, c in zip(labels, conversions, strict=True)}


def _table(frame: pd.DataFrame, step_days: bool = False) -> JourneyTable:
    """Parse the frame; with `step_days`, touches are one day apart, converting at the last
    (paths carry no times, and time decay needs some)."""
    table = table_from_paths(
        frame["path"],
        frame["total_conversions"].to_numpy(),
        frame["total_null"].to_numpy(),
    )
    if not step_days:
        return table
    position = np.arange(table.n_touches) - table.offsets[table.touch_journey]
    return replace(table, touch_s=position * DAY, end_s=(table.lengths - 1) * DAY)


def rel2rev_markov(frame: pd.DataFrame, order: int = 1) -> dict[str, float]:
    """Parse the frame and solve the exact chain (what a user would time)."""
    table = _table(frame)
    return _shares(
        model_credit(table, "markov", order=order).conversions, table.codes("channel")[1]
    )


def rel2rev_models(frame: pd.DataFrame, models: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Parse the frame once and run `models`."""
    table = _table(frame, step_days="time_decay" in models)
    labels = table.codes("channel")[1]
    return {m: _shares(model_credit(table, m).conversions, labels) for m in models}


def ca_markov(frame: pd.DataFrame, simulations: float = 1e5) -> dict[str, float]:
    """ChannelAttribution's `markov_model` (default: 1e5 simulations to start)."""
    from ChannelAttribution import markov_model  # imported by `main` before any timing

    out = markov_model(
        frame, "path", "total_conversions", var_null="total_null", nsim_start=simulations,
        verbose=False, flg_pro=False,
    )  # fmt: skip
    result = out if isinstance(out, pd.DataFrame) else out["result"]
    return _shares(result["total_conversions"].to_numpy(), [str(c) for c in result["channel_name"]])


def ca_heuristics(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """ChannelAttribution's `heuristic_models` (first, last, linear touch)."""
    from ChannelAttribution import heuristic_models  # imported by `main` before any timing

    out = heuristic_models(frame, "path", "total_conversions", flg_pro=False)
    labels = [str(c) for c in out["channel_name"]]
    return {
        col: _shares(out[col].to_numpy(), labels)
        for col in ("first_touch", "last_touch", "linear_touch")
    }


def max_deviation(a: dict[str, float], b: dict[str, float]) -> float:
    """Largest absolute share difference, in percentage points."""
    return 100.0 * max(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))


def l1_deviation(a: dict[str, float], b: dict[str, float]) -> float:
    """Sum of absolute share differences, in percentage points."""
    return 100.0 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))


def _row(
    name: str, times: tuple[float, float], peak: tuple[float, float], exact: str, planted: str
) -> None:
    (wall, cpu), (extra, whole) = times, peak
    memory = f"{extra:6.0f} {whole:6.0f}"
    print(f"  {name:<36} {wall:7.3f} {cpu:7.3f} {memory}   {exact:>12}   {planted:>14}")


def bench(n: int, seed: int, peer: bool, hazard: int) -> None:
    """One size: generate, run everything, print the table."""
    start = time.perf_counter()
    world = generate(n, seed, timed=hazard)
    print(
        f"\n{n:,} journeys, {len(world.paths):,} distinct paths, {world.touches:,} touches, "
        f"{int(world.paths['total_conversions'].sum()):,} conversions "
        f"(generated in {time.perf_counter() - start:.1f} s)"
    )
    header = (
        f"{'wall s':>7} {'CPU s':>7} {'+MiB':>6} {'RSS':>6}   {'max dev exact':>12}   "
        f"{'planted L1/max':>14}"
    )
    print(f"  {'model':<36} {header}")
    frame = world.paths
    exact, wall_exact, peak = measure(lambda: rel2rev_markov(frame))
    p = world.planted
    _row("rel2rev markov (exact, order 1)", wall_exact, peak, "0 (exact)",
         f"{l1_deviation(exact, p):.1f} / {max_deviation(exact, p):.1f}")  # fmt: skip
    heuristics = tuple(PRESETS)
    got, wall_heur, peak = measure(lambda: rel2rev_models(frame, heuristics))
    _row(f"rel2rev {len(heuristics)} position models", wall_heur, peak, "", "")
    for name in ("first", "last", "linear"):
        print(f"      {name:<30} planted L1 {l1_deviation(got[name], p):5.1f} pts")
    models = ("shapley", "shapley_rate")
    for name in models:
        shap, wall, peak = measure(lambda name=name: rel2rev_models(frame, (name,)))
        _row(f"rel2rev {name}", wall, peak, "",
             f"{l1_deviation(shap[name], p):.1f} / {max_deviation(shap[name], p):.1f}")  # fmt: skip
    order2, wall, peak = measure(lambda: rel2rev_markov(frame, order=2))
    _row("rel2rev markov (exact, order 2)", wall, peak, "",
         f"{l1_deviation(order2, p):.1f} / {max_deviation(order2, p):.1f}")  # fmt: skip
    if hazard:
        timed, tp = world.timed, world.timed_planted
        conversions = int(timed.conversions.sum())
        print(f"  timed hazard world: {hazard:,} journeys, {timed.n_touches:,} touches, ", end="")
        print(f"{conversions:,} conversions")
        for name in (
            "additive_hazard",
            "markov",
            "shapley",
            "shapley_rate",
            "time_decay",
            "linear",
        ):
            fitted, wall, peak = measure(
                lambda name=name: _shares(
                    model_credit(timed, name).conversions, timed.codes("channel")[1]
                )
            )
            _row(f"rel2rev {name} (timed world)", wall, peak, "",
                 f"{l1_deviation(fitted, tp):.1f} / {max_deviation(fitted, tp):.1f}")  # fmt: skip
    if not peer:
        return
    ca, wall_ca, peak = measure(lambda: ca_markov(frame))
    _row("ChannelAttribution markov_model", wall_ca, peak, f"{max_deviation(ca, exact):.2f} pts",
         f"{l1_deviation(ca, p):.1f} / {max_deviation(ca, p):.1f}")  # fmt: skip
    ca6, wall_ca6, peak = measure(lambda: ca_markov(frame, 1e6))
    _row("ChannelAttribution markov_model 1e6", wall_ca6, peak,
         f"{max_deviation(ca6, exact):.2f} pts",
         f"{l1_deviation(ca6, p):.1f} / {max_deviation(ca6, p):.1f}")  # fmt: skip
    ca_h, wall_cah, peak = measure(lambda: ca_heuristics(frame))
    dev = max(
        max_deviation(ca_h[c], got[m])
        for c, m in (("first_touch", "first"), ("last_touch", "last"), ("linear_touch", "linear"))
    )
    _row("ChannelAttribution heuristic_models", wall_cah, peak, f"{dev:.2f} pts vs ours", "")
    for kind, i in (("wall", 0), ("CPU", 1)):
        print(
            f"  {kind} ratios: CA markov / rel2rev exact markov = "
            f"{wall_ca[i] / wall_exact[i]:.1f}x; "
            f"CA 3 heuristics / rel2rev {len(heuristics)} position models = "
            f"{wall_cah[i] / wall_heur[i]:.2f}x"
        )


def write_touches(n: int, seed: int, path: Path) -> tuple[int, int]:
    """A seeded `touches` Parquet file of `n` journeys; (touches, conversions).

    Journeys as in `generate` (1 + Poisson(3) touches, P(convert) = Σ effects of the distinct
    channels), touches uniform over 90 days, rows in random order (a warehouse export need not
    be sorted). Per-journey columns repeat on every row of the journey: `converted`, `revenue`
    (decimal(12, 2), converting journeys only) and `conversion_ts` (the last touch plus up to
    three days, converting journeys only)."""
    rng = np.random.default_rng(seed)
    v = len(CHANNELS)
    popularity = rng.dirichlet(np.full(v, 2.0))
    effect = rng.uniform(0.002, 0.05, size=v)
    lengths = np.minimum(1 + rng.poisson(3.0, size=n), 12)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    codes = rng.choice(v, size=int(offsets[-1]), p=popularity)
    masks = np.bitwise_or.reduceat(np.left_shift(1, codes), offsets[:-1])
    members = ((masks[:, None] >> np.arange(v)) & 1).astype(np.float64)
    converted = rng.random(n) < members @ effect
    journey = np.repeat(np.arange(n), lengths)
    start = np.datetime64("2026-06-01T00:00:00", "us").astype(np.int64)
    ts = start + rng.integers(0, 90 * 86_400_000_000, size=len(codes))
    last = np.maximum.reduceat(ts, offsets[:-1])
    conversion = last + rng.integers(0, 3 * 86_400_000_000, size=n)
    cents = rng.integers(50_000, 5_000_000, size=n)
    pairs = zip(cents, converted, strict=True)
    revenue = [Decimal(int(c)).scaleb(-2) if k else None for c, k in pairs]
    order = rng.permutation(len(codes))
    j = journey[order]
    utc = pa.timestamp("us", tz="UTC")
    table = pa.table({
        "journey_id": pa.array(np.char.add("deal-", j.astype(str)).astype(object)),
        "ts": pa.array(ts[order], type=utc),
        "channel": pa.array(np.array(CHANNELS, dtype=object)[codes[order]]),
        "converted": pa.array(converted[j]),
        "revenue": pa.array(revenue, type=pa.decimal128(12, 2)).take(pa.array(j)),
        "conversion_ts": pa.array(np.where(converted, conversion, 0), type=utc,
                                  mask=~converted).take(pa.array(j)),
    })  # fmt: skip
    pq.write_table(table, path)
    return len(codes), int(converted.sum())


TOUCH_RUNS = (
    ("markov", ".parquet", ["--model", "markov"]),
    ("shapley", ".parquet", ["--model", "shapley"]),
    ("additive_hazard", ".parquet", ["--model", "additive_hazard"]),
    ("all models", ".parquet", []),
    ("all models, --out JSON", ".parquet", ["--out", "{out}/all.json"]),
    ("markov, CSV file", ".csv", ["--model", "markov"]),
)
"""The `rel2rev attribute --format touches` runs measured per size (name, input file, extra
arguments); the CSV file holds the same rows as the Parquet one."""


def touches_bench(sizes: list[int], seed: int, baseline: str | None, root: Path) -> None:
    """The whole `rel2rev attribute --format touches` process per size and run."""
    shared = worktree(baseline, root) if baseline else None
    print(f"{'journeys':>10} {'touches':>10} {'run':<24} {'tree':>9} {'wall s':>7} {'CPU s':>7} "
          f"{'peak GB':>8} {'× wall':>7} {'× RSS':>6}")  # fmt: skip
    for n in sizes:
        path = root / f"touches-{n}.parquet"
        touches, conversions = write_touches(n, seed, path)
        pacsv.write_csv(pq.read_table(path), path.with_suffix(".csv"))
        for name, suffix, extra in TOUCH_RUNS:
            args = ["attribute", "--input", str(path.with_suffix(suffix)), "--format", "touches",
                    "--currency", "EUR", *(a.format(out=root) for a in extra)]  # fmt: skip
            rows = [("current", run_cli(args))]
            if shared is not None:
                rows.append((baseline or "", run_cli(args, shared)))
            against = rows[-1][1]
            for tree, (wall, cpu, rss) in rows:
                print(f"{n:>10,} {touches:>10,} {name:<24} {tree[:9]:>9} {wall:>7.2f} "
                      f"{cpu:>7.2f} {rss:>8.2f} {wall / against[0]:>7.2f} "
                      f"{rss / against[2]:>6.2f}", flush=True)  # fmt: skip
        print(f"  ({conversions:,} conversions)")


def main() -> None:
    """Parse options and run every size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hazard", type=int, default=100_000, help="timed journeys for the hazard")
    parser.add_argument("--no-peer", action="store_true", help="skip ChannelAttribution")
    parser.add_argument("--touches", action="store_true", help="the touches file, end to end")
    parser.add_argument("--baseline", help="Git revision to measure beside (with --touches)")
    parser.add_argument("--keep", type=Path, help="keep the touches files here (with --touches)")
    args = parser.parse_args()
    if args.touches:
        root = args.keep or Path(tempfile.mkdtemp(prefix="rel2rev-bench-touches-"))
        root.mkdir(parents=True, exist_ok=True)
        touches_bench(sorted(args.sizes), args.seed, args.baseline, root)
        return
    if not args.no_peer:
        with contextlib.redirect_stdout(io.StringIO()):
            import ChannelAttribution  # noqa: F401  (its import time is not the models' time)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    for i, n in enumerate(args.sizes):
        bench(n, args.seed, not args.no_peer, args.hazard if i == 0 else 0)


if __name__ == "__main__":
    main()
