"""What would have closed anyway: the baseline, and each channel's incremental share beside its
full-credit share (docs/definitions.md, "Baseline and incremental credit")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from rel2rev.report import formatting as f
from rel2rev.report.charts import Series, bar_chart
from rel2rev.report.picker import default_model
from rel2rev.report.sections.common import SMALL_SUBJECTS, TOP_CHARTED, model_name, unavailable
from rel2rev.report.tables import Cell, figure, note, num, paragraph, section, table
from rel2rev.results.contracts import (
    INCREMENTAL_MODELS,
    AttributionBaseline,
    IncrementalShare,
    RunResults,
)
from rel2rev.results.headline import fitted_models

TITLE = "What the relationships added: baseline and incremental credit"
BY = "channel"
"""The dimension the incremental shares are shown by."""


def _baseline_text(baseline: AttributionBaseline | None) -> list[str]:
    """The baseline line in words: the rate, how sure it is and what it rests on, or why
    there is none."""
    if baseline is None or baseline.rate is None:
        reason = baseline.reason if baseline is not None else "the run did not estimate one"
        return [
            note(
                f"No baseline could be estimated: {reason}. The baseline is read from journeys "
                "that had no touch at all (people captured with no interaction in the lookback, "
                "deals whose buying committee had none); without enough of them the incremental "
                "Shapley model cannot run, and the incremental additive hazard rests on its "
                "fitted baseline hazard alone.",
                kind="warning",
            )
        ]
    interval = (
        f" (we are {baseline.level:.0%} sure it lies between {f.percent(baseline.low, 1)} and "
        f"{f.percent(baseline.high, 1)})"
        if baseline.low is not None and baseline.high is not None
        else ""
    )
    body = [
        paragraph(
            f"Baseline: {f.percent(baseline.rate, 1)} of journeys with no touch at all still "
            f"converted{interval}. This rests on {f.integer(baseline.journeys)} journeys without "
            f"touches, {f.integer(baseline.conversions)} of which converted; the fewer there "
            "are, the wider the interval."
        )
    ]
    if baseline.journeys < SMALL_SUBJECTS * 3:
        body.append(
            note(
                f"Only {f.integer(baseline.journeys)} journeys had no touch, so the baseline is "
                "rough: read the incremental shares as a direction, not to the point.",
                kind="warning",
            )
        )
    return body


def _share_block(shares: Sequence[IncrementalShare], model: str, currency: str) -> list[str]:
    """One incremental model in one currency: a chart and a table of each channel's share of
    won revenue, incremental beside full credit, the baseline's share first in the table."""
    rows = [s for s in shares if s.model == model and s.currency == currency]
    if not rows:
        return []
    full = rows[0].full_model
    channels = sorted((s for s in rows if not s.baseline), key=lambda s: -s.incremental)
    baseline = next((s for s in rows if s.baseline), None)
    body = [f"<h3>{model_name(model)} against {model_name(full)} ({currency})</h3>"]
    top = channels[:TOP_CHARTED]
    if top:
        body.append(
            figure(
                bar_chart(
                    f"Share of won revenue by channel, full and incremental credit ({currency})",
                    f"Each channel's share of the won {currency} revenue under "
                    f"{model_name(full)} (full credit) and {model_name(model)} (incremental).",
                    [s.value for s in top],
                    [
                        Series(name="Full credit", values=tuple(s.full or 0.0 for s in top)),
                        Series(name="Incremental", values=tuple(s.incremental for s in top)),
                    ],
                    fmt=lambda v: f.percent(v, 1),
                ),
                f"Top {len(top)} channels; where the incremental bar is shorter, part of the "
                "channel's full credit is revenue that would have come anyway.",
            )
        )
    lines: list[list[Cell | str]] = []
    if baseline is not None:
        lines.append(
            [
                Cell("Baseline (would have closed anyway)"),
                Cell("no baseline", muted=True),
                num(f.percent(baseline.incremental, 1)),
            ]
        )
    lines += [
        [s.value, num(f.percent(s.full, 1)), num(f.percent(s.incremental, 1))] for s in channels
    ]
    body.append(
        table(
            ["Channel", f"Full credit: {model_name(full)}", f"Incremental: {model_name(model)}"],
            lines,
            caption=f"Share of won {currency} revenue per channel; with what its model left "
            "unattributed, each column adds up to 100%",
        )
    )
    return body


def baseline_section(results: RunResults) -> str:
    """The baseline and, per incremental model and currency, each channel's incremental share
    of won revenue beside its full-credit share, in plain words."""
    if results.attribution is None:
        return section("baseline", TITLE, [unavailable(results, "attribution", "Attribution")])
    attribution = results.attribution
    body = [
        paragraph(
            "Some deals would have closed anyway: inbound buyers, renewals, referrals nobody "
            "logged. Full-credit models (every model in the section above but the incremental "
            "ones) spread all of the won revenue over the touches, so each channel also gets "
            "credit for revenue that would have come without it. The incremental models first "
            "set aside the baseline, what journeys convert at with no touch at all, and credit "
            "the channels only with what they added. A channel's incremental share is what it "
            "earned; its full-credit share is what it passed through. Decide where the next "
            "euro goes on the incremental share."
        ),
        *_baseline_text(attribution.baseline),
    ]
    models = [m for m in attribution.models if m in INCREMENTAL_MODELS]
    if not models:
        body.append(note("This run computed no incremental model, so no channel's share is split."))
        return section("baseline", TITLE, body)
    fitted = [m for m in models if m in fitted_models(attribution)]
    shares = [s for s in attribution.incremental if s.by == BY]
    by_currency: dict[str, set[str]] = defaultdict(set)
    for s in shares:
        by_currency[s.currency].add(s.model)
    order = [default_model(fitted or models, "incremental")]
    order += [m for m in fitted if m not in order]
    for currency in sorted(by_currency):
        for model in order:
            body += _share_block(shares, model, currency)
    failed = [x for x in attribution.failures if x.model in models and x.by == BY]
    if failed:
        body.append(
            note(
                "; ".join(f"{model_name(x.model)} could not run: {x.reason}" for x in failed),
                kind="warning",
            )
        )
    return section("baseline", TITLE, body)
