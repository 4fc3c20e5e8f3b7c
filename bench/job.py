"""Benchmark: the whole modelling job on a folder of records (`rel2rev job`), at growing size.

For each world size it simulates a world (`rel2rev simulate --format parquet`), then runs
`rel2rev job` on it in a child process and reports the interactions read, wall time, CPU time
and the child's peak RSS. With `--baseline REV`, the same job from git revision REV (checked
out into a temporary worktree) runs on the same world right after, and each row prints the
ratios current / baseline; without it, the ratios are against the smallest size. With
`--engine spark`, the current job builds its journeys on Spark in local mode.

Usage: python bench/job.py [--accounts 1500 6000] [--baseline REV] [--engine duckdb|spark]
       [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from revisions import run_cli, worktree

END = "2026-10-31"


def _job(world: Path, out: Path, extra: list[str], shared: Path | None) -> tuple[float, ...]:
    wall, cpu, rss = run_cli(["job", "--input", str(world), "--as-of", END, "--out", str(out),
                             *extra], shared)  # fmt: skip
    run = json.loads((out / "run.json").read_text())
    attribution = next(s["seconds"] for s in run["sections"] if s["name"] == "attribution")
    return run["counts"]["interactions"], wall, cpu, rss, attribution


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[1500, 6000])
    parser.add_argument("--baseline", help="Git revision to measure beside the current job")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--keep", type=Path, help="Keep the worlds and outputs here")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="rel2rev-bench-job-"))
    baseline = worktree(args.baseline, root) if args.baseline else None
    print(f"{'accounts':>9} {'interactions':>13} {'job':>9} {'wall s':>8} {'CPU s':>8} "
          f"{'attrib s':>8} {'peak GB':>8} {'ms/inter':>9} {'KB/inter':>9} {'× wall':>7} "
          f"{'× RSS':>6}")  # fmt: skip
    first: tuple[float, ...] | None = None
    for accounts in sorted(args.accounts):
        world = root / f"world-{accounts}"
        if not world.exists():
            run_cli(["simulate", "--accounts", str(accounts), "--days", "365", "--end", END,
                    "--out", str(world), "--format", "parquet"])  # fmt: skip
        current = _job(world, root / f"out-{accounts}", ["--engine", args.engine], None)
        rows = [("current", current)]
        if baseline is not None:
            rows.append(("baseline", _job(world, root / f"base-{accounts}", [], baseline)))
        against = rows[1][1] if len(rows) > 1 else (first or current)
        first = first or current
        for name, (interactions, wall, cpu, rss, attribution) in rows:
            print(f"{accounts:>9} {int(interactions):>13,} {name:>9} {wall:>8.1f} {cpu:>8.1f} "
                  f"{attribution:>8.1f} {rss:>8.2f} {cpu / interactions * 1000:>9.3f} "
                  f"{rss * 1024**2 / interactions:>9.1f} {wall / against[1]:>7.2f} "
                  f"{rss / against[3]:>6.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
