"""ReconcileFunction: the nightly incremental pull of every connected CRM's API.

Thin: parse the schedule's event, run the composition root's reconciliation
(`rel2rev.sync.root`, stopping before the timeout with its checkpoints saved), log and count
each connection's outcome, return the report. Metrics (namespace `rel2rev`):
`ReconciledObjects` (CRM objects read) and `ReconciledMissed` (records the webhooks had not
brought: absent, or changed by what the CRM holds), per `source` and `object_type`;
`ReconcileFailures` (connections that failed and unreadable connection parameters).
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from rel2rev.sync.reconcile import Outcome
from rel2rev.sync.root import sync_root

logger = Logger()
tracer = Tracer()
metrics = Metrics()

root = sync_root()


class ReconcileEvent(BaseModel):
    """What the schedule sends (`{"trigger": "schedule"}`); an operator may invoke by hand."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trigger: Literal["schedule", "manual"] = "schedule"


def _count(outcome: Outcome) -> None:
    """Objects read and records missed of each object type, as dimensions."""
    for tally in outcome.types:
        metrics.add_dimension("source", outcome.source)
        metrics.add_dimension("object_type", tally.object_type)
        metrics.add_metric(name="ReconciledObjects", unit=MetricUnit.Count, value=tally.objects)
        metrics.add_metric(name="ReconciledMissed", unit=MetricUnit.Count, value=tally.missed)
        metrics.flush_metrics()
        metrics.clear_metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Reconcile every connection that reads a CRM's API."""
    request = ReconcileEvent.model_validate(event)
    report = root.reconcile(lambda: context.get_remaining_time_in_millis() / 1000)
    for outcome in report.outcomes:
        _count(outcome)
        details = outcome.model_dump(exclude={"types"}) | {
            "objects": sum(t.objects for t in outcome.types),
            "missed": sum(t.missed for t in outcome.types),
        }
        if outcome.status == "failed":
            logger.error("reconciliation failed", **details)
        else:
            logger.info("reconciliation", **details)
    for name in report.unreadable:
        logger.error("connection parameter is not a connection", parameter=name)
    metrics.add_metric(name="ReconcileFailures", unit=MetricUnit.Count, value=report.failures)
    logger.info("reconciled", trigger=request.trigger, failures=report.failures)
    return report.model_dump(mode="json")
