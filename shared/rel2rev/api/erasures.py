"""Requesting erasures: a receipt (queued) now, the work in ErasureFunction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rel2rev.erasure import ErasureReceipt, ErasureRequest
from rel2rev.records import Identifier
from rel2rev.storage.erasure import ErasureQueue, ErasureReceipts


def request_erasure(
    receipts: ErasureReceipts,
    queue: ErasureQueue,
    workspace: str,
    identifiers: Sequence[Identifier],
    *,
    now: datetime,
) -> ErasureReceipt:
    """Store a queued receipt, then queue the request (a receipt without a message is
    visible as queued; a message without a receipt cannot happen)."""
    request = ErasureRequest.new(workspace, identifiers, now, "api")
    receipt = ErasureReceipt.queued(request)
    receipts.put(receipt)
    queue.request(request)
    return receipt
