"""Source adapters by name: each proves its requests authentic and parses its payloads."""

from __future__ import annotations

from rel2rev.ingest.sources import generic, hubspot, pipedrive, salesforce
from rel2rev.ingest.sources.base import SourceAdapter

ADAPTERS: dict[str, SourceAdapter] = {
    generic.ADAPTER.name: generic.ADAPTER,
    hubspot.ADAPTER.name: hubspot.ADAPTER,
    salesforce.ADAPTER.name: salesforce.ADAPTER,
    pipedrive.ADAPTER.name: pipedrive.ADAPTER,
}

__all__ = ["ADAPTERS", "SourceAdapter"]
