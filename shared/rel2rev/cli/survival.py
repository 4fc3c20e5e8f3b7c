"""`rel2rev survival --input DIR`: time-to-conversion statistics over a folder of exports."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from rel2rev.cli.funnel import INSTANT, add_common, default_as_of, load_config, write_rows
from rel2rev.cutoff import known_at
from rel2rev.dataset import read_dataset
from rel2rev.errors import InputError
from rel2rev.funnel import qualify
from rel2rev.survival import (
    CompetingRisksReport,
    CoxReport,
    SurvivalReport,
    Transition,
    competing_risks,
    survival_analysis,
    survival_drivers,
)

HELP = "Kaplan-Meier, Cox and competing-risks statistics of one funnel transition"


def configure(parser: argparse.ArgumentParser) -> None:
    """Options of `rel2rev survival`."""
    add_common(parser)
    parser.add_argument(
        "--transition", choices=[t.value for t in Transition], default=Transition.LEAD_TO_WON.value
    )
    parser.add_argument("--by", choices=["channel", "owner", "stakeholder"])
    parser.add_argument("--resolution-days", type=float, default=1.0, help="time unit (days)")
    parser.add_argument("--drivers", action="store_true", help="fit a Cox model of the features")
    parser.add_argument("--time-varying", action="store_true", help="Cox on accumulating touches")
    parser.add_argument("--competing", action="store_true", help="won vs lost (lead_to_won)")


def _print(km: SurvivalReport, cox: list[CoxReport], cr: CompetingRisksReport | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    unit = "days" if km.resolution_days == 1 else f"×{km.resolution_days:g} days"
    table = Table(
        title=f"{km.transition}: {km.n} spells, {km.events} events, {km.excluded} excluded"
    )
    for name in ("segment", "n", "events", f"median ({unit})", "95% CI", "note"):
        table.add_column(name)
    for curve in [km.overall, *km.segments]:
        ci = (
            "–"
            if curve.median_lower is None and curve.median_upper is None
            else (f"{_num(curve.median_lower)} – {_num(curve.median_upper)}")
        )
        note = curve.insufficient.reason if curve.insufficient else ""
        table.add_row(curve.segment or "(all)", str(curve.n), str(curve.events),
                      _num(curve.median), ci, note)  # fmt: skip
    console.print(table)
    for report in cox:
        if report.insufficient is not None:
            console.print(f"Cox ({_kind(report)}): insufficient data: {report.insufficient.reason}")
            continue
        hr = Table(title=f"Cox ({_kind(report)}), concordance {_num(report.concordance, '.3f')}")
        for name in ("feature", "hazard ratio", "95% CI", "p", "PH test p"):
            hr.add_column(name)
        for h in report.hazard_ratios:
            hr.add_row(h.feature, f"{h.hazard_ratio:.3f}", f"{h.lower:.3f} – {h.upper:.3f}",
                       _num(h.p, ".3g"), _num(h.ph_p, ".3g"))  # fmt: skip
        console.print(hr)
        if report.dropped:
            console.print("dropped: " + ", ".join(f"{k} ({v})" for k, v in report.dropped.items()))
    if cr is not None:
        if cr.insufficient is not None:
            console.print(f"Competing risks: insufficient data: {cr.insufficient.reason}")
        else:
            console.print(
                f"Won vs lost after lead: P(won) {cr.won_incidence[-1].estimate:.1%}, "
                f"P(lost) {cr.lost_incidence[-1].estimate:.1%} by {cr.won_incidence[-1].time:g}"
            )


def _kind(report: CoxReport) -> str:
    return "time-varying" if report.time_varying else "static"


def _num(value: float | None, spec: str = ".1f") -> str:
    return "–" if value is None else format(value, spec)


def run(args: argparse.Namespace) -> int:
    """Fit, print and optionally write the survival results."""
    if args.resolution_days <= 0:
        raise InputError("--resolution-days must be positive")
    if args.competing and args.transition != Transition.LEAD_TO_WON.value:
        raise InputError("--competing applies to --transition lead_to_won")
    records = read_dataset(args.input, encoding=args.encoding)
    as_of = default_as_of(records, args.as_of)
    records = known_at(records, as_of + INSTANT)  # as known at that moment: nothing later
    config = load_config(args.config)
    states = qualify(records, config, as_of=as_of)
    resolution = timedelta(days=args.resolution_days)
    common: dict[str, Any] = {"as_of": as_of, "resolution": resolution, "states": states}
    km = survival_analysis(records, transition=args.transition, by=args.by, **common)
    cox = [
        survival_drivers(records, transition=args.transition, time_varying=tv, **common)
        for tv, wanted in ((False, args.drivers), (True, args.time_varying))
        if wanted
    ]
    cr = competing_risks(records, **common) if args.competing else None
    _print(km, cox, cr)
    if args.out is not None:
        _write(args.out, km, cox, cr)
    return 0


def _write(
    out: Path, km: SurvivalReport, cox: list[CoxReport], cr: CompetingRisksReport | None
) -> None:
    if out.suffix == ".json":
        body = {
            "survival": km.model_dump(mode="json"),
            "drivers": [c.model_dump(mode="json") for c in cox],
            "competing": cr.model_dump(mode="json") if cr else None,
        }
        out.write_text(json.dumps(body, indent=2), encoding="utf-8")
        return
    write_rows(km.rows(), out)
    for report in cox:
        write_rows(report.rows(), out.with_stem(f"{out.stem}-cox-{_kind(report)}"))
    if cr is not None:
        write_rows(cr.rows(), out.with_stem(f"{out.stem}-competing"))
