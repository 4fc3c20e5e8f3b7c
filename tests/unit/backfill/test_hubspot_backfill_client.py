"""The HubSpot backfill against the local HubSpot API: pages, limits, checkpoints, replay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from support import backfill as runs
from support.backfill import NOW, Checkpoints, FakeTime, Run, Sink, ids
from support.hubspot import TOKEN, WORKSPACE, client, connection, contact, iso, seed

from rel2rev.backfill.checkpoints import Checkpoint
from rel2rev.backfill.http import ApiError
from rel2rev.backfill.run import run_backfill
from rel2rev.ingest.events import ContactUpsert, DealUpsert, InteractionEvent, LeadUpsert
from rel2rev.ingest.sources.hubspot import ADAPTER
from rel2rev.local.hubspot_api import HubSpotApiServer
from rel2rev.money import Money
from rel2rev.records import DealStatus, Direction, InteractionType


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api(time: FakeTime) -> Iterator[HubSpotApiServer]:
    with HubSpotApiServer(seed(), token=TOKEN, clock=time.clock) as server:
        yield server


def backfill(
    api: HubSpotApiServer, time: FakeTime, sink: Sink, store: Checkpoints, **kw: Any
) -> list[Checkpoint]:
    return run_backfill(
        client(api.url, time),
        sink,
        store,
        WORKSPACE,
        now=lambda: NOW,
        **kw,
    )


def run(api: HubSpotApiServer, time: FakeTime, **kw: Any) -> Run:
    """`backfill` into a given sink and store."""
    return lambda sink, store: backfill(api, time, sink, store, **kw)


def test_a_full_pass_pages_through_every_object_type(api: HubSpotApiServer, time: FakeTime) -> None:
    sink, store = Sink(), Checkpoints()
    done = backfill(api, time, sink, store)
    assert [c.object_type for c in done] == [
        "contacts",
        "deals",
        "emails",
        "calls",
        "meetings",
        "notes",
    ]
    contacts = [r for r in sink.requests if r.header("x-rel2rev-backfill") == "contacts"]
    assert len(contacts) == 3, "5 contacts in pages of 2"
    assert [c.objects for c in done[:3]] == [5, 1, 1]
    assert all(c.cursor is None and c.passes == 1 for c in done)
    assert done[0].high_water == NOW.replace(month=10, day=6, hour=9)
    people = [e.payload for e in sink.events if isinstance(e.payload, ContactUpsert)]
    assert len(people) == 5
    first = people[0]
    assert [i.key for i in first.identifiers] == ["hubspot:201", "email:person201@example.com"]
    assert (first.name, first.account_id) == ("Person 201", "9001")
    assert len(sink.events) == len(ids(sink)), "no event twice"


def test_deal_stage_history_becomes_dated_stage_changes(
    api: HubSpotApiServer, time: FakeTime
) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints(), object_types=["deals"])
    deals = [e for e in sink.events if isinstance(e.payload, DealUpsert)]
    snapshot, *stages = deals
    assert isinstance(snapshot.payload, DealUpsert)
    assert snapshot.payload.amount == Money.of("24000.00", "EUR")
    assert [r.contact.__getitem__(0).key for r in snapshot.payload.contact_roles] == [
        "hubspot:201",
        "hubspot:202",
    ]
    assert snapshot.payload.stage is None, "the stage comes from the dated history"
    moves = sorted((e.occurred_at.day, e.payload.stage, e.payload.status) for e in stages)  # type: ignore[union-attr]
    assert moves == [
        (3, "appointmentscheduled", DealStatus.OPEN),
        (10, "contractsent", DealStatus.OPEN),
        (20, "closedwon", DealStatus.WON),
    ]


def test_an_incoming_email_is_an_inbound_reply_of_its_contact(
    api: HubSpotApiServer, time: FakeTime
) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints(), object_types=["emails"])
    (touch,) = [e.payload for e in sink.events]
    assert isinstance(touch, InteractionEvent)
    assert (touch.type, touch.direction, touch.channel) == (
        InteractionType.EMAIL_REPLY,
        Direction.INBOUND,
        "email",
    )
    assert (touch.interaction_id, touch.contact[0].key) == ("hubspot:email:8001:201", "hubspot:201")


def test_lead_lifecycle_stages_become_leads(time: FakeTime) -> None:
    people = {"contacts": [contact(201, 4, lifecyclestage="marketingqualifiedlead")]}
    with HubSpotApiServer(people, token=TOKEN, clock=time.clock) as api:
        sink = Sink()
        backfill(api, time, sink, Checkpoints(), object_types=["contacts"])
    (lead,) = [e.payload for e in sink.events if isinstance(e.payload, LeadUpsert)]
    assert (lead.lead_id, lead.status) == ("hubspot:contact:201", "marketingqualifiedlead")


def test_a_429_mid_run_is_retried_and_nothing_is_lost_or_doubled(
    api: HubSpotApiServer, time: FakeTime
) -> None:
    def throttle() -> None:
        api.throttle = {len(api.log) + 3, len(api.log) + 4}

    runs.retried_without_loss(run(api, time), throttle)
    assert [s for *_, s in api.log].count(429) == 2
    assert 1.0 in time.slept, "Retry-After honoured"


def test_the_client_keeps_to_the_rate_limit(time: FakeTime) -> None:
    with HubSpotApiServer(seed(30), token=TOKEN, clock=time.clock, rate_limit=(100, 10.0)) as api:
        made = client(api.url, time)
        run_backfill(
            made, Sink(), Checkpoints(), WORKSPACE, now=lambda: NOW, object_types=["contacts"]
        )
        assert all(status == 200 for *_, status in api.log)
    # 1 count + 15 pages: under 100 per 10 s, so no wait at all
    assert time.slept == []


def test_the_server_limit_answers_429_and_the_client_waits(time: FakeTime) -> None:
    with HubSpotApiServer(seed(9), token=TOKEN, clock=time.clock, rate_limit=(3, 10.0)) as api:
        sink = Sink()
        run_backfill(
            client(api.url, time),
            sink,
            Checkpoints(),
            WORKSPACE,
            now=lambda: NOW,
            object_types=["contacts"],
        )
        assert 429 in [s for *_, s in api.log]
    assert len({e.event_id for e in sink.events}) == 9
    assert time.now >= 10.0, "waited for the window to roll"


def test_an_interrupted_backfill_resumes_where_it_stopped(
    api: HubSpotApiServer, time: FakeTime
) -> None:
    runs.resume_after_a_fault(run(api, time), (WORKSPACE, "hubspot", "contacts"), api.log.clear)
    first_read = next(path for method, path, _ in api.log if "/search" not in path)
    assert "after=204" in first_read, "resumed at the saved cursor, not from the start"


def test_a_second_run_reads_only_what_changed(api: HubSpotApiServer, time: FakeTime) -> None:
    def change() -> None:
        api.modify("contacts", "203", iso(25), email="new@example.com")
        api.log.clear()

    later, done = runs.second_run(run(api, time), change)
    reads = sorted(path.split("?")[0] for method, path, _ in api.log if method == "GET")
    reads = [path for path in reads if path.count("/") == 5]
    # The object at each high-water mark is read again (the filter is >=, and duplicates are
    # stored once); objects modified before it are not read at all. Types that had no object
    # (calls, ...) have no mark and are listed again, one empty page each.
    assert reads == [
        "/crm/v3/objects/contacts/203",
        "/crm/v3/objects/contacts/205",
        "/crm/v3/objects/deals/7001",
        "/crm/v3/objects/emails/8001",
    ]
    changed = [e.payload for e in later.events if isinstance(e.payload, ContactUpsert)]
    assert "email:new@example.com" in [i.key for c in changed for i in c.identifiers]
    assert done[0].high_water == NOW.replace(month=10, day=25, hour=9)


def test_search_windows_on_the_modified_date_at_the_ceiling(time: FakeTime) -> None:
    # 7 contacts, two sharing a modified day at the window edge; ceiling 4, pages of 2
    people = [contact(201 + i, day) for i, day in enumerate([2, 3, 4, 5, 5, 6, 7])]
    with HubSpotApiServer(
        {"contacts": people}, token=TOKEN, clock=time.clock, search_ceiling=4
    ) as api:
        sink = Sink()
        run_backfill(
            client(api.url, time, search_ceiling=4),
            sink,
            Checkpoints(),
            WORKSPACE,
            now=lambda: NOW,
            object_types=["contacts"],
            since=NOW - timedelta(days=365),
        )
        assert all(status == 200 for *_, status in api.log), "never asked past the ceiling"
    people_read = {e.payload.identifiers[0].value for e in sink.events}  # type: ignore[union-attr]
    assert people_read == {str(201 + i) for i in range(7)}


def test_more_ties_than_the_ceiling_stop_with_a_clear_error(time: FakeTime) -> None:
    people = [contact(201 + i, 5) for i in range(5)]
    with (
        HubSpotApiServer(
            {"contacts": people}, token=TOKEN, clock=time.clock, search_ceiling=2
        ) as api,
        pytest.raises(ApiError, match="share the modified time"),
    ):
        run_backfill(
            client(api.url, time, search_ceiling=2),
            Sink(),
            Checkpoints(),
            WORKSPACE,
            now=lambda: NOW,
            object_types=["contacts"],
            since=NOW - timedelta(days=365),
        )


def test_an_invalid_token_is_a_clear_error_and_nothing_is_written(
    api: HubSpotApiServer, time: FakeTime
) -> None:
    wrong = client(api.url, time, token="pat-eu1-wrong")
    message = runs.refused_writing_nothing(
        lambda sink, store: run_backfill(wrong, sink, store, WORKSPACE, now=lambda: NOW)
    )
    assert message.startswith("HubSpot rejected the private-app token (401): Authentication")
    assert "pat-eu1-wrong" not in message


def test_a_token_revoked_mid_run_keeps_whole_pages_only(
    api: HubSpotApiServer, time: FakeTime
) -> None:
    def revoke() -> None:
        api.token = "rotated"

    runs.revoked_mid_run(run(api, time), revoke, (WORKSPACE, "hubspot", "contacts"))


def test_the_token_is_never_archived(api: HubSpotApiServer, time: FakeTime) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints())
    for request in sink.requests:
        archived = request.to_archive()
        assert TOKEN.encode() not in archived
        assert b"authorization" not in archived.lower()
    assert TOKEN not in repr(connection(api.url))


def test_replaying_an_archived_page_gives_the_same_event_ids(
    api: HubSpotApiServer, time: FakeTime
) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints())
    runs.replayed_alike(sink, connection(api.url))
    assert all(r.method == "GET" and r.url.startswith(api.url) for r in sink.requests)


def test_a_live_request_marked_as_a_backfill_page_is_refused(
    api: HubSpotApiServer, time: FakeTime
) -> None:
    runs.live_page_refused(run(api, time, object_types=["deals"]), ADAPTER, connection(api.url))


def test_a_rerun_gives_the_same_event_ids(api: HubSpotApiServer, time: FakeTime) -> None:
    runs.rerun_alike(run(api, time))
