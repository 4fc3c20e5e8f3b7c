"""`rel2rev attribute`: run attribution models on a `touches` or `paths` file."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from rel2rev.attribution import ALL_MODELS, AttributionReport, run_models
from rel2rev.attribution.baseline import BASELINE
from rel2rev.attribution.io import FORMATS, read_input
from rel2rev.attribution.report import DealLines
from rel2rev.attribution.run import MODEL_ALIASES
from rel2rev.cli.args import add_encoding
from rel2rev.cli.formats import attribute_epilog
from rel2rev.errors import InputError
from rel2rev.money import is_known_currency

HELP = "Attribute conversions and revenue to channels (or any touch dimension)."
OUTPUTS = (".csv", ".json", ".parquet")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's options (and the input formats, as the help's epilog)."""
    parser.epilog = attribute_epilog()
    parser.add_argument("--input", required=True, type=Path, help="CSV, JSONL or Parquet file")
    parser.add_argument("--format", required=True, choices=FORMATS, help="touches or paths")
    parser.add_argument(
        "--model", nargs="+", action="extend", metavar="NAME",
        help=f"models to run (default: all): {' '.join(ALL_MODELS)}",
    )  # fmt: skip
    parser.add_argument("--by", default="channel", help="touch dimension to credit")
    parser.add_argument("--order", type=int, default=1, help="Markov order (default 1)")
    parser.add_argument("--out", type=Path, help="write results to FILE.csv, .json or .parquet")
    parser.add_argument(
        "--currency", metavar="XXX",
        help="ISO 4217 currency of amounts whose row has none (no default: an amount without "
        "a currency is an error)",
    )  # fmt: skip
    add_encoding(parser)
    parser.add_argument("--half-life-days", type=float, default=7.0, help="time decay half-life")
    parser.add_argument(
        "--hazard-decay", default="per_value", metavar="per_value|shared|DAYS",
        help="additive hazard decay: one per value, one shared, or a fixed half-life in days",
    )  # fmt: skip
    parser.add_argument("--holdout", type=float, default=0.0, help="fraction held out to score")
    parser.add_argument("--bootstrap", type=int, default=0, help="bootstrap draws for intervals")
    parser.add_argument("--seed", type=int, default=0, help="seed of holdout and bootstrap")


def _decay(text: str) -> str | timedelta:
    if text in ("per_value", "shared"):
        return text
    try:
        days = float(text)
    except ValueError:
        raise InputError("--hazard-decay: per_value, shared or a half-life in days") from None
    if not days > 0:
        raise InputError("--hazard-decay: the half-life must be positive")
    return timedelta(days=days)


def _check(args: argparse.Namespace) -> list[str]:
    models: list[str] = args.model or list(ALL_MODELS)
    for name in models:
        if name not in ALL_MODELS and name not in MODEL_ALIASES:
            raise InputError(f"--model: unknown model {name!r}; known: {' '.join(ALL_MODELS)}")
    if args.currency is not None and not is_known_currency(args.currency.upper()):
        raise InputError(f"--currency: unknown ISO 4217 currency {args.currency!r}")
    if args.order < 1:
        raise InputError("--order: must be at least 1")
    if not 0.0 <= args.holdout < 1.0:
        raise InputError("--holdout: must be in [0, 1)")
    if args.bootstrap < 0:
        raise InputError("--bootstrap: must be non-negative")
    if args.half_life_days <= 0:
        raise InputError("--half-life-days: must be positive")
    if args.out is not None and args.out.suffix.lower() not in OUTPUTS:
        raise InputError(f"--out: {args.out.name} must end in .csv, .json or .parquet")
    return models


