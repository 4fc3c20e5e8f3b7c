"""The session fixture makes moto reject what real DynamoDB rejects (and only that)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

TABLE = "limits"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _put(i: int, size: int = 10) -> dict[str, Any]:
    return {"PutRequest": {"Item": {"PK": {"S": f"k{i}"}, "v": {"S": "x" * size}}}}


def _validation(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_batch_write_of_25_passes_and_26_is_rejected(dynamodb: Any) -> None:
    dynamodb.batch_write_item(RequestItems={TABLE: [_put(i) for i in range(25)]})
    with pytest.raises(ClientError) as error:
        dynamodb.batch_write_item(RequestItems={TABLE: [_put(i) for i in range(26)]})
    assert _validation(error) == "ValidationException"
    assert dynamodb.scan(TableName=TABLE)["Count"] == 25


def test_item_over_400_kb_is_rejected_by_client_and_resource(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "ok"}, "v": {"S": "x" * 399_000}})
    with pytest.raises(ClientError) as error:
        dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "big"}, "v": {"S": "x" * 410_000}})
    assert _validation(error) == "ValidationException"
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE)
    with pytest.raises(ClientError) as error:
        table.put_item(Item={"PK": "big", "v": "x" * 410_000})
    assert _validation(error) == "ValidationException"
    with pytest.raises(ClientError):
        dynamodb.batch_write_item(RequestItems={TABLE: [_put(1, size=410_000)]})


def test_transactions_over_100_items_are_rejected(dynamodb: Any) -> None:
    def items(n: int) -> list[dict[str, Any]]:
        return [{"Put": {"TableName": TABLE, "Item": {"PK": {"S": f"t{i}"}}}} for i in range(n)]

    dynamodb.transact_write_items(TransactItems=items(100))
    with pytest.raises(ClientError) as error:
        dynamodb.transact_write_items(TransactItems=items(101))
    assert _validation(error) == "ValidationException"
