"""Benchmark: the whole modelling job on a folder of records (`rel2rev job`), at growing size.

For each world size it simulates a world (`rel2rev simulate --format parquet`), then runs
`rel2rev job` on it in a child process and reports the interactions read, wall time, CPU time
and the child's peak RSS, with each size's cost per interaction relative to the smallest size
(the baseline run in the same process). This is the baseline the columnar engine (issue
"The modelling job at real size") is measured against.

Usage: python bench/job.py [--accounts 1500 6000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

END = "2026-10-31"


_MEASURED = (
    "import resource, sys\n"
    "from rel2rev.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "use = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print(use.ru_utime + use.ru_stime, use.ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _child(args: list[str]) -> tuple[float, float, float]:
    """Run `rel2rev ARGS` in a child; its wall s, CPU s and peak RSS in GB."""
    clock = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - clock
    cpu, peak_kb = done.stderr.strip().splitlines()[-1].split()
    return wall, float(cpu), int(peak_kb) / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[1500, 6000])
    parser.add_argument("--keep", type=Path, help="Keep the worlds and outputs here")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="rel2rev-bench-job-"))
    rows = []
    for accounts in sorted(args.accounts):
        world, out = root / f"world-{accounts}", root / f"out-{accounts}"
        _child(["simulate", "--accounts", str(accounts), "--days", "365", "--end", END,
                "--out", str(world), "--format", "parquet"])  # fmt: skip
        wall, cpu, rss = _child(["job", "--input", str(world), "--as-of", END, "--out", str(out)])
        run = json.loads((out / "run.json").read_text())
        interactions = run["counts"]["interactions"]
        rows.append((accounts, interactions, wall, cpu, rss, run["status"]))
    base = rows[0]
    print(f"{'accounts':>9} {'interactions':>13} {'wall s':>8} {'CPU s':>8} {'peak GB':>8} "
          f"{'ms/inter':>9} {'× base':>7} {'KB/inter':>9} status")  # fmt: skip
    for accounts, interactions, wall, cpu, rss, status in rows:
        per = cpu / interactions * 1000
        print(f"{accounts:>9} {interactions:>13,} {wall:>8.1f} {cpu:>8.1f} {rss:>8.2f} "
              f"{per:>9.3f} {per / (base[3] / base[1] * 1000):>7.2f} "
              f"{rss * 1024**2 / interactions:>9.1f} {status}")  # fmt: skip


if __name__ == "__main__":
    main()
