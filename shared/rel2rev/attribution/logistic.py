"""A regularised logistic model of conversion on the channel set (in the style of Shao & Li
2011), and its Shapley credit with and without the intercept as the baseline.

Each journey is one observation per count (`conversions` converted, `nulls` did not), its
features the indicators of the distinct values on it (`journey_masks`; a journey without
touches has none), with an intercept:

    p(T) = σ(β0 + Σ_{c∈T} β_c),    σ(x) = 1 / (1 + e^-x).

The coefficients maximise the log-likelihood minus (λ/2) Σ_c β_c², the intercept unpenalised:
a Normal(0, 1/λ) prior on each value's log-odds, which keeps a value seen only on converting
(or only on non-converting) journeys finite. λ is `PENALTY` (1: a value moves the log-odds by
a few units at most unless the data insist), the same for every value and data size, so the
fit is deterministic and at scale the data dominate it. Fitted by L-BFGS with the analytic
gradient over the distinct value sets (journeys with the same set are one weighted row).

p(∅) = σ(β0) is the model's baseline: the conversion probability of a journey with no touch,
extrapolated from the intercept when few or no journeys without touches are observed (and
estimated from them, with the rest, when they are).

Credit of a converting journey with set T, by the exact Shapley value over the members of T
(`rel2rev.attribution.shapley.exact_shapley`, |T| ≤ 20):

- `logistic_incremental`: the game v(S) = p(S) - p(∅) for S ⊆ T. The baseline part is
  p(∅)/p(T) (all of it when p(T) ≤ p(∅)); the channel part (p(T) - p(∅))/p(T) is split over
  T's values in proportion to their φ clipped at 0 (the φ sum to p(T) - p(∅)). A converting
  journey without touches is all baseline.
- `logistic` (full credit): the same fit, the game v(S) = p(S) for S ≠ ∅ and v(∅) = 0, so the
  φ sum to p(T) and the whole conversion goes to T's values in proportion to their φ clipped
  at 0 (all ≤ 0: even), as `shapley_rate` does with observed rates. A converting journey
  without touches is left unattributed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from rel2rev.attribution.shapley import exact_shapley, journey_masks
from rel2rev.attribution.table import FloatArray, IntArray, JourneyTable
from rel2rev.errors import InsufficientDataError

PENALTY = 1.0
"""λ of the L2 penalty (λ/2) Σ β_c² on the values' coefficients (not the intercept)."""
_MAX_ITER = 2000


def _bits(masks: IntArray, n_values: int) -> FloatArray:
    """0/1 indicators (len(masks), n_values) of the values in each mask."""
    bits: FloatArray = ((masks[:, None] >> np.arange(n_values, dtype=np.int64)) & 1).astype(float)
    return bits


