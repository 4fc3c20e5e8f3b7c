"""Property: whatever a sender posts, the real ingest handler never answers 5xx, and a
rejected request leaves nothing in the archive or the queue."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import sign_generic

pytestmark = pytest.mark.integration

SECRET = "property-secret"
header_names = st.sampled_from(
    ["content-type", "x-rel2rev-signature", "authorization", "user-agent", "x-other"]
)
header_values = st.text(max_size=80)
bodies = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400).map(str.encode),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    ).map(lambda v: repr(v).encode()),
    st.just(b'{"events": [{"event": "interaction"}]}'),
)


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> Any:
    local_stack.connections.register(
        Connection(workspace="prop", source="generic", signing_secret=SECRET)
    )
    return local_stack


def _event(
    workspace: str, source: str, headers: dict[str, str], body: bytes, b64: bool
) -> dict[str, Any]:
    now = int(time.time() * 1000)
    return {
        "version": "2.0",
        "routeKey": "POST /v1/hooks/{workspace}/{source}",
        "rawPath": f"/v1/hooks/{workspace}/{source}",
        "rawQueryString": "",
        "headers": headers,
        "pathParameters": {"workspace": workspace, "source": source},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "http": {
                "method": "POST",
                "path": f"/v1/hooks/{workspace}/{source}",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "",
            },
            "requestId": f"prop-{now}",
            "routeKey": "POST /v1/hooks/{workspace}/{source}",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": now,
        },
        "body": base64.b64encode(body).decode() if b64 else body.decode("utf-8", "replace"),
        "isBase64Encoded": b64,
    }


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    workspace=st.sampled_from(["prop", "nobody", "a/b", ""]),
    source=st.sampled_from(["generic", "hubspot", "salesforce", "pipedrive", "x"]),
    headers=st.dictionaries(header_names, header_values, max_size=4),
    body=bodies,
    b64=st.booleans(),
    sign=st.booleans(),
)
def test_arbitrary_requests_never_fail_the_server_nor_store_when_rejected(
    stack: Any,
    workspace: str,
    source: str,
    headers: dict[str, str],
    body: bytes,
    b64: bool,
    sign: bool,
) -> None:
    if sign:
        headers = {**headers, "x-rel2rev-signature": sign_generic(SECRET, body, int(time.time()))}
    before = _stored(stack)
    answer = stack.invoke("IngestFunction", _event(workspace, source, headers, body, b64))
    assert answer["statusCode"] < 500, answer
    if answer["statusCode"] >= 400:
        stack.drain()
        assert _stored(stack) == before


def _stored(stack: Any) -> tuple[int, int]:
    """(archived objects, table items): what an accepted request would add to."""
    archived = stack.client("s3").list_objects_v2(Bucket=stack.name("ArchiveBucket"))
    items = stack.client("dynamodb").scan(TableName=stack.name("RecordsTable"), Select="COUNT")
    return archived.get("KeyCount", 0), items["Count"]
