"""What the simulated company spent: cost lines per channel (and paid campaign) per month.

Derived from the world's interactions after the fact, so the records of a seed never change:
each touch of a channel costs that channel's unit cost (staff time, tools, event seats) in
its account's currency, paid clicks cost what their interaction says, per campaign, and each
costed channel carries a fixed monthly base (tools, subscriptions) in every month it was used.
`direct` (people finding the company on their own) costs nothing and gets no line, so the
report shows it without a return.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from rel2rev.money import Money
from rel2rev.simulate.world import World
from rel2rev.spend import CostLine, month_of

UNIT_COST: dict[str, Decimal] = {
    "linkedin_post": Decimal("2.00"),
    "linkedin_comment": Decimal("5.00"),
    "linkedin_dm": Decimal("15.00"),
    "email": Decimal("6.00"),
    "webinar": Decimal("90.00"),
    "meeting": Decimal("250.00"),
    "call": Decimal("45.00"),
    "referral": Decimal("400.00"),
}
"""Cost of one touch of a channel (in the account's currency)."""
MONTHLY_BASE: dict[str, Decimal] = {
    "linkedin_post": Decimal("1500.00"),
    "email": Decimal("900.00"),
    "webinar": Decimal("2500.00"),
    "paid": Decimal("1200.00"),
}
"""A channel's fixed cost in each month and currency it was used in (tools, subscriptions)."""


def world_costs(world: World) -> list[CostLine]:
    """The world's cost lines, in key order."""
    currency_of = {a.account_id: a.currency for a in world.accounts}
    spend: dict[tuple[str, str, str, str], Decimal] = defaultdict(Decimal)
    for touch in world.records.interactions:
        currency = currency_of.get(touch.account_id or "", "EUR")
        month = month_of(touch.occurred_at)
        if touch.cost is not None:
            key = (month, touch.channel, touch.campaign or "", touch.cost.currency)
            spend[key] += touch.cost.amount
        elif touch.channel in UNIT_COST:
            spend[(month, touch.channel, "", currency)] += UNIT_COST[touch.channel]
        if touch.channel in MONTHLY_BASE:
            spend.setdefault((month, touch.channel, "", currency), Decimal(0))
    for (month, channel, campaign, currency), amount in list(spend.items()):
        if not campaign and channel in MONTHLY_BASE:
            spend[(month, channel, campaign, currency)] = amount + MONTHLY_BASE[channel]
    return sorted(
        (
            CostLine(
                month=month,
                channel=channel,
                campaign=campaign or None,
                amount=Money.of(amount, currency),
            )
            for (month, channel, campaign, currency), amount in spend.items()
        ),
        key=lambda line: line.key,
    )


def cost_file_text(lines: list[CostLine]) -> str:
    """The lines as a costs CSV (`rel2rev costs import` and `rel2rev job` read it)."""
    rows = ["month,channel,campaign,amount,currency"]
    rows += [
        f"{c.month},{c.channel},{c.campaign or ''},{c.amount.amount},{c.amount.currency}"
        for c in lines
    ]
    return "\n".join(rows) + "\n"
