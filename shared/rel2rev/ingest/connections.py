"""A workspace's connection to one source: what proves a request really comes from it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SOURCES = ("generic", "hubspot", "salesforce", "pipedrive")


class Connection(BaseModel):
    """Secrets and identities for (workspace, source); stored as one SSM SecureString JSON.

    Which fields a source needs: generic `signing_secret`; hubspot `signing_secret` (the app's
    client secret) and `portal_id`; salesforce `token` (URL query) and `organization_id`;
    pipedrive `basic_user` and `basic_password`. `currency` is the CRM's company currency,
    used for amounts the source sends without one (HubSpot deal amounts; Salesforce
    opportunities of single-currency orgs; Pipedrive deals without a currency).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: str
    source: str
    signing_secret: SecretStr | None = None
    portal_id: str | None = None
    organization_id: str | None = None
    token: SecretStr | None = None
    basic_user: str | None = None
    basic_password: SecretStr | None = None
    hubspot_signature_version: str = Field("v3", pattern="^v[123]$")
    currency: str | None = Field(None, pattern="^[A-Z]{3}$")
