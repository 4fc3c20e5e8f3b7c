"""The Pipedrive backfill against the local Pipedrive API: pages, limits, checkpoints, replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from support import backfill as runs
from support.backfill import NOW, Checkpoints, FakeTime, Run, Sink, ids, payloads
from support.pipedrive import LEAD, TOKEN, WORKSPACE, client, connection, iso, seed

from rel2rev.backfill.checkpoints import Checkpoint
from rel2rev.backfill.http import ApiError
from rel2rev.backfill.run import run_backfill
from rel2rev.errors import AuthenticationError, InputError
from rel2rev.ingest.events import ContactUpsert, DealUpsert, InteractionEvent, LeadUpsert
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.pipedrive import ADAPTER
from rel2rev.ingest.sources.pipedrive_objects import parse_page
from rel2rev.local.pipedrive_api import PipedriveApiServer
from rel2rev.money import Money
from rel2rev.records import DealStatus, Direction, InteractionType


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api(time: FakeTime) -> Iterator[PipedriveApiServer]:
    with PipedriveApiServer(seed(), token=TOKEN, clock=time.clock) as server:
        yield server


def backfill(
    api: PipedriveApiServer, time: FakeTime, sink: Sink, store: Checkpoints, **kw: Any
) -> list[Checkpoint]:
    return run_backfill(client(api.url, time), sink, store, WORKSPACE, now=lambda: NOW, **kw)


def run(api: PipedriveApiServer, time: FakeTime, **kw: Any) -> Run:
    """`backfill` into a given sink and store."""
    return lambda sink, store: backfill(api, time, sink, store, **kw)


def paths(api: PipedriveApiServer) -> list[str]:
    return [path.split("?")[0] for _, path, _ in api.log]


def test_a_full_pass_pages_through_every_object_type(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    sink, store = Sink(), Checkpoints()
    done = backfill(api, time, sink, store)
    assert [c.object_type for c in done] == [
        "persons",
        "leads",
        "deals",
        "archived_deals",
        "activities",
    ]
    assert paths(api).count("/api/v2/persons") == 3, "5 persons in pages of 2"
    assert [c.objects for c in done] == [5, 1, 1, 1, 3]
    assert all(c.cursor is None and c.passes == 1 for c in done)
    assert done[0].high_water == NOW.replace(month=10, day=6, hour=9)
    first = payloads(sink, ContactUpsert)[0]
    assert [i.key for i in first.identifiers] == [
        "pipedrive:201",
        "email:person201@example.com",
        "phone:+31205550201",
    ]
    assert (first.name, first.account_id, first.owner) == ("Person 201", "9001", "77")
    (lead,) = payloads(sink, LeadUpsert)
    assert (lead.lead_id, lead.contact[0].key, lead.channel) == (
        f"pipedrive:lead:{LEAD}",
        "pipedrive:201",
        "web forms",
    )
    assert len(sink.events) == len(ids(sink)), "no event twice"
    first_list = parse_qs(urlsplit(api.log[0][1]).query)
    assert first_list["sort_by"] == ["update_time"]
    assert "updated_since" not in first_list


def test_deal_changelog_becomes_dated_stage_and_status_changes(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints(), object_types=["deals"])
    snapshot, *changes = [e for e in sink.events if isinstance(e.payload, DealUpsert)]
    deal = snapshot.payload
    assert isinstance(deal, DealUpsert)
    assert (deal.deal_id, deal.stage, deal.status) == ("pipedrive:7001", "3", DealStatus.WON)
    assert deal.amount == Money.of("24000.5", "EUR")
    assert deal.closed_at == NOW.replace(month=10, day=20, hour=9)
    assert snapshot.occurred_at == NOW.replace(month=10, day=20, hour=10), "update_time"
    moves = sorted(
        (e.occurred_at.day, e.payload.stage, e.payload.status)  # type: ignore[union-attr]
        for e in changes
        if not e.payload.contact_roles  # type: ignore[union-attr]
    )
    assert moves == [(10, "2", None), (15, "3", None), (20, None, DealStatus.WON)]
    roles = [r.contact[0].key for p in payloads(sink, DealUpsert) for r in p.contact_roles]
    assert sorted(roles) == ["pipedrive:201", "pipedrive:201", "pipedrive:202"]
    assert paths(api).count("/api/v1/deals/7001/changelog") == 2, "4 entries in pages of 2"


def test_an_archived_lost_deal_reads_its_changelog_but_not_a_lone_participant(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints(), object_types=["archived_deals"])
    assert paths(api) == ["/api/v2/deals/archived", "/api/v1/deals/7002/changelog"]
    statuses = [(p.status, p.closed_at) for p in payloads(sink, DealUpsert)]
    lost_at = NOW.replace(month=10, day=12, hour=9)
    assert statuses == [(DealStatus.LOST, lost_at), (DealStatus.LOST, lost_at)]


def test_activities_become_interactions_of_their_person(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints(), object_types=["activities"])
    touches = {t.interaction_id: t for t in payloads(sink, InteractionEvent)}
    call, meeting, task = (touches[f"pipedrive:activity:{n}"] for n in (8001, 8002, 8003))
    assert (call.type, call.direction, call.channel) == (
        InteractionType.CALL,
        Direction.OUTBOUND,
        "phone",
    )
    assert call.occurred_at == NOW.replace(month=10, day=5, hour=14), "marked as done"
    assert (meeting.type, meeting.contact[0].key) == (InteractionType.MEETING, "pipedrive:202")
    assert (task.type, task.channel) == (InteractionType.OTHER, "crm")
    assert task.occurred_at == NOW.replace(month=10, day=7, hour=14), "due date and time"


def test_a_backfilled_object_is_the_webhook_payload_of_the_same_object(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints(), object_types=["persons", "deals"])
    conn = connection(api.url)
    for entity, name, number in (("person", "persons", 201), ("deal", "deals", 7001)):
        (item,) = [o for o in seed()[name] if o["id"] == number]
        data = {k: v for k, v in item.items() if k not in ("changelog", "participants")}
        body = {
            "meta": {"action": "change", "entity": entity, "entity_id": str(number), "id": "w1"},
            "data": data,
            "previous": None,
        }
        webhook = RawRequest(
            workspace=WORKSPACE,
            source="pipedrive",
            request_id=f"hook-{number}",
            received_at=NOW,
            method="POST",
            url="https://example.test/v1/hooks/pd/pipedrive",
            headers={"content-type": "application/json"},
            body=json.dumps(body).encode(),
        )
        (event,) = ADAPTER.parse(webhook, conn)
        assert event.payload in [e.payload for e in sink.events]


def test_a_429_mid_run_is_retried_and_nothing_is_lost_or_doubled(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    calm = Sink()
    backfill(api, time, calm, Checkpoints())
    api.throttle = {len(api.log) + 3, len(api.log) + 4}
    throttled = Sink()
    backfill(api, time, throttled, Checkpoints())
    assert [s for *_, s in api.log].count(429) == 2
    assert 1.0 in time.slept, "Retry-After honoured"
    assert [e.event_id for e in throttled.events] == [e.event_id for e in calm.events]


def test_the_client_keeps_to_the_burst_limit_on_its_own(time: FakeTime) -> None:
    with PipedriveApiServer(seed(30), token=TOKEN, clock=time.clock) as api:
        run_backfill(client(api.url, time), Sink(), Checkpoints(), WORKSPACE, now=lambda: NOW)
        assert len(api.log) > 20
        assert all(status == 200 for *_, status in api.log)
    assert time.slept == [2.0], "20 requests per 2 s, then a wait for the window to roll"


def test_the_server_limit_answers_429_and_the_client_waits(time: FakeTime) -> None:
    with PipedriveApiServer(seed(9), token=TOKEN, clock=time.clock, rate_limit=(3, 2.0)) as api:
        sink = Sink()
        run_backfill(
            client(api.url, time),
            sink,
            Checkpoints(),
            WORKSPACE,
            now=lambda: NOW,
            object_types=["persons"],
        )
        assert 429 in [s for *_, s in api.log]
    assert len(ids(sink)) == 9
    assert time.now >= 2.0, "waited for the window to roll"


def test_an_exhausted_daily_budget_stops_and_the_next_day_resumes(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    whole = Sink()
    backfill(api, time, whole, Checkpoints())
    api.daily_budget, api.spent = 70, 0  # persons 30, leads 20, deals 10: no changelog
    store, first = Checkpoints(), Sink()
    with pytest.raises(ApiError, match=r"gave up after 6 attempts \(HTTP 429: Request over limit"):
        backfill(api, time, first, store)
    assert store.get(WORKSPACE, "pipedrive", "deals") is None, "the deals page was not kept"
    assert {r.header("x-rel2rev-backfill") for r in first.requests} == {"persons", "leads"}
    api.daily_budget, api.spent = None, 0
    second = Sink()
    done = backfill(api, time, second, store)
    assert ids(first) | ids(second) == ids(whole)
    assert [c.passes for c in done] == [2, 2, 1, 1, 1]


def test_an_interrupted_backfill_resumes_where_it_stopped(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    key = (WORKSPACE, "pipedrive", "persons")
    runs.resume_after_a_fault(run(api, time), key, api.log.clear)
    assert "cursor=" in api.log[0][1], "resumed at the saved cursor, not from the start"


def test_a_second_run_reads_only_what_changed(api: PipedriveApiServer, time: FakeTime) -> None:
    def change() -> None:
        api.modify("persons", 203, iso(25), emails=[{"value": "new@example.com", "primary": True}])
        api.log.clear()

    later, done = runs.second_run(run(api, time), change)
    since = parse_qs(urlsplit(api.log[0][1]).query)["updated_since"]
    assert since == ["2026-10-06T08:50:00Z"], "10 minutes before the high-water mark"
    # The object at each high-water mark is read again (the filter is >=; duplicates are
    # stored once); objects changed before it are not read at all.
    people = sorted(p.identifiers[0].value for p in payloads(later, ContactUpsert))
    assert people == ["203", "205"]
    assert "email:new@example.com" in [
        i.key for c in payloads(later, ContactUpsert) for i in c.identifiers
    ]
    touched = [t.interaction_id for t in payloads(later, InteractionEvent)]
    assert touched == ["pipedrive:activity:8003"]
    assert done[0].high_water == NOW.replace(month=10, day=25, hour=9)


def test_an_invalid_token_is_a_clear_error_and_nothing_is_written(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    wrong = client(api.url, time, token="0" * 40)
    message = runs.refused_writing_nothing(
        lambda sink, store: run_backfill(wrong, sink, store, WORKSPACE, now=lambda: NOW)
    )
    assert message == "Pipedrive rejected the API token (401): unauthorized access"


def test_a_connection_without_a_token_is_refused_before_any_call(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    bare = connection(api.url).model_copy(update={"api_token": None})
    from rel2rev.backfill.pipedrive import pipedrive_client

    with pytest.raises(AuthenticationError, match="has no api_token"):
        pipedrive_client(bare, now=lambda: NOW)
    assert api.log == []


def test_a_token_revoked_mid_run_keeps_whole_pages_only(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    def revoke() -> None:
        api.token = "rotated"

    runs.revoked_mid_run(run(api, time), revoke, (WORKSPACE, "pipedrive", "persons"))


def test_the_token_is_never_archived_nor_in_a_url(api: PipedriveApiServer, time: FakeTime) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints())
    for request in sink.requests:
        archived = request.to_archive()
        assert TOKEN.encode() not in archived
        assert b"api_token" not in archived
        assert b"x-api-token" not in archived.lower()
    assert TOKEN not in repr(connection(api.url))


def test_replaying_an_archived_page_gives_the_same_event_ids(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints())
    runs.replayed_alike(sink, connection(api.url))
    kinds = {r.header("x-rel2rev-backfill") for r in sink.requests}
    assert kinds == {
        "persons",
        "leads",
        "deals",
        "deal_changelog",
        "deal_participants",
        "archived_deals",
        "activities",
    }


def test_a_live_request_marked_as_a_backfill_page_is_refused(
    api: PipedriveApiServer, time: FakeTime
) -> None:
    runs.live_page_refused(run(api, time, object_types=["deals"]), ADAPTER, connection(api.url))


def test_a_rerun_gives_the_same_event_ids(api: PipedriveApiServer, time: FakeTime) -> None:
    runs.rerun_alike(run(api, time))


def test_a_malformed_page_names_the_field(api: PipedriveApiServer, time: FakeTime) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints(), object_types=["deals"])
    page = sink.requests[0]
    broken = json.loads(page.body)
    broken["data"][0]["update_time"] = "yesterday"
    bad = page.model_copy(update={"body": json.dumps(broken).encode()})
    with pytest.raises(InputError) as caught:
        parse_page(bad, "deals", connection(api.url))
    assert caught.value.details[0]["path"] == "data[0].update_time"
