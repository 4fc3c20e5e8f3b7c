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

    Reading the CRM's API (`rel2rev backfill`): `api_token` is the credential sent to it (a
    HubSpot private-app access token; a Pipedrive API token), never logged or archived;
    `api_base_url` points the client elsewhere than the vendor's API (a local server in tests
    and the demo; for Salesforce, instead of the `instance_url` the token answer names).
    Salesforce is read with OAuth 2.0 through a connected app: `client_id` (its consumer key)
    with either the JWT bearer flow (`username` and the RSA `private_key` in PEM whose
    certificate the app holds) or a `refresh_token` (with `client_secret` when the app asks for
    it), at `login_url` (`https://test.salesforce.com` for a sandbox).
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
    api_token: SecretStr | None = None
    api_base_url: str | None = Field(None, pattern=r"^https?://[^\s]+$")
    client_id: str | None = None
    client_secret: SecretStr | None = None
    username: str | None = None
    private_key: SecretStr | None = None
    refresh_token: SecretStr | None = None
    login_url: str = Field("https://login.salesforce.com", pattern=r"^https?://[^\s]+$")
