"""`rel2rev demo`: the main job on one command, on the embedded stack.

A seeded synthetic world is delivered as native signed webhooks of every source plus one
`rel2rev import` backfill, the job runs as the schedule would, finance pulls revenue
attribution through the API and reconciles every deal to the cent, and the exports and
`report.html` land in `--out`. See `rel2rev.demo.flow` for the steps.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from rel2rev.demo.flow import DemoConfig, DemoFlow
from rel2rev.demo.summary import print_summary
from rel2rev.errors import InputError
from rel2rev.local import LocalStack, swagger

HELP = "Run the whole flow locally: webhooks, job, finance API, report"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev demo`."""
    defaults = DemoConfig()
    parser.add_argument("--out", type=Path, default=defaults.out, help="output folder (out)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="world seed")
    parser.add_argument(
        "--accounts", type=int, default=defaults.accounts, help="companies in the world"
    )
    parser.add_argument("--days", type=int, default=defaults.days, help="days of history")
    parser.add_argument("--workspace", default=defaults.workspace, help="workspace name")
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="concurrent webhook senders"
    )
    parser.add_argument(
        "--keep-up",
        action="store_true",
        help="keep the stack, with the demo's data and API key, running until Ctrl-C",
    )
    parser.add_argument(
        "--port", type=int, default=8787, help="HTTP API port with --keep-up (default 8787)"
    )


def run(args: argparse.Namespace) -> int:
    """Run every step and print the summary; a failed step exits non-zero with its reason."""
    try:
        config = DemoConfig(
            out=args.out,
            seed=args.seed,
            accounts=args.accounts,
            days=args.days,
            workspace=args.workspace,
            workers=args.workers,
        )
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise InputError(f"--{error['loc'][0]}: {error['msg']}") from None
    console = Console()
    flow = DemoFlow(config, console)
    if not args.keep_up:
        print_summary(flow.run(), console)
        console.print(
            "To explore the API with this data: rel2rev demo --keep-up "
            "(an empty stack: rel2rev local up)"
        )
        return 0
    with LocalStack(port=args.port) as stack:
        print_summary(flow.run(stack), console)
        console.print(f"The stack stays up with the demo's data: API {stack.api_url}")
        console.print(f"  Swagger UI {stack.api_url}{swagger.DOCS_PATH}")
        console.print(f"  finance API key (bearer): {flow.api_key}")
        console.print(
            f"  try: curl -H 'Authorization: Bearer {flow.api_key}' {stack.api_url}/v1/runs"
        )
        console.print("Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopping")
    return 0
