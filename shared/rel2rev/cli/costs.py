"""`rel2rev costs import|list|delete --workspace W`: what each channel and campaign cost.

The lines go to the results table, where every run reads the months it needs (the returns
section). Reads the table name from `REL2REV_RESULTS_TABLE` (the stack's environment, as the
functions do).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.table import Table

from rel2rev.api.models import CostLineBody
from rel2rev.cli.args import add_encoding
from rel2rev.errors import InputError
from rel2rev.funnel.stages import sum_money
from rel2rev.money import Money
from rel2rev.spend import CostLine, Month, read_cost_file
from rel2rev.spend import file as cost_file
from rel2rev.storage.costs import CostStore, cost_store

HELP = "Import, list or delete costs per channel and month"
FIRST_MONTH, LAST_MONTH = "0000-01", "9999-12"
_MONTH: TypeAdapter[str] = TypeAdapter(Month)


def month(value: str) -> str:
    """A `YYYY-MM` argument."""
    try:
        return _MONTH.validate_python(value)
    except ValidationError:
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {value!r}") from None


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev costs` (and the costs file format, as the help's epilog)."""
    epilog = cost_file.__doc__ or ""
    parser.epilog = epilog
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    importing = actions.add_parser(
        "import",
        help="Store the lines of a costs CSV file (each replaces the stored line of its key)",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    importing.add_argument("file", type=Path, help="CSV file of cost lines")
    importing.add_argument(
        "--currency", metavar="XXX", help="ISO 4217 currency of every row (the file has none)"
    )
    add_encoding(importing, "file")
    listing = actions.add_parser("list", help="List stored lines of a month range")
    listing.add_argument("--from", dest="first", type=month, metavar="YYYY-MM")
    listing.add_argument("--to", dest="last", type=month, metavar="YYYY-MM")
    delete = actions.add_parser("delete", help="Delete the stored lines of a month range")
    delete.add_argument("--from", dest="first", type=month, metavar="YYYY-MM", required=True)
    delete.add_argument("--to", dest="last", type=month, metavar="YYYY-MM", required=True)
    for sub in (importing, listing, delete):
        sub.add_argument("--workspace", required=True)
    for sub in (importing, listing):
        sub.add_argument("--json", action="store_true", help="Print JSON instead of a table")


def _store() -> CostStore:
    try:
        return cost_store()
    except ValidationError as exc:
        raise InputError(
            "REL2REV_RESULTS_TABLE is not set: point the environment at a stack "
            "(e.g. `rel2rev local up` prints it)"
        ) from exc


def _months(args: argparse.Namespace) -> tuple[str, str]:
    first, last = args.first or FIRST_MONTH, args.last or LAST_MONTH
    if first > last:
        raise InputError(f"--from {first} is after --to {last}")
    return first, last


def _spans(months: Sequence[str]) -> str:
    """Sorted months as runs of consecutive months (`2026-01..2026-03, 2026-05`): a gap is
    a month without costs, where no return can be given."""
    runs: list[tuple[str, str]] = []
    previous = 0
    for text in months:
        year, number = map(int, text.split("-"))
        index = year * 12 + number
        if runs and index == previous + 1:
            runs[-1] = (runs[-1][0], text)
        else:
            runs.append((text, text))
        previous = index
    return ", ".join(a if a == b else f"{a}..{b}" for a, b in runs)


def _money(amounts: Sequence[Money]) -> str:
    return ", ".join(str(m) for m in amounts) or "—"


def _imported(workspace: str, lines: Sequence[CostLine], as_json: bool) -> None:
    spend = sum_money(line.amount for line in lines)
    by_channel: dict[str, list[CostLine]] = defaultdict(list)
    for line in lines:
        by_channel[line.channel].append(line)
    channels = {
        channel: sorted({line.month for line in found})
        for channel, found in sorted(by_channel.items())
    }
    if as_json:
        summary = {
            "workspace": workspace,
            "stored": len(lines),
            "spend": [m.model_dump(mode="json") for m in spend],
            "channels": [{"channel": c, "months": months} for c, months in channels.items()],
        }
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    table = Table(title=f"Stored {len(lines)} cost lines of {workspace}: {_money(spend)}")
    for column in ("channel", "months", "lines", "spend"):
        table.add_column(column, overflow="fold")
    for channel, months in channels.items():
        found = by_channel[channel]
        table.add_row(
            channel,
            _spans(months),
            str(len(found)),
            _money(sum_money(line.amount for line in found)),
        )
    Console(width=max(Console().width, 100)).print(table)


def _listed(workspace: str, lines: Sequence[CostLine], as_json: bool) -> None:
    if as_json:
        rows = [CostLineBody.of(line).model_dump(mode="json") for line in lines]
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    table = Table(title=f"Cost lines of {workspace}: {len(lines)}")
    for column in ("month", "channel", "campaign", "amount", "currency"):
        table.add_column(column, overflow="fold", justify="right" if column == "amount" else "left")
    for line in lines:
        amount = line.amount
        row = (line.month, line.channel, line.campaign or "", str(amount.amount), amount.currency)
        table.add_row(*row)
    Console(width=max(Console().width, 100)).print(table)


def run(args: argparse.Namespace) -> int:
    """Execute `rel2rev costs ACTION`."""
    if args.action == "import":
        lines = read_cost_file(args.file, currency=args.currency, encoding=args.encoding)
        _store().put(args.workspace, lines)
        _imported(args.workspace, lines, args.json)
        return 0
    first, last = _months(args)
    if args.action == "list":
        _listed(args.workspace, _store().lines(args.workspace, first, last), args.json)
        return 0
    deleted = _store().delete(args.workspace, first, last)
    print(f"deleted {deleted} cost lines of {args.workspace} from {first} to {last}")
    return 0
