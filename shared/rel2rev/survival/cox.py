"""Cox proportional hazards: which relationship features speed a transition up.

`fit_cox(prepared, features, cluster=...)` fits lifelines' `CoxPHFitter` (Efron ties) on a
prepared frame, with cluster-robust (sandwich) standard errors when spells share a cluster;
`fit_time_varying_cox(intervals, features)` fits `CoxTimeVaryingFitter` on start/stop rows
(lifelines has no robust variance for it: its errors assume independent units, and the report
says so). `survival_drivers(records, ...)` builds both from stored records, on the units of
`rel2rev.survival.spells`: accounts for lead to won, relationships clustered by account for the
other transitions. Constant and collinear features are dropped (and named, with why); too few
events, no usable feature or a failed fit give a report whose `insufficient` says why, never an
exception or a NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from lifelines import CoxTimeVaryingFitter
from lifelines.exceptions import ConvergenceError
from lifelines.statistics import proportional_hazard_test

from rel2rev.funnel.config import QualificationConfig
from rel2rev.funnel.qualification import RelationshipState
from rel2rev.funnel.stages import ContactStages
from rel2rev.records import WorkspaceRecords
from rel2rev.survival.prepare import prepare
from rel2rev.survival.results import CoxReport, HazardRatio, Insufficient, finite
from rel2rev.survival.robust_cox import CoxPHFitter
from rel2rev.survival.spells import SEGMENTS, Transition, spells_from_records

MIN_EVENTS = 10
MIN_SUPPORT = 5
"""Events needed off a feature's most common value (and, if binary, on it) to estimate it."""
EVENTS_PER_FEATURE = 10
MAX_ABS_COEF = 15.0
"""A |log hazard ratio| beyond this means the likelihood has no finite maximum (separation)."""
MAX_PH_SPELLS = 5000
MAX_LEVELS = 6
"""Categorical segments keep their most frequent levels as indicators; the rest pool as 'other'."""
TIME_VARYING = ("log_count_reaction", "log_count_inbound", "log_count_outbound", "reciprocal")


@dataclass(frozen=True)
class CoxFit:
    """What a Cox fit produced, before it is wrapped in a report."""

    n: int
    events: int
    features: list[str]
    dropped: dict[str, str]
    hazard_ratios: list[HazardRatio]
    concordance: float | None
    log_likelihood: float | None
    ph_violations: list[str]
    insufficient: Insufficient | None
    ph_spells: int = 0
    clusters: int | None = None


def usable_features(frame: pd.DataFrame, features: list[str]) -> tuple[list[str], dict[str, str]]:
    """Features left after dropping constant ones and those linearly dependent on earlier ones.

    Dependence is judged on the correlation matrix: a feature whose variance left after
    regressing it on the kept ones is below 1e-8 of its own is collinear.
    """
    dropped: dict[str, str] = {}
    candidates: list[str] = []
    for name in features:
        column = frame[name].to_numpy(dtype=float)
        if not np.all(np.isfinite(column)):
            dropped[name] = "not finite"
        elif np.ptp(column) == 0:
            dropped[name] = "constant"
        else:
            candidates.append(name)
    if not candidates:
        return [], dropped
    values = frame[candidates].to_numpy(dtype=float)
    values = (values - values.mean(axis=0)) / values.std(axis=0)
    gram = values.T @ values / len(values)
    kept: list[int] = []
    for j, name in enumerate(candidates):
        if kept:
            inner = gram[np.ix_(kept, kept)]
            cross = gram[kept, j]
            residual = gram[j, j] - cross @ np.linalg.lstsq(inner, cross, rcond=None)[0]
            if residual < 1e-8:
                dropped[name] = "collinear with other features"
                continue
        kept.append(j)
    return [candidates[j] for j in kept], dropped


