"""The `rel2rev` command line: one lazily imported module per sub-command.

Each module in COMMANDS exposes `HELP: str`, `configure(parser)` and `run(args) -> int`.
Only the chosen sub-command's module is imported, so `rel2rev --help` stays fast. A module may
set its parser's `epilog` in `configure` (the input formats); it is printed as written.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from rel2rev import __version__
from rel2rev.errors import Rel2revError

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module, one-line help)
    "simulate": ("rel2rev.cli.simulate", "Generate a seeded synthetic world and its ground truth"),
    "import": ("rel2rev.cli.importer", "Import a CSV/JSONL file of generic events (backfill)"),
    "backfill": ("rel2rev.cli.backfill", "Pull a CRM's history through its API (HubSpot)"),
    "attribute": ("rel2rev.cli.attribute", "Attribute conversions and revenue to channels"),
    "funnel": ("rel2rev.cli.funnel", "Funnel metrics over a folder of exported records"),
    "survival": ("rel2rev.cli.survival", "Time-to-conversion statistics of a funnel transition"),
    "keys": ("rel2rev.cli.keys", "Create, list or revoke the finance API keys of a workspace"),
    "costs": ("rel2rev.cli.costs", "Import, list or delete costs per channel and month"),
    "run": ("rel2rev.cli.run", "Run the modelling job for a workspace now"),
    "job": ("rel2rev.cli.job", "Run the modelling job on a folder of records (no stack needed)"),
    "local": ("rel2rev.cli.local", "Run the embedded local stack (moto + the template's HTTP API)"),
    "replay": ("rel2rev.cli.replay", "Replay archived webhook requests through the processor"),
    "quarantine": (
        "rel2rev.cli.quarantine",
        "List quarantined events of a workspace, or send them through the queue again",
    ),
    "erase": ("rel2rev.cli.erase", "Forget a person everywhere rel2rev keeps them (erasure)"),
    "demo": ("rel2rev.cli.demo", "Run the whole flow locally: webhooks, job, finance API, report"),
}


def _load(name: str) -> ModuleType:
    return importlib.import_module(COMMANDS[name][0])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rel2rev` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="rel2rev", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"rel2rev {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = args[0] if args and args[0] in COMMANDS else None
    for name, (_, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == chosen:
            _load(name).configure(command_parser)
    ns = parser.parse_args(args)
    try:
        code: int = _load(ns.command).run(ns)
    except Rel2revError as exc:
        print(f"rel2rev {ns.command}: {exc.message}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:  # a reader that does not name the file: still no traceback
        print(
            f"rel2rev {ns.command}: input is not valid {exc.encoding} text (byte offset "
            f"{exc.start} of the text being decoded): {exc.reason}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