def run(args: argparse.Namespace) -> int:
    """Read, run the models, print a table, optionally write the results."""
    models = _check(args)
    currency = args.currency.upper() if args.currency is not None else None
    table = read_input(args.input, args.format, currency, encoding=args.encoding)
    if args.by not in table.dimensions:
        known = ", ".join(sorted(table.dimensions))
        raise InputError(f"field {args.by}: unknown column for --by (known: {known})")
    report = run_models(
        table,
        models,
        args.by,
        order=args.order,
        half_life=timedelta(days=args.half_life_days),
        hazard_decay=_decay(args.hazard_decay),
        holdout=args.holdout,
        bootstrap=args.bootstrap,
        seed=args.seed,
        touches=False,
    )
    _print(report)
    if args.out is not None:
        write(report, args.out)
    return 0


def _unattributed(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "deal_id": gap.deal_id,
            "reason": gap.reason,
            "amount": str(gap.amount.amount) if gap.amount else None,
            "currency": gap.amount.currency if gap.amount else None,
        }
        for gap in result.unattributed
    ]


def _deal_lines(lines: DealLines) -> list[dict[str, Any]]:
    """The lines as JSON objects, straight from their columns."""
    columns = zip(
        lines.column("deal_id"),
        lines.column("value"),
        lines.column("share"),
        lines.column("amount"),
        lines.column("amount_currency"),
        strict=True,
    )
    return [
        {"deal_id": deal, "value": value, "share": share, "amount": str(amount), "currency": code}
        for deal, value, share, amount, code in columns
    ]


def to_json(report: AttributionReport) -> dict[str, Any]:
    """`{"won": {CURRENCY: amount}, "models": {NAME: {"shares", "conversions", "revenue",
    "deal_lines", "unattributed", ...}}}`.

    `revenue` maps each value to its amount (a decimal string) when the data has one currency,
    and to `{currency: amount}` when it has several; `revenue_by_currency` is always keyed by
    currency first. `unattributed` lists the converting journeys the model gave no line, with
    the reason: per currency, revenue + unattributed = won. A model that could not run has
    `error` and `unattributed` only. `incremental` says whether the model has a baseline (its
    `(baseline)` value: the organic part); `baseline` is the conversion rate of the journeys
    without touches, with its interval and evidence (`rate` null and a `reason` when too few).
    """
    models: dict[str, Any] = {}
    for name, result in report.models.items():
        if result.error is not None:
            models[name] = {"error": result.error, "unattributed": _unattributed(result)}
            continue
        by_currency = {
            cur: {v: str(m.amount) for v, m in values.items()}
            for cur, values in result.revenue.items()
        }
        if len(by_currency) == 1:
            revenue: dict[str, Any] = next(iter(by_currency.values()))
        else:
            revenue = {}
            for cur, values in by_currency.items():
                for value, amount in values.items():
                    revenue.setdefault(value, {})[cur] = amount
        entry: dict[str, Any] = {
            "incremental": result.incremental,
            "shares": result.shares,
            "conversions": result.conversions,
            "revenue": revenue,
            "revenue_by_currency": by_currency,
            "deal_lines": _deal_lines(result.deal_lines),
            "unattributed": _unattributed(result),
        }  # fmt: skip
        if result.share_intervals:
            entry["share_intervals"] = {
                v: [i.low, i.high] for v, i in result.share_intervals.items()
            }
        if result.holdout is not None:
            entry["holdout"] = result.holdout.model_dump()
        if result.diagnostics:
            entry["diagnostics"] = result.diagnostics
        models[name] = entry
    won = {c: str(m.amount) for c, m in report.won.items()}
    baseline = report.baseline.model_dump() if report.baseline is not None else None
    return {"by": report.by, "won": won, "baseline": baseline, "models": models}


