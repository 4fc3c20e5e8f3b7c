"""A local stand-in for Pipedrive's API (tests and the demo), on 127.0.0.1.

It serves the endpoints `rel2rev backfill pipedrive` calls, with Pipedrive's published shapes
(`success`, `data`, `additional_data`):

- v2 lists `GET /api/v2/persons`, `/deals`, `/deals/archived`, `/activities`: `limit` (at
  most 500), `cursor` (an opaque keyset position, `additional_data.next_cursor`, null on the
  last page), `sort_by` (`id`, `update_time`, `add_time`), `sort_direction`, `updated_since`
  and, for deals, `include_fields=participants_count`;
- v1 `GET /api/v1/leads` (`start`/`limit`, `sort`, `updated_since`), `GET
  /api/v1/deals/{id}/participants` (`start`/`limit`), both with
  `additional_data.pagination.{more_items_in_collection,next_start}`, and `GET
  /api/v1/deals/{id}/changelog` (`cursor`/`limit`, newest first);
- the API token in `x-api-token` (or the `api_token` query parameter), else 401 with
  Pipedrive's error body; a rolling burst limit answered with 429, `Retry-After` and the
  `x-ratelimit-*` headers; and, optionally, a daily token budget spent at each endpoint's
  published token cost (429 once spent).

The objects are seeded as Python data in the API's own shapes; a deal may also carry
`changelog` (entries as the changelog lists them) and `participants` (person ids):

    {"deals": [{"id": 7001, "title": "Engines", "status": "won", ..., "update_time": "...Z",
                "changelog": [{"field_key": "stage_id", "old_value": "1", "new_value": "2",
                               "time": "2026-10-10 09:00:00"}],
                "participants": [201, 202]}]}
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rel2rev.ingest.sources.base import parse_instant
from rel2rev.local.vendor_api import Reply, VendorApiServer

Seed = Mapping[str, Sequence[Mapping[str, Any]]]
"""List name (`persons`, `leads`, `deals`, `archived_deals`, `activities`) -> its objects."""

V2_LISTS = {
    "persons": "persons",
    "deals": "deals",
    "deals/archived": "archived_deals",
    "activities": "activities",
}
COSTS = {"persons": 10, "deals": 10, "archived_deals": 20, "activities": 10, "leads": 20}
"""Token cost of each list (the references' `x-token-cost`); changelog 20, participants 10."""
_DETAILS = ("changelog", "participants")
_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."


def _error(message: str, code: int) -> dict[str, Any]:
    # The error body of every endpoint's 4xx in the v1 reference, e.g.
    # https://developers.pipedrive.com/docs/api/v1/CallLogs#addCallLog (success, error, error_info)
    return {"success": False, "error": message, "errorCode": code, "error_info": _INFO}


def _encode(position: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    )
    return decoded


class PipedriveApiServer(VendorApiServer):
    """The local API: `with PipedriveApiServer(seed, token="t") as api: api.url`."""

    def __init__(
        self,
        seed: Seed,
        *,
        token: str,
        rate_limit: tuple[int, float] = (20, 2.0),
        daily_budget: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(rate_limit=rate_limit, clock=clock)
        self.objects: dict[str, list[dict[str, Any]]] = {
            name: [dict(o) for o in seed.get(name, [])] for name in COSTS
        }
        self.token = token
        self.daily_budget = daily_budget
        """Tokens a day (None: unlimited); `spent` counts them."""
        self.spent = 0

    def modify(self, list_name: str, object_id: int | str, at: str, **fields: Any) -> None:
        """Change an object's fields and its `update_time` (ISO text)."""
        for item in self.objects[list_name]:
            if item["id"] == object_id:
                item.update(fields, update_time=at)

    # --- answers -------------------------------------------------------------------------

    def route(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Status, extra headers and JSON body of one request within the burst limit."""
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if self.token not in (headers.get("x-api-token"), query.get("api_token")):
            # https://pipedrive.readme.io/docs/core-api-concepts-http-status-codes (401)
            return 401, {}, _error("unauthorized access", 401)
        path = parts.path.rstrip("/")
        found: tuple[int, Callable[[], Any]] | None = None
        if method == "GET" and path.startswith("/api/v2/") and path[8:] in V2_LISTS:
            name = V2_LISTS[path[8:]]
            found = COSTS[name], lambda: self._v2_list(name, query)
        elif method == "GET" and path == "/api/v1/leads":
            found = COSTS["leads"], lambda: self._leads(query)
        elif method == "GET" and path.startswith("/api/v1/deals/"):
            deal_id, _, detail = path.removeprefix("/api/v1/deals/").partition("/")
            deal = self._deal(deal_id)
            if deal is not None and detail == "changelog":
                found = 20, lambda: self._changelog(deal, query)
            elif deal is not None and detail == "participants":
                found = 10, lambda: self._participants(deal, query)
        if found is None:
            return 404, {}, _error(f"Unknown method {method} {parts.path}", 404)
        cost, build = found
        if self.daily_budget is not None and self.spent + cost > self.daily_budget:
            return self.too_many(30)
        self.spent += cost
        return 200, self._window(), build()

    def too_many(self, wait: int) -> Reply:
        """Pipedrive's 429: `Retry-After` and the rate-limit headers."""
        # https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting (headers, 429)
        headers = {"Retry-After": str(wait), **self._window(), "x-ratelimit-reset": str(wait)}
        return 429, headers, _error("Request over limit", 429)

    def _window(self) -> dict[str, str]:
        limit, seconds = self.rate_limit
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(self.remaining()),
            "x-ratelimit-reset": str(int(seconds)),
        }

    def _deal(self, deal_id: str) -> dict[str, Any] | None:
        deals = self.objects["deals"] + self.objects["archived_deals"]
        return next((d for d in deals if str(d["id"]) == deal_id), None)

    def _v2_list(self, name: str, query: Mapping[str, str]) -> dict[str, Any]:
        # https://developers.pipedrive.com/docs/api/v2/Deals#getDeals (and Persons#getPersons,
        # Activities#getActivities): data[], additional_data.next_cursor; the cursor marks the
        # first item of the next page
        field = query.get("sort_by", "id")
        descending = query.get("sort_direction", "asc") == "desc"
        since = query.get("updated_since")

        def key(item: Mapping[str, Any]) -> tuple[Any, int]:
            value = item.get(field)
            return (parse_instant(value) if field != "id" else value), item["id"]

        items = sorted(
            (
                o
                for o in self.objects[name]
                if since is None or parse_instant(o["update_time"]) >= parse_instant(since)
            ),
            key=key,
            reverse=descending,
        )
        if "cursor" in query:
            position = _decode(query["cursor"])
            mark = (
                parse_instant(position["fieldValue"]) if field != "id" else position["fieldValue"],
                position["id"],
            )
            items = [o for o in items if (key(o) <= mark if descending else key(o) >= mark)]
        limit = min(int(query.get("limit", "100")), 500)
        page, rest = items[:limit], items[limit:]
        wanted = set(query.get("include_fields", "").split(","))
        following = None
        if rest:
            first = rest[0]
            following = _encode(
                {
                    "field": field,
                    "fieldValue": first.get(field),
                    "sortDirection": "desc" if descending else "asc",
                    "id": first["id"],
                }
            )
        return {
            "success": True,
            "data": [self._render(o, wanted) if "deals" in name else o for o in page],
            "additional_data": {"next_cursor": following},
        }

    @staticmethod
    def _render(item: Mapping[str, Any], wanted: set[str]) -> dict[str, Any]:
        """A deal without its seeded details, with `participants_count` when asked for."""
        rendered = {k: v for k, v in item.items() if k not in _DETAILS}
        if "participants_count" in wanted:
            rendered["participants_count"] = len(item.get("participants", []))
        return rendered

    @staticmethod
    def _offset_page(
        items: list[Any], query: Mapping[str, str]
    ) -> tuple[list[Any], dict[str, Any]]:
        # https://developers.pipedrive.com/docs/api/v1/Files#getFiles (the example's
        # additional_data.pagination: start, limit, more_items_in_collection, next_start)
        start, limit = int(query.get("start", "0")), min(int(query.get("limit", "100")), 500)
        page = items[start : start + limit]
        more = start + limit < len(items)
        pagination: dict[str, Any] = {
            "start": start,
            "limit": limit,
            "more_items_in_collection": more,
        }
        if more:
            pagination["next_start"] = start + limit
        return page, {"pagination": pagination}

    def _leads(self, query: Mapping[str, str]) -> dict[str, Any]:
        # https://developers.pipedrive.com/docs/api/v1/Leads#getLeads (not archived leads,
        # `sort` as "field ASC|DESC", updated_since)
        field, _, direction = query.get("sort", "add_time ASC").partition(" ")
        since = query.get("updated_since")
        items = sorted(
            (
                o
                for o in self.objects["leads"]
                if since is None or parse_instant(o["update_time"]) >= parse_instant(since)
            ),
            key=lambda o: (str(o.get(field)), str(o["id"])),
            reverse=direction.upper() == "DESC",
        )
        page, extra = self._offset_page(items, query)
        return {"success": True, "data": page, "additional_data": extra}

    def _changelog(self, deal: Mapping[str, Any], query: Mapping[str, str]) -> dict[str, Any]:
        # https://developers.pipedrive.com/docs/api/v1/Deals#getDealChangelog (newest first,
        # additional_data.next_cursor)
        entries = sorted(deal.get("changelog", []), key=lambda e: str(e["time"]), reverse=True)
        start = _decode(query["cursor"])["offset"] if "cursor" in query else 0
        limit = min(int(query.get("limit", "100")), 500)
        page = [
            {
                "actor_user_id": deal.get("owner_id"),
                "change_source": "app",
                "change_source_user_agent": "Mozilla/5.0",
                "is_bulk_update_flag": False,
                **entry,
            }
            for entry in entries[start : start + limit]
        ]
        following = _encode({"offset": start + limit}) if start + limit < len(entries) else None
        return {"success": True, "data": page, "additional_data": {"next_cursor": following}}

    def _participants(self, deal: Mapping[str, Any], query: Mapping[str, str]) -> dict[str, Any]:
        # https://developers.pipedrive.com/docs/api/v1/Deals#getDealParticipants
        persons = {p["id"]: p for p in self.objects["persons"]}
        items = [
            {
                "id": 1000 * int(deal["id"]) + n,
                "person_id": {
                    "active_flag": True,
                    "name": persons.get(pid, {}).get("name"),
                    "email": persons.get(pid, {}).get("emails", []),
                    "phone": persons.get(pid, {}).get("phones", []),
                    "owner_id": persons.get(pid, {}).get("owner_id"),
                    "value": pid,
                },
                "add_time": _v1_time(deal.get("add_time")),
                "active_flag": True,
                "related_item_data": {"deal_id": deal["id"], "title": deal.get("title")},
                "related_item_type": "deal",
                "related_item_id": deal["id"],
            }
            for n, pid in enumerate(deal.get("participants", []))
        ]
        page, extra = self._offset_page(items, query)
        return {"success": True, "data": page, "additional_data": extra}


def _v1_time(value: Any) -> str | None:
    """v1's `YYYY-MM-DD HH:MM:SS` (UTC) of an ISO time."""
    if value is None:
        return None
    return parse_instant(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
