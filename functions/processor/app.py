"""ProcessorFunction: SQS batches of normalised events -> the records table.

Thin handler: Powertools `BatchProcessor` hands each message to
`rel2rev.processing.process_message`, which applies its events (idempotent, ordered by source
clock), each succeeding or failing alone. A message with events still failing fails alone and
returns to the queue; on its last delivery (`MaxReceiveCount`) those events are quarantined
instead, so nothing goes to the dead-letter queue that the processor could still report on.
"""

from __future__ import annotations

from collections import Counter
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

from rel2rev.ingest.events import QuarantinedEvent
from rel2rev.processing import process_message
from rel2rev.settings import processor_settings
from rel2rev.storage import Outcome, quarantine_store, record_repository
from rel2rev.storage.queue import read_message

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)

settings = processor_settings()
repository = record_repository(settings.table_name)
quarantine = quarantine_store(settings.table_name)
_METRIC_NAMES = {
    Outcome.STORED: "StoredEvents",
    Outcome.UNCHANGED: "UnchangedEvents",
    Outcome.DUPLICATE: "DuplicateEvents",
    Outcome.ERASED: "ErasedEvents",
}
_counts: Counter[tuple[str, str]] = Counter()


class EventsFailed(RuntimeError):
    """Some events of the message failed; the message is delivered again."""


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    """Apply one queue message; raises (failing this message only) while events still fail."""
    attempts = int(record.attributes.get("ApproximateReceiveCount") or 1)
    now = datetime.now(UTC)
    try:
        events, unreadable = read_message(record.body, record.message_id, now, attempts)
    except ValueError as exc:  # reading it again will not help: quarantine it as it is
        unreadable = [
            QuarantinedEvent.unreadable(
                record.message_id, record.body, f"unreadable message: {exc}", now, attempts
            )
        ]
        events = []
    if unreadable:  # reading them again will not help: quarantine them as they are
        quarantine.put(unreadable)
        for entry in unreadable:
            _counts["unknown", "QuarantinedEvents"] += 1
            logger.error("unreadable event quarantined", event_id=entry.event_id)
    if not events:
        return
    logger.set_correlation_id(events[0].request_id)
    processed = process_message(
        events,
        repository,
        quarantine,
        attempts=attempts,
        last_attempt=attempts >= settings.max_receive_count,
        now=now,
    )
    for event in events:
        if event.event_id in processed.outcomes:
            _counts[event.source, _METRIC_NAMES[processed.outcomes[event.event_id]]] += 1
        elif event.event_id in processed.failed:
            _counts[event.source, "FailedEvents"] += 1
    for entry in processed.quarantined:
        source = entry.event.source if entry.event else "unknown"
        _counts[source, "QuarantinedEvents"] += 1
        logger.error(
            "event quarantined",
            event_id=entry.event_id,
            workspace=entry.workspace,
            reason=entry.reason,
        )
    if processed.failed:
        logger.warning("events failed", failed=processed.failed, attempts=attempts)
        raise EventsFailed(f"{len(processed.failed)} of {len(events)} events failed")
    logger.info("events applied", count=len(processed.outcomes), message_id=record.message_id)


def _emit_counts() -> None:
    """One EMF document per source (a batch may mix sources), then the quarantined total
    without a source (the alarm's metric)."""
    quarantined = sum(n for (_, name), n in _counts.items() if name == "QuarantinedEvents")
    for source in sorted({source for source, _ in _counts}):
        metrics.add_dimension("source", source)
        for (of, name), count in sorted(_counts.items()):
            if of == source:
                metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
        metrics.flush_metrics()
        metrics.clear_metrics()
    if quarantined:
        metrics.add_metric(name="QuarantinedEvents", unit=MetricUnit.Count, value=quarantined)
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
