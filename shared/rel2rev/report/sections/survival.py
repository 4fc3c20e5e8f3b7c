"""How long each step takes (survival curves) and what speeds it up (drivers)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rel2rev.report import formatting as f
from rel2rev.report.charts import (
    Curve,
    CurvePoint,
    Estimate,
    forest_plot,
    step_chart,
)
from rel2rev.report.sections.common import (
    MAX_DRIVERS,
    MIN_DRAWN,
    TRANSITION_WORDS,
    UNIT_WORDS,
    UNSTABLE_SPAN,
    unavailable,
)
from rel2rev.report.tables import figure, note, num, paragraph, section, table
from rel2rev.results.contracts import (
    HazardRatio,
    RunResults,
    SurvivalCurve,
)


def _converted_curve(curve: SurvivalCurve, name: str) -> Curve:
    """Kaplan-Meier survival turned into 'share converted' (1 - S) with its band."""
    points = [CurvePoint(x=0.0, y=0.0, lower=0.0, upper=0.0)]
    points += [
        CurvePoint(
            x=p.t_days,
            y=1 - p.survival,
            lower=None if p.upper is None else 1 - p.upper,
            upper=None if p.lower is None else 1 - p.lower,
        )
        for p in sorted(curve.points, key=lambda p: p.t_days)
        if p.t_days > 0
    ]
    return Curve(name=name, points=tuple(points))


def segment_name(curve: SurvivalCurve) -> str:
    return "Everyone" if curve.segment is None else f"{f.label(curve.by)}: {curve.segment}"


def _median_text(curve: SurvivalCurve) -> str:
    if curve.median_days is None:
        return "not reached"
    if curve.median_lower is None or curve.median_upper is None:
        return f.days(curve.median_days)
    upper = "open" if curve.median_upper == float("inf") else f"{curve.median_upper:,.0f}"
    return f"{f.days(curve.median_days)} ({curve.median_lower:,.0f}–{upper})"


def _segments_to_draw(curves: Sequence[SurvivalCurve]) -> list[SurvivalCurve]:
    """Up to four segments of one split (capture channel first) with enough events to read."""
    for by in ("channel", "owner", "stakeholder", "campaign"):
        usable = [
            c for c in curves if c.by == by and c.segment is not None and c.events >= MIN_DRAWN
        ]
        if len(usable) >= 2:
            return sorted(usable, key=lambda c: -c.subjects)[:4]
    return []


def survival_section(results: RunResults) -> str:
    """Time-to-convert curves per transition with bands and medians."""
    title = "How long conversion takes"
    if results.survival is None:
        return section("timing", title, [unavailable(results, "survival", "Timing")])
    body = [
        paragraph(
            "Each curve shows the share of relationships that had made the step after a given "
            "number of days; the shaded band is the 95% confidence range. Relationships still "
            "open at the report date count as 'not yet', never as 'never' (they are censored), "
            "so the curves are not biased towards fast deals. The median is the day by which "
            "half had made the step. From lead to won deal the unit is the account (its buying "
            "committee), not each person on it: a deal is won once, however many people it has."
        ),
    ]
    if not results.survival.curves:
        body.append(unavailable(results, "survival", "Time to convert"))
    for transition, (heading, start) in TRANSITION_WORDS.items():
        curves = [c for c in results.survival.curves if c.transition == transition]
        if not curves:
            continue
        body.append(f"<h3>{heading}</h3>")
        drawable = [c for c in curves if c.points and c.insufficient is None]
        shown = [c for c in drawable if c.segment is None] + _segments_to_draw(drawable)
        if shown:
            chart = step_chart(
                f"Time to convert: {heading.lower()}",
                f"Cumulative share converted by days since {start}, with 95% bands.",
                [_converted_curve(c, segment_name(c)) for c in shown],
                x_label=f"Days since {start}",
                y_label="Share that made the step",
            )
            body.append(figure(chart, f"{heading}: Kaplan-Meier estimate with 95% bands."))
        estimable = [c for c in curves if c.insufficient is None]
        units = UNIT_WORDS[curves[0].unit]
        body.append(
            table(
                ["Group", units.capitalize(), "Made the step", "Still open", "Median (95% CI)"],
                [
                    [
                        segment_name(c),
                        num(f.integer(c.subjects)),
                        num(f.integer(c.events)),
                        num(f.integer(c.censored)),
                        num(_median_text(c)),
                    ]
                    for c in estimable
                ],
            )
        )
        too_few = [c for c in curves if c.insufficient is not None]
        if too_few:
            body.append(
                note(
                    f"Too few {units} to estimate: "
                    + "; ".join(f"{segment_name(c)} ({c.insufficient})" for c in too_few)
                    + "."
                )
            )
    return section("timing", title, body)


def _stable(ratio: HazardRatio) -> bool:
    values = (ratio.hazard_ratio, ratio.lower, ratio.upper)
    if not all(math.isfinite(v) and v > 0 for v in values):
        return False
    return ratio.upper / ratio.lower <= UNSTABLE_SPAN


def drivers_section(results: RunResults) -> str:
    """Cox hazard ratios as forest plots, and won vs lost as competing risks."""
    title = "What speeds conversion"
    if results.survival is None:
        return section("drivers", title, [unavailable(results, "drivers", "Drivers")])
    body = [
        paragraph(
            "A hazard ratio above 1 means relationships with more of that feature make the "
            "step faster (2× = twice the pace at any moment); below 1, slower. Dots in blue "
            "have a 95% range that excludes 1; grey ones could be chance."
        )
    ]
    if not results.survival.drivers:
        body.append(unavailable(results, "drivers", "The driver analysis"))
    for drivers in results.survival.drivers:
        heading = TRANSITION_WORDS[drivers.transition][0]
        body.append(f"<h3>{heading}</h3>")
        if drivers.insufficient or not drivers.ratios:
            body.append(note(f"No driver model: {drivers.insufficient or 'no features'}."))
            continue
        stable = [r for r in drivers.ratios if _stable(r)]
        unstable = [r for r in drivers.ratios if not _stable(r)]
        strongest = sorted(stable, key=lambda r: -abs(math.log(r.hazard_ratio)))[:MAX_DRIVERS]
        estimates = [
            Estimate(
                label=f.label(r.feature) + (" ⚠" if r.feature in drivers.ph_violations else ""),
                value=r.hazard_ratio,
                lower=r.lower,
                upper=r.upper,
            )
            for r in sorted(strongest, key=lambda r: -r.hazard_ratio)
        ]
        if unstable:
            body.append(
                note(
                    "Not plotted, too few observations for a stable estimate (95% range wider "
                    f"than {UNSTABLE_SPAN:,.0f}×): "
                    + ", ".join(f.label(r.feature) for r in unstable)
                    + "."
                )
            )
        if not estimates:
            continue
        chart = forest_plot(
            f"Drivers: {heading.lower()}",
            "Hazard ratios with 95% intervals on a log scale; 1 means no effect.",
            estimates,
            "Hazard ratio (log scale)",
        )
        quality = (
            f"Concordance {drivers.concordance:.2f} (0.5 is a coin toss, 1 is perfect ordering)"
            if drivers.concordance is not None
            else "Concordance not available"
        )
        clustering = (
            f"; 95% ranges robust to the {f.integer(drivers.clusters or 0)} accounts' "
            "relationships not being independent"
            if drivers.clustered_by == "account"
            else ""
        )
        body.append(
            figure(
                chart,
                f"{quality}; {f.integer(drivers.events)} events in "
                f"{f.integer(drivers.subjects)} {UNIT_WORDS[drivers.unit]}{clustering}.",
            )
        )
        if drivers.ph_violations:
            body.append(
                note(
                    "⚠ Proportional-hazards check failed for "
                    + ", ".join(f.label(v) for v in drivers.ph_violations)
                    + ": their effect changes over time, so read their ratio as an average.",
                    kind="warning",
                )
            )
    competing = results.survival.competing
    if competing is None:
        body.append(unavailable(results, "competing_risks", "Won vs lost"))
    else:
        body.append("<h3>Won vs lost after lead creation</h3>")
        if competing.insufficient or not competing.points:
            body.append(note(f"No competing-risks estimate: {competing.insufficient}."))
        else:
            curves = []
            for outcome in ("won", "lost"):
                pts = sorted(
                    (p for p in competing.points if p.outcome == outcome), key=lambda p: p.t_days
                )
                curves.append(
                    Curve(
                        name=f"{outcome.capitalize()}",
                        points=(
                            CurvePoint(x=0.0, y=0.0, lower=0.0, upper=0.0),
                            *(
                                CurvePoint(x=p.t_days, y=p.incidence, lower=p.lower, upper=p.upper)
                                for p in pts
                            ),
                        ),
                    )
                )
            body.append(
                paragraph(
                    f"Of {f.integer(competing.subjects)} accounts with a lead, "
                    f"{f.integer(competing.won)} won a deal, {f.integer(competing.lost)} lost "
                    f"first and {f.integer(competing.censored)} are still open. The curves give "
                    "the chance of each outcome by a given day since the account's first lead, "
                    "accounting for the other (Aalen-Johansen)."
                )
            )
            body.append(
                figure(
                    step_chart(
                        "Cumulative incidence of won and lost deals",
                        "Probability of being won, or lost, by days since lead creation.",
                        curves,
                        x_label="Days since lead creation",
                        y_label="Cumulative probability",
                    ),
                    "Won vs lost as competing risks, with 95% bands.",
                )
            )
    return section("drivers", title, body)
