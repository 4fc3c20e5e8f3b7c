"""Attribution: which channels, campaigns, owners and content earned the revenue.

A pure library (no AWS): `build_journeys` turns stored records into `Journey`s, `run_models`
runs any of `ALL_MODELS` on them (or on a `JourneyTable` read by `rel2rev.attribution.io`)
and returns an `AttributionReport` whose per-deal lines sum exactly to each deal's amount.
"""

from rel2rev.attribution.journeys import (
    DEFAULT_LOOKBACK,
    DIMENSIONS,
    Journey,
    Touch,
    build_journeys,
)
from rel2rev.attribution.report import (
    AttributionReport,
    ComparisonRow,
    DealLine,
    DealLines,
    HoldoutScore,
    Interval,
    ModelResult,
    TouchCredit,
)
from rel2rev.attribution.run import ALL_MODELS, PREDICTIVE_MODELS, run_models
from rel2rev.attribution.table import JourneyTable

__all__ = [
    "ALL_MODELS",
    "DEFAULT_LOOKBACK",
    "DIMENSIONS",
    "PREDICTIVE_MODELS",
    "AttributionReport",
    "ComparisonRow",
    "DealLine",
    "DealLines",
    "HoldoutScore",
    "Interval",
    "Journey",
    "JourneyTable",
    "ModelResult",
    "Touch",
    "TouchCredit",
    "build_journeys",
    "run_models",
]
