"""Won vs lost after lead as competing risks: Aalen-Johansen cumulative incidence.

Computed exactly per distinct time (ties between outcomes are handled by the estimator, not
jittered as lifelines' `AalenJohansenFitter` does), with the delta-method variance of Collett
(Greenwood-type, the one lifelines uses) and log(−log) confidence bounds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from scipy.stats import norm

from rel2rev.funnel.config import QualificationConfig
from rel2rev.funnel.qualification import RelationshipState
from rel2rev.funnel.stages import ContactStages
from rel2rev.records import WorkspaceRecords
from rel2rev.survival.prepare import COMPETING, EVENT, prepare
from rel2rev.survival.results import CompetingRisksReport, CurvePoint, Insufficient
from rel2rev.survival.spells import Transition, spells_from_records

MIN_SPELLS = 5


def aalen_johansen(
    durations: np.ndarray, outcomes: np.ndarray, cause: int, *, alpha: float = 0.05
) -> list[CurvePoint]:
    """Cumulative incidence of `cause` (outcome codes: 0 censored, other ints causes)."""
    times, inverse = np.unique(durations, return_inverse=True)
    d_all = np.bincount(inverse, weights=outcomes != 0, minlength=len(times))
    d_k = np.bincount(inverse, weights=outcomes == cause, minlength=len(times))
    removed = np.bincount(inverse, minlength=len(times))
    at_risk = len(durations) - np.concatenate([[0], np.cumsum(removed)[:-1]])
    survival = np.cumprod(1.0 - d_all / at_risk)
    lag_s = np.concatenate([[1.0], survival[:-1]])
    incidence = np.cumsum(lag_s * d_k / at_risk)
    # Var F(t) = Σ (F(t) − F_i)² a_i + Σ S_{i−1}² d_ki (n_i − d_ki) / n_i³
    #            − 2 Σ (F(t) − F_i) S_{i−1} d_ki / n_i², expanded into prefix sums.
    survivors = at_risk - d_all
    a = np.divide(d_all, at_risk * survivors, out=np.zeros_like(d_all), where=survivors > 0)
    b = lag_s * d_k / at_risk**2
    second = np.cumsum(lag_s**2 * d_k * (at_risk - d_k) / at_risk**3)
    f = incidence
    first = f**2 * np.cumsum(a) - 2 * f * np.cumsum(a * f) + np.cumsum(a * f**2)
    third = f * np.cumsum(b) - np.cumsum(b * f)
    variance = np.maximum(first + second - 2 * third, 0.0)
    z = norm.ppf(1 - alpha / 2)
    inside = (f > 0) & (f < 1)
    safe_f = np.where(inside, f, 0.5)
    se = np.sqrt(variance) / (safe_f * np.abs(np.log(safe_f)))
    centre = np.log(-np.log(safe_f))
    lower = np.where(inside, np.exp(-np.exp(centre + z * se)), f)
    upper = np.where(inside, np.exp(-np.exp(centre - z * se)), f)
    censored = removed - d_all
    # Where everyone left at risk has an event the variance is infinite: no bounds there.
    bounded = np.cumsum(survivors == 0) == 0
    return [
        CurvePoint(
            time=float(times[i]),
            estimate=float(f[i]),
            lower=float(lower[i]) if bounded[i] else None,
            upper=float(upper[i]) if bounded[i] else None,
            at_risk=int(at_risk[i]),
            events=int(d_k[i]),
            censored=int(censored[i]),
        )
        for i in range(len(times))
    ]


def competing_risks(
    records: WorkspaceRecords,
    *,
    as_of: datetime,
    resolution: timedelta = timedelta(days=1),
    config: QualificationConfig | None = None,
    states: list[RelationshipState] | None = None,
    stages: list[ContactStages] | None = None,
    alpha: float = 0.05,
) -> CompetingRisksReport:
    """Probability over time since an account's first lead of having won, and of having lost
    (Aalen-Johansen); one spell per account (see `rel2rev.survival.spells`)."""
    spells = spells_from_records(
        records,
        transition=Transition.LEAD_TO_WON,
        as_of=as_of,
        config=config,
        states=states,
        stages=stages,
        features=False,
        touches=False,
    )
    prepared = prepare(spells.frame, as_of=as_of, resolution=resolution)
    durations = prepared["duration"].to_numpy(dtype=float)
    outcomes = prepared["outcome"].to_numpy(dtype=int)
    n = len(prepared)
    won, lost = int(np.sum(outcomes == EVENT)), int(np.sum(outcomes == COMPETING))
    reason = None
    if n < MIN_SPELLS:
        reason = f"{n} accounts with a lead (at least {MIN_SPELLS} needed)"
    elif won + lost == 0:
        reason = f"no account among {n} with a lead has won or lost yet"
    return CompetingRisksReport(
        workspace=records.workspace,
        as_of=as_of,
        resolution_days=resolution / timedelta(days=1),
        n=n,
        won=won,
        lost=lost,
        censored=n - won - lost,
        excluded=spells.excluded,
        won_incidence=[] if reason else aalen_johansen(durations, outcomes, EVENT, alpha=alpha),
        lost_incidence=[]
        if reason
        else aalen_johansen(durations, outcomes, COMPETING, alpha=alpha),
        insufficient=Insufficient(reason=reason) if reason else None,
    )
