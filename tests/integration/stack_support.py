"""Connections of the four sources for a test workspace on the embedded stack."""

from __future__ import annotations

from rel2rev.ingest.connections import Connection

PIPELINE_ORG = "00D000000000062EAA"


def connections(
    workspace: str, *, org: str = PIPELINE_ORG, currency: str | None = None
) -> dict[str, Connection]:
    """generic, hubspot (EUR), salesforce and pipedrive connections of `workspace`, with the
    secrets the tests sign with; `currency` is the Salesforce and Pipedrive fallback."""
    return {
        "generic": Connection(workspace=workspace, source="generic", signing_secret="g-secret"),
        "hubspot": Connection(
            workspace=workspace,
            source="hubspot",
            signing_secret="h-secret",
            portal_id="62515",
            currency="EUR",
        ),
        "salesforce": Connection(
            workspace=workspace,
            source="salesforce",
            token="sf-token",
            organization_id=org,
            currency=currency,
        ),
        "pipedrive": Connection(
            workspace=workspace,
            source="pipedrive",
            basic_user="pd",
            basic_password="pd-pass",
            currency=currency,
        ),
    }
