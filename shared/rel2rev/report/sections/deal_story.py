"""One won deal, touch by touch: what a leader opens when a number surprises.

For the largest won deal of each currency: its buying committee, its touches in time order and
each model's split of its amount by channel. Every won deal's story is in the API
(`GET /v1/attribution/deals/{deal_id}`: committee, touches and lines).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from html import escape

from rel2rev.report import formatting as f
from rel2rev.report.charts import TimelinePoint, timeline_chart
from rel2rev.report.sections.common import HEADLINE_MODELS, model_name, unavailable
from rel2rev.report.tables import Cell, figure, note, num, paragraph, section, table
from rel2rev.results.contracts import (
    AttributionResults,
    CreditLines,
    DealAttribution,
    RunResults,
)

SHOWN_TOUCHES = 40
"""Touches listed per deal; the rest are counted."""


def story_deals(attribution: AttributionResults) -> list[DealAttribution]:
    """The largest won deal of each currency that some model credited (one per currency)."""
    credited = set(attribution.lines.column("deal_id"))
    best: dict[str, DealAttribution] = {}
    for deal in attribution.deals:
        if deal.amount is None or deal.deal_id not in credited:
            continue
        current = best.get(deal.amount.currency)
        if current is None or current.amount is None or deal.amount.amount > current.amount.amount:
            best[deal.amount.currency] = deal
    return [best[c] for c in sorted(best)]


def deal_story_section(results: RunResults) -> str:
    """The story of the largest won deal per currency."""
    title = "One won deal, touch by touch"
    if results.attribution is None:
        return section("deal-story", title, [unavailable(results, "attribution", "Attribution")])
    deals = story_deals(results.attribution)
    if not deals:
        return section("deal-story", title, [note("No won deal was credited in this window.")])
    ids = results.attribution.lines.column("deal_id")
    body = [
        paragraph(
            "When a number surprises, open the deal behind it. Here is the largest won deal of "
            "each currency: who was on its buying committee, every touch the models credit, in "
            "time order, and how each model split its amount by channel. Any won deal's story "
            "is in the finance API (GET /v1/attribution/deals/{deal_id})."
        )
    ]
    for deal in deals:
        own = results.attribution.lines.take(i for i, d in enumerate(ids) if d == deal.deal_id)
        body += _story(deal, own, results.attribution.models)
    return section("deal-story", title, body)


def _story(deal: DealAttribution, lines: CreditLines, models: list[str]) -> list[str]:
    amount = deal.amount
    assert amount is not None  # story_deals keeps deals with an amount
    heading = deal.name or deal.deal_id
    facts = [
        f.money(amount.amount, amount.currency),
        f"won {f.when(deal.closed_at)}" if deal.closed_at else "won",
        f"account {deal.account_id}" if deal.account_id else "",
        f"{len(deal.touches)} touches",
    ]
    body = [f"<h3>{escape(heading)}</h3>", paragraph(" · ".join(x for x in facts if x))]
    touched = Counter(t.contact for t in deal.touches if t.contact)
    if deal.committee:
        body.append(
            table(
                ["Contact", "Role", "Touches"],
                [
                    [m.contact_id, m.role or "—", num(f.integer(touched.get(m.contact_id, 0)))]
                    for m in deal.committee
                ],
                caption=f"Buying committee of {heading}",
                numeric_from=2,
            )
        )
    others = set(touched) - {m.contact_id for m in deal.committee}
    if others:
        body.append(
            note(
                f"{len(others)} other {'person' if len(others) == 1 else 'people'} at the "
                "account were touched too: a deal's journey holds the touches of everyone "
                "linked to it, and the models credit those as well."
            )
        )
    rows: list[list[Cell | str]] = [
        [f.when(t.at) if t.at else "—", t.contact or "—", t.channel, t.campaign or "—",
         t.type or "—"]
        for t in list(deal.touches)[:SHOWN_TOUCHES]
    ]  # fmt: skip
    chart = _timeline(deal, heading)
    if chart:
        body.append(figure(chart, f"Every touch of {heading}, one line per person."))
    if rows:
        more = len(deal.touches) - len(rows)
        caption = f"Touches of {heading} in time order" + (f" (first {len(rows)})" if more else "")
        body.append(
            table(["Date", "Contact", "Channel", "Campaign", "Type"], rows, caption=caption)
        )
        if more:
            body.append(note(f"{more} later touches are in the API's answer for this deal."))
    body.append(_split_table(deal, lines, models, heading))
    return body


def _timeline(deal: DealAttribution, heading: str) -> str | None:
    """The deal's touches as dots: one line per person, by day since the first touch,
    coloured by channel (None when no touch has a time)."""
    timed = [t for t in deal.touches if t.at is not None]
    if not timed:
        return None
    first = min(t.at for t in timed if t.at is not None)
    people = list(dict.fromkeys(t.contact or "someone unnamed" for t in timed))
    points = [
        TimelinePoint(
            row=t.contact or "someone unnamed",
            day=(t.at - first).total_seconds() / 86_400,
            series=t.channel,
            tip=f"{f.when(t.at)}: {t.contact or 'someone'} via {t.channel}",
        )
        for t in timed
        if t.at is not None
    ]
    return timeline_chart(
        f"Touches of {heading} over time",
        f"{len(points)} touches on {len(people)} people, by day since the first touch, "
        "coloured by channel.",
        people,
        points,
        "Days since the first touch",
    )


def _split_table(deal: DealAttribution, lines: CreditLines, models: list[str], heading: str) -> str:
    """Each model's split of the deal's amount by channel (exact; each column sums to it)."""
    amount = deal.amount
    assert amount is not None
    split: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for line in lines:
        if line.by == "channel":
            split[line.value][line.model] = line.amount.amount
    shown = [m for m in HEADLINE_MODELS if m in models] or models
    values = sorted(split, key=lambda v: -sum(split[v].values()))
    rows: list[list[Cell | str]] = [
        [v, *[num(f.money(split[v].get(m, Decimal(0)), amount.currency)) for m in shown]]
        for v in values
    ]
    rows.append(
        [
            Cell("Deal amount"),
            *[num(f.money(amount.amount, amount.currency)) for _ in shown],
        ]
    )
    return table(
        ["Channel", *[model_name(m) for m in shown]],
        rows,
        caption=f"How each model split {heading} by channel ({amount.currency}, exact)",
    )
