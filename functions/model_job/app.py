"""ModelJobFunction: the daily schedule (every registered workspace) and on-demand runs (SQS).

Thin handler: an SQS record names a run (`{"workspace", "run_id"}`) requested through
`POST /v1/runs`; the schedule's event `{"trigger": "schedule"}` runs yesterday (UTC, the last
complete day) for every workspace with API keys. The work is `rel2rev.job.runner`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from rel2rev.job.root import job_root
from rel2rev.results.contracts import RunParameters, RunStatus
from rel2rev.storage.api_keys import api_key_store
from rel2rev.storage.results import results_store

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
root = job_root()


class RunMessage(BaseModel):
    """A queued run request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: str
    run_id: str


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    """Execute one requested run; a run that failed outright is retried, then dead-lettered."""
    message = RunMessage.model_validate_json(record.body)
    run = results_store().get_run(message.workspace, message.run_id)
    final = root.execute(run)
    if final.status is RunStatus.FAILED:
        raise RuntimeError(f"run {final.run_id} failed: {final.error}")


def scheduled(now: datetime) -> list[dict[str, str]]:
    """Yesterday's run of every registered workspace (idempotent)."""
    as_of = now.astimezone(UTC).date() - timedelta(days=1)
    done = []
    for workspace in api_key_store().workspaces():
        final = root.run_now(workspace, as_of, RunParameters(), "schedule")
        done.append({"workspace": workspace, "run_id": final.run_id, "status": final.status})
    return done


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """SQS batch of run requests, or the daily schedule."""
    if "Records" in event:
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(response)
    return {"runs": scheduled(datetime.now(UTC))}