def supported_features(
    frame: pd.DataFrame, features: list[str], event: str = "event"
) -> tuple[list[str], dict[str, str]]:
    """Usable features with enough events behind them, at most one per `EVENTS_PER_FEATURE`.

    A feature needs `MIN_SUPPORT` events among rows off its most common value (and, for a binary
    feature, on it too), else its estimate runs off to infinity. When there are more features
    than the events support, the best supported are kept.
    """
    kept, dropped = usable_features(frame, features)
    events = frame[event].to_numpy(dtype=bool)
    support: dict[str, int] = {}
    for name in kept:
        values = frame[name].to_numpy(dtype=float)
        uniques, counts = np.unique(values, return_counts=True)
        at_mode = values == uniques[np.argmax(counts)]
        off, on = int(events[~at_mode].sum()), int(events[at_mode].sum())
        support[name] = min(off, on) if len(uniques) == 2 else off
        if support[name] < MIN_SUPPORT:
            dropped[name] = f"{support[name]} events off its usual value (at least {MIN_SUPPORT})"
    kept = [k for k in kept if k not in dropped]
    room = int(events.sum()) // EVENTS_PER_FEATURE
    if len(kept) > room:
        best = set(sorted(kept, key=lambda k: -support[k])[:room])
        for name in kept:
            if name not in best:
                dropped[name] = (
                    f"fewer than {EVENTS_PER_FEATURE} events per feature: kept the {room} best"
                    " supported"
                )
        kept = [k for k in kept if k in best]
    return kept, dropped


def _separated(ratios: list[HazardRatio]) -> list[str]:
    """Features without a finite, identifiable estimate (infinite CI or runaway coefficient)."""
    return [
        h.feature
        for h in ratios
        if not np.isfinite([h.coef, h.se, h.lower, h.upper]).all()
        or abs(h.coef) > MAX_ABS_COEF
        or h.se > MAX_ABS_COEF
        or h.lower <= 0
    ]


def _ph_pvalues(
    fitter: CoxPHFitter, data: pd.DataFrame, penalizer: float, cluster: str | None
) -> tuple[pd.Series, int]:
    """PH test p-values (rank time transform) and the number of spells it ran on.

    lifelines' scaled Schoenfeld residuals cost a Python loop per spell, so above
    `MAX_PH_SPELLS` the test runs on a seeded random subsample, refitted the same way.
    """
    if len(data) > MAX_PH_SPELLS:
        data = data.sample(MAX_PH_SPELLS, random_state=0)
        fitter = CoxPHFitter(penalizer=penalizer).fit(
            data, "duration", "event", cluster_col=cluster
        )
    test = proportional_hazard_test(fitter, data, time_transform="rank")
    return test.summary["p"], len(data)


def _failed(n: int, events: int, dropped: dict[str, str], reason: str) -> CoxFit:
    return CoxFit(n, events, [], dropped, [], None, None, [], Insufficient(reason=reason))


def _ratios(fitter: CoxPHFitter | CoxTimeVaryingFitter, ph: dict[str, float]) -> list[HazardRatio]:
    s = fitter.summary
    return [
        HazardRatio(
            feature=str(name),
            coef=float(row["coef"]),
            se=float(row["se(coef)"]),
            hazard_ratio=float(row["exp(coef)"]),
            lower=float(row["exp(coef) lower 95%"]),
            upper=float(row["exp(coef) upper 95%"]),
            p=finite(row["p"]),
            ph_p=finite(ph.get(str(name))),
        )
        for name, row in s.iterrows()
    ]


def _check(n: int, events: int, kept: list[str], dropped: dict[str, str]) -> str | None:
    if events < MIN_EVENTS:
        return f"{events} events among {n} spells (at least {MIN_EVENTS} needed)"
    if not kept:
        return "no feature varies independently of the others"
    return None


