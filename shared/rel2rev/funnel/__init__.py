"""Capture → cultivate → convert: qualification, stage moments and funnel metrics.

Public interface (pure, no AWS):
- `QualificationConfig`: the per-workspace qualification rule (defaults in docs/definitions.md).
- `qualify(records, config, *, as_of) -> list[RelationshipState]`: per contact the score history,
  qualified episodes (`qualified_at`, `lapsed_at`), reciprocity and response times.
  `RelationshipTracker` is the incremental form (same result for any arrival order).
- `contact_stages(records, states, *, as_of)` / `account_stages(...)`: stage moments.
- `funnel_metrics(records, *, as_of, period, by, cohort, config) -> FunnelReport`: counts per
  stage, conversion, median days between stages, revenue per currency, revenue per qualified
  relationship, return on relationships, vanity vs relationship counts, response times;
  `FunnelReport.rows()` gives flat dicts for CSV/Parquet, `model_dump(mode="json")` the JSON.
"""

from rel2rev.funnel.config import QualificationConfig
from rel2rev.funnel.metrics import FunnelReport, FunnelRow, funnel_metrics
from rel2rev.funnel.qualification import RelationshipState, RelationshipTracker, qualify
from rel2rev.funnel.stages import (
    AccountStages,
    ContactStages,
    Stage,
    account_stages,
    contact_stages,
)

__all__ = [
    "AccountStages",
    "ContactStages",
    "FunnelReport",
    "FunnelRow",
    "QualificationConfig",
    "RelationshipState",
    "RelationshipTracker",
    "Stage",
    "account_stages",
    "contact_stages",
    "funnel_metrics",
    "qualify",
]
