"""HubSpot CRM v3 as a backfill vendor: contacts, deals (with stage history) and engagements.

A full pass lists every object (`GET /crm/v3/objects/{type}` with `properties`,
`propertiesWithHistory` and `associations`, `limit=100`, following `paging.next.after`). An
incremental pass searches the objects modified at or after a moment (`POST
/crm/v3/objects/{type}/search`, a GTE filter on the last-modified property, sorted
ascending) and reads each one found (`GET /crm/v3/objects/{type}/{id}` with the same
parameters: search answers carry neither history nor associations). HubSpot's search stops
at 10,000 results per query: when a query reaches that ceiling, the next query starts at the
last modified time seen (objects sharing it are read twice, which is harmless); more objects
than the ceiling sharing one modified time cannot be windowed and stop the pass with an error.

References: https://developers.hubspot.com/docs/api-reference/latest/crm/objects/deals/guide
(list, read, associations), https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm
(search, 10,000 ceiling), https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
(rate limits).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from rel2rev.backfill.archived import archived_page
from rel2rev.backfill.http import (
    ApiClient,
    ApiError,
    ApiResponse,
    Credential,
    RateLimit,
    api_token,
)
from rel2rev.backfill.run import Fetched, Page
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.sources.base import parse_instant
from rel2rev.ingest.sources.hubspot_objects import (
    OBJECT_TYPES,
    ObjectType,
    object_type_named,
    page_objects,
    parse_page,
)

API_URL = "https://api.hubapi.com"
RATE_LIMIT = RateLimit(requests=100, seconds=10.0)
"""Private apps: 100 requests per rolling 10 seconds (higher tiers allow more)."""
PAGE_SIZE = 100
SEARCH_CEILING = 10_000
"""HubSpot search returns at most this many results per query."""


class HubSpotClient:
    """Reads a HubSpot portal's CRM objects for one connection (`VendorClient`)."""

    source = "hubspot"
    object_types = tuple(OBJECT_TYPES)

    def __init__(
        self,
        connection: Connection,
        api: ApiClient,
        *,
        now: Callable[[], datetime],
        search_ceiling: int = SEARCH_CEILING,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._connection = connection
        self._api = api
        self._now = now
        self._ceiling = search_ceiling
        self._size = page_size

    def count(self, object_type: str, since: datetime | None) -> int | None:
        """The search API's `total` of the objects a pass will read."""
        kind = OBJECT_TYPES[object_type]
        answer = self._api.post(_search_path(kind), _search(kind, since, None, 1)).json()
        total = answer.get("total") if isinstance(answer, dict) else None
        return total if isinstance(total, int) else None

    def pages(self, object_type: str, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        """A full pass (`since` None) or an incremental one, from `cursor`."""
        kind = object_type_named(object_type)
        if since is None:
            return self._list(kind, cursor)
        return self._search(kind, since, cursor)

    def _list(self, kind: ObjectType, after: str | None) -> Iterator[Page]:
        while True:
            params = _read_params(kind) | {"limit": str(self._size)}
            if after is not None:
                params["after"] = after
            fetched = self._fetched(kind, self._api.get(f"/crm/v3/objects/{kind.name}", params))
            answer = json.loads(fetched.request.body)
            after = _next_after(answer)
            yield Page([fetched], after, _latest(kind, answer))
            if after is None:
                return

    def _search(self, kind: ObjectType, since: datetime, cursor: str | None) -> Iterator[Page]:
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        start: int = state.get("from", _ms(since))
        after: str | None = state.get("after")
        while True:
            answer = self._api.post(_search_path(kind), _search(kind, start, after, self._size))
            document = answer.json()
            fetched = [
                self._fetched(
                    kind, self._api.get(_object_path(kind, item["id"]), _read_params(kind))
                )
                for item in document.get("results", [])
            ]
            latest = _latest(kind, document)
            after = _next_after(document)
            if after is None:
                yield Page(fetched, None, latest)
                return
            if int(after) >= self._ceiling:  # window on the modified time: a new query
                if latest is None or _ms(latest) <= start:
                    raise ApiError(
                        f"more than {self._ceiling} HubSpot {kind.name} share the modified time "
                        f"{latest}: the search cannot page past its ceiling"
                    )
                start, after = _ms(latest), None
            yield Page(fetched, json.dumps({"from": start, "after": after}), latest)

    def _fetched(self, kind: ObjectType, response: ApiResponse) -> Fetched:
        workspace = self._connection.workspace
        request = archived_page(self.source, workspace, kind.name, response, self._now())
        events = parse_page(request, kind.name, self._connection)
        return Fetched(request, events, len(page_objects(json.loads(response.body))))


def hubspot_client(
    connection: Connection,
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    search_ceiling: int = SEARCH_CEILING,
    page_size: int = PAGE_SIZE,
) -> HubSpotClient:
    """The client of a connection with its private-app token (`api_token`)."""
    token = api_token(connection, "a HubSpot private-app access token")
    credential = Credential(
        vendor="HubSpot",
        what="private-app token",
        header="Authorization",
        value=SecretStr(f"Bearer {token.get_secret_value()}"),
    )
    base_url = connection.api_base_url or API_URL
    api = ApiClient(base_url, credential, RATE_LIMIT, sleep=sleep, clock=clock)
    return HubSpotClient(
        connection, api, now=now, search_ceiling=search_ceiling, page_size=page_size
    )


def _read_params(kind: ObjectType) -> dict[str, str | list[str]]:
    params: dict[str, str | list[str]] = {"properties": ",".join(kind.properties)}
    if kind.history:
        params["propertiesWithHistory"] = ",".join(kind.history)
    if kind.associations:
        params["associations"] = ",".join(kind.associations)
    return params


def _object_path(kind: ObjectType, object_id: object) -> str:
    return f"/crm/v3/objects/{kind.name}/{object_id}"


def _search_path(kind: ObjectType) -> str:
    return f"/crm/v3/objects/{kind.name}/search"


def _search(
    kind: ObjectType, since: datetime | int | None, after: str | None, limit: int
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sorts": [{"propertyName": kind.modified, "direction": "ASCENDING"}],
        "properties": [kind.modified],
        "limit": limit,
    }
    if since is not None:
        value = since if isinstance(since, int) else _ms(since)
        body["filterGroups"] = [
            {"filters": [{"propertyName": kind.modified, "operator": "GTE", "value": str(value)}]}
        ]
    if after is not None:
        body["after"] = after
    return body


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _next_after(answer: Any) -> str | None:
    after = (
        (((answer.get("paging") or {}).get("next") or {}).get("after"))
        if isinstance(answer, dict)
        else None
    )
    return str(after) if after else None


def _latest(kind: ObjectType, answer: Any) -> datetime | None:
    """The latest last-modified time of a list or search answer's results."""
    times = [
        parse_instant(value)
        for item in (answer.get("results") or [])
        if (value := (item.get("properties") or {}).get(kind.modified))
    ]
    return max(times) if times else None
