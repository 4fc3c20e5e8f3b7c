"""The nightly reconciliation's logic: what it counts as missed, failures kept apart, the
deadline. HubSpot's client against the local HubSpot API; the records table on moto."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import boto3
import pytest
from moto import mock_aws
from support.backfill import NOW, Checkpoints, FakeTime
from support.hubspot import TOKEN, WORKSPACE, connection, iso, seed

from rel2rev.apply import RecordKind
from rel2rev.backfill.hubspot import hubspot_client
from rel2rev.backfill.run import VendorClient
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import Event
from rel2rev.ingest.request import RawRequest
from rel2rev.local.hubspot_api import HubSpotApiServer
from rel2rev.local.resources import LocalNames, provision
from rel2rev.local.template import TemplateModel
from rel2rev.money import Money
from rel2rev.records import Deal
from rel2rev.storage.records import RecordRepository
from rel2rev.sync.reconcile import (
    Deadline,
    Outcome,
    ReconcileReport,
    VendorFactory,
    reconcile_all,
)

AMPLE = Deadline(lambda: 900.0, 60.0)


@pytest.fixture
def records(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordRepository]:
    """The template's records table on moto."""
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        template = TemplateModel()
        names = LocalNames(template, "rec", "https://sqs.us-east-1.amazonaws.com")
        session = boto3.Session(region_name="us-east-1")
        provision(template, names, session)
        yield RecordRepository(session.client("dynamodb"), names.name("RecordsTable"))


@pytest.fixture
def api() -> Iterator[HubSpotApiServer]:
    with HubSpotApiServer(seed(), token=TOKEN) as server:
        yield server


class Processor:
    """The sink's far end in one step: each answer's events applied as the processor would."""

    def __init__(self, records: RecordRepository) -> None:
        self.records = records
        self.answers = 0

    def deliver(self, request: RawRequest, events: Sequence[Event]) -> None:
        self.answers += 1
        self.records.apply_events(events)


def vendors(time: FakeTime) -> dict[str, VendorFactory]:
    def factory(found: Connection) -> VendorClient:
        return hubspot_client(
            found, now=lambda: NOW, sleep=time.sleep, clock=time.clock, page_size=2
        )

    return {"hubspot": factory}


def run(
    records: RecordRepository,
    connections: Sequence[Connection],
    store: Checkpoints,
    deadline: Deadline = AMPLE,
) -> ReconcileReport:
    return reconcile_all(
        connections,
        vendors(FakeTime()),
        Processor(records),
        store,
        records,
        now=lambda: NOW,
        deadline=deadline,
    )


def tallies(outcome: Outcome) -> dict[str, tuple[int, int, int]]:
    return {t.object_type: (t.objects, t.records, t.missed) for t in outcome.types if t.objects}


def test_counts_what_the_records_lack_not_what_they_already_hold(
    records: RecordRepository, api: HubSpotApiServer
) -> None:
    store = Checkpoints()
    (first,) = run(records, [connection(api.url)], store).outcomes
    assert first.status == "done"
    # Nothing was stored: every record is missed (5 contacts, the deal, the e-mail reply).
    assert tallies(first) == {"contacts": (5, 5, 5), "deals": (1, 1, 1), "emails": (1, 1, 1)}

    (again,) = run(records, [connection(api.url)], store).outcomes
    assert all(t.missed == 0 for t in again.types), "re-read (overlap), already stored"

    # The deal's amount changed and its webhook was lost; a contact was touched on a
    # property rel2rev does not read (HubSpot moves its last-modified time all the same).
    api.modify("deals", "7001", iso(25), amount="30000.00")
    api.modify("contacts", "203", iso(25))
    (third,) = run(records, [connection(api.url)], store).outcomes
    found = tallies(third)
    assert found["deals"] == (1, 1, 1)
    assert found["contacts"][2] == 0
    deal = records.get(WORKSPACE, RecordKind.DEAL, "hubspot:7001")
    assert isinstance(deal, Deal)
    assert deal.amount == Money.of("30000.00", "EUR")


def test_one_failing_connection_does_not_stop_the_others(
    records: RecordRepository, api: HubSpotApiServer
) -> None:
    wrong = connection(api.url, token="pat-expired").model_copy(update={"workspace": "first"})
    webhooks_only = Connection(workspace="bf", source="generic", signing_secret="s")
    report = run(records, [wrong, webhooks_only, connection(api.url)], Checkpoints())
    failed, done = report.outcomes  # the generic connection reads no API: not reconciled
    assert (failed.workspace, failed.status) == ("first", "failed")
    assert failed.error is not None
    assert "HubSpot rejected the private-app token (401)" in failed.error
    assert "pat-expired" not in failed.error
    assert (done.workspace, done.status) == (WORKSPACE, "done")
    assert report.failures == 1


def test_stops_before_the_deadline_checkpointed_and_resumes(
    records: RecordRepository, api: HubSpotApiServer
) -> None:
    seconds = iter([900.0, 900.0, 10.0])  # the third look, after the first page, is too late
    deadline = Deadline(lambda: next(seconds, 10.0), 60.0)
    later = connection(api.url).model_copy(update={"workspace": "later"})
    store = Checkpoints()
    stopped, skipped = run(records, [connection(api.url), later], store, deadline).outcomes
    assert stopped.status == "stopped"
    assert tallies(stopped) == {"contacts": (2, 2, 2)}
    assert skipped.status == "skipped"
    saved = store.get(WORKSPACE, "hubspot", "contacts")
    assert saved is not None
    assert saved.unfinished
    assert saved.objects == 2

    (resumed,) = run(records, [connection(api.url)], store).outcomes
    assert resumed.status == "done"
    assert tallies(resumed)["contacts"] == (3, 3, 3)  # the other three, from the cursor
    finished = store.get(WORKSPACE, "hubspot", "contacts")
    assert finished is not None
    assert (finished.unfinished, finished.objects) == (False, 5)
