"""IngestFunction: `POST /v1/hooks/{workspace}/{source}` (HTTP API v2 payload).

Thin handler: turns the API Gateway event into a `RawRequest`, calls
`rel2rev.ingest.webhook.receive_webhook` (verify, parse, archive, enqueue) and maps the answer
or a `Rel2revError` to the HTTP response, in this one place.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from rel2rev.errors import InputError, NotFoundError, Rel2revError
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources import ADAPTERS
from rel2rev.ingest.webhook import receive_webhook
from rel2rev.settings import ingest_settings
from rel2rev.storage import connection_store, event_queue, raw_archive
from rel2rev.storage.sink import AwsWebhookSink

logger = Logger()
tracer = Tracer()
metrics = Metrics()

settings = ingest_settings()
connections = connection_store(
    settings.connections_prefix, settings.connections, settings.connections_file
)
archive = raw_archive(settings.archive_bucket)
queue = event_queue(settings.events_queue_url)


def raw_request(event: APIGatewayProxyEventV2) -> RawRequest:
    """The webhook request an HTTP API v2 event carries (InputError if it cannot be read)."""
    context = event.request_context
    params = event.path_parameters or {}
    try:
        body = (
            base64.b64decode(event.body or "", validate=True)
            if event.is_base64_encoded
            else ((event.body or "").encode())
        )
    except (binascii.Error, ValueError):
        raise InputError("body is not valid base64") from None
    workspace, source = params.get("workspace", ""), params.get("source", "")
    if not (0 < len(workspace) <= 128 and 0 < len(source) <= 64):
        raise NotFoundError("unknown workspace or source")
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    scheme = headers.get("x-forwarded-proto", "https")
    query = f"?{event.raw_query_string}" if event.raw_query_string else ""
    return RawRequest(
        workspace=workspace,
        source=source,
        request_id=context.request_id,
        received_at=datetime.fromtimestamp(context.time_epoch / 1000, UTC),
        method=context.http.method,
        url=f"{scheme}://{context.domain_name}{event.raw_path}{query}",
        headers=headers,
        query=dict(event.query_string_parameters or {}),
        body=body,
    )


def error_response(error: Rel2revError) -> dict[str, Any]:
    """The JSON error answer of a domain error."""
    return {
        "statusCode": error.status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(error.to_body()),
    }


def _count(source: str, name: str, value: int) -> None:
    """Emit one count with the source as dimension (unknown sources collapse to one)."""
    metrics.add_dimension("source", source if source in ADAPTERS else "unknown")
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()
    metrics.clear_metrics()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Answer one webhook delivery."""
    api_event = APIGatewayProxyEventV2(event)
    source = (api_event.path_parameters or {}).get("source", "")
    sink = AwsWebhookSink(archive, queue)
    try:
        request = raw_request(api_event)
        answer = receive_webhook(request, connections, sink, datetime.now(UTC))
        sink.flush()
    except Rel2revError as error:
        logger.warning("webhook rejected", status=error.status, reason=error.message)
        _count(source, "RejectedRequests", 1)
        return error_response(error)
    _count(source, "AcceptedEvents", sink.enqueued)
    logger.info("webhook accepted", events=sink.enqueued, workspace=request.workspace)
    return {
        "statusCode": answer.status_code,
        "headers": {"content-type": answer.content_type},
        "body": answer.body,
    }
