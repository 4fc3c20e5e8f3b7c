"""ProcessorFunction: SQS batches of normalised events -> the records table.

Thin handler: Powertools `BatchProcessor` applies each message with
`RecordRepository.apply_event` (idempotent, ordered by source clock); a message that cannot be
parsed or applied fails alone and returns to the queue, then to the DLQ after N receives.
Each message carries up to 25 events of one delivery (`rel2rev.storage.queue.EventMessage`).
"""

from __future__ import annotations

from collections import Counter
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

from rel2rev.settings import processor_settings
from rel2rev.storage import Outcome, record_repository
from rel2rev.storage.queue import EventMessage

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)

repository = record_repository(processor_settings().table_name)
_METRIC_NAMES = {
    Outcome.STORED: "StoredEvents",
    Outcome.UNCHANGED: "UnchangedEvents",
    Outcome.DUPLICATE: "DuplicateEvents",
}
_counts: Counter[tuple[str, str]] = Counter()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    """Apply the events of one queue message together; raises (failing this message only).

    A failed message is delivered again; events of it that were stored by then are
    duplicates, so nothing is stored twice.
    """
    try:
        message = EventMessage.model_validate_json(record.body)
    except ValueError:
        _counts["unknown", "FailedEvents"] += 1
        logger.error("unparseable event message", message_id=record.message_id)
        raise
    logger.set_correlation_id(message.events[0].request_id)
    try:
        outcomes = repository.apply_events(message.events)
    except Exception:
        for event in message.events:
            _counts[event.source, "FailedEvents"] += 1
        logger.exception("event message failed", message_id=record.message_id)
        raise
    for event, outcome in zip(message.events, outcomes, strict=True):
        _counts[event.source, _METRIC_NAMES[outcome]] += 1
    logger.info("events applied", count=len(outcomes), message_id=record.message_id)


def _emit_counts() -> None:
    """One EMF document per source (a batch may mix sources)."""
    for source in sorted({source for source, _ in _counts}):
        metrics.add_dimension("source", source)
        for (of, name), count in sorted(_counts.items()):
            if of == source:
                metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
        metrics.flush_metrics()
        metrics.clear_metrics()
    _counts.clear()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Process one SQS batch; report the failed message ids."""
    try:
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(response)
    finally:
        _emit_counts()
