"""A run's headline: the few figures later runs compare themselves with (trends)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from rel2rev.money import Money
from rel2rev.results.contracts import (
    INCREMENTAL_MODELS,
    AttributionResults,
    ChannelAmount,
    FunnelResults,
    HeadlineCredit,
    ReturnResults,
    RunHeadline,
    RunRecord,
    RunStatus,
)

TREND_MODELS = ("markov", "linear")
"""The model a headline's channel revenue is credited by: the first of these the run computed
(else its first model), or with incremental headline credit the first incremental model it
computed. The report's model picker opens on the same one."""


def trend_model(models: list[str], credit: HeadlineCredit = "full") -> str | None:
    """The model headlines and pickers show first, or None without models."""
    chosen = INCREMENTAL_MODELS if credit == "incremental" else ()
    return next((m for m in (*chosen, *TREND_MODELS) if m in models), models[0] if models else None)


def fitted_models(attribution: AttributionResults) -> list[str]:
    """The run's models that were fitted for every dimension (a failed one credits nothing)."""
    failed = {x.model for x in attribution.failures}
    return [m for m in attribution.models if m not in failed]


def headline_of(
    funnel: FunnelResults | None,
    attribution: AttributionResults | None,
    returns: ReturnResults | None,
    credit: HeadlineCredit = "full",
) -> RunHeadline:
    """The headline of a run's sections (a failed section leaves its figures empty), its
    channels credited as `credit` says (`trend_model`)."""
    captured = qualified = 0
    if funnel is not None:
        overall = [r for r in funnel.rows if r.by is None]
        captured = sum(r.captured for r in overall)
        qualified = sum(r.qualified for r in overall)
    model = trend_model(fitted_models(attribution), credit) if attribution is not None else None
    channels: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    if attribution is not None:
        for total in attribution.totals:
            if total.model == model and total.by == "channel":
                channels[(total.value, total.amount.currency)] += total.amount.amount
    return RunHeadline(
        captured=captured,
        qualified=qualified,
        won_deals=funnel.won_deals if funnel is not None else 0,
        won=list(funnel.won) if funnel is not None else [],
        spend=list(returns.spend) if returns is not None else [],
        model=model,
        channels=[
            ChannelAmount(value=value, amount=Money.of(amount, currency))
            for (value, currency), amount in sorted(channels.items())
        ],
    )


TREND_RUNS = 12
"""Earlier runs a run's trend shows at most."""


def trend_runs(earlier: Iterable[RunRecord], run: RunRecord) -> list[RunRecord]:
    """The runs a trend compares `run` with: the workspace's finished runs before its as-of of
    the same window length, with a headline, the latest created per as-of, at most
    `TREND_RUNS` of them (the latest), oldest first."""
    finished = {RunStatus.SUCCEEDED, RunStatus.PARTIAL}
    chosen: dict[date, RunRecord] = {}
    for other in earlier:
        comparable = (
            other.workspace == run.workspace
            and other.as_of < run.as_of
            and other.status in finished
            and other.headline is not None
            and other.parameters.window_days == run.parameters.window_days
        )
        kept = chosen.get(other.as_of)
        if comparable and (kept is None or other.created_at > kept.created_at):
            chosen[other.as_of] = other
    return [chosen[d] for d in sorted(chosen)[-TREND_RUNS:]]
