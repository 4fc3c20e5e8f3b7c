"""Which channels, campaigns and people earned the revenue, under every model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from rel2rev.report import formatting as f
from rel2rev.report.charts import (
    Series,
    bar_chart,
    switchable_bar_chart,
)
from rel2rev.report.picker import (
    PICK,
    default_model,
    model_picker,
    picker_key,
    same_split,
)
from rel2rev.report.sections.common import (
    DATA_DRIVEN_MODELS,
    HEADLINE_MODELS,
    NEAR_ZERO,
    REASON_WORDS,
    SMALL_SUBJECTS,
    TOP_CHARTED,
    model_name,
    unavailable,
)
from rel2rev.report.tables import Cell, figure, note, num, paragraph, section, table
from rel2rev.results.contracts import (
    BASELINE,
    INCREMENTAL_MODELS,
    AttributionResults,
    HeadlineCredit,
    ModelHoldout,
    Reconciliation,
    RunResults,
)
from rel2rev.results.headline import fitted_models


def _attribution_block(
    attribution: AttributionResults,
    by: str,
    currency: str,
    *,
    key: str | None = None,
    credit: HeadlineCredit = "full",
) -> list[str]:
    """One dimension in one currency: a chart of one model at a time (a picker switches the
    model, no script; it opens on the `credit` headline model), then the exact revenue tables.
    When every model gives the same split, one chart and one column stand for all of them.
    `key` (unique in the page) prefixes the picker's ids. The baseline is no channel: it is
    kept out of the chart and closes the tables."""
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
    values = sorted((v for v in revenue if v != BASELINE), key=lambda v: -sum(revenue[v].values()))
    top = values[:TOP_CHARTED]
    body = [f"<h3>By {by} ({currency})</h3>"]
    if _all_agree(revenue, checks, models):
        return body + _agreed_block(
            by, currency, values, top=top, revenue=revenue, checks=checks, models=models
        )
    if top:
        body.append(
            _picker(
                by,
                currency,
                top,
                revenue=revenue,
                models=models,
                key=key or picker_key("model", by, currency),
                shown=models.index(
                    default_model(
                        [m for m in models if m in fitted_models(attribution)] or models, credit
                    )
                ),
            )
        )
    body += _weak_model_notes(attribution, by, values, revenue, models)
    headline = [m for m in HEADLINE_MODELS if m in models] or models[:7]
    others = [m for m in models if m not in headline]
    body.append(
        _revenue_table(
            by, currency, values, revenue, checks, models=headline, which="headline models"
        )
    )
    if others:
        body.append(
            _revenue_table(
                by, currency, values, revenue, checks, models=others, which="other models"
            )
        )
    return body


def _picker(
    by: str,
    currency: str,
    top: Sequence[str],
    *,
    revenue: dict[str, dict[str, Decimal]],
    models: Sequence[str],
    key: str,
    shown: int,
) -> str:
    """The chart of the top values under one model at a time, with the radio buttons that
    switch it (model `shown` checked)."""
    names = [model_name(m) for m in models]
    chart = switchable_bar_chart(
        f"Revenue by {by} under one attribution model ({currency})",
        f"Attributed {currency} revenue for the top {len(top)} {by} values under the chosen "
        f"model ({', '.join(names)}); {names[shown]} is shown first.",
        top,
        [
            Series(
                name=model_name(m),
                values=tuple(float(revenue[v].get(m, Decimal(0))) for v in top),
            )
            for m in models
        ],
        fmt=lambda v: f.money_short(v, currency),
        shown=shown,
        group_class=PICK,
    )
    return model_picker(
        key,
        f"Model shown in the chart ({by}, {currency})",
        names,
        chart,
        f"Top {len(top)} {by} values under the chosen model, on one scale for every model; "
        f"{names[shown]} is shown first. Every model shares out the same revenue; the exact "
        "figures of all of them are in the tables below.",
        shown=shown,
    )


def _all_agree(
    revenue: dict[str, dict[str, Decimal]],
    checks: dict[str, Reconciliation],
    models: Sequence[str],
) -> bool:
    """Every model credits every value the same, and leaves the same amount unattributed."""
    first = checks[models[0]]
    return same_split(revenue, models) and all(
        (checks[m].credited, checks[m].unattributed, checks[m].won)
        == (first.credited, first.unattributed, first.won)
        for m in models
    )


def _agreed_block(
    by: str,
    currency: str,
    values: Sequence[str],
    *,
    top: Sequence[str],
    revenue: dict[str, dict[str, Decimal]],
    checks: dict[str, Reconciliation],
    models: Sequence[str],
) -> list[str]:
    """One chart and one column for a dimension every model splits the same way."""
    everyone = f"All {len(models)} models"
    body = [
        note(
            f"Every model gives the same split of this revenue by {by}, as happens when each "
            f"won deal has a single {by} to credit (first touch, Markov and the rest then all "
            f"give it the whole amount). One column stands for all {len(models)} models "
            f"({', '.join(model_name(m) for m in models)})."
        )
    ]
    if top:
        body.append(
            figure(
                bar_chart(
                    f"Revenue by {by} ({currency}), the same under every model",
                    f"Attributed {currency} revenue for the top {len(top)} {by} values; every "
                    "model gives the same split.",
                    top,
                    [
                        Series(
                            name=everyone,
                            values=tuple(float(revenue[v].get(models[0], Decimal(0))) for v in top),
                        )
                    ],
                    fmt=lambda v: f.money_short(v, currency),
                ),
                f"Top {len(top)} {by} values; every model gives the same split.",
            )
        )
    body.append(
        _revenue_table(
            by,
            currency,
            values,
            revenue,
            checks,
            models=models[:1],
            which="every model",
            headers=[everyone],
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
    headers: Sequence[str] | None = None,
) -> str:
    """Exact attributed revenue, one row per value and one column per model; then what each
    model credited, left unattributed, and what was won (each column ties out). `headers`
    name the columns (the models' names by default)."""
    rows: list[list[Cell | str]] = [
        [v, *[num(f.money(revenue[v].get(m, Decimal(0)), currency)) for m in models]]
        for v in values
    ]
    if any(m in INCREMENTAL_MODELS for m in models):
        rows.append(
            [
                Cell("Baseline (would have closed anyway)"),
                *[
                    num(f.money(revenue[BASELINE].get(m, Decimal(0)), currency))
                    if m in INCREMENTAL_MODELS
                    else Cell("no baseline", muted=True)
                    for m in models
                ],
            ]
        )
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
        [f.label(by), *(headers or [model_name(m) for m in models])],
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
    """Revenue by channel/campaign/owner under each attribution model, one model at a time
    in the charts (a picker switches it, no script) and every model in the tables."""
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
    blocks = [
        _attribution_block(
            attribution,
            by,
            currency,
            key=f"{picker_key('model', by, currency)}-{i}",
            credit=results.run.parameters.headline_credit,
        )
        for i, (by, currency) in enumerate(
            (b, c) for b in attribution.dimensions for c in currencies
        )
    ]
    body += [part for block in blocks for part in block]
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
