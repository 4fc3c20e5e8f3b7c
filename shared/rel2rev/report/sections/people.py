"""The people behind the revenue: relationships and owners."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from rel2rev.money import Money
from rel2rev.report import formatting as f
from rel2rev.report.charts import (
    Series,
    bar_chart,
)
from rel2rev.report.sections.common import (
    TOP_VALUES,
    revenue_text,
    unavailable,
    won_by_currency,
)
from rel2rev.report.tables import Cell, figure, num, paragraph, section, table
from rel2rev.results.contracts import (
    Relationship,
    RunResults,
)


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
                    num(revenue_text(r.revenue)),
                    num(revenue_text(r.deals_revenue)),
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
                num(revenue_text([m for x in mine for m in x.revenue])),
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
                num(revenue_text([m for x in rest for m in x.revenue])),
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
