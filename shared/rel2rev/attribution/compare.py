"""Comparing models: the share table, holdout scores and bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from rel2rev.attribution.baseline import BASELINE
from rel2rev.attribution.report import ComparisonRow, HoldoutScore, Interval, ModelResult
from rel2rev.attribution.table import FloatArray, JourneyTable
from rel2rev.errors import InsufficientDataError

_EPS = 1e-12


def comparison_table(results: Mapping[str, ModelResult]) -> list[ComparisonRow]:
    """One row per value, its share under every model that ran, values by mean share; the
    baseline row lists the incremental models only (the others have no baseline, not 0)."""
    ran = {name: r for name, r in results.items() if r.error is None}
    values = sorted({v for r in ran.values() for v in r.shares})
    rows = [
        ComparisonRow(
            value=v,
            shares={
                name: r.shares.get(v, 0.0)
                for name, r in ran.items()
                if v != BASELINE or r.incremental
            },
        )
        for v in values
    ]
    return sorted(rows, key=lambda row: -sum(row.shares.values()))


def split_holdout(
    table: JourneyTable, fraction: float, seed: int
) -> tuple[JourneyTable, JourneyTable]:
    """Train and holdout tables: each row's counts split binomially (a journey is one count)."""
    rng = np.random.default_rng(seed)
    conversions = np.rint(table.conversions).astype(np.int64)
    nulls = np.rint(table.nulls).astype(np.int64)
    held_conversions = rng.binomial(conversions, fraction).astype(np.float64)
    held_nulls = rng.binomial(nulls, fraction).astype(np.float64)
    train = table.with_counts(conversions - held_conversions, nulls - held_nulls)
    return train, table.with_counts(held_conversions, held_nulls)


def score(probability: FloatArray, positives: FloatArray, negatives: FloatArray) -> HoldoutScore:
    """Weighted log loss and AUC of predicted conversion probabilities."""
    p = np.clip(probability, _EPS, 1.0 - _EPS)
    total = float(positives.sum() + negatives.sum())
    loss = -float(positives @ np.log(p) + negatives @ np.log1p(-p)) / max(total, _EPS)
    return HoldoutScore(log_loss=loss, auc=auc(probability, positives, negatives), journeys=total)


def auc(probability: FloatArray, positives: FloatArray, negatives: FloatArray) -> float | None:
    """P(score of a converter > score of a non-converter), ties counting one half (weighted)."""
    pos_total, neg_total = float(positives.sum()), float(negatives.sum())
    if pos_total <= 0 or neg_total <= 0:
        return None
    scores, inverse = np.unique(probability, return_inverse=True)
    pos = np.bincount(inverse, weights=positives, minlength=len(scores))
    neg = np.bincount(inverse, weights=negatives, minlength=len(scores))
    negatives_below = np.cumsum(neg) - neg
    wins = float(pos @ negatives_below + 0.5 * (pos @ neg))
    return wins / (pos_total * neg_total)


def bootstrap_intervals(
    table: JourneyTable,
    shares_of: Callable[[JourneyTable], Mapping[str, float]],
    draws: int,
    seed: int,
    level: float = 0.95,
) -> dict[str, Interval]:
    """Percentile intervals of shares over Poisson-bootstrap redraws of the journey counts
    (draws on which the model cannot run are skipped)."""
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {}
    for _ in range(draws):
        redrawn = table.with_counts(
            rng.poisson(table.conversions).astype(np.float64),
            rng.poisson(table.nulls).astype(np.float64),
        )
        try:
            drawn = shares_of(redrawn)
        except InsufficientDataError:  # e.g. a draw without conversions: no sample
            continue
        for value, share in drawn.items():
            samples.setdefault(value, []).append(share)
    tail = (1.0 - level) / 2.0 * 100.0
    return {
        value: Interval(
            low=float(np.percentile(got, tail)), high=float(np.percentile(got, 100.0 - tail))
        )
        for value, got in samples.items()
    }