def fit_cox(
    prepared: pd.DataFrame,
    features: list[str],
    *,
    penalizer: float = 0.0,
    check_ph: bool = True,
    cluster: str | None = None,
) -> CoxFit:
    """Cox PH on `duration`/`event` of a prepared frame, with the PH test (rank time).

    `cluster` names a column of cluster ids: when some clusters hold several spells, the
    standard errors (and so the intervals and p-values) are cluster-robust. Features whose
    estimate runs off to infinity (separation) are dropped, named, and the model refitted
    without them.
    """
    n, events = len(prepared), int(prepared["event"].sum())
    clusters = int(prepared[cluster].nunique()) if cluster is not None and n else None
    if clusters is not None and clusters == n:
        cluster = None  # one spell per cluster: the robust and model errors coincide
    extra = [cluster] if cluster is not None else []
    kept, dropped = supported_features(prepared, features) if n else ([], {})
    while True:
        reason = _check(n, events, kept, dropped)
        if reason is not None:
            return _failed(n, events, dropped, reason)
        data = prepared[[*kept, "duration", "event"]].astype(float)
        data[extra] = prepared[extra]
        fitter = CoxPHFitter(penalizer=penalizer)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitter.fit(data, duration_col="duration", event_col="event", cluster_col=cluster)
        except (ConvergenceError, np.linalg.LinAlgError, ValueError, ZeroDivisionError) as exc:
            return _failed(n, events, dropped, f"the fit failed: {str(exc).splitlines()[0]}")
        separated = _separated(_ratios(fitter, {}))
        if not separated:
            break
        dropped.update(dict.fromkeys(separated, "no finite estimate (separation)"))
        kept = [k for k in kept if k not in separated]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ph, ph_spells = (
                _ph_pvalues(fitter, data, penalizer, cluster)
                if check_ph
                else (pd.Series(dtype=float), 0)
            )
    except (ConvergenceError, np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        ph, ph_spells = pd.Series(dtype=float), 0  # reported as no PH p-values, not hidden
    ph_p = {str(k): float(v) for k, v in ph.items()}
    return CoxFit(
        n=n,
        events=events,
        features=kept,
        dropped=dropped,
        hazard_ratios=_ratios(fitter, ph_p),
        concordance=finite(fitter.concordance_index_),
        log_likelihood=finite(fitter.log_likelihood_),
        ph_violations=sorted(k for k, p in ph_p.items() if p < 0.05),
        insufficient=None,
        ph_spells=ph_spells,
        clusters=clusters if cluster is not None else None,
    )


def fit_time_varying_cox(
    intervals: pd.DataFrame, features: list[str], *, penalizer: float = 0.0
) -> CoxFit:
    """Cox with time-varying covariates on `id`, `start`, `stop`, `event` rows (features
    selected and separation handled as in `fit_cox`)."""
    n = int(intervals["id"].nunique()) if len(intervals) else 0
    events = int(intervals["event"].sum()) if len(intervals) else 0
    kept, dropped = supported_features(intervals, features) if n else ([], {})
    while True:
        reason = _check(n, events, kept, dropped)
        if reason is not None:
            return _failed(n, events, dropped, reason)
        data = intervals[["id", "start", "stop", "event", *kept]]
        fitter = CoxTimeVaryingFitter(penalizer=penalizer)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitter.fit(data, id_col="id", start_col="start", stop_col="stop", event_col="event")
        except (ConvergenceError, np.linalg.LinAlgError, ValueError, ZeroDivisionError) as exc:
            return _failed(n, events, dropped, f"the fit failed: {str(exc).splitlines()[0]}")
        ratios = _ratios(fitter, {})
        separated = _separated(ratios)
        if not separated:
            break
        dropped.update(dict.fromkeys(separated, "no finite estimate (separation)"))
        kept = [k for k in kept if k not in separated]
    return CoxFit(
        n=n,
        events=events,
        features=kept,
        dropped=dropped,
        hazard_ratios=ratios,
        concordance=None,
        log_likelihood=finite(fitter.log_likelihood_),
        ph_violations=[],
        insufficient=None,
    )


def segment_indicators(frame: pd.DataFrame, columns: tuple[str, ...] = SEGMENTS) -> list[str]:
    """Add 0/1 columns `<col>=<level>` for the frequent levels (the most frequent is the
    reference and gets none); return their names."""
    names = []
    for col in columns:
        levels = frame[col].value_counts().index[1:MAX_LEVELS]
        for level in levels:
            name = f"{col}={level}"
            frame[name] = (frame[col] == level).astype(float)
            names.append(name)
    return names


def time_varying_intervals(
    prepared: pd.DataFrame, touches: pd.DataFrame, *, resolution: timedelta
) -> pd.DataFrame:
    """Start/stop rows per spell, split where the cumulative touch counts change.

    Covariates are log(1 + count) of reactions, inbound and outbound touches since capture and
    reciprocity (both directions seen), each known from the start of the unit after the touch.
    """
    unit = resolution.total_seconds()
    spans = prepared[["id", "start", "duration", "event"]]
    hits = touches.merge(spans[["id", "start", "duration"]], on="id")
    offset = (hits["at"] - hits["start"]).dt.total_seconds() / unit
    hits["t"] = np.maximum(0.0, np.ceil(offset.to_numpy(dtype=float)))
    hits = hits.loc[hits["t"] < hits["duration"]]
    counts = hits.groupby(["id", "t", "group"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=["reaction", "inbound", "outbound"], fill_value=0)
    counts = counts.groupby(level="id").cumsum().reset_index()
    zero = spans[["id"]].assign(t=0.0)
    steps = pd.concat([zero, counts]).groupby(["id", "t"], as_index=False).last()
    steps = steps.sort_values(["id", "t"])
    steps[["reaction", "inbound", "outbound"]] = (
        steps.groupby("id")[["reaction", "inbound", "outbound"]].ffill().fillna(0.0)
    )
    steps = steps.merge(spans[["id", "duration", "event"]], on="id")
    steps["stop"] = steps.groupby("id")["t"].shift(-1).fillna(steps["duration"])
    last = steps.groupby("id")["t"].transform("max") == steps["t"]
    out = pd.DataFrame(
        {
            "id": steps["id"],
            "start": steps["t"],
            "stop": steps["stop"],
            "event": (steps["event"] & last).astype(bool),
            "log_count_reaction": np.log1p(steps["reaction"].astype(float)),
            "log_count_inbound": np.log1p(steps["inbound"].astype(float)),
            "log_count_outbound": np.log1p(steps["outbound"].astype(float)),
            "reciprocal": ((steps["inbound"] > 0) & (steps["outbound"] > 0)).astype(float),
        }
    )
    return out.loc[out["stop"] > out["start"]].reset_index(drop=True)


def survival_drivers(
    records: WorkspaceRecords,
    *,
    as_of: datetime,
    transition: Transition | str,
    resolution: timedelta = timedelta(days=1),
    time_varying: bool = False,
    config: QualificationConfig | None = None,
    states: list[RelationshipState] | None = None,
    stages: list[ContactStages] | None = None,
    penalizer: float = 0.0,
) -> CoxReport:
    """Hazard ratios of relationship features for `transition`.

    Static (default): interaction counts by type, reciprocity and response time at the spell
    start, plus stakeholder type, capture channel and owner indicators; with the concordance
    index and the proportional-hazards test (features with p < 0.05 listed in `ph_violations`).
    `time_varying=True`: counts of reactions, inbound and outbound conversational touches and
    two-way as they accumulate during the spell (CoxTimeVaryingFitter; no concordance or PH
    test, errors not clustered). The report names the unit and the clustering used.
    """
    spells = spells_from_records(
        records,
        transition=transition,
        as_of=as_of,
        config=config,
        states=states,
        stages=stages,
        features=not time_varying,
    )
    prepared = prepare(spells.frame, as_of=as_of, resolution=resolution)
    if time_varying:
        intervals = time_varying_intervals(prepared, spells.touches, resolution=resolution)
        fit = fit_time_varying_cox(intervals, list(TIME_VARYING), penalizer=penalizer)
    else:
        features = [*spells.features, *segment_indicators(prepared)]
        fit = fit_cox(prepared, features, penalizer=penalizer, cluster="cluster")
    return CoxReport(
        workspace=records.workspace,
        transition=spells.transition.value,
        as_of=as_of,
        resolution_days=resolution / timedelta(days=1),
        time_varying=time_varying,
        n=fit.n,
        events=fit.events,
        features=fit.features,
        dropped=fit.dropped,
        hazard_ratios=fit.hazard_ratios,
        concordance=fit.concordance,
        log_likelihood=fit.log_likelihood,
        ph_violations=fit.ph_violations,
        ph_spells=fit.ph_spells,
        insufficient=fit.insufficient,
        unit=spells.unit,
        clustered_by="account" if fit.clusters is not None else None,
        clusters=fit.clusters,
    )
