"""The report's sections, each a function of `RunResults` returning HTML (plain language first)."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from rel2rev.money import Money
from rel2rev.report import formatting as f
from rel2rev.report.charts import (
    Curve,
    CurvePoint,
    Estimate,
    Series,
    bar_chart,
    forest_plot,
    step_chart,
)
from rel2rev.report.tables import Cell, figure, key_figures, note, num, paragraph, section, table
from rel2rev.results.contracts import (
    AttributionResults,
    FunnelResults,
    FunnelRow,
    HazardRatio,
    ModelHoldout,
    Reconciliation,
    Relationship,
    RunResults,
    SectionName,
    SurvivalCurve,
    SurvivalResults,
)

STAGES = ("captured", "qualified", "lead", "opportunity", "won")
STAGE_WORDS = {
    "captured": "Captured (first interaction)",
    "qualified": "Qualified relationship",
    "lead": "Lead",
    "opportunity": "Opportunity",
    "won": "Won deal",
}
TRANSITION_WORDS = {
    "capture_to_qualified": (
        "From first interaction to qualified relationship",
        "first interaction",
    ),
    "qualified_to_lead": ("From qualified relationship to lead", "qualification"),
    "lead_to_won": ("From lead to won deal (per account)", "the account's first lead"),
}
UNIT_WORDS = {"relationship": "relationships", "account": "accounts"}
MODEL_WORDS = {
    "first": "First touch",
    "last": "Last touch",
    "last_non_direct": "Last non-direct",
    "linear": "Linear",
    "time_decay": "Time decay",
    "u_shaped": "U-shaped",
    "w_shaped": "W-shaped",
    "full_path": "Full path (Z)",
    "j_shaped": "J-shaped",
    "inverse_j": "Inverse J",
    "markov": "Markov",
    "shapley": "Shapley",
    "shapley_rate": "Shapley (rate game)",
    "additive_hazard": "Additive hazard",
}
REASON_WORDS = {
    "no_linked_contact": "no contact linked to the deal",
    "no_touch_in_lookback": "no touch in the lookback before the close",
    "no_touches": "no touches in the data",
    "no_amount": "won without an amount",
    "model_failed": "the model could not be fitted",
}
UNPLACED_WORDS = {
    "no_captured_contact": "no linked contact had been captured",
    "captured_outside_period": "its primary relationship was captured before the window",
}
HEADLINE_MODELS = ("first", "last", "linear", "w_shaped", "markov", "shapley", "additive_hazard")
DATA_DRIVEN_MODELS = ("markov", "shapley", "shapley_rate", "additive_hazard")
"""Models that learn their split from the journeys (the rest apply a fixed rule)."""
NEAR_ZERO = Decimal("0.01")
"""A value credited less than this part of a model's revenue gets next to nothing."""
"""Models drawn side by side in the charts (all models are in the tables)."""
SMALL_SUBJECTS, SMALL_EVENTS = 30, 10
MIN_DRAWN = 3
"""Segments with fewer events than this are listed, not drawn."""
UNSTABLE_SPAN = 1000.0
"""A hazard ratio whose 95% interval spans more than this factor is not plotted."""
MAX_DRIVERS = 15
TOP_VALUES = 10
TOP_CHARTED = 8


def model_name(model: str) -> str:
    """Human name of an attribution model."""
    return MODEL_WORDS.get(model, f.label(model))


def overall_funnel(funnel: FunnelResults) -> dict[str, int]:
    """Stage counts summed over cohorts for the overall (unsplit) rows."""
    rows = [r for r in funnel.rows if r.by is None]
    return {stage: sum(getattr(r, stage) for r in rows) for stage in (*STAGES, "lost")}


