"""`rel2rev simulate`: write a seeded synthetic world and its ground truth to a folder."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from rel2rev.dataset import FORMATS
from rel2rev.errors import InputError
from rel2rev.simulate import WorldConfig, simulate_world, write_world

HELP = "Generate a seeded synthetic world (records + ground truth) into a folder"


def _date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def configure(parser: argparse.ArgumentParser) -> None:
    """Flags of `rel2rev simulate`."""
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--accounts", type=int, default=60, help="companies (default 60)")
    parser.add_argument("--employees", type=int, default=6, help="relationship owners")
    parser.add_argument("--days", type=int, default=240, help="days of history (default 240)")
    parser.add_argument("--end", type=_date, help="end of the history (default: today, UTC)")
    parser.add_argument("--workspace", default="demo", help="workspace name (default demo)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument(
        "--format", choices=FORMATS, default="jsonl", help="records file format (default jsonl)"
    )


def run(args: argparse.Namespace) -> int:
    """Generate the world and write it; print what was written."""
    options: dict[str, object] = {
        "seed": args.seed,
        "accounts": args.accounts,
        "employees": args.employees,
        "days": args.days,
        "workspace": args.workspace,
    }
    if args.end is not None:
        options["end"] = args.end
    try:
        config = WorldConfig.model_validate(options)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise InputError(f"--{error['loc'][0]}: {error['msg']}") from None
    world = simulate_world(config)
    files = write_world(world, args.out, fmt=args.format)
    counts = world.truth.counts
    print(
        f"world seed {config.seed}: {counts.accounts} accounts, {counts.contacts} contacts, "
        f"{counts.interactions} interactions, {counts.leads} leads, deals "
        f"{counts.deals_won} won / {counts.deals_lost} lost / {counts.deals_open} open"
    )
    for path in files:
        print(f"  {path}")
    return 0
