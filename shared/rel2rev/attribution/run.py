"""`run_models`: every requested model on the same journeys, errors kept per model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

import numpy as np

from rel2rev.attribution.baseline import baseline_rate, estimate_baseline, with_baseline_touch
from rel2rev.attribution.compare import bootstrap_intervals, comparison_table, score, split_holdout
from rel2rev.attribution.credit import (
    Credit,
    conversions_by_value,
    finish,
    spread_over_touches,
    unattributed,
    won_amounts,
)
from rel2rev.attribution.hazard import AdditiveHazard
from rel2rev.attribution.journeys import Journey
from rel2rev.attribution.logistic import LogisticModel
from rel2rev.attribution.markov import fit_chain
from rel2rev.attribution.positional import (
    PRESETS,
    PositionRule,
    position_conversions,
    position_weights,
)
from rel2rev.attribution.report import AttributionReport, ModelResult
from rel2rev.attribution.shapley import coalition_shapley, fit_game, journey_masks
from rel2rev.attribution.table import FloatArray, IntArray, JourneyTable
from rel2rev.errors import InsufficientDataError

POSITION_MODELS = tuple(PRESETS)
INCREMENTAL_MODELS = ("shapley_incremental", "additive_hazard_incremental", "logistic_incremental")
"""Models whose credit splits into `(baseline)` and values (docs/definitions.md, "Baseline")."""
FULL_CREDIT_MODELS = (
    *POSITION_MODELS, "markov", "shapley", "shapley_rate", "additive_hazard", "logistic",
)  # fmt: skip
"""Models that spread all of each conversion over its touches (no baseline)."""
ALL_MODELS = (*FULL_CREDIT_MODELS, *INCREMENTAL_MODELS)
"""Every model name, in the order reports list them."""
MODEL_ALIASES = {"shapley_simplified": "shapley"}
"""Other names a model answers to: Zhao's simplified Shapley value IS the exact Shapley value
of the coalition game (docs/definitions.md, "Shapley"), so the name stays as an alias."""
PREDICTIVE_MODELS = (
    "markov", "shapley_rate", "additive_hazard", "additive_hazard_incremental",
    "logistic", "logistic_incremental",
)  # fmt: skip
"""Models that predict conversion, so get a holdout score."""


def canonical_model(name: str) -> str:
    """The model a name (or alias) stands for."""
    return MODEL_ALIASES.get(name, name)


def _position(table: JourneyTable, by: str, rule: PositionRule) -> Credit:
    conversions = position_conversions(table.converting, by, rule)
    return Credit(conversions, lambda t: position_weights(t, rule))


def _markov(table: JourneyTable, by: str, order: int) -> Credit:
    chain = fit_chain(table, by, order)
    p, effects = chain.removal_effects()
    if effects.sum() <= 0:
        raise InsufficientDataError("markov: no removal changes P(conversion)")
    converting = float(table.conversions[table.lengths > 0].sum())
    diagnostics = {"p_conversion": p, "states": float(len(chain.states))}
    diagnostics |= {
        f"removal_effect:{label}": float(e) for label, e in zip(chain.labels, effects, strict=True)
    }
    return Credit(
        effects / effects.sum() * converting,
        lambda t: spread_over_touches(t, by, lambda _j, code: effects[code]),
        diagnostics,
    )


def _shapley(table: JourneyTable, by: str) -> Credit:
    """The coalition game: each converting journey's conversion split evenly over its distinct
    values (the exact Shapley value); deal lines and touch credits use that same even split."""
    phi = coalition_shapley(table, by)
    return Credit(phi, lambda t: spread_over_touches(t, by, lambda j, _code: np.ones(len(j))))


def _shapley_rate(table: JourneyTable, by: str) -> Credit:
    """The conversion-rate game of observed value sets, published non-negative: each set's
    Shapley values clipped at 0 and normalised (all ≤ 0: even) weigh its conversions, its deal
    lines and its touch credits alike."""
    game = fit_game(table, by)
    phi = np.clip(game.phi, 0.0, None)
    members = ((game.masks[:, None] >> np.arange(phi.shape[1], dtype=np.int64)) & 1).astype(float)
    phi = np.where(phi.sum(axis=1, keepdims=True) > 0, phi, members)
    weights = phi / phi.sum(axis=1, keepdims=True)

    def touch_weights(journeys: JourneyTable) -> FloatArray:
        def pair_weight(journey: IntArray, code: IntArray) -> FloatArray:
            masks = journey_masks(journeys, by)[journey]
            row = np.minimum(np.searchsorted(game.masks, masks), len(game.masks) - 1)
            found: FloatArray = np.where(game.masks[row] == masks, weights[row, code], 0.0)
            return found

        return spread_over_touches(journeys, by, pair_weight)

    diagnostics = {"value_sets": float(len(game.masks)), "base_rate": game.base_rate}
    return Credit(game.conversions @ weights, touch_weights, diagnostics)


def _shapley_incremental(table: JourneyTable, by: str) -> Credit:
    """The rate game with v(∅) = b, the baseline rate: a converting journey of set T gives
    b / v(T) of its conversion to the baseline (all of it when v(T) ≤ b), the rest to its values
    in proportion to their φ clipped at 0; a converting journey without touches is all
    baseline. The same weights split deals and touches."""
    b = baseline_rate(table, "shapley_incremental")
    game = fit_game(table, by, baseline=b)
    phi = np.clip(game.phi, 0.0, None)
    total = phi.sum(axis=1, keepdims=True)
    lift = np.where(game.rates > b, 1.0 - b / np.maximum(game.rates, 1e-300), 0.0)
    values = np.divide(phi, total, out=np.zeros_like(phi), where=total > 0) * lift[:, None]
    weights = np.hstack([values, (1.0 - lift)[:, None]])  # the last column is the baseline
    n_values = phi.shape[1]
    touchless = float(table.conversions[table.lengths == 0].sum())
    conversions = game.conversions @ weights
    conversions[n_values] += touchless

    def touch_weights(journeys: JourneyTable) -> FloatArray:
        masks = journey_masks(journeys, by) & ~(np.int64(1) << n_values)  # without the baseline

        def pair_weight(journey: IntArray, code: IntArray) -> FloatArray:
            own = masks[journey]
            row = np.minimum(np.searchsorted(game.masks, own), len(game.masks) - 1)
            found = np.where(game.masks[row] == own, weights[row, code], 0.0)
            alone: FloatArray = np.where(own == 0, 1.0, found)  # no touch: all baseline
            return alone

        return spread_over_touches(journeys, by, pair_weight)

    diagnostics = {"baseline_rate": b, "value_sets": float(len(game.masks))}
    return Credit(conversions, touch_weights, diagnostics, with_baseline_touch(table))


def _logistic(table: JourneyTable, by: str, *, incremental: bool) -> Credit:
    """The regularised logistic model of conversion on the value set (`logistic.py`): each
    converting journey's conversion split by the exact Shapley value of p(S) - p(∅), the
    intercept's p(∅)/p(T) to the baseline (`incremental`), or of p(S) with v(∅) = 0, all to
    the values (full credit). The same weights split deals and touches."""
    model = LogisticModel(by).fit(table)
    n_values = len(model.labels_)

    def set_weights(masks: IntArray) -> tuple[IntArray, FloatArray]:
        sets, inverse = np.unique(masks, return_inverse=True)
        return inverse, model.weights(sets, incremental=incremental)

    converting = table.conversions > 0
    row, weights = set_weights(journey_masks(table, by)[converting])
    conversions = table.conversions[converting] @ weights[row]

    def touch_weights(journeys: JourneyTable) -> FloatArray:
        masks = journey_masks(journeys, by) & ~(np.int64(1) << n_values)  # without the baseline
        row, weights = set_weights(masks)

        def pair_weight(journey: IntArray, code: IntArray) -> FloatArray:
            found: FloatArray = weights[row[journey], code]
            return found

        return spread_over_touches(journeys, by, pair_weight)

    diagnostics = {
        "intercept": model.intercept_,
        "baseline_probability": model.baseline_,
        "penalty": model.penalty,
        "log_likelihood": model.log_likelihood_,
        "iterations": float(model.iterations_),
    }
    diagnostics |= {
        f"coefficient:{label}": float(beta)
        for label, beta in zip(model.labels_, model.coef_, strict=True)
    }
    credited = with_baseline_touch(table) if incremental else None
    return Credit(conversions, touch_weights, diagnostics, credited)


def _hazard_incremental(table: JourneyTable, by: str, decay: str | timedelta) -> Credit:
    """The additive hazard with a fitted constant λ0: a conversion's baseline part is λ0's
    share of its hazard, each touch's part its own share (a journey without touches: all
    baseline)."""
    model = AdditiveHazard(by, decay, baseline=True).fit(table)
    credited = with_baseline_touch(table)
    weights = model.touch_weights(credited)
    diagnostics = {"log_likelihood": model.log_likelihood_, "baseline_per_day": model.baseline_}
    for label, beta, omega in zip(model.labels_, model.beta_, model.omega_, strict=True):
        diagnostics[f"beta_per_day:{label}"] = float(beta)
        diagnostics[f"omega_per_day:{label}"] = float(omega)
    return Credit(
        conversions_by_value(credited, by, weights),
        lambda t: weights if t is credited else model.touch_weights(t),
        diagnostics,
        credited,
    )


def _hazard(table: JourneyTable, by: str, decay: str | timedelta) -> Credit:
    model = AdditiveHazard(by, decay).fit(table)
    weights = model.touch_weights(table)
    diagnostics = {"log_likelihood": model.log_likelihood_}
    for label, beta, omega in zip(model.labels_, model.beta_, model.omega_, strict=True):
        diagnostics[f"beta_per_day:{label}"] = float(beta)
        diagnostics[f"omega_per_day:{label}"] = float(omega)
    return Credit(
        conversions_by_value(table, by, weights),
        lambda t: weights if t is table else model.touch_weights(t),
        diagnostics,
    )


def model_credit(
    table: JourneyTable,
    model: str,
    by: str = "channel",
    *,
    order: int = 1,
    half_life: timedelta = timedelta(days=7),
    hazard_decay: str | timedelta = "per_value",
) -> Credit:
    """Run one model; raises `InsufficientDataError` when the data cannot support it."""
    model = canonical_model(model)
    if not ((table.conversions > 0) & (table.lengths > 0)).any():
        raise InsufficientDataError(f"{model}: no converting journey with touches")
    if model in PRESETS:
        rule = PRESETS[model]
        if rule.half_life is not None:
            rule = PositionRule(rule.anchors, rule.rest, half_life, rule.direct_label)
        return _position(table, by, rule)
    if model == "markov":
        return _markov(table, by, order)
    if model == "shapley":
        return _shapley(table, by)
    if model == "shapley_rate":
        return _shapley_rate(table, by)
    if model == "additive_hazard":
        return _hazard(table, by, hazard_decay)
    if model == "shapley_incremental":
        return _shapley_incremental(table, by)
    if model == "additive_hazard_incremental":
        return _hazard_incremental(table, by, hazard_decay)
    if model in ("logistic", "logistic_incremental"):
        return _logistic(table, by, incremental=model == "logistic_incremental")
    raise ValueError(f"unknown model {model!r}; known: {' '.join(ALL_MODELS)}")


def predict(
    train: JourneyTable,
    test: JourneyTable,
    model: str,
    by: str,
    *,
    order: int = 1,
    hazard_decay: str | timedelta = "per_value",
) -> FloatArray:
    """Conversion probability of `test`'s journeys from `model` fitted on `train`."""
    model = canonical_model(model)
    if model == "markov":
        return fit_chain(train, by, order).predict(test, by)
    if model == "shapley_rate":
        return fit_game(train, by).predict(journey_masks(test, by))
    if model in ("additive_hazard", "additive_hazard_incremental"):
        baseline = model == "additive_hazard_incremental"
        return AdditiveHazard(by, hazard_decay, baseline=baseline).fit(train).predict(test)
    if model in ("logistic", "logistic_incremental"):
        return LogisticModel(by).fit(train).predict(test)
    raise ValueError(f"{model} does not predict conversion")


