"""openapi.json is what the resolver generates; regenerate with `python -m rel2rev.api.openapi`."""

import json
from pathlib import Path

from rel2rev.api.openapi import rendered

ROOT = Path(__file__).resolve().parents[3]
ROUTES = {
    ("get", "/v1/funnel"),
    ("get", "/v1/attribution"),
    ("get", "/v1/attribution/deals"),
    ("get", "/v1/attribution/deals/{deal_id}"),
    ("get", "/v1/survival/{transition}"),
    ("get", "/v1/survival/drivers"),
    ("get", "/v1/relationships/{contact_id}"),
    ("get", "/v1/runs"),
    ("get", "/v1/runs/{run_id}"),
    ("post", "/v1/runs"),
    ("get", "/v1/runs/{run_id}/exports"),
    ("post", "/v1/erasures"),
    ("get", "/v1/erasures/{erasure_id}"),
    ("put", "/v1/costs"),
    ("get", "/v1/costs"),
    ("get", "/v1/returns"),
}


def test_committed_document_matches_the_code() -> None:
    committed = (ROOT / "openapi.json").read_text()
    assert committed == rendered(), "openapi.json is stale: python -m rel2rev.api.openapi"


def test_document_is_openapi_31_with_exactly_the_issue_routes() -> None:
    document = json.loads(rendered())
    assert document["openapi"] == "3.1.0"
    found = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert found == ROUTES
    assert document["security"] == [{"apiKey": []}]


def test_template_routes_match_the_document() -> None:
    from rel2rev.local.template import TemplateModel

    template = TemplateModel()
    served = {(r.method.lower(), r.path) for r in template.routes if r.function == "ApiFunction"}
    assert served == ROUTES
    assert all(r.authorizer == "ApiKeyAuthorizer" for r in template.routes
               if r.function == "ApiFunction")  # fmt: skip


def test_every_error_is_documented_with_the_body_it_has() -> None:
    """One error shape: every 4xx the API function sends is `ErrorResponse`; the gateway's own
    401 and 403 are documented with their own body."""
    document = json.loads(rendered())
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorResponse"]["properties"]) == {"error"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403", "404", "422"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status.startswith("4") and status not in {"401", "403"}:
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorResponse"), (method, path, status)
    assert "400" in document["paths"]["/v1/attribution/deals"]["get"]["responses"]
    assert "409" in document["paths"]["/v1/runs"]["post"]["responses"]