def revenue_by_currency(rows: Sequence[FunnelRow], *, cost: bool = False) -> dict[str, Decimal]:
    """Won revenue (or, with `cost`, known engagement cost) per currency over funnel rows."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        for money in row.cost if cost else row.revenue:
            sums[money.currency] += money.amount
    return dict(sorted(sums.items()))


def won_by_currency(funnel: FunnelResults) -> dict[str, Decimal]:
    """Every deal won in the window, per currency (the figure all others tie out to)."""
    return {m.currency: m.amount for m in sorted(funnel.won, key=lambda m: m.currency)}


def unavailable(results: RunResults, section_name: SectionName, what: str) -> str:
    """The note shown in place of a section that did not run, with the reason when known."""
    outcome = results.run.section(section_name)
    reason = outcome.error if outcome and outcome.error else "the run did not produce it"
    return note(f"{what} is not available for this run: {reason}.", kind="warning")


# --- at a glance ------------------------------------------------------------------------------


def summary_section(results: RunResults) -> str:
    """Key figures and how to read the report."""
    counts, cards = results.run.counts, []
    if results.funnel is not None:
        stages = overall_funnel(results.funnel)
        overall = [r for r in results.funnel.rows if r.by is None]
        revenue = won_by_currency(results.funnel)
        costs = revenue_by_currency(overall, cost=True)
        cards += [
            (f.integer(stages["captured"]), "Relationships captured", "people who interacted"),
            (f.integer(stages["qualified"]), "Qualified relationships", "two-way, right person"),
            (f.integer(results.funnel.won_deals), "Won deals", "closed won in the window"),
            (
                f.integer(stages["won"]),
                "Relationships on a won deal",
                "people on those deals' buying committees",
            ),
        ]
        for currency, amount in revenue.items():
            cards.append(
                (f.money(amount, currency), f"Won revenue ({currency})", "closed won in the window")
            )
            if stages["qualified"]:
                per = amount / stages["qualified"]
                cards.append(
                    (f.money(per, currency), "Revenue per qualified relationship", currency)
                )
            if costs.get(currency):
                ratio = f"{amount / costs[currency]:,.1f}×"
                cards.append(
                    (ratio, f"Return on relationships ({currency})", "won revenue ÷ known cost")
                )
    cards.append((f.integer(counts.interactions), "Interactions analysed", "in the data window"))
    return section(
        "summary",
        "At a glance",
        [
            key_figures(cards),
            paragraph(
                "This report follows business relationships from the first interaction to "
                "revenue. Likes and views are counted, but the goal is relationships: two-way "
                "exchanges with real people at real accounts, and the revenue they lead to. "
                "Each section starts with a plain explanation; the detailed numbers are in the "
                "tables and in the CSV/Parquet files beside this page."
            ),
        ],
    )


# --- funnel -----------------------------------------------------------------------------------


def _stage_rate(stages: dict[str, int], index: int) -> str:
    """'29% of previous stage'; stages can be reached without the one before (deals opened
    without a lead), so a count above the previous stage is said in words, not as >100%."""
    if index == 0 or not stages[STAGES[index - 1]]:
        return ""
    here, before = stages[STAGES[index]], stages[STAGES[index - 1]]
    if here > before:
        return "more than the stage before (some skip it)"
    return f"{f.percent(here / before)} of previous stage"


def funnel_section(results: RunResults) -> str:
    """Capture -> cultivate -> convert, stage by stage."""
    title = "The funnel: from first interaction to revenue"
    if results.funnel is None:
        return section("funnel", title, [unavailable(results, "funnel", "The funnel")])
    stages = overall_funnel(results.funnel)
    rates = [_stage_rate(stages, i) for i in range(len(STAGES))]
    chart = bar_chart(
        "Funnel stage counts",
        "Relationships reaching each stage, from capture to won deal, over the whole window.",
        [STAGE_WORDS[s] for s in STAGES],
        [Series(name="Relationships", values=tuple(float(stages[s]) for s in STAGES))],
        fmt=lambda v: f.integer(round(v)),
        annotations=rates,
    )
    body = [
        paragraph(
            "Capture is a person's first interaction with the company. Cultivation deepens it "
            "until the relationship is qualified: the right person, in a two-way conversation. "
            "Conversion turns it into a lead, an opportunity and finally a won deal. Each bar "
            "counts relationships that reached the stage; the label gives the share of the "
            "stage before that made it."
        ),
        figure(chart, "Relationships reaching each funnel stage."),
        paragraph(
            f"{f.integer(stages['won'])} relationships are on the buying committees of "
            f"{f.integer(results.funnel.won_deals)} won deals: a deal won with four people on it "
            "counts four relationships and one deal. "
            f"{f.integer(stages['lost'])} relationships ended on a lost deal."
        ),
        *_unplaced_note(results.funnel),
    ]
    if results.funnel.delays:
        body.append(
            table(
                ["From", "To", "Median time", "Relationships"],
                [
                    [
                        f.label(d.from_stage),
                        f.label(d.to_stage),
                        num(f.days(d.median_days)),
                        num(f.integer(d.n)),
                    ]
                    for d in results.funnel.delays
                ],
                caption="Typical time between consecutive stages",
                numeric_from=2,
            )
        )
    cohorts = sorted({r.cohort for r in results.funnel.rows if r.by is None})
    if cohorts:
        by_cohort = {r.cohort: r for r in results.funnel.rows if r.by is None}
        body.append(
            table(
                ["Capture month", *[STAGE_WORDS[s] for s in STAGES], "Lost"],
                [
                    [c, *[num(f.integer(getattr(by_cohort[c], s))) for s in (*STAGES, "lost")]]
                    for c in cohorts
                ],
                caption="Stage counts per capture month (relationships captured that month)",
            )
        )
    return section("funnel", title, body)


def _unplaced_note(funnel: FunnelResults) -> list[str]:
    """Won revenue no capture cohort holds, said with its reason, so the cohorts tie out."""
    if not funnel.unplaced:
        return []
    parts = [
        f"{_revenue_text(u.revenue)} from {f.integer(u.deals)} deal(s): "
        f"{UNPLACED_WORDS.get(u.reason, u.reason)}"
        for u in funnel.unplaced
    ]
    return [
        note(
            "Won revenue in no capture cohort below (it is in the won total above): "
            + "; ".join(parts)
            + "."
        )
    ]


def engagement_section(results: RunResults) -> str:
    """Vanity (one-way reactions) vs relationship (two-way exchanges) counts."""
    title = "Vanity metrics vs relationships"
    if results.funnel is None:
        return section("engagement", title, [unavailable(results, "funnel", "Engagement")])
    vanity: dict[str, int] = defaultdict(int)
    mutual: dict[str, int] = defaultdict(int)
    for r in results.funnel.rows:
        if r.by == "channel" and r.value is not None:
            vanity[r.value] += r.vanity_interactions
            mutual[r.value] += r.relationship_interactions
    overall = [r for r in results.funnel.rows if r.by is None]
    total_vanity = sum(r.vanity_interactions for r in overall)
    total_mutual = sum(r.relationship_interactions for r in overall)
    stages = overall_funnel(results.funnel)
    body = [
        paragraph(
            "Likes, views, follows and shares are easy to collect and say little about "
            "revenue. Conversation (comments, e-mails, replies, messages, calls, meetings, "
            "events attended) is what builds relationships. The bars compare the two for the "
            "relationships each channel captured; other signals (forms, ad clicks, posts) are "
            "in neither bar."
        ),
        key_figures(
            [
                (f.integer(total_vanity), "Reactions", "likes, views, follows, shares"),
                (f.integer(total_mutual), "Conversations", "replies, DMs, calls, meetings"),
                (f.integer(stages["qualified"]), "Qualified relationships", "the real asset"),
            ]
        ),
    ]
    channels = sorted(vanity, key=lambda c: -(vanity[c] + mutual[c]))[:TOP_VALUES]
    if channels:
        chart = bar_chart(
            "One-way reactions vs two-way exchanges by capture channel",
            "For each capture channel, the count of one-way reactions beside two-way exchanges.",
            channels,
            [
                Series(name="One-way reactions", values=tuple(float(vanity[c]) for c in channels)),
                Series(name="Two-way exchanges", values=tuple(float(mutual[c]) for c in channels)),
            ],
            fmt=lambda v: f.integer(round(v)),
        )
        body.append(figure(chart, "Interactions by the channel that captured the relationship."))
    return section("engagement", title, body)


# --- survival ---------------------------------------------------------------------------------


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


def _segment_name(curve: SurvivalCurve) -> str:
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
                [_converted_curve(c, _segment_name(c)) for c in shown],
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
                        _segment_name(c),
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
                    + "; ".join(f"{_segment_name(c)} ({c.insufficient})" for c in too_few)
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


# --- attribution ------------------------------------------------------------------------------


def _attribution_block(attribution: AttributionResults, by: str, currency: str) -> list[str]:
    revenue: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for t in attribution.totals:
        if t.by == by and t.amount.currency == currency:
            revenue[t.value][t.model] = t.amount.amount
    checks = {
        r.model: r for r in attribution.reconciliation if r.by == by and r.currency == currency
    }
    models = [m for m in attribution.models if m in checks]
    if not models:
        return []
    values = sorted(revenue, key=lambda v: -sum(revenue[v].values()))
    headline = [m for m in HEADLINE_MODELS if m in models] or models[:7]
    top = values[:TOP_CHARTED]
    body = [f"<h3>By {by} ({currency})</h3>"]
    if top:
        chart = bar_chart(
            f"Revenue by {by} under each model ({currency})",
            f"Attributed {currency} revenue for the top {len(top)} {by} values, one bar per model.",
            top,
            [
                Series(
                    name=model_name(m),
                    values=tuple(float(revenue[v].get(m, Decimal(0))) for v in top),
                )
                for m in headline
            ],
            fmt=lambda v: f.money_short(v, currency),
        )
        body.append(
            figure(chart, f"Top {len(top)} {by} values; every model shares out the same revenue.")
        )
    body += _weak_model_notes(attribution, by, values, revenue, models)
    others = [m for m in models if m not in headline]
    body.append(
        _revenue_table(
            by, currency, values, revenue, checks, models=headline, which="the models in the chart"
        )
    )
    if others:
        body.append(
            _revenue_table(
                by, currency, values, revenue, checks, models=others, which="other models"
            )
        )
    return body


def _weak_model_notes(
    attribution: AttributionResults,
    by: str,
    values: Sequence[str],
    revenue: dict[str, dict[str, Decimal]],
    models: Sequence[str],
) -> list[str]:
    """Warnings beside a dimension's numbers: a data-driven model that gives next to nothing
    to most values (its credit rests on a few), or that ranked held-out journeys worse than a
    coin flip (scored by channel)."""
    notes = []
    for model in (m for m in models if m in DATA_DRIVEN_MODELS):
        total = sum((revenue[v].get(model, Decimal(0)) for v in values), Decimal(0))
        if total <= 0 or len(values) < 3:
            continue
        small = [v for v in values if revenue[v].get(model, Decimal(0)) < total * NEAR_ZERO]
        if len(small) * 2 > len(values):
            notes.append(
                note(
                    f"{model_name(model)} gives next to nothing (under {NEAR_ZERO:.0%} each) to "
                    f"{len(small)} of {len(values)} {by} values: its credit rests on the other "
                    f"{len(values) - len(small)}. Read it beside the rule-based models before "
                    "moving budget on it.",
                    kind="warning",
                )
            )
    for score in attribution.holdout:
        if score.by == by and score.model in models and score.auc is not None and score.auc < 0.5:
            notes.append(
                note(
                    f"{model_name(score.model)} ranked held-out journeys worse than a coin flip "
                    f"(AUC {score.auc:.2f}): its split of this revenue is not to be trusted.",
                    kind="warning",
                )
            )
    return notes


def _revenue_table(
    by: str,
    currency: str,
    values: Sequence[str],
    revenue: dict[str, dict[str, Decimal]],
    checks: dict[str, Reconciliation],
    *,
    models: Sequence[str],
    which: str,
) -> str:
    """Exact attributed revenue, one row per value and one column per model; then what each
    model credited, left unattributed, and what was won (each column ties out)."""
    rows: list[list[Cell | str]] = [
        [v, *[num(f.money(revenue[v].get(m, Decimal(0)), currency)) for m in models]]
        for v in values
    ]
    rows.append(
        [Cell("Credited"), *[num(f.money(checks[m].credited.amount, currency)) for m in models]]
    )
    rows.append(
        [
            Cell("Not attributed"),
            *[num(f.money(checks[m].unattributed.amount, currency)) for m in models],
        ]
    )
    rows.append([Cell("Won"), *[num(f.money(checks[m].won.amount, currency)) for m in models]])
    return table(
        [f.label(by), *[model_name(m) for m in models]],
        rows,
        caption=f"Attributed revenue by {by}, {which}, {currency} (exact): credited + not "
        "attributed = won",
    )


def _unattributed_block(attribution: AttributionResults) -> list[str]:
    """Why won revenue is not attributed, per reason, currency and model."""
    if not attribution.unattributed_totals:
        return []
    grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for t in attribution.unattributed_totals:
        key = (
            t.by,
            t.reason,
            f"{f.money(t.amount.amount, t.amount.currency)} in {t.deals} deal(s)",
        )
        grouped[key].append(model_name(t.model))
    return [
        table(
            ["Dimension", "Why", "Amount", "Models"],
            [
                [f.label(by), REASON_WORDS.get(reason, reason), num(amount), ", ".join(models)]
                for (by, reason, amount), models in sorted(grouped.items())
            ],
            caption="Won revenue no value was credited with, and why",
        )
    ]


def _holdout_block(scores: Sequence[ModelHoldout]) -> list[str]:
    """Which data-driven model predicts held-out journeys best: a chart, a table, the caveats."""
    if not scores:
        return []
    scored = [h for h in scores if h.reason is None and h.log_loss is not None]
    unscored = [h for h in scores if h not in scored]
    fraction = f.percent(scores[0].fraction)
    body = [
        "<h3>Which model explains your data best</h3>",
        paragraph(
            f"To check the data-driven models, {fraction} of the journeys (converting or not) "
            "were set aside at random before fitting: the held-out journeys are not used to fit "
            "the models. Each model then predicted, for every held-out journey, the chance it "
            "converts, and the prediction was compared with what happened. AUC measures how "
            "well a model ranks converting journeys above the others: 0.5 is a coin flip, 1 a "
            "perfect ranking, so higher is better. Log loss measures how close the predicted "
            "chances are to the outcomes: lower is better. Scored on channels."
        ),
    ]
    with_auc = [h for h in scored if h.auc is not None]
    if with_auc:
        ranked = sorted(with_auc, key=lambda h: -(h.auc or 0.0))
        body.append(
            figure(
                bar_chart(
                    "Holdout AUC of each data-driven model",
                    "AUC on held-out journeys (0.5 is a coin flip, 1 a perfect ranking), "
                    "with each model's log loss.",
                    [model_name(h.model) for h in ranked],
                    [Series(name="AUC", values=tuple(h.auc or 0.0 for h in ranked))],
                    fmt=lambda v: f"{v:.2f}",
                    annotations=[f"log loss {h.log_loss:.3f}" for h in ranked],
                ),
                f"Best ranking on held-out journeys: {model_name(ranked[0].model)} "
                f"(AUC {ranked[0].auc:.2f}).",
            )
        )
    if scored:
        body.append(
            table(
                [
                    "Model",
                    "AUC (higher is better)",
                    "Log loss (lower is better)",
                    "Fitted on",
                    "Held out",
                ],
                [
                    [
                        model_name(h.model),
                        num("—" if h.auc is None else f"{h.auc:.3f}"),
                        num(f"{h.log_loss:.3f}"),
                        num(f"{h.train_journeys:,} journeys"),
                        num(f"{h.test_journeys:,} journeys"),
                    ]
                    for h in sorted(scored, key=lambda h: (h.auc is None, -(h.auc or 0.0)))
                ],
                caption="Holdout scores of the data-driven models, by channel",
            )
        )
    worse = [model_name(h.model) for h in with_auc if (h.auc or 0.0) < 0.5]
    if worse:
        body.append(
            note(
                f"{', '.join(worse)} ranked held-out journeys worse than a coin flip (AUC below "
                "0.5): on this data its conversion predictions are not to be trusted.",
                kind="warning",
            )
        )
    if len(with_auc) < len(scored):
        body.append(
            note(
                "AUC needs both converting and non-converting journeys among those held out; "
                "a dash means the held-out journeys all had the same outcome, so only the log "
                "loss is available.",
            )
        )
    if scored and min(h.test_journeys for h in scored) < SMALL_SUBJECTS:
        body.append(
            note(
                f"Only {min(h.test_journeys for h in scored):,} journeys were held out, so these "
                "scores are rough: small differences between models may be chance.",
                kind="warning",
            )
        )
    if unscored:
        body.append(
            note(
                "Models that could not be scored: "
                + "; ".join(f"{model_name(h.model)}: {h.reason}" for h in unscored),
                kind="warning",
            )
        )
    return body


def attribution_section(results: RunResults) -> str:
    """Revenue by channel/campaign/owner under each attribution model, side by side."""
    title = "Which channels, campaigns and people earned the revenue"
    if results.attribution is None:
        return section("attribution", title, [unavailable(results, "attribution", "Attribution")])
    attribution = results.attribution
    body = [
        paragraph(
            "Attribution shares each won deal's amount out over the touches that led to it. "
            "Rule-based models (first touch, last touch, linear, W-shaped ...) apply a fixed "
            "rule; data-driven models (Markov, Shapley, additive hazard) learn from converting "
            "and non-converting journeys which touches made a difference. Where the models "
            "agree, the answer is robust; where they disagree, the data-driven ones deserve "
            "more weight. A won deal with no touch to credit (nobody linked to it, or no touch "
            "in the lookback) is shown as not attributed, never dropped: under every model, "
            "what is credited plus what is not attributed is exactly the won revenue."
        )
    ]
    currencies = sorted({r.currency for r in attribution.reconciliation})
    for by in attribution.dimensions:
        for currency in currencies:
            body += _attribution_block(attribution, by, currency)
    body += _unattributed_block(attribution)
    body += _holdout_block(attribution.holdout)
    if attribution.failures:
        body.append(
            note(
                "Models that could not be fitted: "
                + "; ".join(
                    f"{model_name(x.model)} by {x.by}: {x.reason}" for x in attribution.failures
                ),
                kind="warning",
            )
        )
    return section("attribution", title, body)


# --- people -----------------------------------------------------------------------------------


def _stage_reached(r: Relationship) -> str:
    s = r.stages
    for moment, word in (
        (s.won_at, "Won"),
        (s.lost_at, "Lost"),
        (s.opportunity_at, "Opportunity"),
        (s.lead_at, "Lead"),
        (s.qualified_at, "Qualified"),
    ):
        if moment is not None:
            return word
    return "Captured"


def _revenue_text(amounts: Sequence[Money]) -> str:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for m in amounts:
        sums[m.currency] += m.amount
    return ", ".join(f.money(a, c) for c, a in sorted(sums.items())) or "—"


def _money_sums(amounts: Sequence[Money]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for m in amounts:
        sums[m.currency] += m.amount
    return sums


def _sums_text(sums: dict[str, Decimal]) -> str:
    return ", ".join(f.money(a, c) for c, a in sorted(sums.items()) if a) or "—"


def people_section(results: RunResults) -> str:
    """Top relationships and owners; revenue is credited once per deal, so it sums to won."""
    title = "Top relationships and owners"
    if results.relationships is None:
        return section(
            "people", title, [unavailable(results, "relationships", "Relationship detail")]
        )
    rels = results.relationships
    ranked = sorted(
        rels,
        key=lambda r: (-sum((m.amount for m in r.revenue), Decimal(0)), -r.score, r.contact_id),
    )[:TOP_VALUES]
    body = [
        paragraph(
            "The strongest relationships by won revenue and then by relationship score (which "
            "weighs two-way exchanges most and fades with time), and how each relationship "
            "owner's portfolio is doing. Each won deal's revenue is credited once, to its "
            "primary relationship (the earliest-captured person linked to the deal), so these "
            "figures add up to the won revenue. 'Deals it is on' counts a deal for everyone on "
            "its buying committee: those figures overlap and are never added up."
        ),
        table(
            [
                "Relationship",
                "Account",
                "Owner",
                "Type",
                "Stage",
                "Score",
                "In / out",
                "Won revenue credited",
                "Deals it is on (overlapping)",
            ],
            [
                [
                    r.name or r.contact_id,
                    r.account_id or "—",
                    r.owner or "—",
                    f.label(r.stakeholder_type),
                    _stage_reached(r),
                    num(f"{r.score:,.1f}"),
                    num(f"{f.integer(r.inbound)} / {f.integer(r.outbound)}"),
                    num(_revenue_text(r.revenue)),
                    num(_revenue_text(r.deals_revenue)),
                ]
                for r in ranked
            ],
            caption=f"Top {len(ranked)} of {f.integer(len(rels))} relationships",
            numeric_from=5,
        ),
    ]
    owners: dict[str, list[Relationship]] = defaultdict(list)
    for r in rels:
        owners[r.owner or "(unassigned)"].append(r)
    order = sorted(owners, key=lambda o: (-sum(x.qualified for x in owners[o]), o))[:TOP_VALUES]
    if order:
        chart = bar_chart(
            "Relationships per owner",
            "For each relationship owner, relationships held beside those qualified.",
            order,
            [
                Series(name="Relationships", values=tuple(float(len(owners[o])) for o in order)),
                Series(
                    name="Qualified",
                    values=tuple(float(sum(x.qualified for x in owners[o])) for o in order),
                ),
            ],
            fmt=lambda v: f.integer(round(v)),
        )
        body.append(figure(chart, "Relationships held and qualified, per owner."))
        body.append(_owner_table(results, owners, order))
    return section("people", title, body)


def _owner_table(
    results: RunResults, owners: dict[str, list[Relationship]], order: Sequence[str]
) -> str:
    """Owners with their credited revenue; the last rows make the column sum to won revenue."""
    rows: list[list[Cell | str]] = []
    for o in order:
        mine = owners[o]
        delays = [x.median_response_hours for x in mine if x.median_response_hours is not None]
        rows.append(
            [
                o,
                num(f.integer(len(mine))),
                num(f.integer(sum(x.qualified for x in mine))),
                num(f.integer(sum(x.stages.won_at is not None for x in mine))),
                num(f.hours(statistics.median(delays) if delays else None)),
                num(_revenue_text([m for x in mine for m in x.revenue])),
            ]
        )
    rest = [r for o, mine in owners.items() if o not in order for r in mine]
    if rest:
        rows.append(
            [
                Cell(f"{len(owners) - len(order)} other owners"),
                num(f.integer(len(rest))),
                num(f.integer(sum(x.qualified for x in rest))),
                num(f.integer(sum(x.stages.won_at is not None for x in rest))),
                num("—"),
                num(_revenue_text([m for x in rest for m in x.revenue])),
            ]
        )
    if results.funnel is not None:
        won = won_by_currency(results.funnel)
        credited = _money_sums([m for mine in owners.values() for x in mine for m in x.revenue])
        missing = {c: won.get(c, Decimal(0)) - credited.get(c, Decimal(0)) for c in won}
        if any(missing.values()):
            rows.append(
                [Cell("No captured relationship"), "", "", "", "", num(_sums_text(missing))]
            )
        rows.append([Cell("Won in the window"), "", "", "", "", num(_sums_text(won))])
    return table(
        [
            "Owner",
            "Relationships",
            "Qualified",
            "On a won deal",
            "Typical reply time",
            "Won revenue credited",
        ],
        rows,
        caption="Relationship owners: credited revenue adds up to the won revenue",
    )


# --- window and caveats -----------------------------------------------------------------------


def _is_small(curve: SurvivalCurve) -> bool:
    return curve.subjects < SMALL_SUBJECTS or curve.events < SMALL_EVENTS


def _sample_table(survival: SurvivalResults) -> str:
    """Per transition: how many groups were estimated, how many on small samples, how many not."""
    rows: list[list[Cell | str]] = []
    for transition, (heading, _) in TRANSITION_WORDS.items():
        curves = [c for c in survival.curves if c.transition == transition]
        if not curves:
            continue
        estimated = [c for c in curves if c.insufficient is None]
        small = [c for c in estimated if _is_small(c)]
        examples = ", ".join(
            f"{_segment_name(c)} ({f.integer(c.subjects)} {UNIT_WORDS[c.unit]}, "
            f"{f.integer(c.events)} events)"
            for c in sorted(small, key=lambda c: c.subjects)[:3]
        )
        rows.append(
            [
                heading,
                num(f.integer(len(estimated))),
                num(f.integer(len(small))),
                num(f.integer(len(curves) - len(estimated))),
                Cell(examples + (", ..." if len(small) > 3 else ""), muted=True),
            ]
        )
    return table(
        ["Time to convert", "Groups estimated", "On small samples", "Not estimated", "Smallest"],
        rows,
        caption=f"Sample sizes behind the curves (small: under {SMALL_SUBJECTS} subjects "
        f"or {SMALL_EVENTS} events)",
    )


def caveats_section(results: RunResults) -> str:
    """The data window, counts and every caveat: censoring, small samples, failed sections."""
    run = results.run
    counts = run.counts
    items = [
        f"Data window: {f.when(run.window_start)} to {f.when(run.window_end)} "
        f"({f.integer(run.parameters.window_days)} days); report date {f.when(run.as_of)}.",
        f"Data read: {f.integer(counts.contacts)} contacts, {f.integer(counts.interactions)} "
        f"interactions, {f.integer(counts.leads)} leads, {f.integer(counts.deals)} deals "
        f"({f.integer(counts.won_deals)} won), {f.integer(counts.journeys)} journeys.",
        f"Attribution looks back {f.integer(run.parameters.lookback_days)} days before each "
        "conversion; touches after it never get credit.",
        "Revenue is reported per currency and never converted between currencies.",
    ]
    warnings = [
        f"Section '{s.name}' failed: {s.error or 'no reason recorded'}."
        for s in run.sections
        if s.status.value == "failed"
    ]
    if run.error:
        warnings.append(f"The run reported an error: {run.error}.")
    if results.survival is not None:
        open_counts = [
            f"{TRANSITION_WORDS[c.transition][0].lower()}: {f.integer(c.censored)} of "
            f"{f.integer(c.subjects)} {UNIT_WORDS[c.unit]}"
            for c in results.survival.curves
            if c.segment is None
        ]
        if open_counts:
            items.append(
                "Censoring — relationships and accounts still open at the report date were "
                "counted as 'not "
                "yet', not dropped: " + "; ".join(open_counts) + "."
            )
        if any(_is_small(c) for c in results.survival.curves if c.insufficient is None):
            warnings.append(
                "Some groups rest on small samples; their curves and medians are uncertain "
                "(wide bands). The 'Everyone' curves are the most reliable; see the table below."
            )
    body = [
        "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>",
        *(note(w, kind="warning") for w in warnings),
        *([_sample_table(results.survival)] if results.survival is not None else []),
        table(
            ["Section", "Status", "Time", "Note"],
            [
                [f.label(s.name), s.status.value, num(f"{s.seconds:,.1f} s"), s.error or ""]
                for s in run.sections
            ],
            caption="Sections of this run",
            numeric_from=2,
        ),
    ]
    return section("caveats", "Data window and caveats", body)
