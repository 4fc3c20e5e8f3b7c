"""`rel2rev erase --workspace W --email X`: forget a person (right to erasure).

Removes the person's contacts (merged ones too), identifiers, interactions, leads, deal roles,
quarantined events and past relationship rows, deletes or rewrites their raw requests in the
archive, and keeps a receipt holding only hashes (docs/data-model.md, "Erasure"). Runs the same
composition root as ErasureFunction, here and now, against the stack the environment names
(`REL2REV_TABLE_NAME`, `REL2REV_ARCHIVE_BUCKET`, `REL2REV_RESULTS_TABLE`, connections).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from rel2rev.erasure import ErasureReceipt, ErasureRequest
from rel2rev.errors import InputError
from rel2rev.records import Identifier, IdentifierKind
from rel2rev.settings import erasure_settings
from rel2rev.storage import eraser

HELP = "Forget a person: records, quarantine, past results and raw archive (right to erasure)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `rel2rev erase`."""
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--email", action="append", default=[], help="An e-mail of the person")
    parser.add_argument("--phone", action="append", default=[], help="A phone of the person")
    parser.add_argument(
        "--identifier",
        action="append",
        default=[],
        metavar="KIND:VALUE",
        help=f"Any identifier ({', '.join(k.value for k in IdentifierKind)}), e.g. hubspot:501",
    )
    parser.add_argument("--json", action="store_true", help="Print the receipt as JSON")


def identifiers_of(args: argparse.Namespace) -> list[Identifier]:
    """The identifiers the arguments name; `InputError` naming a malformed one."""
    pairs = [
        *(("email", v) for v in args.email),
        *(("phone", v) for v in args.phone),
        *(tuple(v.split(":", 1)) if ":" in v else ("", v) for v in args.identifier),
    ]
    if not pairs:
        raise InputError("name the person: --email, --phone or --identifier KIND:VALUE")
    found = []
    for kind, value in pairs:
        try:
            found.append(Identifier(kind=kind, value=value))  # type: ignore[arg-type]
        except ValidationError:
            raise InputError(f"not an identifier: {kind or '?'}:{value!r}") from None
    return found


def show(receipt: ErasureReceipt) -> None:
    """The receipt as a table."""
    table = Table(title=f"Erasure {receipt.erasure_id} of {receipt.workspace}: {receipt.status}")
    table.add_column("removed")
    table.add_column("count", justify="right")
    for name, count in receipt.counts.model_dump().items():
        table.add_row(name.replace("_", " "), str(count))
    Console().print(table)


def run(args: argparse.Namespace) -> int:
    """Erase and print the receipt."""
    request = ErasureRequest.new(args.workspace, identifiers_of(args), datetime.now(UTC), "cli")
    console = Console(stderr=True)
    with console.status("erasing…"):
        receipt = eraser(erasure_settings()).erase(request, datetime.now(UTC), progress=console.log)
    if args.json:
        sys.stdout.write(receipt.model_dump_json() + "\n")
    else:
        show(receipt)
    return 0
