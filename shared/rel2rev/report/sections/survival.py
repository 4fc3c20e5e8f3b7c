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
    COUNT_WORDS,
    FEATURE_WORDS,
    LOG_PREFIXES,
    MAX_CURVES,
    MAX_DRIVERS,
    MIN_DRAWN,
    SEGMENT_FEATURE_WORDS,
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


SPLIT_ORDER = ("channel", "owner", "stakeholder", "campaign")
SPLIT_WORDS = {
    "channel": "capture-channel",
    "owner": "owner",
    "stakeholder": "stakeholder-type",
    "campaign": "campaign",
}
SHARE_AT_DAYS = (30, 90)
"""Days at which the table of undrawn segments gives the share converted."""


def _largest_first(curve: SurvivalCurve) -> tuple[int, int, str]:
    return (-curve.subjects, -curve.events, curve.segment or "")


def _segments_to_draw(curves: Sequence[SurvivalCurve], room: int) -> list[SurvivalCurve]:
    """The `room` largest segments (by subjects, then events) of one split, capture channel
    first, each with enough events to read; segments of different splits overlap, so they
    never share a chart."""
    for by in SPLIT_ORDER:
        usable = [
            c for c in curves if c.by == by and c.segment is not None and c.events >= MIN_DRAWN
        ]
        if len(usable) >= 2:
            return sorted(usable, key=_largest_first)[:room]
    return []


def share_converted_by(curve: SurvivalCurve, day: float) -> float | None:
    """Kaplan-Meier share converted (1 - S) by `day`; None when nobody was followed that long."""
    points = sorted(curve.points, key=lambda p: p.t_days)
    if not points or points[-1].t_days < day:
        return None
    survival = 1.0
    for p in points:
        if p.t_days > day:
            break
        survival = p.survival
    return 1 - survival


def _count(n: int, word: str) -> str:
    """'1 segment', '5 segments'."""
    return f"{f.integer(n)} {word}{'' if n == 1 else 's'}"


def _not_drawn_sentence(
    drawn: Sequence[SurvivalCurve], rest: Sequence[SurvivalCurve], units: str
) -> str:
    """How many segments are in the table instead of the chart, and why."""
    split = next((c.by for c in drawn if c.by is not None), None)
    few = [c for c in rest if c.events < MIN_DRAWN]
    crowded = [c for c in rest if c.events >= MIN_DRAWN and c.by == split]
    other = [c for c in rest if c.events >= MIN_DRAWN and c.by != split]
    split_words = SPLIT_WORDS.get(str(split), str(split))
    reasons = []
    if crowded:
        reasons.append(
            f"{_count(len(crowded), 'smaller ' + split_words + ' segment')}, as a chart draws "
            f"at most {MAX_CURVES} curves (everyone and the largest segments) so the lines stay "
            "readable"
        )
    if other and split is not None:
        reasons.append(
            f"{_count(len(other), 'segment')} of other splits, which overlap the {split_words} "
            "segments and are not drawn over them"
        )
    elif other:
        reasons.append(
            f"{_count(len(other), 'segment')} not drawn because no split has two segments with "
            "enough events to compare side by side"
        )
    if few:
        reasons.append(
            f"{_count(len(few), 'segment')} with fewer than {MIN_DRAWN} {units} that made the "
            "step, too few for a curve worth reading"
        )
    verb = "is" if len(rest) == 1 else "are"
    return (
        f"{_count(len(rest), 'segment')} {verb} in the table below rather than on the chart: "
        + "; ".join(reasons)
        + "."
    )


def _rest_table(rest: Sequence[SurvivalCurve], units: str) -> str:
    return table(
        [
            "Segment",
            units.capitalize(),
            "Made the step",
            "Median",
            *(f"Converted by day {d}" for d in SHARE_AT_DAYS),
        ],
        [
            [
                segment_name(c),
                num(f.integer(c.subjects)),
                num(f.integer(c.events)),
                num(_median_text(c)),
                *(num(f.percent(share_converted_by(c, d))) for d in SHARE_AT_DAYS),
            ]
            for c in rest
        ],
        caption="Segments not drawn on the chart",
    )


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
        overall = [c for c in drawable if c.segment is None][:1]
        shown = overall + _segments_to_draw(drawable, MAX_CURVES - len(overall))
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
        on_chart = [c for c in estimable if any(c is s for s in shown)] if shown else estimable
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
                    for c in on_chart
                ],
            )
        )
        rest = sorted(
            (c for c in estimable if not any(c is s for s in on_chart)),
            key=lambda c: (
                SPLIT_ORDER.index(c.by) if c.by in SPLIT_ORDER else 9,
                *_largest_first(c),
            ),
        )
        if rest:
            body.append(paragraph(_not_drawn_sentence(shown, rest, units)))
            body.append(_rest_table(rest, units))
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


LOG_NOTE = (
    "Counts of interactions and the response time enter the model as log(1 + value), so a "
    "ratio is the change in pace when that number plus one is about 2.7 times larger (for "
    "example from 1 to about 4.4, or from 4 to about 12.6), not per single extra one."
)
SEGMENT_NOTE = (
    "Lines naming a channel, owner or stakeholder type compare relationships in that group "
    "with those in its most common group (the reference, not shown)."
)


def is_logged(feature: str) -> bool:
    """Whether a covariate enters the driver model as log(1 + value)."""
    return feature.startswith(LOG_PREFIXES)


def driver_label(feature: str) -> str:
    """A driver model's covariate in plain words: 'log_count_like' -> 'Likes received',
    'channel=linkedin' -> 'Captured via linkedin'; unknown names fall back to readable words
    (the log scale is explained once, in a note, never in the label)."""
    if "=" in feature:
        by, _, value = feature.partition("=")
        template = SEGMENT_FEATURE_WORDS.get(by, by.replace("_", " ") + ": {}")
        words = template.format(value)
    elif feature in FEATURE_WORDS:
        words = FEATURE_WORDS[feature]
    else:
        name = feature
        for prefix in LOG_PREFIXES:
            if name.startswith(prefix):
                name = name.removeprefix(prefix)
                break
        words = COUNT_WORDS.get(name) or FEATURE_WORDS.get(name) or name.replace("_", " ")
    words = " ".join(words.split())
    return words[:1].upper() + words[1:] if words else "(unnamed)"


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
    features = {r.feature for d in results.survival.drivers for r in d.ratios}
    if any(is_logged(name) for name in features):
        body.append(note(LOG_NOTE))
    if any("=" in name for name in features):
        body.append(note(SEGMENT_NOTE))
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
                label=driver_label(r.feature)
                + (" ⚠" if r.feature in drivers.ph_violations else ""),
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
                    + ", ".join(driver_label(r.feature) for r in unstable)
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
                    + ", ".join(driver_label(v) for v in drivers.ph_violations)
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
