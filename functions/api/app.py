"""ApiFunction: the finance API (routes in `rel2rev.api.routes`), behind the key authorizer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from rel2rev.api.routes import app

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Resolve one HTTP API v2 request; count it per route and status class."""
    response = app.resolve(event, context)
    # Powertools keeps unflushed dimensions when metrics are disabled (local runs): start clean.
    metrics.clear_metrics()
    metrics.add_dimension(name="route", value=str(event.get("routeKey", "unknown")))
    metrics.add_metric(
        name=f"Responses{int(response['statusCode']) // 100}xx", unit=MetricUnit.Count, value=1
    )
    return response
