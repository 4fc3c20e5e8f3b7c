"""QuarantineFunction: drains the events dead-letter queue into the quarantine.

A message reaches the dead-letter queue only when the processor never finished it (a timeout
or a crash on every delivery): the processor quarantines failing events itself on a message's
last delivery. Each event of such a message is quarantined with that reason, so it can be
listed and retried (`rel2rev quarantine`) instead of waiting where only CloudWatch shows it.
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

from rel2rev.ingest.events import QuarantinedEvent
from rel2rev.settings import processor_settings
from rel2rev.storage import quarantine_store
from rel2rev.storage.queue import read_message

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)

settings = processor_settings()
quarantine = quarantine_store(settings.table_name)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    """Quarantine every event of one dead-lettered message (an unreadable one as it is)."""
    reason = (
        f"dead-lettered after {settings.max_receive_count} deliveries: the processor did not "
        "finish the message (a timeout or a crash)"
    )
    now, attempts = datetime.now(UTC), settings.max_receive_count
    try:
        events, entries = read_message(record.body, record.message_id, now, attempts)
    except ValueError as exc:
        events, entries = (
            [],
            [
                QuarantinedEvent.unreadable(
                    record.message_id, record.body, f"unreadable message: {exc}", now, attempts
                )
            ],
        )
    entries += [QuarantinedEvent.of(e, reason, now, attempts) for e in events]
    quarantine.put(entries)
    metrics.add_metric(name="QuarantinedEvents", unit=MetricUnit.Count, value=len(entries))
    logger.error("dead-lettered events quarantined", count=len(entries))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One SQS batch from the dead-letter queue."""
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
