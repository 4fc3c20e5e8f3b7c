"""The demo's closing summary: funnel, revenue by channel side by side, recovery, reconciliation."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from rel2rev.demo.flow import DemoResult, recoveries

REVENUE_MODELS = ("linear", "markov", "additive_hazard")
"""The three models shown side by side: a heuristic and two data-driven ones."""
DATA_DRIVEN = frozenset({"markov", "shapley", "shapley_rate", "additive_hazard"})


def _money(amount: Decimal) -> str:
    return f"{amount:,.0f}"


def funnel_table(result: DemoResult) -> Table | None:
    """Counts per stage, from capture to revenue."""
    if result.funnel is None or not result.funnel.groups:
        return None
    group = result.funnel.groups[0]
    table = Table(
        title="Funnel: relationships (contacts) reaching each stage", title_justify="left"
    )
    stages = ("captured", "qualified", "lead", "opportunity", "won", "lost")
    for name in stages:
        table.add_column(name, justify="right")
    table.add_row(*(str(getattr(group, n)) for n in stages))
    revenue = " + ".join(f"{_money(m.amount)} {m.currency}" for m in result.funnel.won)
    table.caption = (
        f"{group.won} relationships on {result.funnel.won_deals} won deals, won revenue "
        f"{revenue}; {group.relationship_interactions} conversational interactions beside "
        f"{group.vanity_interactions} reactions (likes, follows, views, shares)"
    )
    return table


def tie_out_table(result: DemoResult) -> Table | None:
    """Per currency: won = attributed + not attributed, from the finance API, with the models
    that agree on the split on one row."""
    if result.attribution is None or not result.attribution.reconciliation:
        return None
    groups: dict[tuple[str, Decimal, Decimal, Decimal], list[str]] = defaultdict(list)
    for row in result.attribution.reconciliation:
        key = (row.currency, row.won.amount, row.credited.amount, row.unattributed.amount)
        groups[key].append(row.model)
    table = Table(
        title="Won revenue = attributed + not attributed (finance API, by channel)",
        title_justify="left",
    )
    for column in ("currency", "won", "attributed", "not attributed", "models"):
        table.add_column(column, justify="left" if column in ("currency", "models") else "right")
    every = len(result.attribution.models)
    for (currency, won, credited, missing), models in sorted(groups.items()):
        ties = "" if credited + missing == won else " ✗"
        table.add_row(
            currency,
            f"{won:,}",
            f"{credited:,}",
            f"{missing:,}{ties}",
            f"all {every}" if len(models) == every else ", ".join(models),
        )
    return table


def revenue_tables(result: DemoResult) -> list[Table]:
    """Won revenue by channel: the planted truth beside three models, one table per currency."""
    if result.attribution is None:
        return []
    credited: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    ran: set[str] = set()
    for total in result.attribution.totals:
        if total.by == "channel" and total.model in REVENUE_MODELS:
            credited[total.amount.currency][total.value][total.model] = total.amount.amount
            ran.add(total.model)
    truth = result.world.truth.expected_revenue
    tables = []
    for currency in sorted(set(credited) | set(truth)):
        table = Table(title=f"Won revenue by channel, {currency}", title_justify="left")
        table.add_column("channel")
        table.add_column("planted truth", justify="right", style="bold")
        for model in REVENUE_MODELS:
            table.add_column(model, justify="right")
        channels = sorted(
            set(credited[currency]) | set(truth.get(currency, {})),
            key=lambda c: -truth.get(currency, {}).get(c, Decimal(0)),
        )
        for channel in channels:
            row = credited[currency].get(channel, {})
            table.add_row(
                channel,
                _money(truth.get(currency, {}).get(channel, Decimal(0))),
                *(_money(row.get(m, Decimal(0))) if m in ran else "failed" for m in REVENUE_MODELS),
            )
        tables.append(table)
    return tables


def recovery_table(result: DemoResult) -> Table | None:
    """How far each model's channel shares are from the planted ones (percentage points)."""
    found = recoveries(result)
    if not found:
        return None
    table = Table(
        title="Recovery of the planted channel effects (share of conversions)",
        title_justify="left",
    )
    table.add_column("model")
    table.add_column("kind")
    table.add_column("mean error (pp)", justify="right")
    table.add_column("max error (pp)", justify="right")
    for model, recovery in sorted(found.items(), key=lambda item: item[1].mean_error_pp):
        kind = "data-driven" if model in DATA_DRIVEN else "heuristic"
        table.add_row(model, kind, f"{recovery.mean_error_pp:.1f}", f"{recovery.max_error_pp:.1f}")
    return table


def print_summary(result: DemoResult, console: Console) -> None:
    """Print the whole summary."""
    console.rule("rel2rev demo: summary")
    delivered, stale = result.delivered, result.stale
    if result.api_objects:
        console.print(
            f"Read {result.api_objects} HubSpot objects ({result.api_events} events) through "
            "HubSpot's API before the webhooks started: the history the webhooks never sent."
        )
    if delivered is not None:
        console.print(
            f"Delivered {delivered.requests} webhook requests from 4 sources "
            f"({delivered.retries} retries) + {stale.requests if stale else 0} stale updates, "
            f"and {result.backfill_rows} backfilled rows "
            f"({result.events_accepted} events acknowledged by the JSON endpoints); "
            f"{result.cost_lines} cost lines sent with PUT /v1/costs."
        )
    run = result.run
    if run is not None:
        counts, world = run.counts, result.world.truth.counts
        console.print(
            f"Run {run.run_id} ({run.status.value}): stored {counts.contacts} contacts, "
            f"{counts.interactions} interactions ({world.interactions} in the world: "
            f"redeliveries stored once), {counts.deals} deals, {counts.won_deals} won."
        )
    for table in [
        funnel_table(result),
        tie_out_table(result),
        *revenue_tables(result),
        recovery_table(result),
    ]:
        if table is not None:
            console.print(table)
    check = result.reconciliation
    if check is not None:
        verdict = "[green]every deal reconciles to the cent[/green]" if check.ok else "[red]FAILED"
        console.print(
            f"Finance: {check.deals} won deals × {len(check.models)} models × dimensions "
            f"({check.checks} checks, {check.unattributed} on an unattributed line with its "
            f"reason) pulled through the API with an API key: {verdict}."
        )
    if result.report is not None:
        console.print(
            f"Report: [bold]{result.report.resolve()}[/bold] "
            f"({len(result.files)} export files in {result.report.parent})"
        )
    total = sum(result.timings.values())
    console.print(f"Done in {total:.0f} s.")
