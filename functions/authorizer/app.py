"""AuthorizerFunction: HTTP API Lambda authorizer (simple responses) on bearer API keys.

A known, active key authorises the call and passes its workspace to the API as context; an
unknown or revoked key raises "Unauthorized", which API Gateway answers with 401 (a request
without the Authorization header never reaches this function: API Gateway answers 401 itself).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from rel2rev.storage.api_keys import api_key_store, bearer_secret

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Authorise one request by its `Authorization: Bearer <key>` header."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    secret = bearer_secret(headers.get("authorization"))
    key = api_key_store().authenticate(secret) if secret else None
    if key is None:
        metrics.add_metric(name="RejectedApiKeys", unit=MetricUnit.Count, value=1)
        logger.info("API key rejected", route=event.get("routeKey"))
        raise PermissionError("Unauthorized")
    metrics.add_metric(name="AuthorisedCalls", unit=MetricUnit.Count, value=1)
    logger.append_keys(workspace=key.workspace, key_id=key.key_id)
    return {"isAuthorized": True, "context": {"workspace": key.workspace, "key_id": key.key_id}}
