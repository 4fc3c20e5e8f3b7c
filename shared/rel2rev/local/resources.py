"""Create the template's stateful resources in the embedded AWS (moto), with local names.

Tables (keys, indexes, TTL), buckets (versioning, encryption, public access block, policy),
queues (attributes, redrive to their dead-letter queue) and SNS topics are created from their
template definitions. Everything else (functions, APIs, alarms, log groups, schedules) is
played by the embedded stack itself or has no local meaning.
"""

from __future__ import annotations

import json
from typing import Any

from boto3.session import Session

from rel2rev.local.template import Resolver, TemplateModel

REGION = "us-east-1"
ACCOUNT = "123456789012"


class LocalNames:
    """Physical names and attributes of the template's resources in one local stack."""

    def __init__(self, template: TemplateModel, stack_name: str, endpoint_url: str) -> None:
        self._template = template
        self.stack_name = stack_name
        self._endpoint = endpoint_url.rstrip("/")
        self.resolver = Resolver(
            template,
            self.ref,
            self.get_att,
            {
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::StackName": stack_name,
                "AWS::NoValue": "",
            },
        )

    def name(self, logical_id: str) -> str:
        """The physical name: `{stack}-{logical id}` (lower-case where AWS requires it)."""
        resource_type = self._template.resources[logical_id]["Type"]
        name = f"{self.stack_name}-{logical_id}"
        return name.lower() if resource_type == "AWS::S3::Bucket" else name

    def queue_url(self, logical_id: str) -> str:
        """The queue's URL on the embedded endpoint."""
        return f"{self._endpoint}/{ACCOUNT}/{self.name(logical_id)}"

    def ref(self, logical_id: str) -> str:
        """What `!Ref` returns for a resource."""
        resource_type = self._template.resources[logical_id]["Type"]
        if resource_type == "AWS::SQS::Queue":
            return self.queue_url(logical_id)
        if resource_type == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{self.name(logical_id)}"
        return self.name(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> str:
        """What `!GetAtt` returns for the attributes the templates use."""
        resource_type = self._template.resources[logical_id]["Type"]
        name = self.name(logical_id)
        if attribute == "Arn":
            service = {
                "AWS::DynamoDB::Table": f"dynamodb:{REGION}:{ACCOUNT}:table/{name}",
                "AWS::S3::Bucket": f"s3:::{name}",
                "AWS::SQS::Queue": f"sqs:{REGION}:{ACCOUNT}:{name}",
                "AWS::SNS::Topic": f"sns:{REGION}:{ACCOUNT}:{name}",
                "AWS::Serverless::Function": f"lambda:{REGION}:{ACCOUNT}:function:{name}",
            }.get(resource_type, f"local:{REGION}:{ACCOUNT}:{name}")
            return f"arn:aws:{service}"
        if attribute == "QueueName":
            return name
        if attribute == "QueueUrl":
            return self.queue_url(logical_id)
        return name


def _table(client: Any, name: str, props: dict[str, Any]) -> None:
    spec: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if props.get("GlobalSecondaryIndexes"):
        spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if spec["BillingMode"] == "PROVISIONED":
        spec["ProvisionedThroughput"] = props.get(
            "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        )
    client.create_table(**spec)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
    recovery = props.get("PointInTimeRecoverySpecification")
    if recovery and recovery.get("PointInTimeRecoveryEnabled"):  # point-in-time exports need it
        client.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )


def _bucket(client: Any, name: str, props: dict[str, Any]) -> None:
    client.create_bucket(Bucket=name)
    if "VersioningConfiguration" in props:
        client.put_bucket_versioning(
            Bucket=name, VersioningConfiguration=props["VersioningConfiguration"]
        )
    if "BucketEncryption" in props:
        client.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                    for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                ]
            },
        )
    if "PublicAccessBlockConfiguration" in props:
        client.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )


_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
)


def _queue(client: Any, name: str, props: dict[str, Any]) -> None:
    attributes = {
        k: str(props[k]).lower() if isinstance(props[k], bool) else str(props[k])
        for k in _QUEUE_ATTRIBUTES
        if k in props
    }
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    client.create_queue(QueueName=name, Attributes=attributes)


def provision(template: TemplateModel, names: LocalNames, session: Session) -> None:
    """Create every table, bucket, queue (dead-letter queues first) and topic."""
    resolve = names.resolver.resolve
    clients: dict[str, Any] = {
        s: session.client(s)  # type: ignore[call-overload]
        for s in ("dynamodb", "s3", "sqs", "sns")
    }
    dynamodb, s3, sqs, sns = (clients[s] for s in ("dynamodb", "s3", "sqs", "sns"))
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        _table(dynamodb, names.name(logical_id), resolve(resource.get("Properties", {})))
    for logical_id, resource in template.of_type("AWS::S3::Bucket").items():
        _bucket(s3, names.name(logical_id), resolve(resource.get("Properties", {})))
    queues = template.of_type("AWS::SQS::Queue")
    ordered = sorted(queues, key=lambda q: "RedrivePolicy" in queues[q].get("Properties", {}))
    for logical_id in ordered:
        _queue(sqs, names.name(logical_id), resolve(queues[logical_id].get("Properties", {})))
    for logical_id in template.of_type("AWS::SNS::Topic"):
        sns.create_topic(Name=names.name(logical_id))
