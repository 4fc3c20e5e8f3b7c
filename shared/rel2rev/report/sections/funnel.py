"""Capture to won: the funnel and the engagement behind it."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from rel2rev.report import formatting as f
from rel2rev.report.charts import (
    Series,
    bar_chart,
)
from rel2rev.report.sections.common import (
    STAGE_FLOW_WORDS,
    STAGE_JUMP_DEFAULT,
    STAGE_JUMP_WORDS,
    STAGE_WORDS,
    STAGES,
    TOP_VALUES,
    UNPLACED_WORDS,
    overall_funnel,
    revenue_text,
    unavailable,
)
from rel2rev.report.tables import figure, key_figures, note, num, paragraph, section, table
from rel2rev.results.contracts import (
    FunnelResults,
    RunResults,
)


def _stage_rate(stages: dict[str, int], index: int) -> str:
    """'29% of previous stage'; stages are counted on their own, so a count above the previous
    stage is said in words (and explained in a note under the chart), not as >100%."""
    if index == 0 or not stages[STAGES[index - 1]]:
        return ""
    previous = STAGES[index - 1]
    here, before = stages[STAGES[index]], stages[previous]
    if here > before:
        return f"more than the {f.integer(before)} {STAGE_FLOW_WORDS[previous]}: see note"
    return f"{f.percent(here / before)} of previous stage"


def flow_text(stages: dict[str, int]) -> str:
    """'capture 1,200 → qualified 39 → lead 99 → opportunity 50 → won 20'."""
    return " → ".join(f"{STAGE_FLOW_WORDS[s]} {f.integer(stages[s])}" for s in STAGES)


def stage_jumps(stages: dict[str, int]) -> list[str]:
    """One plain sentence per stage that counts more relationships than the stage before it,
    naming both stages, both counts and why (docs/definitions.md, "Funnel stages")."""
    out = []
    for earlier, later in pairwise(STAGES):
        before, here = stages[earlier], stages[later]
        if here <= before:
            continue
        reason = STAGE_JUMP_WORDS.get(earlier, STAGE_JUMP_DEFAULT)
        out.append(
            f"Why {STAGE_FLOW_WORDS[earlier]} {f.integer(before)} → {STAGE_FLOW_WORDS[later]} "
            f"{f.integer(here)} goes up: each stage is counted on its own, not as a subset of "
            f"the stage before; {reason}. So at least {f.integer(here - before)} of the "
            f"{f.integer(here)} relationships at {STAGE_FLOW_WORDS[later]} reached it without "
            f"being counted at {STAGE_FLOW_WORDS[earlier]}. Both figures count people "
            "(relationships), so the gap is not a difference of units."
        )
    return out


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
        paragraph(f"Stage by stage: {flow_text(stages)}."),
        *(note(text) for text in stage_jumps(stages)),
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
        f"{revenue_text(u.revenue)} from {f.integer(u.deals)} deal(s): "
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
