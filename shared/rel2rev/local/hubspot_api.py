"""A local stand-in for HubSpot's CRM v3 API (tests and the demo), on 127.0.0.1.

It serves the endpoints `rel2rev backfill hubspot` calls, with HubSpot's documented shapes:
list pages with `paging.next.after`, single-object reads, search with a GTE filter and an
ascending sort on the modified property (and the 10,000-result ceiling, configurable), a
rolling-window rate limit answered with 429 + `Retry-After`, and 401 for a wrong token. The
objects are seeded as Python data:

    {"id": "501", "properties": {...}, "history": {"dealstage": [("closedwon", "2026-...Z")]},
     "associations": {"contacts": ["201"]}}

The clock is injectable, so a test can share a fake clock with the client's sleep. The server
plumbing (thread, log, rolling window, `throttle`) is `rel2rev.local.vendor_api`'s.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rel2rev.ingest.sources.hubspot_objects import OBJECT_TYPES
from rel2rev.local.vendor_api import Reply, VendorApiServer

Seed = Mapping[str, Sequence[Mapping[str, Any]]]
"""Object type -> its objects (see the module docstring)."""

_SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal"}


def _error(message: str, category: str, **more: str) -> dict[str, Any]:
    # https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines (error body)
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **more,
    }


class HubSpotApiServer(VendorApiServer):
    """The local API: `with HubSpotApiServer(seed, token="t") as api: api.url`."""

    def __init__(
        self,
        seed: Seed,
        *,
        token: str,
        rate_limit: tuple[int, float] = (100, 10.0),
        search_ceiling: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(rate_limit=rate_limit, clock=clock)
        self.objects: dict[str, list[dict[str, Any]]] = {
            name: [dict(o) for o in seed.get(name, [])] for name in OBJECT_TYPES
        }
        self.token = token
        self.search_ceiling = search_ceiling

    def modify(self, object_type: str, object_id: str, at: str, **properties: str) -> None:
        """Change an object's properties and its last-modified time (ISO text)."""
        modified = OBJECT_TYPES[object_type].modified
        for item in self.objects[object_type]:
            if item["id"] == object_id:
                item["properties"] = {**item["properties"], **properties, modified: at}

    # --- answers -------------------------------------------------------------------------

    def route(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Status, extra headers and JSON body of one request within the rate limit."""
        if headers.get("authorization") != f"Bearer {self.token}":
            # https://developers.hubspot.com/docs/api-reference/latest/authentication (401 body)
            return (
                401,
                {},
                _error(
                    "Authentication credentials not found. This API supports OAuth 2.0 "
                    "authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                    "INVALID_AUTHENTICATION",
                ),
            )
        parts = urlsplit(target)
        path = parts.path.rstrip("/").split("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if len(path) >= 5 and path[1:4] == ["crm", "v3", "objects"] and path[4] in self.objects:
            kind = path[4]
            if method == "GET" and len(path) == 5:
                return 200, {}, self._list(kind, query)
            if method == "POST" and path[5:] == ["search"]:
                return self._search(kind, json.loads(body or b"{}"))
            if method == "GET" and len(path) == 6:
                return self._read(kind, path[5], query)
        return 404, {}, _error(f"no route {method} {parts.path}", "OBJECT_NOT_FOUND")

    def too_many(self, wait: int) -> Reply:
        """HubSpot's 429 for its ten-secondly rolling limit."""
        # https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines (429)
        body = _error(
            "You have reached your ten_secondly_rolling limit.",
            "RATE_LIMITS",
            errorType="RATE_LIMIT",
            policyName="TEN_SECONDLY_ROLLING",
        )
        return 429, {"Retry-After": str(wait)}, body

    def _render(
        self, kind: str, item: Mapping[str, Any], query: Mapping[str, str]
    ) -> dict[str, Any]:
        # https://developers.hubspot.com/docs/api-reference/latest/crm/objects/deals/guide
        # (a SimplePublicObjectWithAssociations: id, properties, timestamps, history, associations)
        wanted = [p for p in query.get("properties", "").split(",") if p]
        properties = item["properties"]
        modified = properties.get(OBJECT_TYPES[kind].modified)
        rendered: dict[str, Any] = {
            "id": item["id"],
            "properties": {
                "hs_object_id": item["id"],
                **{p: properties.get(p) for p in wanted},
            },
            "createdAt": properties.get("createdate", modified),
            "updatedAt": modified,
            "archived": False,
        }
        history = [p for p in query.get("propertiesWithHistory", "").split(",") if p]
        if history:
            seeded = item.get("history", {})
            rendered["propertiesWithHistory"] = {
                name: [
                    {"value": value, "timestamp": at, "sourceType": "CRM_UI"}
                    for value, at in sorted(
                        seeded.get(name, [(properties.get(name), modified)]),
                        key=lambda entry: str(entry[1]),
                        reverse=True,  # newest first, as HubSpot lists them
                    )
                    if value is not None
                ]
                for name in history
            }
        associations = {}
        for other in [a for a in query.get("associations", "").split(",") if a]:
            ids = item.get("associations", {}).get(other, [])
            if ids:
                label = f"{_SINGULAR.get(kind, kind.rstrip('s'))}_to_{_SINGULAR.get(other, other)}"
                associations[other] = {"results": [{"id": str(i), "type": label} for i in ids]}
        if associations:
            rendered["associations"] = associations
        return rendered

    def _list(self, kind: str, query: Mapping[str, str]) -> dict[str, Any]:
        # https://developers.hubspot.com/docs/api-reference/latest/crm/objects/deals/guide
        # (CollectionResponse: results + paging.next.after, ordered by id)
        items = sorted(self.objects[kind], key=lambda o: int(o["id"]))
        after = int(query.get("after", "0"))
        limit = min(int(query.get("limit", "10")), 100)
        chunk = [o for o in items if int(o["id"]) > after][:limit]
        answer: dict[str, Any] = {"results": [self._render(kind, o, query) for o in chunk]}
        if chunk and int(chunk[-1]["id"]) < int(items[-1]["id"]):
            last = chunk[-1]["id"]
            answer["paging"] = {"next": {"after": last, "link": f"?after={last}"}}
        return answer

    def _read(
        self, kind: str, object_id: str, query: Mapping[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        for item in self.objects[kind]:
            if item["id"] == object_id:
                return 200, {}, self._render(kind, item, query)
        return 404, {}, _error(f"{kind} {object_id} not found", "OBJECT_NOT_FOUND")

    def _search(self, kind: str, body: Mapping[str, Any]) -> tuple[int, dict[str, str], Any]:
        # https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm
        # (filterGroups/sorts/properties/limit/after -> total, results, paging.next.after)
        modified = OBJECT_TYPES[kind].modified
        after = int(body.get("after") or 0)
        if after >= self.search_ceiling:
            return (
                400,
                {},
                _error(f"Cannot page past {self.search_ceiling} results", "VALIDATION_ERROR"),
            )
        since = 0
        for group in body.get("filterGroups", []):
            for rule in group.get("filters", []):
                if rule["propertyName"] == modified and rule["operator"] == "GTE":
                    since = int(rule["value"])

        def stamp(item: Mapping[str, Any]) -> int:
            text = str(item["properties"][modified]).replace("Z", "+00:00")
            return int(datetime.fromisoformat(text).astimezone(UTC).timestamp() * 1000)

        found = sorted(
            (o for o in self.objects[kind] if stamp(o) >= since),
            key=lambda o: (stamp(o), int(o["id"])),
        )
        limit = min(int(body.get("limit", 10)), 200, self.search_ceiling - after)
        chunk = found[after : after + limit]
        query = {"properties": ",".join(body.get("properties", []))}
        answer: dict[str, Any] = {
            "total": len(found),
            "results": [self._render(kind, o, query) for o in chunk],
        }
        if after + limit < len(found):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        return 200, {}, answer
