"""Pipedrive API pages (not webhooks) as normalised events.

`rel2rev backfill pipedrive` reads these pages and `PipedriveAdapter.parse` re-reads them from
the archive, both through `parse_page`, so a replay gives the same event ids. The page kind is
the archive's `x-rel2rev-backfill` header:

- list pages (`persons`, `leads`, `deals`, `archived_deals`, `activities`): each object in
  `data[]` goes through the webhook adapter's own mapper of its entity (`PAYLOADS`), so record
  ids are the webhook's (`pipedrive:<id>` persons and deals, `pipedrive:lead:<id>` leads,
  `pipedrive:activity:<id>` interactions) and a backfilled record and a webhook about it are
  one record;
- `deal_changelog` (`GET /api/v1/deals/{id}/changelog`): each `stage_id` change is a dated
  stage patch, each `status` change a dated status (and, for won or lost, the close date);
- `deal_participants` (`GET /api/v1/deals/{id}/participants`): each active participant is a
  contact role of the deal.

The deal of a changelog or participants page is read from the archived URL. Event ids come
from the workspace, the entity and id, and the object's `update_time` (a changelog entry: its
own time and values; a participant: the deal and the person), so a backfill run again gives
duplicates, stored once.

Shapes: https://developers.pipedrive.com/docs/api/v1/Deals#getDealChangelog,
https://developers.pipedrive.com/docs/api/v1/Deals#getDealParticipants and the v2 lists
(`data[]`, `additional_data.next_cursor`), e.g. https://developers.pipedrive.com/docs/api/v2/Deals#getDeals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from rel2rev.errors import InputError
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import ContactRoleRef, DealUpsert, Event, Payload, event_id_for
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.base import error_text, load_json, parse_instant
from rel2rev.ingest.sources.pipedrive import (
    PAYLOADS,
    FieldError,
    deal_record_id,
    deal_status,
    field_time,
    person_ids,
    ref,
)
from rel2rev.records import DealStatus

LISTS = {
    "persons": "person",
    "leads": "lead",
    "deals": "deal",
    "archived_deals": "deal",
    "activities": "activity",
}
"""List page kinds -> the webhook entity whose mapper reads their objects."""
DEAL_CHANGELOG = "deal_changelog"
DEAL_PARTICIPANTS = "deal_participants"
PAGE_KINDS = (*LISTS, DEAL_CHANGELOG, DEAL_PARTICIPANTS)

_DEAL_PATH = re.compile(r"/deals/(\d{1,18})/(changelog|participants)$")
_Part = tuple[str, datetime, Payload]
"""One event of a page: what identifies it, its source time, its patch."""


def page_items(document: Any) -> list[dict[str, Any]]:
    """The objects of a page (`data`: an array, or null for none); ValueError otherwise."""
    if not isinstance(document, dict):
        raise ValueError("a page must be a JSON object")
    items = document.get("data")
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError("data must be an array of objects")
    return items


def latest_update(document: Any) -> datetime | None:
    """The latest `update_time` among a list page's objects."""
    times = [parse_instant(t) for item in page_items(document) if (t := item.get("update_time"))]
    return max(times) if times else None


def _objects(entity: str, item: dict[str, Any], connection: Connection) -> Iterator[_Part]:
    """A list object: one event at its `update_time`; deleted objects give none."""
    if item.get("is_deleted") is True:
        return
    modified = field_time(item, "update_time")
    if modified is None:
        raise FieldError("update_time", f"a {entity} needs an update_time")
    payload = PAYLOADS[entity](item, connection)
    if payload is not None:
        yield f"{entity}:{ref(item, 'id')}@{modified.isoformat()}", modified, payload


def _changelog(deal_id: str, item: dict[str, Any]) -> Iterator[_Part]:
    """A changelog entry: a stage move or a status change, at its `time`."""
    key, when = item.get("field_key"), field_time(item, "time")
    if when is None:
        raise FieldError("time", "a change needs a time")
    change = f"{item.get('old_value')}>{item.get('new_value')}"
    part = f"deal:{deal_id}:{key}@{when.isoformat()}:{change}"
    if key == "stage_id" and (stage := ref(item, "new_value")) is not None:
        yield part, when, DealUpsert(deal_id=deal_record_id(deal_id), stage=stage)
    elif key == "status" and (status := deal_status(str(item.get("new_value") or ""))):
        closed = when if status in (DealStatus.WON, DealStatus.LOST) else None
        yield (
            part,
            when,
            DealUpsert(deal_id=deal_record_id(deal_id), status=status, closed_at=closed),
        )


def _participant(deal_id: str, item: dict[str, Any], received: datetime) -> Iterator[_Part]:
    """An active participant: a contact role of the deal since it was added."""
    person = ref(item, "person_id")
    if person is None or item.get("active_flag") is False:
        return
    added = field_time(item, "add_time") or received
    role = ContactRoleRef(contact=person_ids(person))
    yield (
        f"deal:{deal_id}:participant:{person}",
        added,
        DealUpsert(deal_id=deal_record_id(deal_id), contact_roles=[role]),
    )


def _deal_of(request: RawRequest, kind: str) -> str:
    found = _DEAL_PATH.search(urlsplit(request.url).path)
    if found is None or found.group(2) != kind.removeprefix("deal_"):
        raise InputError(f"a {kind} page's URL names no deal: {urlsplit(request.url).path}")
    return found.group(1)


def _parts(
    request: RawRequest, kind: str, item: dict[str, Any], connection: Connection
) -> Iterator[_Part]:
    if kind in LISTS:
        return _objects(LISTS[kind], item, connection)
    if kind == DEAL_CHANGELOG:
        return _changelog(_deal_of(request, kind), item)
    return _participant(_deal_of(request, kind), item, request.received_at)


def parse_page(request: RawRequest, kind: str, connection: Connection) -> list[Event]:
    """The events of an archived API page of `kind` (InputError naming the field if malformed)."""
    if kind not in PAGE_KINDS:
        raise InputError(f"unknown Pipedrive page kind {kind!r}; known: {', '.join(PAGE_KINDS)}")
    try:
        items = page_items(load_json(request.body))
    except ValueError as exc:
        raise InputError(
            "invalid Pipedrive API page", details=[{"path": "data", "message": str(exc)}]
        ) from None
    events = []
    for index, item in enumerate(items):
        try:
            parts = list(_parts(request, kind, item, connection))
        except FieldError as exc:
            raise InputError(
                "invalid Pipedrive API page",
                details=[{"path": f"data[{index}].{exc.field}", "message": exc.message}],
            ) from None
        except ValueError as exc:  # a payload the models refuse
            raise InputError(
                "invalid Pipedrive API page",
                details=[{"path": f"data[{index}]", "message": error_text(exc)}],
            ) from None
        for part, when, payload in parts:
            events.append(
                Event(
                    event_id=event_id_for("pipedrive", request.workspace, "backfill", part),
                    workspace=request.workspace,
                    source="pipedrive",
                    request_id=request.request_id,
                    received_at=request.received_at,
                    occurred_at=when,
                    payload=payload,
                )
            )
    return events
