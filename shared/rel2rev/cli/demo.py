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

from rel2rev.cli.local import shell_exports
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


def keep_up_guide(stack: LocalStack, api_key: str, workspace: str) -> list[str]:
    """What `demo --keep-up` prints once the demo ran: the API, the key, the environment the
    CLI needs, and commands that work as printed (one per line, never wrapped)."""
    bearer = f"-H 'Authorization: Bearer {api_key}'"
    api = stack.api_url
    return [
        f"The stack stays up with the demo's data: API {api}",
        f"  Swagger UI {api}{swagger.DOCS_PATH} (Authorize with the key below)",
        f"  finance API key (bearer): {api_key}",
        "  the finance API, with curl:",
        f"    curl {bearer} {api}/v1/runs",
        "    # RUN_ID from /v1/runs; the url of each export downloads it (report.html too)",
        f"    curl {bearer} {api}/v1/runs/RUN_ID/exports",
        f"    curl {bearer} -H 'Accept: text/csv' '{api}/v1/attribution/deals?model=linear'",
        "  the CLI, from another shell: paste these lines first",
        *(f"    {line}" for line in shell_exports(stack.env)),
        f"    rel2rev keys list --workspace {workspace}",
        f"    rel2rev keys create --workspace {workspace} --name 'my script'",
        f"    rel2rev run --workspace {workspace}",
        "Ctrl-C to stop.",
    ]


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
        for line in keep_up_guide(stack, flow.api_key, flow.config.workspace):
            console.print(line, soft_wrap=True, markup=False, highlight=False)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopping")
    return 0
