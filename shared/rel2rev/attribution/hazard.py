"""Additive hazard attribution (Zhang, Wei & Ren 2014), fitted by maximum likelihood.

Every touch i of value c at time t_i adds β_c · exp(-ω_c (t - t_i)) to the conversion hazard
for t ≥ t_i. A converting journey contributes log λ(T) - Λ(T) at its conversion time T, a
non-converting one -Λ(τ) at its censoring time τ (its end, or the latest time in the data
when the journey has none), with Λ(t) = Σ_i β_c/ω_c · (1 - exp(-ω_c (t - t_i))). Times are
exact seconds (float, from the timestamps), expressed in days only to scale the optimiser.
Parameters are fitted in log space with L-BFGS-B and the analytic gradient. Journeys without
touches are left out of the likelihood (their terms do not depend on the parameters). A
touch's credit is its share of the hazard at the conversion: β_c exp(-ω_c (T - t_i)) / λ(T).

With `baseline=True` the hazard also holds a fitted constant λ0 (organic conversions: what the
touches do not explain), at risk from a journey's first touch: λ(t) = λ0 + Σ_i ..., and
Λ(t) gains λ0 (t - t_first). Journeys without touches have no start, so they do not enter
this fit. λ0's share of a conversion's hazard, λ0 / λ(T), is that conversion's baseline part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from rel2rev.attribution.table import FloatArray, IntArray, JourneyTable
from rel2rev.errors import InsufficientDataError

_DAY = 86_400.0
_LOG_BETA_BOUNDS = (-25.0, 8.0)
_LOG_OMEGA_BOUNDS = (float(np.log(1e-4)), float(np.log(1e3)))


@dataclass(frozen=True)
class _Design:
    codes: IntArray
    journey: IntArray
    age_days: FloatArray
    conversions: FloatArray
    exposure: FloatArray
    n_values: int
    n_journeys: int
    omega_group: IntArray
    """Per value: which decay parameter it uses."""
    fixed_omega: FloatArray | None
    """Per value: a decay held fixed instead of fitted."""
    span_days: FloatArray | None = None
    """Per journey, from its first touch to its end: the baseline's time at risk (None: the
    model has no baseline)."""


def _design(
    table: JourneyTable,
    dimension: str,
    omega_group: IntArray | None = None,
    fixed_omega: FloatArray | None = None,
    *,
    baseline: bool = False,
) -> _Design:
    if not table.has_times:
        raise InsufficientDataError("additive_hazard needs a time on every touch")
    codes, labels = table.codes(dimension)
    tj = table.touch_journey
    end = _ends(table)
    age = np.maximum(end[tj] - table.touch_s, 0.0) / _DAY
    span = None
    if baseline:
        first = table.touch_s[np.minimum(table.offsets[:-1], table.n_touches - 1)]
        span = np.maximum(end - first, 0.0) / _DAY
    return _Design(
        codes=codes,
        journey=tj,
        age_days=age,
        conversions=table.conversions,
        exposure=table.conversions + table.nulls,
        n_values=len(labels),
        n_journeys=table.n_journeys,
        omega_group=omega_group if omega_group is not None else np.arange(len(labels)),
        fixed_omega=fixed_omega,
        span_days=span,
    )


def _ends(table: JourneyTable) -> FloatArray:
    """Each journey's end: its conversion or censoring, else the latest time of the journeys
    with touches."""
    data_end = float(np.nanmax(np.concatenate([table.end_s[table.lengths > 0], table.touch_s])))
    ends: FloatArray = np.where(np.isnan(table.end_s), data_end, table.end_s)
    return ends


def _negative_log_likelihood(theta: FloatArray, d: _Design) -> tuple[float, FloatArray]:
    v = d.n_values
    beta = np.exp(theta[:v])
    n_omega = 0 if d.fixed_omega is not None else int(d.omega_group.max()) + 1
    omega = (
        d.fixed_omega
        if d.fixed_omega is not None
        else np.exp(theta[v : v + n_omega])[d.omega_group]
    )
    b, w = beta[d.codes], omega[d.codes]
    decay = np.exp(-w * d.age_days)
    hazard_terms = b * decay
    integral_terms = b / w * -np.expm1(-w * d.age_days)
    hazard = np.bincount(d.journey, hazard_terms, d.n_journeys).astype(np.float64, copy=False)
    cumulative = np.bincount(d.journey, integral_terms, d.n_journeys).astype(np.float64, copy=False)
    lam0 = 0.0
    if d.span_days is not None:
        lam0 = float(np.exp(theta[-1]))
        hazard = hazard + lam0
        cumulative = cumulative + lam0 * d.span_days
    converting = d.conversions > 0
    safe_hazard = np.where(converting, np.maximum(hazard, 1e-300), 1.0)
    log_likelihood = float(
        np.sum(d.conversions[converting] * np.log(safe_hazard[converting]))
        - np.sum(d.exposure * cumulative)
    )
    lead = (d.conversions / safe_hazard)[d.journey]
    exposure = d.exposure[d.journey]
    grad_log_beta = lead * hazard_terms - exposure * integral_terms
    grad_log_omega = lead * hazard_terms * (-w * d.age_days) - exposure * b * (
        d.age_days * decay - (-np.expm1(-w * d.age_days)) / w
    )
    gradient = np.bincount(d.codes, weights=grad_log_beta, minlength=v).astype(np.float64)
    if d.fixed_omega is None:
        by_group = np.bincount(d.omega_group[d.codes], weights=grad_log_omega, minlength=n_omega)
        gradient = np.concatenate([gradient, by_group])
    if d.span_days is not None:
        grad_log_lam0 = lam0 * (
            float(np.sum(d.conversions / safe_hazard)) - float(d.exposure @ d.span_days)
        )
        gradient = np.concatenate([gradient, [grad_log_lam0]])
    return -log_likelihood, -gradient


class AdditiveHazard:
    """Additive hazard model, lifelines style: configure, `fit(table)`, read `beta_`/`omega_`.

    `decay`: "per_value" (one ω per value, as in Zhang et al.), "shared" (one ω for all), or a
    fixed half-life (`timedelta`: ω = ln 2 / half-life, only the β are fitted). Free decays can
    drift to "no decay" when the data's hazard grows for reasons the model lacks (e.g. touches
    weighing more once a conversation is two-way); a known half-life then pins them.
    `baseline`: also fit a constant hazard λ0 (`baseline_`, see the module docstring).
    """

    def __init__(
        self,
        dimension: str = "channel",
        decay: str | timedelta = "per_value",
        *,
        baseline: bool = False,
    ) -> None:
        if not isinstance(decay, timedelta) and decay not in ("per_value", "shared"):
            raise ValueError("decay is 'per_value', 'shared' or a timedelta half-life")
        self.dimension = dimension
        self.decay = decay
        self.baseline = baseline
        self.baseline_ = 0.0
        """The fitted constant hazard per day (0 without `baseline`)."""
        self.labels_: list[str] = []
        self.beta_: FloatArray = np.zeros(0)
        """Hazard added by one touch at its own time, per day, per value."""
        self.omega_: FloatArray = np.zeros(0)
        """Decay rate of a touch's hazard, per day, per value."""
        self.log_likelihood_ = float("nan")

    def fit(self, table: JourneyTable) -> AdditiveHazard:
        """Maximum-likelihood fit; raises `InsufficientDataError` on degenerate data."""
        if not (table.conversions > 0).any() or table.n_touches == 0:
            raise InsufficientDataError("additive_hazard: no converting journey with touches")
        _, self.labels_ = table.codes(self.dimension)
        if not table.lengths.all():  # the terms of journeys without touches are constants
            table = table.select(np.flatnonzero(table.lengths > 0))
        v = len(self.labels_)
        group = np.arange(v) if self.decay == "per_value" else np.zeros(v, dtype=np.int64)
        fixed = (
            np.full(v, np.log(2.0) / (self.decay.total_seconds() / _DAY))
            if isinstance(self.decay, timedelta)
            else None
        )
        design = _design(table, self.dimension, group, fixed, baseline=self.baseline)
        n_omega = 0 if fixed is not None else int(group.max()) + 1
        rate = float(design.conversions.sum() / max(design.exposure.sum(), 1.0))
        start = np.concatenate(
            [np.full(v, np.log(max(rate, 1e-6) * 0.1)), np.full(n_omega, np.log(0.1))]
        )
        bounds = [_LOG_BETA_BOUNDS] * v + [_LOG_OMEGA_BOUNDS] * n_omega
        if self.baseline:
            start = np.append(start, np.log(max(rate, 1e-6) * 0.01))
            bounds.append(_LOG_BETA_BOUNDS)
        import scipy.optimize  # a third of a second: only when the model runs

        result = scipy.optimize.minimize(
            _negative_log_likelihood,
            start,
            args=(design,),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000},
        )
        if not np.isfinite(result.fun):
            raise InsufficientDataError(f"additive_hazard: the fit failed ({result.message})")
        self.beta_ = np.exp(result.x[:v])
        self.omega_ = fixed if fixed is not None else np.exp(result.x[v : v + n_omega])[group]
        self.baseline_ = float(np.exp(result.x[-1])) if self.baseline else 0.0
        self.log_likelihood_ = -float(result.fun)
        return self

    def touch_hazards(self, table: JourneyTable) -> FloatArray:
        """Each touch's hazard contribution at its journey's end (conversion or censoring).

        A code past the fitted labels is a baseline touch (`rel2rev.attribution.baseline`): it
        contributes λ0, whatever its time."""
        codes, _ = table.codes(self.dimension)
        if not table.n_touches:
            return np.zeros(0)
        real = codes < len(self.labels_)
        if np.isnan(table.touch_s[real]).any():
            raise InsufficientDataError("additive_hazard needs a time on every touch")
        hazards = np.full(table.n_touches, self.baseline_)
        age = np.maximum(_ends(table)[table.touch_journey[real]] - table.touch_s[real], 0.0) / _DAY
        hazards[real] = self.beta_[codes[real]] * np.exp(-self.omega_[codes[real]] * age)
        return hazards

    def touch_weights(self, table: JourneyTable) -> FloatArray:
        """A touch's share of its journey's hazard at the end (each journey sums to 1)."""
        contributions = self.touch_hazards(table)
        tj = table.touch_journey
        total = np.bincount(tj, weights=contributions, minlength=table.n_journeys)
        even = 1.0 / np.maximum(table.lengths, 1)
        return np.where(
            total[tj] > 0, contributions / np.where(total > 0, total, 1.0)[tj], even[tj]
        )

    def predict(self, table: JourneyTable) -> FloatArray:
        """P(a conversion between the last touch and the end of the data | none before it).

        = 1 - exp(-(Λ(horizon) - Λ(last touch))), the horizon being the latest time in the
        table. Only the touches are used, never a journey's own end (a converter's end is its
        conversion). Every journey survived to its last touch, so this is its chance to convert.
        Journeys without touches get 0: the model knows nothing of their time at risk.
        """
        if not table.has_times:
            raise InsufficientDataError("additive_hazard needs a time on every touch")
        codes, _ = table.codes(self.dimension)
        tj = table.touch_journey
        last = table.touch_s[np.maximum(table.offsets[1:] - 1, 0)]
        horizon = float(np.nanmax(np.concatenate([table.end_s, table.touch_s])))
        at_last = (last[tj] - table.touch_s) / _DAY
        at_horizon = (horizon - table.touch_s) / _DAY
        b, w = self.beta_[codes], self.omega_[codes]
        remaining = b / w * (np.exp(-w * at_last) - np.exp(-w * at_horizon))
        cumulative = np.bincount(tj, weights=remaining, minlength=table.n_journeys)
        if self.baseline_ > 0:
            cumulative += np.where(table.lengths > 0, self.baseline_ * (horizon - last) / _DAY, 0)
        probability: FloatArray = -np.expm1(-cumulative)
        return probability
