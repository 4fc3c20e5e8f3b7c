"""Deliver SQS messages to functions the way Lambda's event source mapping does.

One poller thread per SQS event source of the template: receive up to BatchSize messages,
invoke the function with an SQS event, delete what succeeded (with ReportBatchItemFailures,
everything not listed in `batchItemFailures`; without it, the whole batch or nothing) and let
failed messages become visible again. The queue's own redrive policy moves a message to its
dead-letter queue after maxReceiveCount receives (moto implements it like SQS). Locally a
failed message is retried after `retry_delay` seconds instead of the queue's visibility
timeout, so the path to the DLQ takes seconds, not minutes.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

from rel2rev.local.resources import REGION, LocalNames
from rel2rev.local.template import QueueSource

_log = logging.getLogger(__name__)


class QueuePoller:
    """The event source mapping of one queue -> function."""

    def __init__(
        self,
        source: QueueSource,
        names: LocalNames,
        sqs: Any,
        invoke: Any,
        *,
        poll_interval: float = 0.05,
        retry_delay: float = 0.2,
    ) -> None:
        self.source = source
        self.queue_url = names.queue_url(source.queue)
        self.queue_arn = names.get_att(source.queue, "Arn")
        self._sqs = sqs
        self._invoke = invoke
        self._poll_interval = poll_interval
        self._retry_delay = retry_delay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=source.queue)
        self.batches = 0
        self.empty_polls = 0
        """Receives that found the queue empty; drain waits for one after it starts."""

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (after the batch in flight)."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.poll_once()
            except Exception:
                _log.exception("polling %s failed", self.source.queue)
                delivered = 0
            if not delivered:
                self.empty_polls += 1
                self._stop.wait(self._poll_interval)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        body = message["Body"]
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": REGION,
        }

    def poll_once(self) -> int:
        """Receive and deliver one batch; the number of messages delivered."""
        response = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, self.source.batch_size),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self._record(m) for m in messages]}
        try:
            result = self._invoke(self.source.function, event)
        except Exception:
            _log.exception("%s failed on a batch of %d", self.source.function, len(messages))
            failed = {m["MessageId"] for m in messages}
        else:
            failed = set()
            if self.source.report_failures and isinstance(result, dict):
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        self.batches += 1
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        for message in messages:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
        if failed:
            time.sleep(self._retry_delay)
        return len(messages)

    def pending(self) -> int:
        """Messages still in the queue (visible, in flight or delayed)."""
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())
