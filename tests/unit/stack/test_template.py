"""template.yaml, transformed offline by aws-sam-translator: handlers, routes, policies, storage."""

from __future__ import annotations

import copy
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from rel2rev.local.resources import LocalNames
from rel2rev.local.template import TEMPLATE_PATH, TemplateModel
from rel2rev.storage import keys

ROOT = TEMPLATE_PATH.parent
DATA_SERVICES = ("dynamodb:", "s3:", "sqs:", "ssm:", "sns:", "kms:", "secretsmanager:")


class _NoManagedPolicies:
    """Offline: SAM's managed-policy map is only needed for policy *names*; we use ARNs."""

    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def source() -> dict[str, Any]:
    data: dict[str, Any] = yaml_parse(TEMPLATE_PATH.read_text())
    return data


@pytest.fixture(scope="module")
def transformed(source: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation SAM would deploy, with code locations as `sam package` sets them."""
    packaged = copy.deepcopy(source)
    for resource in packaged["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            if props.get("PackageType") == "Image":
                props["ImageUri"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/rel2rev:1"
            else:
                props["CodeUri"] = f"s3://artifacts/{props['CodeUri']}"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = f"s3://artifacts/{props['ContentUri']}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        result: dict[str, Any] = transform(packaged, {}, _NoManagedPolicies())
    return result


def _of_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_every_function_handler_exists_and_imports(
    transformed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = TemplateModel()
    names = LocalNames(model, "unit", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    lambdas = _of_type(transformed, "AWS::Lambda::Function")
    assert set(lambdas) == set(model.functions)
    for spec in model.functions.values():
        for key, value in names.resolver.resolve(spec.environment).items():
            monkeypatch.setenv(key, str(value))
    for logical_id, spec in model.functions.items():
        module_name, _, attribute = spec.handler.rpartition(".")
        file = spec.code_dir / f"{module_name.replace('.', '/')}.py"
        assert file.is_file(), f"{logical_id}: {file} missing"
        loader = importlib.util.spec_from_file_location(f"_handler_{logical_id}", file)
        assert loader is not None
        assert loader.loader is not None
        module = importlib.util.module_from_spec(loader)
        monkeypatch.syspath_prepend(str(spec.code_dir))
        monkeypatch.setitem(sys.modules, loader.name, module)
        loader.loader.exec_module(module)
        assert callable(getattr(module, attribute)), f"{logical_id}: no {attribute}"


def test_light_functions_are_python_zips_with_the_shared_layer(
    transformed: dict[str, Any],
) -> None:
    for logical_id, function in _of_type(transformed, "AWS::Lambda::Function").items():
        props = function["Properties"]
        if props.get("PackageType") == "Image":
            continue
        assert props["Runtime"] == "python3.12", logical_id
        assert props["Layers"], f"{logical_id} has no shared layer"
        assert props["TracingConfig"] == {"Mode": "Active"}
    requirements = (ROOT / "shared" / "requirements.txt").read_text().lower()
    assert "pandas" not in requirements
    assert "lifelines" not in requirements


def test_routes_match_the_api(transformed: dict[str, Any]) -> None:
    api = transformed["Resources"]["HttpApi"]["Properties"]["Body"]["paths"]
    deployed = {(method.upper(), path) for path, ops in api.items() for method in ops}
    declared = {(r.method, r.path) for r in TemplateModel().routes}
    assert deployed == declared
    assert ("POST", "/v1/hooks/{workspace}/{source}") in deployed
    hook = api["/v1/hooks/{workspace}/{source}"]["post"]
    assert "IngestFunction.Arn" in str(hook["x-amazon-apigateway-integration"]["uri"])
    assert "security" not in hook, "webhooks are authenticated by their signatures"


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s
        for policy in role["Properties"].get("Policies", [])
        for s in policy["PolicyDocument"]["Statement"]
    ]


def test_policies_are_scoped(transformed: dict[str, Any]) -> None:
    roles = _of_type(transformed, "AWS::IAM::Role")
    assert {"IngestFunctionRole", "ProcessorFunctionRole"} <= set(roles)
    for logical_id, role in roles.items():
        for statement in _statements(role):
            if statement["Effect"] != "Allow":
                continue
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            resources = statement.get("Resource", [])
            resources = resources if isinstance(resources, list) else [resources]
            for action in actions:
                assert not action.endswith("*"), (logical_id, action)
                if action.startswith(DATA_SERVICES):
                    assert "*" not in resources, f"{logical_id}: {action} on every resource"
    ingest = {a for s in _statements(roles["IngestFunctionRole"]) for a in _list(s["Action"])}
    assert ingest == {"s3:PutObject", "sqs:SendMessage", "ssm:GetParameter", "ssm:GetParameters"}
    processor = {a for s in _statements(roles["ProcessorFunctionRole"]) for a in _list(s["Action"])}
    assert not any(
        a.startswith(("s3:", "ssm:", "dynamodb:Scan", "dynamodb:Delete")) for a in processor
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_processor_reports_partial_failures_and_redrives_to_a_dlq(
    transformed: dict[str, Any],
) -> None:
    mapping = transformed["Resources"]["ProcessorFunctionEvents"]["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["EventsQueue", "Arn"]}
    queue = transformed["Resources"]["EventsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]
    }
    alarms = _of_type(transformed, "AWS::CloudWatch::Alarm").values()
    watched = {
        (a["Properties"]["MetricName"], str(a["Properties"]["Dimensions"][0]["Value"]))
        for a in alarms
    }
    assert (
        "ApproximateNumberOfMessagesVisible",
        str({"Fn::GetAtt": ["EventsDeadLetterQueue", "QueueName"]}),
    ) in watched
    for function in ("IngestFunction", "ProcessorFunction"):
        for metric in ("Errors", "Throttles"):
            assert (metric, str({"Ref": function})) in watched


def test_records_table_matches_the_storage_keys(source: dict[str, Any]) -> None:
    table = source["Resources"]["RecordsTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"]["AttributeName"] == keys.TTL_ATTRIBUTE
    indexes = {
        i["IndexName"]: tuple(k["AttributeName"] for k in i["KeySchema"])
        for i in props["GlobalSecondaryIndexes"]
    }
    assert indexes == keys.INDEX_KEYS
    assert "Scan" not in Path(keys.__file__).with_name("records.py").read_text()


def test_archive_bucket_is_versioned_encrypted_private_and_tls_only(
    source: dict[str, Any],
) -> None:
    bucket = source["Resources"]["ArchiveBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    policy = source["Resources"]["ArchiveBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_ssm_connection_path_and_powertools_settings(source: dict[str, Any]) -> None:
    env = source["Globals"]["Function"]["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"]
    assert env["POWERTOOLS_METRICS_NAMESPACE"]
    ingest = source["Resources"]["IngestFunction"]["Properties"]
    assert ingest["Environment"]["Variables"]["REL2REV_CONNECTIONS_PREFIX"] == {
        "Ref": "ConnectionsParameterPrefix"
    }
    (statement,) = [s for s in ingest["Policies"][0]["Statement"] if s["Sid"] == "ReadConnections"]
    assert re.search(
        r"parameter\$\{ConnectionsParameterPrefix\}/\*$", statement["Resource"]["Fn::Sub"]
    )


def test_api_stage_logs_every_request(transformed: dict[str, Any]) -> None:
    (stage,) = _of_type(transformed, "AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"]}
    for field in ("$context.requestId", "$context.status", "$context.routeKey"):
        assert field in settings["Format"]
    group = transformed["Resources"]["HttpApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_a_revoked_key_works_at_most_a_minute(transformed: dict[str, Any]) -> None:
    schemes = transformed["Resources"]["HttpApi"]["Properties"]["Body"]["components"]
    authorizer = schemes["securitySchemes"]["ApiKeyAuthorizer"]["x-amazon-apigateway-authorizer"]
    assert authorizer["authorizerResultTtlInSeconds"] == 60


def test_raw_archive_expires_after_the_retention_parameter(source: dict[str, Any]) -> None:
    assert source["Parameters"]["RawArchiveRetentionDays"]["Default"] == 400
    rules = source["Resources"]["ArchiveBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (raw,) = [r for r in rules if r.get("Prefix") == "raw/"]
    assert raw["ExpirationInDays"] == {"Ref": "RawArchiveRetentionDays"}
    assert raw["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1  # old versions go too


def test_alarms_can_reach_someone(source: dict[str, Any]) -> None:
    subscription = source["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert source["Parameters"]["AlarmEmail"]["Default"] == ""
    alarm = source["Resources"]["QuarantinedEventsAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("rel2rev", "QuarantinedEvents")


def test_the_api_cannot_write_api_keys(transformed: dict[str, Any]) -> None:
    role = _of_type(transformed, "AWS::IAM::Role")["ApiFunctionRole"]
    writes = [
        s
        for s in _statements(role)
        if any(a.startswith("dynamodb:Put") for a in _list(s["Action"]))
    ]
    allowed = {"ResultsTable": ["WS#*"], "RecordsTable": ["W#*#ERASURE"]}
    assert len(writes) == len(allowed)
    for statement in writes:
        table = statement["Resource"]["Fn::GetAtt"][0]
        keys = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert keys == allowed[table], "workspace items or erasure receipts, never API keys"


def test_queue_pollers_reach_only_their_queue(transformed: dict[str, Any]) -> None:
    roles = _of_type(transformed, "AWS::IAM::Role")
    polled = {
        "ProcessorFunctionRole": "EventsQueue",
        "QuarantineFunctionRole": "EventsDeadLetterQueue",
        "ModelJobFunctionRole": "RunsQueue",
    }
    for logical_id, role in roles.items():
        managed = str(role["Properties"].get("ManagedPolicyArns", []))
        assert "AWSLambdaSQSQueueExecutionRole" not in managed, logical_id
    for logical_id, queue in polled.items():
        receive = [
            s for s in _statements(roles[logical_id]) if "sqs:ReceiveMessage" in _list(s["Action"])
        ]
        assert [s["Resource"] for s in receive] == [{"Fn::GetAtt": [queue, "Arn"]}]


def test_the_model_job_runs_at_most_a_few_at_once(transformed: dict[str, Any]) -> None:
    job = transformed["Resources"]["ModelJobFunction"]["Properties"]
    assert job["ReservedConcurrentExecutions"] == {"Ref": "ModelJobMaxConcurrency"}
    mapping = transformed["Resources"]["ModelJobFunctionRequested"]["Properties"]
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "ModelJobMaxConcurrency"}
