"""The linear-time robust variance (`rel2rev.survival.robust_cox`) is lifelines' own, to
floating-point rounding: the same score residuals as lifelines' quadratic loop, and so the
same cluster-robust standard errors and p-values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter as LifelinesCoxPHFitter
from lifelines.fitters.coxph_fitter import SemiParametricPHFitter

from rel2rev.survival.robust_cox import CoxPHFitter, LinearTimeSemiParametricPHFitter


def _frame(n: int, seed: int, *, ties: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    hazard = np.exp(x @ np.array([0.6, -0.4, 0.0]))
    duration = rng.exponential(1 / hazard)
    if ties:
        duration = np.ceil(duration * 4) / 4  # many rows share a duration
    censor = rng.exponential(1.5, size=n)
    return pd.DataFrame(
        {
            "a": x[:, 0],
            "b": x[:, 1],
            "c": x[:, 2],
            "duration": np.minimum(duration, censor) + 0.01,
            "event": (duration <= censor).astype(int),
            "cluster": rng.integers(0, n // 4, size=n),
            "w": rng.uniform(0.5, 2.0, size=n),
        }
    )


CASES = [(1, False, False, 0.0), (2, True, False, 0.0), (3, True, True, 0.0), (4, False, True, 0.1)]


@pytest.mark.parametrize(("seed", "ties", "weights", "penalizer"), CASES)
def test_score_residuals_equal_lifelines_loop(
    seed: int, ties: bool, weights: bool, penalizer: float
) -> None:
    data = _frame(400, seed, ties=ties)
    fitted = CoxPHFitter(penalizer=penalizer).fit(
        data[["a", "b", "c", "duration", "event"]], "duration", "event"
    )
    model = fitted._model
    assert isinstance(model, LinearTimeSemiParametricPHFitter)
    ordered = data.sort_values("duration")
    x = (ordered[["a", "b", "c"]] - model._norm_mean) / model._norm_std
    w = ordered["w"] if weights else pd.Series(np.ones(len(ordered)))
    args = (x, ordered["duration"], ordered["event"], w, None)
    ours = model._compute_score_within_strata(*args)
    theirs = SemiParametricPHFitter._compute_score_within_strata(model, *args)
    assert np.abs(theirs).max() > 0.1
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("seed", "ties", "weights", "penalizer"), CASES)
def test_robust_errors_equal_lifelines(
    seed: int, ties: bool, weights: bool, penalizer: float
) -> None:
    data = _frame(600, seed, ties=ties)
    columns = ["a", "b", "c", "duration", "event", "cluster"] + (["w"] if weights else [])
    options = {"duration_col": "duration", "event_col": "event", "cluster_col": "cluster"}
    if weights:
        options["weights_col"] = "w"
    ours = CoxPHFitter(penalizer=penalizer).fit(data[columns], **options)
    theirs = LifelinesCoxPHFitter(penalizer=penalizer).fit(data[columns], **options)
    assert isinstance(ours._model, LinearTimeSemiParametricPHFitter)
    assert not isinstance(theirs._model, LinearTimeSemiParametricPHFitter)
    np.testing.assert_array_equal(ours.params_.values, theirs.params_.values)
    np.testing.assert_allclose(
        ours.standard_errors_.values, theirs.standard_errors_.values, rtol=1e-9
    )
    np.testing.assert_allclose(
        ours.summary["p"].values, theirs.summary["p"].values, rtol=1e-6, atol=1e-300
    )