@dataclass
class LogisticModel:
    """L2-regularised logistic regression of conversion on value-set indicators."""

    dimension: str = "channel"
    penalty: float = PENALTY
    intercept_: float = 0.0
    coef_: FloatArray = field(default_factory=lambda: np.zeros(0))
    labels_: list[str] = field(default_factory=list)
    log_likelihood_: float = 0.0
    iterations_: int = 0

    def fit(self, table: JourneyTable) -> LogisticModel:
        """Fit on `table`'s journeys (weights: conversions and nulls)."""
        _, labels = table.codes(self.dimension)
        masks = journey_masks(table, self.dimension)
        frame = (
            pd.DataFrame({"mask": masks, "conv": table.conversions, "null": table.nulls})
            .groupby("mask", sort=True)[["conv", "null"]]
            .sum()
        )
        positives = frame["conv"].to_numpy(dtype=np.float64)
        negatives = frame["null"].to_numpy(dtype=np.float64)
        total = float(positives.sum() + negatives.sum())
        if positives.sum() <= 0 or negatives.sum() <= 0:
            raise InsufficientDataError(
                "logistic: needs converting and non-converting journeys to fit conversion"
            )
        n_values = len(labels)
        design = np.hstack(
            [np.ones((len(frame), 1)), _bits(frame.index.to_numpy(dtype=np.int64), n_values)]
        )
        ridge = np.full(n_values + 1, self.penalty)
        ridge[0] = 0.0  # the intercept is not penalised

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            # per count: -[y log σ(η) + (1 - y) log(1 - σ(η))] + (λ/2)|β|², scaled by 1/total
            eta = design @ theta
            nll = positives @ np.logaddexp(0.0, -eta) + negatives @ np.logaddexp(0.0, eta)
            residual = (positives + negatives) * expit(eta) - positives
            value = (nll + 0.5 * ridge @ theta**2) / total
            return float(value), (design.T @ residual + ridge * theta) / total

        start = np.zeros(n_values + 1)
        rate = positives.sum() / total
        start[0] = np.log(rate / (1.0 - rate))
        found = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": _MAX_ITER, "gtol": 1e-10, "ftol": 1e-15},
        )
        if not np.all(np.isfinite(found.x)):
            raise InsufficientDataError(f"logistic: the fit did not converge ({found.message})")
        theta = np.asarray(found.x, dtype=np.float64)
        self.intercept_, self.coef_, self.labels_ = float(theta[0]), theta[1:], list(labels)
        eta = design @ theta
        self.log_likelihood_ = -float(
            positives @ np.logaddexp(0.0, -eta) + negatives @ np.logaddexp(0.0, eta)
        )
        self.iterations_ = int(found.nit)
        return self

    @property
    def baseline_(self) -> float:
        """p(∅) = σ(β0): the conversion probability of a journey without touches."""
        return float(expit(self.intercept_))

    def probability(self, masks: IntArray) -> FloatArray:
        """p(S) for an array of value-set masks."""
        eta = np.full(masks.shape, self.intercept_)
        for code, beta in enumerate(self.coef_):
            eta += ((masks >> code) & 1) * beta
        p: FloatArray = expit(eta)
        return p

    def predict(self, table: JourneyTable) -> FloatArray:
        """Conversion probability of `table`'s journeys (its values must be labelled as the
        fitted table's: a value the fit never saw adds nothing)."""
        _, labels = table.codes(self.dimension)
        known = {label: code for code, label in enumerate(self.labels_)}
        recode = np.array([known.get(label, -1) for label in labels], dtype=np.int64)
        masks = journey_masks(table, self.dimension)
        eta = np.full(masks.shape, self.intercept_)
        for code, target in enumerate(recode):
            if target >= 0:
                eta += ((masks >> code) & 1) * self.coef_[target]
        p: FloatArray = expit(eta)
        return p

    def shapley(self, sets: IntArray, *, incremental: bool) -> FloatArray:
        """Exact Shapley values (len(sets), n_values) over the members of each set of
        v(S) = p(S) - p(∅) (`incremental`) or v(S) = p(S), v(∅) = 0 (full credit)."""
        base = self.baseline_

        def value(subsets: IntArray) -> FloatArray:
            p = self.probability(subsets)
            worth: FloatArray = p - base if incremental else np.where(subsets == 0, 0.0, p)
            return worth

        return exact_shapley(sets, len(self.coef_), value, self.dimension)

    def weights(self, sets: IntArray, *, incremental: bool) -> FloatArray:
        """Each set's split of one conversion: (len(sets), n_values), plus a last column for
        the baseline when `incremental` (rows sum to 1; the empty set: all baseline, or all
        zero without one)."""
        n_values = len(self.coef_)
        phi = np.clip(self.shapley(sets, incremental=incremental), 0.0, None)
        total = phi.sum(axis=1, keepdims=True)
        if not incremental:
            members = _bits(sets, n_values)
            phi = np.where(total > 0, phi, members)
            total = phi.sum(axis=1, keepdims=True)
            split: FloatArray = np.divide(phi, total, out=np.zeros_like(phi), where=total > 0)
            return split
        p = self.probability(sets)
        base = self.baseline_
        lift = np.where(p > base, 1.0 - base / np.maximum(p, 1e-300), 0.0)
        values = np.divide(phi, total, out=np.zeros_like(phi), where=total > 0) * lift[:, None]
        with_base: FloatArray = np.hstack([values, (1.0 - lift)[:, None]])
        return with_base
