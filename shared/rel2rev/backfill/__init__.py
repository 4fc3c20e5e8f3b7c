"""Backfill: a CRM's history read through its REST API and stored as webhooks are.

`run.run_backfill` is vendor-neutral; `VENDORS` maps a source name to the factory of its
client (`rel2rev backfill <source>` offers these). Storage sits behind protocols
(`BackfillSink`, `checkpoints.CheckpointStore`); this package never imports boto3.
"""

from __future__ import annotations

from collections.abc import Callable

from rel2rev.backfill.hubspot import hubspot_client
from rel2rev.backfill.pipedrive import pipedrive_client
from rel2rev.backfill.run import VendorClient
from rel2rev.backfill.salesforce import salesforce_client

VendorFactory = Callable[..., VendorClient]
"""`factory(connection, *, now, sleep=None, clock=None)` -> the vendor's client."""

VENDORS: dict[str, VendorFactory] = {
    "hubspot": hubspot_client,
    "pipedrive": pipedrive_client,
    "salesforce": salesforce_client,
}
