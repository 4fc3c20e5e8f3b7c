"""ConnectionStore.listing: every connection under the prefix, in SSM (moto) or locally."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from rel2rev.ingest.connections import Connection
from rel2rev.storage.connections import ConnectionStore, connection_parameter_value

HUBSPOT = Connection(workspace="acme", source="hubspot", signing_secret="s", api_token="t")
GENERIC = Connection(workspace="beta", source="generic", signing_secret="g")


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")


def test_lists_every_connection_under_the_prefix_and_names_the_rest(ssm: Any) -> None:
    values = {
        "/rel2rev/acme/hubspot": connection_parameter_value(HUBSPOT),
        "/rel2rev/beta/generic": connection_parameter_value(GENERIC),
        "/rel2rev/beta/pipedrive": "{not json",
        "/rel2rev/gamma/hubspot": connection_parameter_value(HUBSPOT),  # acme's, misplaced
        "/other/acme/salesforce": json.dumps({"workspace": "acme", "source": "salesforce"}),
    }
    for name, value in values.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString")
    listing = ConnectionStore("/rel2rev", client=ssm).listing()
    assert listing.connections == [HUBSPOT, GENERIC]
    assert listing.connections[0].api_token is not None
    assert listing.connections[0].api_token.get_secret_value() == "t"  # decrypted
    assert listing.unreadable == ["/rel2rev/beta/pipedrive", "/rel2rev/gamma/hubspot"]


def test_lists_the_local_connections() -> None:
    inline = json.dumps([json.loads(connection_parameter_value(c)) for c in (GENERIC, HUBSPOT)])
    listing = ConnectionStore.from_config("/rel2rev", inline, None).listing()
    assert listing.connections == [HUBSPOT, GENERIC]
    assert listing.unreadable == []
