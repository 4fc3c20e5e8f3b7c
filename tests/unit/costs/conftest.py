"""The template's tables on moto, with the CLI's environment pointing at its results table."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from rel2rev.local.resources import LocalNames, provision
from rel2rev.local.template import TemplateModel
from rel2rev.storage import costs


@pytest.fixture
def results_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The name of a fresh results table, also in `REL2REV_RESULTS_TABLE`."""
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        template = TemplateModel()
        names = LocalNames(template, "costs", "https://sqs.us-east-1.amazonaws.com")
        provision(template, names, boto3.Session(region_name="us-east-1"))
        table = names.name("ResultsTable")
        monkeypatch.setenv("REL2REV_RESULTS_TABLE", table)
        costs.cost_store.cache_clear()
        yield table
        costs.cost_store.cache_clear()
