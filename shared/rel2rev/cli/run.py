"""`rel2rev run --workspace W [--as-of DATE]`: run the modelling job now, against a stack.

Runs in this process with the stack's environment (`REL2REV_TABLE_NAME`,
`REL2REV_RESULTS_TABLE`, `REL2REV_EXPORTS_BUCKET`, and `AWS_ENDPOINT_URL` for the local
stack), exactly as the job function would: same run id for the same (workspace, as-of,
parameters), results and exports stored, the run record printed.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from pydantic import ValidationError

from rel2rev.cli.args import day
from rel2rev.errors import InputError
from rel2rev.results.contracts import RunParameters, RunStatus

HELP = "Run the modelling job for a workspace now (results, exports, run record)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev run`."""
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--as-of", type=day, help="Last day of the window (default: today, UTC)")
    parser.add_argument("--window-days", type=int, default=RunParameters().window_days)
    parser.add_argument("--lookback-days", type=int, default=RunParameters().lookback_days)


def run(args: argparse.Namespace) -> int:
    """Execute the run and print its record; exit 1 if the run failed."""
    from rel2rev.job.root import job_root

    try:
        parameters = RunParameters(window_days=args.window_days, lookback_days=args.lookback_days)
        root = job_root()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"invalid settings: {first['loc']}: {first['msg']}") from None
    final = root.run_now(args.workspace, args.as_of or datetime.now(UTC).date(), parameters, "cli")
    sys.stdout.write(final.model_dump_json(indent=2) + "\n")
    return 1 if final.status is RunStatus.FAILED else 0
