"""The Salesforce backfill against the local org: OAuth, pages, Bulk jobs, allowance, resume."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr
from support import backfill as runs
from support.backfill import NOW, Checkpoints, FakeTime, Run, Sink, ids, payloads
from support.salesforce import (
    CLIENT_ID,
    OPPORTUNITY,
    REFRESH,
    SECRET,
    USERNAME,
    WORKSPACE,
    client,
    connection,
    contact_id,
    private_key_pem,
    seed,
    stamp,
)

from rel2rev.backfill.checkpoints import Checkpoint
from rel2rev.backfill.run import run_backfill
from rel2rev.backfill.salesforce import AllowanceExhausted, salesforce_client
from rel2rev.errors import AuthenticationError
from rel2rev.ingest.events import ContactUpsert, DealUpsert, Event, InteractionEvent, LeadUpsert
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.sources.salesforce import ADAPTER
from rel2rev.local.salesforce_api import SalesforceApiServer, public_key_of
from rel2rev.money import Money
from rel2rev.records import DealStatus, Direction, InteractionType

TYPES = [
    "Contact",
    "Lead",
    "Opportunity",
    "OpportunityHistory",
    "OpportunityContactRole",
    "Task",
    "Event",
    "CampaignMember",
]


def org(**options: Any) -> SalesforceApiServer:
    options.setdefault("batch_size", 2)
    return SalesforceApiServer(
        options.pop("seed", seed()),
        client_id=CLIENT_ID,
        username=USERNAME,
        public_key=public_key_of(private_key_pem().encode()),
        client_secret=SECRET,
        refresh_token=REFRESH,
        now=lambda: NOW,
        **options,
    )


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api() -> Iterator[SalesforceApiServer]:
    with org() as server:
        yield server


def backfill(
    api: SalesforceApiServer,
    time: FakeTime,
    sink: Any,
    store: Checkpoints,
    *,
    options: dict[str, Any] | None = None,
    **kw: Any,
) -> list[Checkpoint]:
    made = client(api.url, time.sleep, **(options or {}))
    return run_backfill(made, sink, store, WORKSPACE, now=lambda: NOW, **kw)


def run(api: SalesforceApiServer, time: FakeTime, **kw: Any) -> Run:
    """`backfill` into a given sink and store."""
    return lambda sink, store: backfill(api, time, sink, store, **kw)


def soql(path: str) -> str:
    return parse_qs(urlsplit(path).query).get("q", [""])[0]


def test_a_full_pass_follows_next_records_url_through_every_type(
    api: SalesforceApiServer, time: FakeTime
) -> None:
    sink, store = Sink(), Checkpoints()
    done = backfill(api, time, sink, store)
    assert [c.object_type for c in done] == TYPES
    contacts = [r for r in sink.requests if r.header("x-rel2rev-backfill") == "Contact"]
    assert len(contacts) == 3, "5 contacts in batches of 2"
    assert "/query/01g" in contacts[1].url, "the second page is the nextRecordsUrl"
    assert [c.objects for c in done] == [5, 1, 1, 3, 2, 2, 1, 1]
    assert all(c.cursor is None and c.passes == 1 for c in done)
    assert done[0].high_water == NOW.replace(month=10, day=6, hour=9)
    assert [m for m, p, _ in api.log].count("POST") == 1, "one JWT login for the whole run"
    first = payloads(sink, ContactUpsert)[0]
    assert [i.key for i in first.identifiers] == [
        f"salesforce:{contact_id(1)}",
        "email:person1@example.com",
    ]
    assert (first.name, first.account_id) == ("Person 1", "001000000000001AAA")
    assert len(sink.events) == len(ids(sink)), "no event twice"
    queries = [q for _, p, _ in api.log if (q := soql(p)) and "COUNT()" not in q]
    assert queries[0].endswith("FROM Contact ORDER BY SystemModstamp, Id")


def test_records_keep_the_webhook_identity_and_history_is_dated(
    api: SalesforceApiServer, time: FakeTime
) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints())
    (lead,) = payloads(sink, LeadUpsert)
    assert (lead.lead_id, lead.status, lead.account_id) == (
        "salesforce:00Q000000000001AAA",
        "Working",
        "example.org",
    )
    deals = [e for e in sink.events if isinstance(e.payload, DealUpsert)]
    snapshot = next(e.payload for e in deals if e.payload.name)  # type: ignore[union-attr]
    assert snapshot.deal_id == f"salesforce:{OPPORTUNITY}"
    assert (snapshot.amount, snapshot.status) == (Money.of("24000.00", "EUR"), DealStatus.WON)
    stages = sorted(
        (e.occurred_at.day, e.payload.stage, e.payload.status)  # type: ignore[union-attr]
        for e in deals
        if e.payload.stage and not e.payload.name  # type: ignore[union-attr]
    )
    assert stages == [
        (3, "Prospecting", DealStatus.OPEN),
        (10, "Negotiation", DealStatus.OPEN),
        (20, "Signed", DealStatus.WON),
    ], "the current stage takes the opportunity's IsWon; earlier ones are open"
    roles = [r for d in deals for r in d.payload.contact_roles]  # type: ignore[union-attr]
    assert sorted((r.contact[0].value, r.role) for r in roles) == [
        (contact_id(1), "Decision Maker"),
        (contact_id(2), "Evaluator"),
    ]
    touches = {t.interaction_id: t for t in payloads(sink, InteractionEvent)}
    email = touches["salesforce:00T000000000001AAA"]
    assert (email.type, email.direction, email.channel) == (
        InteractionType.EMAIL,
        Direction.OUTBOUND,
        "email",
    )
    call = touches["salesforce:00T000000000002AAA"]
    assert (call.type, call.direction) == (InteractionType.CALL, Direction.INBOUND)
    assert touches["salesforce:00U000000000001AAA"].type == InteractionType.MEETING
    webinar = touches["salesforce:00v000000000001AAA"]
    assert (webinar.type, webinar.direction, webinar.channel, webinar.campaign) == (
        InteractionType.EVENT_ATTENDED,
        Direction.INBOUND,
        "webinar",
        "October webinar",
    )
    assert webinar.contact[0].value == contact_id(3)


def test_a_multi_currency_org_gives_each_opportunity_its_currency(time: FakeTime) -> None:
    world = seed()
    world["Opportunity"][0]["CurrencyIsoCode"] = "USD"
    with org(seed=world, multi_currency=True) as api:
        sink = Sink()
        backfill(api, time, sink, Checkpoints(), object_types=["Opportunity"])
        assert any("/sobjects/Opportunity/describe" in p for _, p, _ in api.log)
    (deal,) = [d for d in payloads(sink, DealUpsert) if d.amount]
    assert deal.amount == Money.of("24000.00", "USD")


def test_an_expired_session_is_refreshed_once_and_nothing_is_lost(
    api: SalesforceApiServer, time: FakeTime
) -> None:
    calm = Sink()
    backfill(api, time, calm, Checkpoints())

    class Expiring(Sink):
        def deliver(self, request: RawRequest, events: Sequence[Event]) -> None:
            super().deliver(request, events)
            if len(self.requests) == 2:
                api.expire_sessions()

    api.log.clear()
    expiring = Expiring()
    backfill(api, time, expiring, Checkpoints())
    statuses = [s for *_, s in api.log]
    assert statuses.count(401) == 1
    assert [m for m, p, _ in api.log if p == "/services/oauth2/token"] == ["POST", "POST"]
    assert [e.event_id for e in expiring.events] == [e.event_id for e in calm.events]


def test_the_refresh_token_flow_reads_the_org_too(api: SalesforceApiServer, time: FakeTime) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints(), options={"jwt": False}, object_types=["Contact"])
    assert len(payloads(sink, ContactUpsert)) == 5


def test_above_the_threshold_a_bulk_job_is_read_by_locator(
    api: SalesforceApiServer, time: FakeTime
) -> None:
    rest = Sink()
    backfill(api, time, rest, Checkpoints(), object_types=["Contact", "OpportunityHistory"])
    api.log.clear()
    bulk, store = Sink(), Checkpoints()
    done = backfill(
        api,
        time,
        bulk,
        store,
        options={"bulk_threshold": 2, "bulk_page_size": 2},
        object_types=["Contact", "OpportunityHistory"],
    )
    calls = [(m, urlsplit(p).path.rsplit("/", 1)[-1]) for m, p, _ in api.log]
    assert ("POST", "query") in calls, "a Bulk API 2.0 query job was created"
    results = [p for _, p, _ in api.log if "/results" in p]
    assert len(results) == 3 + 2, "5 contacts and 3 history rows, 2 a result set"
    assert "locator=" in results[1]
    assert time.slept[:1] == [2.0], "polled until JobComplete"
    assert all(r.media_type == "text/csv" for r in bulk.requests)
    assert ids(bulk) == ids(rest), "the same records give the same events from CSV as JSON"
    assert [c.objects for c in done] == [5, 3]


def test_a_429_and_a_503_mid_run_are_retried_and_nothing_is_lost_or_doubled(
    api: SalesforceApiServer, time: FakeTime
) -> None:
    def throttle() -> None:
        api.throttle = {len(api.log) + 4: 429, len(api.log) + 5: 503}

    runs.retried_without_loss(run(api, time), throttle)
    assert sorted(s for *_, s in api.log if s >= 400) == [429, 503]
    assert time.slept.count(1.0) == 2, "Retry-After honoured"


def test_an_interrupted_backfill_resumes_after_the_last_record_read(
    api: SalesforceApiServer, time: FakeTime
) -> None:
    key = (WORKSPACE, "salesforce", "Contact")
    runs.resume_after_a_fault(run(api, time), key, api.log.clear)
    resumed = next(soql(p) for _, p, _ in api.log if "FROM Contact" in soql(p))
    assert f"Id > '{contact_id(4)}'" in resumed, "asked for what follows the cursor"
    assert "COUNT()" not in resumed


def test_a_second_run_reads_only_what_changed(api: SalesforceApiServer, time: FakeTime) -> None:
    def change() -> None:
        api.modify("Contact", contact_id(3), stamp(25), Email="new@example.com")
        api.log.clear()

    later, done = runs.second_run(run(api, time), change)
    contact_query = next(soql(p) for _, p, _ in api.log if "Id, FirstName" in soql(p))
    assert "WHERE SystemModstamp >= 2026-10-06T08:50:00Z" in contact_query, "10 min overlap"
    people = [p for p in payloads(later, ContactUpsert) if p.identifiers[0].value[:3] == "003"]
    assert sorted(p.identifiers[0].value for p in people) == [contact_id(3), contact_id(5)]
    assert "email:new@example.com" in [i.key for p in people for i in p.identifiers]
    assert done[0].high_water == NOW.replace(month=10, day=25, hour=9)


def test_an_invalid_grant_is_a_clear_error_and_nothing_is_written(
    api: SalesforceApiServer, time: FakeTime
) -> None:
    message = runs.refused_writing_nothing(
        run(api, time, options={"username": "someone@else.example"})
    )
    assert message == (
        "Salesforce refused the JWT bearer grant of the connected app (invalid_grant): "
        "user hasn't approved this consumer"
    )


def test_a_key_that_is_not_pem_is_a_clear_error_that_never_quotes_it(time: FakeTime) -> None:
    bad = SecretStr("not-a-key-xyz")
    made = connection("http://127.0.0.1:9").model_copy(update={"private_key": bad})
    with pytest.raises(AuthenticationError, match="not an unencrypted RSA") as caught:
        salesforce_client(made, now=lambda: NOW, sleep=time.sleep).count("Contact", None)
    assert "not-a-key-xyz" not in caught.value.message


def test_the_run_stops_at_its_share_of_the_daily_allowance_and_resumes(time: FakeTime) -> None:
    whole = Sink()
    with org() as api:
        backfill(api, time, whole, Checkpoints())
    store, first = Checkpoints(), Sink()
    with org(api_allowance=(0, 12)) as api:
        with pytest.raises(AllowanceExhausted, match="6 of the org's 12 daily API calls"):
            backfill(api, time, first, store)
        stopped = [c for c in store.saved.values() if c.unfinished or c.passes]
        assert stopped, "the pages read were checkpointed"
        api.allowance = 100_000
        rest = Sink()
        backfill(api, time, rest, store)
    assert ids(first) | ids(rest) == ids(whole)


def test_request_limit_exceeded_is_a_resumable_stop(time: FakeTime) -> None:
    with org(api_allowance=(99_999, 100_000)) as api:
        store = Checkpoints()
        with pytest.raises(AllowanceExhausted, match="TotalRequests Limit exceeded"):
            backfill(api, time, Sink(), store, options={"allowance_share": 2.0})
        assert 403 in [s for *_, s in api.log]


def test_credentials_are_never_archived(api: SalesforceApiServer, time: FakeTime) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints())
    tokens = [t.encode() for t in api.sessions]
    assert tokens
    for request in sink.requests:
        archived = request.to_archive()
        assert not any(t in archived for t in tokens)
        assert b"PRIVATE KEY" not in archived
        assert b"authorization" not in archived.lower()
    shown = repr(connection(api.url)) + repr(connection(api.url, jwt=False))
    assert "PRIVATE KEY" not in shown
    assert REFRESH not in shown
    assert SECRET not in shown


def test_replaying_an_archived_page_gives_the_same_event_ids(
    api: SalesforceApiServer, time: FakeTime
) -> None:
    sink = Sink()
    backfill(api, time, sink, Checkpoints(), options={"bulk_threshold": 2})
    runs.replayed_alike(sink, connection(api.url))


def test_a_live_request_marked_as_a_backfill_page_is_refused(
    api: SalesforceApiServer, time: FakeTime
) -> None:
    runs.live_page_refused(
        run(api, time, object_types=["Opportunity"]),
        ADAPTER,
        connection(api.url),
        query={"token": "url-token"},
    )
