"""Kaplan-Meier curves with confidence bands, medians with CIs and numbers at risk."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from rel2rev.errors import UnprocessableError
from rel2rev.funnel.config import QualificationConfig
from rel2rev.funnel.qualification import RelationshipState
from rel2rev.funnel.stages import ContactStages
from rel2rev.records import WorkspaceRecords
from rel2rev.survival.prepare import prepare
from rel2rev.survival.results import (
    CurvePoint,
    Insufficient,
    KaplanMeierCurve,
    SurvivalReport,
    finite,
)
from rel2rev.survival.spells import SEGMENTS, Transition, spells_from_records

MIN_SPELLS = 5


def kaplan_meier(
    durations: np.ndarray, events: np.ndarray, *, segment: str | None = None, alpha: float = 0.05
) -> KaplanMeierCurve:
    """Kaplan-Meier estimate; too few spells or no events give an `Insufficient` reason."""
    n, observed = len(durations), int(np.sum(events))
    reason = None
    if n < MIN_SPELLS:
        reason = f"{n} spells (at least {MIN_SPELLS} needed)"
    elif observed == 0:
        reason = f"no events among {n} spells: nothing to estimate"
    if reason is not None:
        return KaplanMeierCurve(
            segment=segment,
            n=n,
            events=observed,
            median=None,
            median_lower=None,
            median_upper=None,
            points=[],
            insufficient=Insufficient(reason=reason),
        )
    fitter = KaplanMeierFitter(alpha=alpha).fit(durations, events)
    bands = fitter.confidence_interval_survival_function_
    table = fitter.event_table
    step = (table.index > 0) & (table["observed"].to_numpy() + table["censored"].to_numpy() > 0)
    columns = zip(
        table.index[step].tolist(),
        fitter.survival_function_.iloc[:, 0].to_numpy()[step].tolist(),
        bands.iloc[:, 0].to_numpy()[step].tolist(),
        bands.iloc[:, 1].to_numpy()[step].tolist(),
        table["at_risk"].to_numpy()[step].tolist(),
        table["observed"].to_numpy()[step].tolist(),
        table["censored"].to_numpy()[step].tolist(),
        strict=True,
    )
    points = [
        CurvePoint.model_construct(  # plain floats and ints straight from the fit
            time=float(t),
            estimate=float(s),
            lower=finite(lo),
            upper=finite(up),
            at_risk=int(n),
            events=int(d),
            censored=int(c),
        )
        for t, s, lo, up, n, d, c in columns
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        median_ci = median_survival_times(bands)
    return KaplanMeierCurve(
        segment=segment,
        n=n,
        events=observed,
        median=finite(fitter.median_survival_time_),
        median_lower=finite(median_ci.iat[0, 0]),
        median_upper=finite(median_ci.iat[0, 1]),
        points=points,
    )


def survival_curves(
    prepared: pd.DataFrame, *, by: str | None = None, alpha: float = 0.05
) -> tuple[KaplanMeierCurve, list[KaplanMeierCurve]]:
    """Overall curve and one curve per value of column `by` of a `prepare`d frame."""
    overall = kaplan_meier(
        prepared["duration"].to_numpy(), prepared["event"].to_numpy(), alpha=alpha
    )
    if by is None:
        return overall, []
    segments = [
        kaplan_meier(
            group["duration"].to_numpy(), group["event"].to_numpy(), segment=str(value), alpha=alpha
        )
        for value, group in prepared.groupby(by, sort=True)
    ]
    return overall, segments


def survival_analysis(
    records: WorkspaceRecords,
    *,
    as_of: datetime,
    transition: Transition | str,
    by: str | None = None,
    resolution: timedelta = timedelta(days=1),
    config: QualificationConfig | None = None,
    states: list[RelationshipState] | None = None,
    stages: list[ContactStages] | None = None,
    alpha: float = 0.05,
) -> SurvivalReport:
    """Kaplan-Meier of `transition` overall and per `by` segment (channel, owner, stakeholder).

    Times are in `resolution` units (default days); open spells are censored at `as_of`.
    """
    if by is not None and by not in SEGMENTS:
        raise UnprocessableError(f"by must be one of {', '.join(SEGMENTS)}")
    spells = spells_from_records(
        records,
        transition=transition,
        as_of=as_of,
        config=config,
        states=states,
        stages=stages,
        features=False,
        touches=False,
    )
    prepared = prepare(spells.frame, as_of=as_of, resolution=resolution)
    overall, segments = survival_curves(prepared, by=by, alpha=alpha)
    events = int(prepared["event"].sum())
    return SurvivalReport(
        workspace=records.workspace,
        transition=spells.transition.value,
        as_of=as_of,
        resolution_days=resolution / timedelta(days=1),
        by=by,
        n=len(prepared),
        events=events,
        censored=len(prepared) - events,
        excluded=spells.excluded,
        overall=overall,
        segments=segments,
        unit=spells.unit,
    )