def run_models(
    journeys: Sequence[Journey] | JourneyTable,
    models: Sequence[str] = ALL_MODELS,
    by: str = "channel",
    **params: Any,
) -> AttributionReport:
    """Run `models` crediting dimension `by`; each model's failure stays in its own entry.

    Parameters: `order` (Markov, default 1), `half_life` (time decay, default 7 days),
    `holdout` (fraction of journeys held out to score the predictive models, default 0: off),
    `hazard_decay` (additive hazard: "per_value" (default), "shared" or a half-life timedelta),
    `bootstrap` (number of draws for share intervals, default 0: off), `seed` (default 0),
    `detail` (deal lines and revenue, default True), `touches` (touch credits, default True).
    """
    models = list(dict.fromkeys(canonical_model(m) for m in models))
    unknown = [m for m in models if m not in ALL_MODELS]
    if unknown:
        raise InsufficientDataError(f"unknown model {unknown[0]!r}; known: {' '.join(ALL_MODELS)}")
    table = journeys if isinstance(journeys, JourneyTable) else JourneyTable.from_journeys(journeys)
    order: int = params.get("order", 1)
    half_life: timedelta = params.get("half_life", timedelta(days=7))
    decay: str | timedelta = params.get("hazard_decay", "per_value")
    settings: dict[str, Any] = {"order": order, "half_life": half_life, "hazard_decay": decay}
    holdout: float = params.get("holdout", 0.0)
    draws: int = params.get("bootstrap", 0)
    seed: int = params.get("seed", 0)
    detail: bool = params.get("detail", True)
    touches: bool = params.get("touches", True)
    if by not in table.dimensions:
        raise InsufficientDataError(
            f"unknown dimension {by!r}; known: {', '.join(sorted(table.dimensions))}"
        )
    results: dict[str, ModelResult] = {}
    for model in models:
        try:
            credit = model_credit(table, model, by, **settings)
            credited = credit.table if credit.table is not None else table
            result = finish(credited, by, model, credit, detail=detail, touches=touches)
            result.incremental = model in INCREMENTAL_MODELS
            if draws > 0:
                result.share_intervals = bootstrap_intervals(
                    table,
                    partial(_shares, model=model, by=by, settings=settings),
                    draws,
                    seed,
                )
            if holdout > 0 and model in PREDICTIVE_MODELS:
                try:
                    train, test = split_holdout(table, holdout, seed)
                    if test.conversions.sum() + test.nulls.sum() <= 0:
                        raise InsufficientDataError(f"{model}: the holdout is empty")
                    probability = predict(train, test, model, by, order=order, hazard_decay=decay)
                    result.holdout = score(probability, test.conversions, test.nulls)
                except InsufficientDataError as exc:
                    result.holdout_error = f"insufficient data: {exc.message}"
        except (InsufficientDataError, np.linalg.LinAlgError) as exc:
            message = exc.message if isinstance(exc, InsufficientDataError) else str(exc)
            result = ModelResult(
                model=model,
                error=f"insufficient data: {message}",
                unattributed=unattributed(table, model, "model_failed") if detail else [],
            )
        results[model] = result
    touched = table.lengths > 0
    return AttributionReport(
        by=by,
        journeys=float((table.conversions + table.nulls).sum()),
        converting_journeys=float(table.conversions.sum()),
        unattributed_journeys=[
            table.ids[int(i)] for i in np.flatnonzero(~touched & (table.conversions > 0))
        ],
        won=won_amounts(table),
        models=results,
        comparison=comparison_table(results),
        baseline=estimate_baseline(table, seed=seed),
    )


def _shares(
    table: JourneyTable, *, model: str, by: str, settings: dict[str, Any]
) -> dict[str, float]:
    credit = model_credit(table, model, by, **settings)
    _, labels = (credit.table if credit.table is not None else table).codes(by)
    conversions = credit.conversions
    total = float(conversions.sum())
    return {
        label: float(c / total) if total else 0.0
        for label, c in zip(labels, conversions, strict=True)
    }
