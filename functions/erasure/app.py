"""ErasureFunction: carries out queued erasures (`POST /v1/erasures`), one message each.

Thin: parse the request, run the composition root `rel2rev.storage.eraser` (the one
`rel2rev erase` runs), count it. A failed erasure returns to the queue and runs again from
where it stopped (every step removes what is left); after its deliveries it waits in the
erasure dead-letter queue, which has an alarm.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from rel2rev.erasure import ErasureRequest
from rel2rev.settings import erasure_settings
from rel2rev.storage import eraser

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)

erase = eraser(erasure_settings())


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    """Carry out one erasure request."""
    request = ErasureRequest.model_validate_json(record.body)
    logger.append_keys(workspace=request.workspace, erasure_id=request.erasure_id)
    receipt = erase.erase(request, datetime.now(UTC), progress=logger.info)
    metrics.add_metric(name="Erasures", unit=MetricUnit.Count, value=1)
    logger.info("erasure done", **receipt.counts.model_dump())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One SQS batch of erasure requests."""
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
