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
planted effects. Usage: `python bench/attribution.py [--sizes 100000 1000000] [--no-peer]`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

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
    return World(frame, planted, n, total, _timed(rng, channels, popularity, effect, timed))


def _timed(
    rng: np.random.Generator, channels: tuple[str, ...], popularity: Any, effect: Any, n: int
) -> JourneyTable:
    """`n` journeys with touch times over 60 days; converters convert 0-3 days after the last."""
    v = len(channels)
    lengths = np.minimum(1 + rng.poisson(3.0, size=n), 12)
    total = int(lengths.sum())
    codes = rng.choice(v, size=total, p=popularity)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    journey = np.repeat(np.arange(n), lengths)
    times = 1.7e9 + rng.uniform(0, 60 * DAY, size=total)
    order = np.lexsort((times, journey))
    times = times[order]
    masks = np.bitwise_or.reduceat(np.left_shift(1, codes), offsets[:-1])
    probability = ((masks[:, None] >> np.arange(v)) & 1) @ effect
    converted = rng.random(n) < probability
    last = times[offsets[1:] - 1]
    end = np.where(converted, last + rng.uniform(0, 3 * DAY, size=n), 1.7e9 + 90 * DAY)
    return JourneyTable(
        ids=[str(i) for i in range(n)],
        conversions=converted.astype(np.float64),
        nulls=(~converted).astype(np.float64),
        amounts=[None] * n,
        end_s=end,
        stage_s=np.full((n, 3), np.nan),
        offsets=offsets,
        touch_s=times,
        dimensions={"channel": encode(np.array(channels, dtype=object)[codes])},
    )


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


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run `fn` in a forked child: (result, wall seconds, extra peak resident MiB)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
                clear.write("5")  # reset the peak resident set to the current one
            before = _rss_kib()
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                result = fn()
            wall = time.perf_counter() - start
            payload = pickle.dumps((result, wall, (_peak_kib() - before) / 1024.0))
        except Exception as exc:  # report, never hang the parent
            payload = pickle.dumps((exc, float("nan"), float("nan")))
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
        frame["path"].tolist(),
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


def ca_markov(frame: pd.DataFrame) -> dict[str, float]:
    """ChannelAttribution's default `markov_model`."""
    from ChannelAttribution import markov_model

    out = markov_model(
        frame, "path", "total_conversions", var_null="total_null", verbose=False, flg_pro=False
    )
    result = out if isinstance(out, pd.DataFrame) else out["result"]
    return _shares(result["total_conversions"].to_numpy(), [str(c) for c in result["channel_name"]])


def ca_heuristics(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """ChannelAttribution's `heuristic_models` (first, last, linear touch)."""
    from ChannelAttribution import heuristic_models

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


def _row(name: str, wall: float, peak: float, exact: str, planted: str) -> None:
    print(f"  {name:<34} {wall:8.3f} s {peak:9.1f} MiB   {exact:>12}   {planted:>16}")


def bench(n: int, seed: int, peer: bool, hazard: int) -> None:
    """One size: generate, run everything, print the table."""
    start = time.perf_counter()
    world = generate(n, seed, timed=hazard)
    print(
        f"\n{n:,} journeys, {len(world.paths):,} distinct paths, {world.touches:,} touches, "
        f"{int(world.paths['total_conversions'].sum()):,} conversions "
        f"(generated in {time.perf_counter() - start:.1f} s)"
    )
    header = f"{'wall':>10} {'peak extra':>13}   {'max dev exact':>12}   {'planted L1/max':>16}"
    print(f"  {'model':<34} {header}")
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
    models = ("shapley", "shapley_simplified")
    for name in models:
        shap, wall, peak = measure(lambda name=name: rel2rev_models(frame, (name,)))
        _row(f"rel2rev {name}", wall, peak, "",
             f"{l1_deviation(shap[name], p):.1f} / {max_deviation(shap[name], p):.1f}")  # fmt: skip
    order2, wall, peak = measure(lambda: rel2rev_markov(frame, order=2))
    _row("rel2rev markov (exact, order 2)", wall, peak, "",
         f"{l1_deviation(order2, p):.1f} / {max_deviation(order2, p):.1f}")  # fmt: skip
    if hazard:
        timed = world.timed
        fitted, wall, peak = measure(
            lambda: _shares(
                model_credit(timed, "additive_hazard").conversions, timed.codes("channel")[1]
            )
        )
        _row(f"rel2rev additive_hazard ({hazard:,} timed)", wall, peak, "",
             f"{l1_deviation(fitted, p):.1f} / {max_deviation(fitted, p):.1f}")  # fmt: skip
    if not peer:
        return
    ca, wall_ca, peak = measure(lambda: ca_markov(frame))
    _row("ChannelAttribution markov_model", wall_ca, peak, f"{max_deviation(ca, exact):.2f} pts",
         f"{l1_deviation(ca, p):.1f} / {max_deviation(ca, p):.1f}")  # fmt: skip
    ca_h, wall_cah, peak = measure(lambda: ca_heuristics(frame))
    dev = max(
        max_deviation(ca_h[c], got[m])
        for c, m in (("first_touch", "first"), ("last_touch", "last"), ("linear_touch", "linear"))
    )
    _row("ChannelAttribution heuristic_models", wall_cah, peak, f"{dev:.2f} pts vs ours", "")
    print(
        f"  ratios: CA markov / rel2rev exact markov = {wall_ca / wall_exact:.1f}x; "
        f"CA 3 heuristics / rel2rev {len(heuristics)} position models = {wall_cah / wall_heur:.2f}x"
    )


def main() -> None:
    """Parse options and run every size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hazard", type=int, default=100_000, help="timed journeys for the hazard")
    parser.add_argument("--no-peer", action="store_true", help="skip ChannelAttribution")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    for i, n in enumerate(args.sizes):
        bench(n, args.seed, not args.no_peer, args.hazard if i == 0 else 0)


if __name__ == "__main__":
    main()
