"""Source adapters by name: each proves its requests authentic and parses its payloads."""

from __future__ import annotations

from rel2rev.ingest.sources import generic
from rel2rev.ingest.sources.base import SourceAdapter

ADAPTERS: dict[str, SourceAdapter] = {
    generic.ADAPTER.name: generic.ADAPTER,
}

__all__ = ["ADAPTERS", "SourceAdapter"]
