"""An API answer as an archived request: what a vendor client hands the sink as a page.

The archived form is a `RawRequest` like an accepted webhook's, so the processor stores it the
same way and `rel2rev replay` re-reads it: the URL called (with its query), the body, and the
`BACKFILL_HEADER` marker naming the page's kind, never a credential. Its request id is a
digest of what was read, so reading the same answer again archives it under the same id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from rel2rev.backfill.http import ApiResponse
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.base import BACKFILL_HEADER

JSON_MEDIA_TYPE = "application/json"


def archived_page(
    source: str,
    workspace: str,
    kind: str,
    answer: ApiResponse,
    at: datetime,
    *,
    content_type: str = JSON_MEDIA_TYPE,
    id_prefix: Sequence[str] = (),
) -> RawRequest:
    """`answer` archived as a page of `kind` (an object type, or a detail such as Pipedrive's
    `deal_changelog`). Its id digests `id_prefix` (Pipedrive's names the source), the
    workspace, kind, method and URL, and the body."""
    digest = hashlib.sha256(
        "\x1f".join([*id_prefix, workspace, kind, answer.method, answer.url]).encode()
        + b"\x1f"
        + answer.body
    ).hexdigest()
    return RawRequest(
        workspace=workspace,
        source=source,
        request_id=f"backfill-{digest[:32]}",
        received_at=at,
        method=answer.method,
        url=answer.url,
        headers={
            "content-type": content_type,
            "user-agent": "rel2rev-backfill",
            BACKFILL_HEADER: kind,
        },
        body=answer.body,
    )
