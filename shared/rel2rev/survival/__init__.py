"""Honest time-to-conversion statistics (lifelines), from stored records.

Transitions (a contract): `capture_to_qualified`, `qualified_to_lead`, `lead_to_won`. Spells
still open at `as_of` are censored there (at risk until then, never an event); times are in
`resolution` units (default one day). Public interface (pure, no AWS):
- `survival_analysis(records, *, as_of, transition, by=None, resolution) -> SurvivalReport`:
  Kaplan-Meier overall and per segment (`channel`, `owner`, `stakeholder`) with confidence
  bands, median and its CI, numbers at risk. For `lead_to_won`, lost leads are censored at
  their loss (cause-specific); use `competing_risks` for the incidence of won vs lost.
- `survival_drivers(records, *, as_of, transition, resolution, time_varying=False)
  -> CoxReport`: Cox hazard ratios with CIs, concordance and the PH check; time-varying Cox on
  accumulating touches. Features that are constant, collinear, backed by too few events or
  separated are dropped and named in `dropped`; at most one feature per 10 events is kept.
- `competing_risks(records, *, as_of, resolution) -> CompetingRisksReport`: Aalen-Johansen
  cumulative incidence of won and lost after lead.
Lower level: `spells_from_records`, `prepare`, `kaplan_meier`, `fit_cox`,
`fit_time_varying_cox`, `aalen_johansen`. Degenerate data give an `insufficient` reason in the
result, never an exception or NaN. Every report has `.rows()` and serialises to JSON. A
caller running several models computes `qualify(..., details=False)` and `contact_stages` once
and passes `states=` and `stages=` to each.
"""

from rel2rev.survival.competing import aalen_johansen, competing_risks
from rel2rev.survival.cox import fit_cox, fit_time_varying_cox, survival_drivers
from rel2rev.survival.kaplan_meier import kaplan_meier, survival_analysis
from rel2rev.survival.prepare import prepare
from rel2rev.survival.results import (
    CompetingRisksReport,
    CoxReport,
    HazardRatio,
    Insufficient,
    KaplanMeierCurve,
    SurvivalReport,
)
from rel2rev.survival.spells import Spells, Transition, spells_from_records

__all__ = [
    "CompetingRisksReport",
    "CoxReport",
    "HazardRatio",
    "Insufficient",
    "KaplanMeierCurve",
    "Spells",
    "SurvivalReport",
    "Transition",
    "aalen_johansen",
    "competing_risks",
    "fit_cox",
    "fit_time_varying_cox",
    "kaplan_meier",
    "prepare",
    "spells_from_records",
    "survival_analysis",
    "survival_drivers",
]
