"""Pipedrive as a backfill vendor: persons, leads, deals (with stage history and participants),
archived deals and activities.

Lists are API v2 (`GET /api/v2/persons`, `/deals`, `/deals/archived`, `/activities`) with cursor
pagination (`cursor`, `limit`; `additional_data.next_cursor`), sorted by `update_time`
ascending: the cursor is a keyset position, so an object changed during a pass moves past it
and is read again rather than skipped. An incremental pass adds `updated_since`. Leads have no
v2 list: `GET /api/v1/leads` pages by offset (`start`, `limit`;
`additional_data.pagination.next_start`), sorted by `add_time` (stable while leads change) and
filtered by `updated_since` likewise. For each deal of a page, the same page also reads its
changelog (`GET /api/v1/deals/{id}/changelog`, cursor) when it ever moved stage or closed, and
its participants (`GET /api/v1/deals/{id}/participants`, offset) when it has more than its
primary person (`include_fields=participants_count`), so a page's checkpoint covers its deals
whole. Organizations and users are not read: rel2rev keeps their ids as the account and owner
of each object, as the webhooks do.

The API token is sent in the `x-api-token` header (never in the URL, which is archived).

References: https://pipedrive.readme.io/docs/core-api-concepts-authentication,
https://pipedrive.readme.io/docs/core-api-concepts-pagination,
https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting,
https://developers.pipedrive.com/docs/api/v2/Deals#getDeals,
https://developers.pipedrive.com/docs/api/v1/Deals#getDealChangelog,
https://developers.pipedrive.com/docs/api/v1/Deals#getDealParticipants,
https://developers.pipedrive.com/docs/api/v1/Leads#getLeads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rel2rev.backfill.archived import archived_page
from rel2rev.backfill.http import ApiClient, ApiResponse, Credential, RateLimit, api_token
from rel2rev.backfill.run import Fetched, Page
from rel2rev.errors import InputError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.sources.pipedrive_objects import (
    DEAL_CHANGELOG,
    DEAL_PARTICIPANTS,
    latest_update,
    page_items,
    parse_page,
)

API_URL = "https://api.pipedrive.com"
"""Or the company's own `https://{company}.pipedrive.com` (the connection's `api_base_url`)."""
RATE_LIMIT = RateLimit(requests=20, seconds=2.0)
"""The lowest plan's burst limit for an API token: 20 requests per rolling 2 seconds."""
PAGE_SIZE = 500
"""Pipedrive's largest page: a list call costs the same tokens whatever its size."""


@dataclass(frozen=True)
class _List:
    """One list endpoint: its path and how it pages (`cursor` v2, `offset` v1)."""

    path: str
    cursor: bool
    deals: bool = False


LISTS = {
    "persons": _List("/api/v2/persons", cursor=True),
    "leads": _List("/api/v1/leads", cursor=False),
    "deals": _List("/api/v2/deals", cursor=True, deals=True),
    "archived_deals": _List("/api/v2/deals/archived", cursor=True, deals=True),
    "activities": _List("/api/v2/activities", cursor=True),
}
"""Object types in the order a backfill reads them: people and deals before activities."""


