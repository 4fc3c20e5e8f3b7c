"""`rel2rev funnel --input DIR`: funnel metrics over a folder of exports."""

from __future__ import annotations

import argparse
import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rel2rev.cli.args import add_encoding
from rel2rev.cli.formats import dataset_epilog
from rel2rev.cutoff import known_at
from rel2rev.dataset import decoding_error, read_dataset
from rel2rev.errors import InputError
from rel2rev.funnel import FunnelReport, QualificationConfig, funnel_metrics
from rel2rev.records import WorkspaceRecords

HELP = "Funnel metrics (capture → qualified → lead → opportunity → won) over exported records"
INSTANT = timedelta(microseconds=1)
"""The smallest step in time: `--as-of` is inclusive, a cut-off is not."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Options of `rel2rev funnel`."""
    add_common(parser)
    parser.add_argument(
        "--from", dest="start", help="period start (ISO date); default: first record"
    )
    parser.add_argument("--to", dest="end", help="period end, exclusive (ISO date); default: as-of")
    parser.add_argument("--by", choices=["channel", "campaign", "owner", "stakeholder"])
    parser.add_argument(
        "--cohort", choices=["month"], help="capture cohorts instead of event dates"
    )


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options shared with `rel2rev survival` (and the input format, as the help's epilog)."""
    parser.epilog = dataset_epilog()
    parser.add_argument(
        "--input", required=True, type=Path, help="folder of JSONL/CSV/Parquet exports"
    )
    add_encoding(parser, "JSONL and CSV exports")
    parser.add_argument("--as-of", help="ISO datetime (UTC if no zone); default: latest record")
    parser.add_argument("--config", type=Path, help="qualification rule as a JSON file")
    parser.add_argument("--out", type=Path, help="write the result to .json, .csv or .parquet")


def parse_moment(value: str, option: str) -> datetime:
    """An ISO date or datetime; naive values are read as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{option}: {value!r} is not an ISO date or datetime") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_config(path: Path | None) -> QualificationConfig:
    """The qualification rule from a JSON file, or the defaults."""
    if path is None:
        return QualificationConfig()
    try:
        return QualificationConfig.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except UnicodeDecodeError:
        raise decoding_error(path, "utf-8", hint="a JSON config is UTF-8 text") from None
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        raise InputError(f"--config {path}: {str(exc).splitlines()[0]}") from exc


def moments(records: WorkspaceRecords) -> list[datetime]:
    """Every event moment in the records."""
    found: list[datetime | None] = [i.occurred_at for i in records.interactions]
    found += [c.created_at for c in records.contacts]
    found += [lead.created_at for lead in records.leads]
    found += [m for d in records.deals for m in (d.created_at, d.closed_at)]
    return [m for m in found if m is not None]


def default_as_of(records: WorkspaceRecords, value: str | None) -> datetime:
    """`--as-of`, or the latest moment in the records."""
    if value is not None:
        return parse_moment(value, "--as-of")
    seen = moments(records)
    if not seen:
        raise InputError("the records hold no dated event; pass --as-of")
    return max(seen)


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    """Flat rows to CSV or Parquet (by suffix)."""
    if path.suffix == ".csv":
        names = list(dict.fromkeys(k for r in rows for k in r))
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=names)
            writer.writeheader()
            writer.writerows(rows)
    elif path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        raise InputError(f"--out {path}: use a .json, .csv or .parquet file")


def _print(report: FunnelReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"Funnel {report.workspace} "
        f"({report.period_from:%Y-%m-%d} – {report.period_to:%Y-%m-%d})"
    )
    for name in (
        "cohort",
        "segment",
        "captured",
        "qualified",
        "lead",
        "opp.",
        "won",
        "lost",
        "win rate",
        "revenue",
        "RoR",
    ):
        table.add_column(
            name, justify="left" if name in {"cohort", "segment", "revenue"} else "right"
        )
    for row in [*report.segments, report.total]:
        c = row.counts
        table.add_row(
            row.cohort or "", row.segment or "(all)", str(c.captured), str(c.qualified),
            str(c.lead), str(c.opportunity), str(c.won), str(c.lost),
            f"{row.win_rate:.0%}" if row.win_rate is not None else "–",
            ", ".join(str(m) for m in row.revenue) or "–",
            ", ".join(f"{k} {v}" for k, v in row.return_on_relationships.items()) or "–",
        )  # fmt: skip
    Console().print(table)


def run(args: argparse.Namespace) -> int:
    """Compute, print and optionally write the funnel report."""
    records = read_dataset(args.input, encoding=args.encoding)
    as_of = default_as_of(records, args.as_of)
    records = known_at(records, as_of + INSTANT)  # as known at that moment: nothing later
    start = parse_moment(args.start, "--from") if args.start else min(moments(records))
    end = parse_moment(args.end, "--to") if args.end else as_of + INSTANT
    if start >= end:
        raise InputError("--from must be before --to")
    report = funnel_metrics(
        records, as_of=as_of, period=(start, end), by=args.by, cohort=args.cohort,
        config=load_config(args.config),
    )  # fmt: skip
    _print(report)
    if args.out is not None:
        if args.out.suffix == ".json":
            args.out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
        else:
            write_rows(report.rows(), args.out)
    return 0
