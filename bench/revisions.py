"""Shared by the benchmarks: run `rel2rev` in a measured child, from this tree or a git revision."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_MEASURED = (
    "import resource, sys\n"
    "from rel2rev.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "use = resource.getrusage(resource.RUSAGE_SELF)\n"
    "peak = next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
    "print(use.ru_utime + use.ru_stime, peak, file=sys.stderr)\n"
    "sys.exit(code)\n"
)
"""The child: `ru_maxrss` survives `exec` (it would report a large parent's size), the
kernel's high-water mark of the child's own memory (`VmHWM`) does not."""


def run_cli(args: list[str], shared: Path | None = None) -> tuple[float, float, float]:
    """Run `rel2rev ARGS` in a child (from `shared` when given); wall s, CPU s, peak RSS GB.

    The whole process is measured: interpreter start, imports, reading, models and output."""
    env = dict(os.environ)
    if shared is not None:
        env["PYTHONPATH"] = str(shared)
    clock = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - clock
    if done.returncode != 0:
        raise RuntimeError(f"rel2rev {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    cpu, peak_kb = done.stderr.strip().splitlines()[-1].split()
    return wall, float(cpu), int(peak_kb) / 1024**2


def worktree(revision: str, root: Path) -> Path:
    """The `shared/` folder of `revision`, checked out under `root`."""
    tree = root / f"baseline-{revision}"
    if not tree.exists():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision],
            check=True,
            capture_output=True,
        )
    return tree / "shared"