def to_frame(report: AttributionReport) -> pd.DataFrame:
    """Long table: one row per model, value and currency (or no currency without revenue),
    then one row per model, currency and reason of the revenue it left unattributed (empty
    value, the reason in `unattributed`): per model and currency, `revenue` sums to won."""
    rows: list[dict[str, Any]] = []
    for name, result in report.models.items():
        missing: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for gap in result.unattributed:
            if gap.amount is not None:
                missing[(gap.amount.currency, gap.reason)] += gap.amount.amount
        gaps = [
            {"model": name, "currency": c, "revenue": str(a), "unattributed": reason}
            for (c, reason), a in sorted(missing.items())
        ]
        if result.error is not None:
            rows += [{"model": name, "error": result.error}, *gaps]
            continue
        for value, share in result.shares.items():
            base = {"model": name, "value": value, "share": share,
                    "conversions": result.conversions.get(value, 0.0)}  # fmt: skip
            amounts = [(c, v[value]) for c, v in result.revenue.items() if value in v]
            if not amounts:
                rows.append(base)
            for currency, money in amounts:
                rows.append(base | {"currency": currency, "revenue": str(money.amount)})
        rows += gaps
    columns = [
        "model", "value", "share", "conversions", "currency", "revenue", "unattributed", "error",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def write(report: AttributionReport, out: Path) -> None:
    """Write by extension: JSON document, or the long table as CSV or Parquet."""
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        document = to_json(report)
        lines = sum(len(m.get("deal_lines", [])) for m in document["models"].values())
        indent = 2 if lines <= 10_000 else None  # big documents: compact, 3x faster to write
        out.write_text(json.dumps(document, indent=indent) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        to_frame(report).to_csv(out, index=False)
    else:
        to_frame(report).to_parquet(out, index=False)


def _tie_out(report: AttributionReport) -> Table:
    """Per model and currency: credited + unattributed = won."""
    table = Table(title="Revenue: credited + unattributed = won")
    for column in ("model", "currency", "credited", "unattributed", "won"):
        table.add_column(column, justify="left" if column in ("model", "currency") else "right")
    for name, result in report.models.items():
        for currency, won in report.won.items():
            credited = sum(
                (m.amount for m in result.revenue.get(currency, {}).values()), Decimal(0)
            )
            missing = sum(
                (
                    g.amount.amount
                    for g in result.unattributed
                    if g.amount is not None and g.amount.currency == currency
                ),
                Decimal(0),
            )
            table.add_row(name, currency, str(credited), str(missing), str(won.amount))
    return table


def _share(result: Any, value: str) -> str:
    """A model's share of one value; `no baseline` for the baseline of a full-credit model."""
    if value == BASELINE and not result.incremental:
        return "no baseline"
    return f"{result.shares.get(value, 0.0):.1%}"


def _baseline_text(report: AttributionReport) -> str:
    """The baseline estimate in words: the rate, how sure, and what it rests on."""
    b = report.baseline
    assert b is not None
    evidence = f"{b.conversions:g} conversions of {b.journeys:g} journeys without touches"
    if b.rate is None:
        return f"baseline: no estimate ({b.reason})"
    interval = "" if b.low is None else f" ({b.level:.0%} interval {b.low:.2%} to {b.high:.2%})"
    return f"baseline conversion rate {b.rate:.2%}{interval}: {evidence}"


def _print(report: AttributionReport) -> None:
    console = Console(width=max(Console().width, 120))
    values = [row.value for row in report.comparison]
    table = Table(title=f"Share of conversions by {report.by}")
    table.add_column("model")
    for value in values:
        table.add_column(value, justify="right")
    for name, result in report.models.items():
        if result.error is None:
            table.add_row(name, *(_share(result, v) for v in values))
    console.print(table)
    if BASELINE in values:
        console.print(
            f"{BASELINE}: the organic part of the incremental models; the other models have no "
            "baseline (they give all of each conversion to its touches)",
            markup=False,
        )
    if report.baseline is not None:
        console.print(_baseline_text(report), markup=False)
    if report.won:
        console.print(_tie_out(report))
    for name, result in report.models.items():
        if result.error is not None:
            console.print(f"{name}: {result.error}", style="yellow", markup=False)
        elif result.holdout is not None:
            h = result.holdout
            auc = "n/a" if h.auc is None else f"{h.auc:.3f}"
            console.print(f"{name}: holdout log loss {h.log_loss:.4f}, AUC {auc}", markup=False)
        elif result.holdout_error is not None:
            console.print(f"{name}: no holdout score: {result.holdout_error}", markup=False)