class PipedriveClient:
    """Reads a Pipedrive company's objects for one connection (`VendorClient`)."""

    source = "pipedrive"
    object_types = tuple(LISTS)

    def __init__(
        self,
        connection: Connection,
        api: ApiClient,
        *,
        now: Callable[[], datetime],
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._connection = connection
        self._api = api
        self._now = now
        self._size = page_size

    def count(self, object_type: str, since: datetime | None) -> int | None:
        """Unknown: Pipedrive's lists carry no total."""
        return None

    def pages(self, object_type: str, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        """A full pass (`since` None) or an incremental one, from `cursor`."""
        kind = LISTS.get(object_type)
        if kind is None:
            raise InputError(f"unknown Pipedrive object type {object_type!r}")
        while True:
            response = self._api.get(kind.path, self._params(kind, since, cursor))
            document = json.loads(response.body)
            items = page_items(document)
            fetched = [self._fetched(object_type, response, len(items))]
            if kind.deals:
                for deal in items:
                    fetched += self._deal_details(deal)
            cursor = _next_cursor(document) if kind.cursor else _next_start(document)
            yield Page(fetched, cursor, latest_update(document))
            if cursor is None:
                return

    def _params(self, kind: _List, since: datetime | None, cursor: str | None) -> dict[str, str]:
        params = {"limit": str(self._size)}
        if kind.cursor:
            params |= {"sort_by": "update_time", "sort_direction": "asc"}
            if cursor is not None:
                params["cursor"] = cursor
        else:
            params |= {"sort": "add_time ASC", "start": cursor or "0"}
        if kind.deals:
            params["include_fields"] = "participants_count"
        if since is not None:
            params["updated_since"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return params

    def _deal_details(self, deal: dict[str, Any]) -> list[Fetched]:
        """A deal's changelog and participants, when it has any beyond its snapshot."""
        deal_id = deal.get("id")
        if not isinstance(deal_id, int) or deal.get("is_deleted") is True:
            return []
        out = []
        if deal.get("stage_change_time") or deal.get("status") in ("won", "lost"):
            cursor: str | None = None
            while True:
                params = {"limit": str(self._size)} | ({"cursor": cursor} if cursor else {})
                response = self._api.get(f"/api/v1/deals/{deal_id}/changelog", params)
                out.append(self._fetched(DEAL_CHANGELOG, response, 0))
                cursor = _next_cursor(json.loads(response.body))
                if cursor is None:
                    break
        count = deal.get("participants_count")
        if not isinstance(count, int) or count > (1 if deal.get("person_id") else 0):
            start: str | None = "0"
            while start is not None:
                params = {"start": start, "limit": str(self._size)}
                response = self._api.get(f"/api/v1/deals/{deal_id}/participants", params)
                out.append(self._fetched(DEAL_PARTICIPANTS, response, 0))
                start = _next_start(json.loads(response.body))
        return out

    def _fetched(self, kind: str, response: ApiResponse, objects: int) -> Fetched:
        request = archived_page(
            self.source,
            self._connection.workspace,
            kind,
            response,
            self._now(),
            id_prefix=[self.source],
        )
        return Fetched(request, parse_page(request, kind, self._connection), objects)


def pipedrive_client(
    connection: Connection,
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    page_size: int = PAGE_SIZE,
) -> PipedriveClient:
    """The client of a connection with its API token (`api_token`)."""
    token = api_token(connection, "a Pipedrive API token")
    credential = Credential(vendor="Pipedrive", what="API token", header="x-api-token", value=token)
    base_url = connection.api_base_url or API_URL
    api = ApiClient(base_url, credential, RATE_LIMIT, sleep=sleep, clock=clock)
    return PipedriveClient(connection, api, now=now, page_size=page_size)


def _next_cursor(document: Any) -> str | None:
    """v2 and the v1 changelog: `additional_data.next_cursor` (null on the last page)."""
    extra = document.get("additional_data") if isinstance(document, dict) else None
    cursor = extra.get("next_cursor") if isinstance(extra, dict) else None
    return str(cursor) if cursor else None


def _next_start(document: Any) -> str | None:
    """v1 offset pages: `additional_data.pagination` (or `additional_data` itself, as some
    schemas show it) with `more_items_in_collection` and `next_start`."""
    extra = document.get("additional_data") if isinstance(document, dict) else None
    pagination = extra.get("pagination", extra) if isinstance(extra, dict) else None
    if not isinstance(pagination, dict) or not pagination.get("more_items_in_collection"):
        return None
    following = pagination.get("next_start")
    if not isinstance(following, int):
        following = int(pagination.get("start") or 0) + len(page_items(document))
    return str(following)
