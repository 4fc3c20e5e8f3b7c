"""The additive hazard model recovers planted parameters; credit is each touch's hazard share."""

from __future__ import annotations

import numpy as np
import pytest

from rel2rev.attribution.hazard import AdditiveHazard
from rel2rev.attribution.run import run_models
from rel2rev.attribution.table import JourneyTable

from .helpers import journey

DAY = 86_400.0
BETA = np.array([0.05, 0.15, 0.02])  # per day
OMEGA = np.array([0.5, 0.1, 1.0])  # per day


def simulate(n: int, seed: int) -> JourneyTable:
    """Touches uniform over 30 days; conversion when the integrated hazard passes an Exp(1)."""
    rng = np.random.default_rng(seed)
    horizon = 30.0
    width = 5
    counts = rng.integers(1, width + 1, n)
    times = np.sort(rng.uniform(0, horizon, (n, width)), axis=1)
    present = np.arange(width)[None, :] < counts[:, None]
    times = np.where(present, times, np.inf)
    codes = rng.integers(0, 3, (n, width))

    def cumulative(t: np.ndarray) -> np.ndarray:
        age = np.clip(t[:, None] - times, 0.0, None)
        terms = BETA[codes] / OMEGA[codes] * -np.expm1(-OMEGA[codes] * age)
        return np.where(present, terms, 0.0).sum(axis=1)

    threshold = rng.exponential(1.0, n)
    converted = cumulative(np.full(n, horizon)) >= threshold
    low, high = np.zeros(n), np.full(n, horizon)
    for _ in range(60):
        mid = (low + high) / 2
        above = cumulative(mid) >= threshold
        high = np.where(above, mid, high)
        low = np.where(above, low, mid)
    end = np.where(converted, high, horizon)
    keep = present & (times <= end[:, None])
    lengths = keep.sum(axis=1)
    start = 1.7e9
    return JourneyTable(
        ids=[str(i) for i in range(n)],
        conversions=converted.astype(float),
        nulls=(~converted).astype(float),
        amounts=[None] * n,
        end_s=start + end * DAY,
        stage_s=np.full((n, 3), np.nan),
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        touch_s=start + times[keep] * DAY,
        dimensions={"channel": (codes[keep].astype(np.int64), ["a", "b", "c"])},
    )


def test_recovers_planted_parameters() -> None:
    table = simulate(6000, seed=11)
    model = AdditiveHazard().fit(table)
    assert model.beta_ == pytest.approx(BETA, rel=0.25)
    assert model.omega_ == pytest.approx(OMEGA, rel=0.35)


def test_credit_is_the_share_of_hazard_at_conversion() -> None:
    table = simulate(2000, seed=3)
    model = AdditiveHazard().fit(table)
    weights = model.touch_weights(table)
    tj = table.touch_journey
    assert np.bincount(tj, weights=weights)[table.lengths > 0] == pytest.approx(1.0)
    codes, _ = table.codes("channel")
    age = (table.end_s[tj] - table.touch_s) / DAY
    contribution = model.beta_[codes] * np.exp(-model.omega_[codes] * age)
    first = slice(int(table.offsets[0]), int(table.offsets[1]))
    assert weights[first] == pytest.approx(contribution[first] / contribution[first].sum())


def test_paths_without_times_are_a_model_error() -> None:
    from rel2rev.attribution.io import table_from_paths

    table = table_from_paths(["a > b"], np.array([1.0]), np.array([1.0]))
    got = run_models(table, ["additive_hazard"])
    assert got.models["additive_hazard"].error == (
        "insufficient data: additive_hazard needs a time on every touch"
    )


def test_no_conversions_is_a_model_error() -> None:
    got = run_models([journey("a", ["x", "y"], converted=False)], ["additive_hazard"])
    assert got.models["additive_hazard"].error is not None


def test_fixed_and_shared_decay() -> None:
    from datetime import timedelta

    table = simulate(3000, seed=5)
    fixed = AdditiveHazard(decay=timedelta(days=2)).fit(table)
    assert fixed.omega_ == pytest.approx(np.full(3, np.log(2) / 2))
    shared = AdditiveHazard(decay="shared").fit(table)
    assert len(set(shared.omega_.round(12))) == 1
    assert shared.log_likelihood_ <= AdditiveHazard().fit(table).log_likelihood_ + 1e-6
    with pytest.raises(ValueError, match="decay is"):
        AdditiveHazard(decay="weekly")
