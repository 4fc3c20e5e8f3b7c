"""boto3 clients, created once per container (per process) and shared by the repositories.

Endpoints follow boto3's own configuration (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`),
which is how the embedded local stack points the real handlers at moto.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient, DynamoDBServiceResource
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=32)


def _client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]


@cache
def dynamodb_client() -> DynamoDBClient:
    """The DynamoDB client."""
    client: DynamoDBClient = _client("dynamodb")
    return client


@cache
def dynamodb_table(table_name: str) -> Table:
    """A DynamoDB table resource (boto3's document layer), on the shared configuration."""
    resource: DynamoDBServiceResource = boto3.session.Session().resource("dynamodb", config=_CONFIG)
    return resource.Table(table_name)


@cache
def s3_client() -> S3Client:
    """The S3 client."""
    client: S3Client = _client("s3")
    return client


@cache
def sqs_client() -> SQSClient:
    """The SQS client."""
    client: SQSClient = _client("sqs")
    return client


@cache
def ssm_client() -> SSMClient:
    """The SSM client."""
    client: SSMClient = _client("ssm")
    return client
