"""`rel2rev job --input DIR --as-of DATE --out DIR [--engine duckdb|spark]`: the scheduled job
on a folder of records.

Reads what `rel2rev simulate` writes (contacts, interactions, leads, deals as JSONL, CSV or
Parquet), selects what a run of the window reads exactly as the records table would, runs
every section through the job's own `execute_run`, and writes the exports, the report, the
results (`results.json`, the contract the API serves) and the run record (`run.json`).
Costs per channel and month (`--costs`, or `costs.csv` in the input folder) give the returns
section its spend.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rel2rev.cli.args import add_encoding, day
from rel2rev.cli.formats import dataset_epilog
from rel2rev.engine.backends import ENGINES
from rel2rev.results.contracts import RunParameters, RunStatus, new_run

COSTS_FILE = "costs.csv"
HELP = "Run every section of the modelling job on a folder of records (exports, report, results)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev job` (and the input format, as the help's epilog)."""
    parser.epilog = dataset_epilog()
    parser.add_argument("--input", type=Path, required=True, help="Folder of records")
    add_encoding(parser, "JSONL and CSV records")
    parser.add_argument("--as-of", type=day, required=True, help="Last day of the window")
    parser.add_argument("--out", type=Path, required=True, help="Folder to write into")
    parser.add_argument("--workspace", help="Workspace (default: the records' own)")
    parser.add_argument(
        "--costs",
        type=Path,
        help="Costs CSV (month, channel, campaign, amount, currency; see `rel2rev costs "
        "import --help`); default: costs.csv in the input folder when there is one",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="Where the journeys are built: DuckDB in this process, or Spark in local mode",
    )
    parser.add_argument("--window-days", type=int, default=RunParameters().window_days)
    parser.add_argument("--lookback-days", type=int, default=RunParameters().lookback_days)


def run(args: argparse.Namespace) -> int:
    """Run the job on the folder; print each section's outcome; exit 1 if the run failed."""
    from rel2rev.dataset import read_dataset
    from rel2rev.job.root import folder_root
    from rel2rev.spend import read_cost_file

    console = Console()
    with console.status(f"reading {args.input}"):
        records = read_dataset(args.input, workspace=args.workspace, encoding=args.encoding)
        default = args.input / COSTS_FILE
        costs_file = args.costs or (default if default.is_file() else None)
        costs = read_cost_file(costs_file, encoding=args.encoding) if costs_file else []
    parameters = RunParameters(window_days=args.window_days, lookback_days=args.lookback_days)
    run = new_run(
        args.workspace or records.workspace,
        args.as_of,
        parameters,
        trigger="cli",
        now=datetime.now(UTC),
    )
    with console.status("running every section"):
        final = folder_root(records, args.out, args.engine, costs).execute(run)
    table = Table(title=f"Run {final.run_id}: {final.status.value}")
    for column in ("section", "status", "seconds", "error"):
        table.add_column(column)
    for section in final.sections:
        table.add_row(
            section.name,
            section.status.value,
            f"{section.seconds:.2f}" if section.seconds is not None else "",
            section.error or "",
        )
    console.print(table)
    console.print(f"{len(final.exports)} files, results and run record in {args.out}")
    if final.error:
        console.print(f"[red]{final.error}[/red]")
    return 1 if final.status is RunStatus.FAILED else 0
