"""A small Pipedrive company as seed data, in the API's own shapes, and its test client.

Shapes: https://developers.pipedrive.com/docs/api/v2/Persons#getPersons,
https://developers.pipedrive.com/docs/api/v2/Deals#getDeals,
https://developers.pipedrive.com/docs/api/v2/Activities#getActivities,
https://developers.pipedrive.com/docs/api/v1/Leads#getLeads,
https://developers.pipedrive.com/docs/api/v1/Deals#getDealChangelog.
"""

from __future__ import annotations

from typing import Any

from rel2rev.backfill.pipedrive import PipedriveClient, pipedrive_client
from rel2rev.ingest.connections import Connection
from support.backfill import NOW, FakeTime

TOKEN = "659c9fddb16335e48cc67114694b52074e812e03"
WORKSPACE = "pd"
LEAD = "adf21080-0e10-11eb-879b-05d71fb426ec"


def iso(day: int, hour: int = 9) -> str:
    """A v2 (RFC 3339) time in October 2026."""
    return f"2026-10-{day:02d}T{hour:02d}:00:00Z"


def v1(day: int, hour: int = 9) -> str:
    """A v1 changelog time (`YYYY-MM-DD HH:MM:SS`, UTC) in October 2026."""
    return f"2026-10-{day:02d} {hour:02d}:00:00"


def person(person_id: int, day: int) -> dict[str, Any]:
    """A person updated on `day`, of organization 9001, owned by user 77."""
    return {
        "id": person_id,
        "name": f"Person {person_id}",
        "first_name": "Person",
        "last_name": str(person_id),
        "owner_id": 77,
        "org_id": 9001,
        "add_time": iso(1),
        "update_time": iso(day),
        "emails": [{"value": f"person{person_id}@example.com", "primary": True, "label": "work"}],
        "phones": [{"value": f"+3120555{person_id:04d}", "primary": True, "label": "work"}],
        "is_deleted": False,
        "visible_to": 3,
        "label_ids": [],
        "picture_id": None,
        "custom_fields": {},
    }


def deal(deal_id: int, **fields: Any) -> dict[str, Any]:
    """An open deal of person 201 at organization 9001 (override any field)."""
    return {
        "id": deal_id,
        "title": f"Deal {deal_id}",
        "creator_user_id": 77,
        "owner_id": 77,
        "value": 1000,
        "person_id": 201,
        "org_id": 9001,
        "stage_id": 1,
        "pipeline_id": 1,
        "currency": "EUR",
        "add_time": iso(3),
        "update_time": iso(3),
        "stage_change_time": None,
        "status": "open",
        "is_archived": False,
        "is_deleted": False,
        "probability": None,
        "lost_reason": None,
        "visible_to": 3,
        "close_time": None,
        "won_time": None,
        "lost_time": None,
        "expected_close_date": None,
        "label_ids": [],
        "origin": "ManuallyCreated",
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "custom_fields": {},
        **fields,
    }


def activity(activity_id: int, kind: str, day: int, **fields: Any) -> dict[str, Any]:
    """A done activity of `kind` with person 201, updated an hour after it was done."""
    return {
        "id": activity_id,
        "subject": f"{kind} {activity_id}",
        "type": kind,
        "owner_id": 77,
        "creator_user_id": 77,
        "is_deleted": False,
        "add_time": iso(day, 8),
        "update_time": iso(day, 15),
        "deal_id": 7001,
        "lead_id": None,
        "person_id": 201,
        "org_id": 9001,
        "project_id": None,
        "due_date": f"2026-10-{day:02d}",
        "due_time": "14:00:00",
        "duration": "00:30:00",
        "busy": False,
        "done": True,
        "marked_as_done_time": iso(day, 14),
        "participants": [{"person_id": 201, "primary": True}],
        "public_description": None,
        "priority": None,
        "note": None,
        **fields,
    }


def seed(persons: int = 5) -> dict[str, list[dict[str, Any]]]:
    """`persons` persons (ids 201...), a lead, a won deal with its stage history and two
    participants, an archived lost deal, and three activities."""
    won = deal(
        7001,
        title="Engines",
        value=24000.5,  # a JSON number: the client reads it as an exact decimal
        stage_id=3,
        status="won",
        update_time=iso(20, 10),
        stage_change_time=iso(15),
        won_time=iso(20),
        close_time=iso(20),
        changelog=[
            {"field_key": "stage_id", "old_value": "1", "new_value": "2", "time": v1(10)},
            {"field_key": "stage_id", "old_value": "2", "new_value": "3", "time": v1(15)},
            {"field_key": "value", "old_value": "0", "new_value": "24000.5", "time": v1(16)},
            {"field_key": "status", "old_value": "open", "new_value": "won", "time": v1(20)},
        ],
        participants=[201, 202],
    )
    lost = deal(
        7002,
        person_id=203,
        status="lost",
        is_archived=True,
        update_time=iso(12),
        lost_time=iso(12),
        close_time=iso(12),
        lost_reason="Budget",
        changelog=[
            {"field_key": "status", "old_value": "open", "new_value": "lost", "time": v1(12)}
        ],
        participants=[203],
    )
    lead = {
        "id": LEAD,
        "title": "Jane Doe Lead",
        "owner_id": 77,
        "creator_id": 77,
        "label_ids": [],
        "person_id": 201,
        "organization_id": 9001,
        "source_name": "Web forms",
        "origin": "WebForms",
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "is_archived": False,
        "was_seen": True,
        "value": {"amount": 999, "currency": "EUR"},
        "expected_close_date": None,
        "next_activity_id": None,
        "add_time": "2026-10-02T08:00:00.000Z",
        "update_time": "2026-10-02T08:00:00.000Z",
        "visible_to": "3",
        "cc_email": "company+1+lead@pipedrivemail.com",
    }
    return {
        "persons": [person(201 + i, 2 + i % 20) for i in range(persons)],
        "leads": [lead],
        "deals": [won],
        "archived_deals": [lost],
        "activities": [
            activity(8001, "call", 5),
            activity(
                8002,
                "meeting",
                6,
                person_id=None,
                participants=[
                    {"person_id": 203, "primary": False},
                    {"person_id": 202, "primary": True},
                ],
            ),
            activity(8003, "task", 7, done=False, marked_as_done_time=None),
        ],
    }


def connection(url: str, token: str = TOKEN, workspace: str = WORKSPACE) -> Connection:
    """The company's connection, its API at `url`."""
    return Connection(
        workspace=workspace,
        source="pipedrive",
        basic_user="hook",
        basic_password="p-secret",
        currency="EUR",
        api_token=token,
        api_base_url=url,
    )


def client(url: str, time: FakeTime, token: str = TOKEN, **options: Any) -> PipedriveClient:
    """The Pipedrive client of the test connection, on the fake time, pages of 2 objects."""
    options.setdefault("page_size", 2)
    return pipedrive_client(
        connection(url, token), now=lambda: NOW, sleep=time.sleep, clock=time.clock, **options
    )
