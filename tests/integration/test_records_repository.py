"""RecordRepository and the ingest sink on moto, with tables built from template.yaml."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import permutations
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from rel2rev.errors import PayloadTooLargeError
from rel2rev.ingest.events import (
    ContactRoleRef,
    ContactUpsert,
    DealUpsert,
    Event,
    InteractionEvent,
    LeadUpsert,
    Payload,
    event_id_for,
)
from rel2rev.ingest.request import RawRequest
from rel2rev.ingest.webhook import archive_key
from rel2rev.local.resources import LocalNames, provision
from rel2rev.local.template import TemplateModel
from rel2rev.money import Money
from rel2rev.records import DealStatus, Identifier, IdentifierKind
from rel2rev.storage import EventQueue, Outcome, RawArchive, RecordRepository
from rel2rev.storage.queue import EventMessage
from rel2rev.storage.sink import AwsWebhookSink

pytestmark = pytest.mark.integration

T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[boto3.Session, LocalNames]]:
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        template = TemplateModel()
        names = LocalNames(template, "repo", "https://sqs.us-east-1.amazonaws.com")
        session = boto3.Session(region_name="us-east-1")
        provision(template, names, session)
        yield session, names


@pytest.fixture
def repo(aws: tuple[boto3.Session, LocalNames]) -> RecordRepository:
    session, names = aws
    return RecordRepository(session.client("dynamodb"), names.name("RecordsTable"))


def email(value: str) -> Identifier:
    return Identifier(kind=IdentifierKind.EMAIL, value=value)


def event(payload: Payload, at: datetime, key: str) -> Event:
    return Event(
        event_id=event_id_for("generic", "acme", key),
        workspace="acme",
        source="generic",
        request_id="r",
        received_at=at,
        occurred_at=at,
        payload=payload,
    )


def touch(n: int, who: list[Identifier]) -> Event:
    at = T0 + timedelta(minutes=n)
    payload = InteractionEvent(
        interaction_id=f"i{n}",
        contact=who,
        type="comment",
        direction="inbound",
        channel="linkedin",
        occurred_at=at,
    )
    return event(payload, at, f"touch-{n}")


def test_concurrent_first_touches_capture_one_contact(repo: RecordRepository) -> None:
    touches = [touch(n, [email("new@example.com")]) for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(repo.apply_event, reversed(touches)))
    assert outcomes == [Outcome.STORED] * 8
    window = repo.records_in_window("acme", T0 - timedelta(days=1), T0 + timedelta(days=1))
    (contact,) = window.contacts
    assert contact.created_at == T0, "captured at the earliest touch, whatever the order"
    assert [i.interaction_id for i in window.interactions] == [f"i{n}" for n in range(8)]
    assert {i.contact_id for i in window.interactions} == {contact.contact_id}
    assert repo.apply_event(touches[0]) is Outcome.DUPLICATE


def test_identifiers_named_together_merge_two_stored_people(repo: RecordRepository) -> None:
    """Ada by e-mail, then someone by HubSpot id, then both together: one person, with both
    histories and a merge record."""
    hubspot = Identifier(kind=IdentifierKind.HUBSPOT, value="501")
    repo.apply_event(touch(1, [email("ada@example.com")]))
    repo.apply_event(event(ContactUpsert(identifiers=[hubspot], name="Bob"), T0, "b"))
    repo.apply_event(touch(2, [hubspot]))
    apart = repo.records_in_window("acme", T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert len(apart.contacts) == 2
    both = ContactUpsert(identifiers=[email("ada@example.com"), hubspot], name="Ada")
    assert repo.apply_event(event(both, T0 + timedelta(hours=1), "ab")) is Outcome.STORED
    ada = repo.contact_by_identifier("acme", email("ada@example.com"))
    same = repo.contact_by_identifier("acme", hubspot)
    assert ada is not None
    assert ada == same
    assert ada.name == "Ada"
    assert {i.key for i in ada.identifiers} == {"email:ada@example.com", "hubspot:501"}
    assert [i.interaction_id for i in repo.interactions_of_contact("acme", ada.contact_id)] == [
        "i1",
        "i2",
    ]
    window = repo.records_in_window("acme", T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert [c.contact_id for c in window.contacts] == [ada.contact_id]
    assert {i.contact_id for i in window.interactions} == {ada.contact_id}
    states = repo._contacts("acme", [c.contact_id for c in apart.contacts])
    merged = [state for state in states if state.merged_into is not None]
    assert [m.merged_into for m in merged] == [ada.contact_id], "the merge is recorded"
    assert repo.apply_event(event(both, T0 + timedelta(hours=1), "ab")) is Outcome.DUPLICATE


def test_a_deal_with_a_large_buying_committee_respects_transaction_limits(
    repo: RecordRepository,
) -> None:
    roles = [ContactRoleRef(contact=[email(f"p{n}@example.com")]) for n in range(150)]
    deal = DealUpsert(deal_id="d1", account_id="example.com", contact_roles=roles)
    assert repo.apply_event(event(deal, T0, "deal")) is Outcome.STORED
    (stored,) = repo.deals_of_account("acme", "example.com")
    assert len(stored.contact_roles) == 150
    assert repo.contact_by_identifier("acme", email("p149@example.com")) is not None


def test_an_older_update_is_unchanged_not_stored(repo: RecordRepository) -> None:
    ada = [email("ada@example.com")]
    repo.apply_event(event(ContactUpsert(identifiers=ada, name="New"), T0, "new"))
    older = event(ContactUpsert(identifiers=ada, name="Old"), T0 - timedelta(days=1), "old")
    assert repo.apply_event(older) is Outcome.UNCHANGED
    contact = repo.contact_by_identifier("acme", ada[0])
    assert contact is not None
    assert contact.name == "New"


def test_sink_archives_nothing_when_an_event_cannot_be_queued(
    aws: tuple[boto3.Session, LocalNames],
) -> None:
    session, names = aws
    s3 = session.client("s3")
    sqs = session.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=names.name("EventsQueue"))["QueueUrl"]
    sink = AwsWebhookSink(RawArchive(s3, names.name("ArchiveBucket")), EventQueue(sqs, queue_url))
    request = RawRequest(
        workspace="acme", source="generic", request_id="req-1", received_at=T0, url="https://x/"
    )
    committee = [
        ContactRoleRef(contact=[email(f"{n}-{k}-" + "x" * 300 + "@example.com") for k in range(4)])
        for n in range(200)
    ]
    huge = event(DealUpsert(deal_id="big", contact_roles=committee), T0, "big")
    assert sink.archive(request) == archive_key(request)
    with pytest.raises(PayloadTooLargeError):
        sink.enqueue([huge])
    listed = s3.list_objects_v2(Bucket=names.name("ArchiveBucket"))
    assert listed.get("KeyCount", 0) == 0
    sink.enqueue([touch(2, [email("a@example.com")])])
    assert s3.list_objects_v2(Bucket=names.name("ArchiveBucket"))["KeyCount"] == 1
    message = sqs.receive_message(QueueUrl=queue_url)["Messages"][0]
    (sent,) = EventMessage.model_validate_json(message["Body"]).events
    assert sent.payload.kind == "interaction"


def test_a_group_of_events_is_applied_in_order_with_one_outcome_each(
    repo: RecordRepository,
) -> None:
    ada = [email("ada@example.com")]
    newer = event(ContactUpsert(identifiers=ada, name="New"), T0 + timedelta(hours=1), "new")
    older = event(ContactUpsert(identifiers=ada, name="Old"), T0, "old")
    touches = [touch(n, ada) for n in range(3)]
    group = [newer, *touches, older, touches[0]]
    outcomes = repo.apply_events(group)
    assert outcomes == [
        Outcome.STORED,
        Outcome.STORED,
        Outcome.STORED,
        Outcome.STORED,
        Outcome.UNCHANGED,
        Outcome.DUPLICATE,
    ]
    contact = repo.contact_by_identifier("acme", ada[0])
    assert contact is not None
    assert contact.name == "New"
    assert len(repo.interactions_of_contact("acme", contact.contact_id)) == 3
    assert repo.apply_events(group) == [Outcome.DUPLICATE] * len(group)


def test_archive_lists_requests_by_source_and_day(aws: tuple[boto3.Session, LocalNames]) -> None:
    session, names = aws
    archive = RawArchive(session.client("s3"), names.name("ArchiveBucket"))
    days = [T0 - timedelta(days=200), T0 - timedelta(days=1), T0]
    for n, day in enumerate(days):
        for source in ("generic", "hubspot"):
            archive.archive(
                RawRequest(
                    workspace="acme",
                    source=source,
                    request_id=f"r{n}",
                    received_at=day,
                    url="https://x/",
                    body=b"{}",
                )
            )
    assert archive.sources("acme") == ["generic", "hubspot"]
    assert len(list(archive.keys("acme"))) == 6
    yesterday = list(archive.keys("acme", None, days[1].date(), days[1].date()))
    assert yesterday == [f"raw/acme/{s}/{days[1]:%Y/%m/%d}/r1" for s in ("generic", "hubspot")]
    recent = list(archive.keys("acme", "generic", days[1].date(), None))
    assert recent == [f"raw/acme/generic/{d:%Y/%m/%d}/r{n + 1}" for n, d in enumerate(days[1:])]
    long_window = list(archive.keys("acme", "hubspot", days[0].date(), days[2].date()))
    assert len(long_window) == 3
    (request,) = archive.iter_archived("acme", "hubspot", days[0].date(), days[0].date())
    assert (request.request_id, request.body) == ("r0", b"{}")


def test_a_run_reads_old_deals_won_in_its_window_and_everything_linked(
    repo: RecordRepository,
) -> None:
    """A deal created long before the window and won inside it, whose people were captured
    long before too, with a touch in the lookback before the window starts."""
    long_ago = T0 - timedelta(days=700)
    ada = [email("ada@acme.example")]
    repo.apply_event(
        event(ContactUpsert(identifiers=ada, account_id="acme.example", created_at=long_ago),
              long_ago, "ada")
    )  # fmt: skip
    repo.apply_event(
        event(ContactUpsert(identifiers=[email("bob@solo.example")], created_at=long_ago),
              long_ago, "bob")
    )  # fmt: skip
    repo.apply_event(touch(-60 * 24 * 20, ada))  # 20 days before the window
    bob_touch = touch(-60 * 24 * 3, [email("bob@solo.example")])
    repo.apply_event(bob_touch)
    won = DealUpsert(
        deal_id="big",
        account_id="acme.example",
        amount=Money.of("90000.00", "EUR"),
        status=DealStatus.OPEN,
        created_at=long_ago,
    )
    repo.apply_event(event(won, long_ago, "big-open"))
    closed = won.model_copy(update={"status": DealStatus.WON, "closed_at": T0 + timedelta(days=2)})
    repo.apply_event(event(closed, T0 + timedelta(days=2), "big-won"))
    start, end = T0, T0 + timedelta(days=30)
    plain = repo.records_in_window("acme", start, end)
    assert [d.deal_id for d in plain.deals] == ["big"], "anchored at its close"
    run = repo.records_for_run("acme", start, end, timedelta(days=90))
    assert [d.deal_id for d in run.deals] == ["big"]
    assert len(run.contacts) == 2, "captured 700 days ago, found through the account and by id"
    assert {c.account_id for c in run.contacts} == {"acme.example", None}
    assert len(run.interactions) == 2, "the lookback before the window is read"
    (deal,) = run.deals
    assert [(r.status, str(r.amount)) for r in deal.revisions] == [
        (DealStatus.OPEN, "90000.00 EUR"),
        (DealStatus.WON, "90000.00 EUR"),
    ]
    assert [r.at for r in deal.revisions] == [long_ago, T0 + timedelta(days=2)]


def test_deal_revisions_do_not_depend_on_arrival_order(repo: RecordRepository) -> None:
    """Three changes of one deal delivered newest first: the revisions are in source-clock
    order, and the current state is the newest."""
    base = DealUpsert(deal_id="d", account_id="x.example", created_at=T0)
    changes = [
        (base.model_copy(update={"amount": Money.of("100.00", "EUR"), "stage": "demo"}), 0),
        (base.model_copy(update={"amount": Money.of("150.00", "EUR"), "stage": "proposal"}), 5),
        (
            base.model_copy(update={"status": DealStatus.WON, "closed_at": T0 + timedelta(days=9)}),
            9,
        ),
    ]
    for payload, day in reversed(changes):
        at = T0 + timedelta(days=day)
        repo.apply_event(event(payload, at, f"d-{day}"))
    (deal,) = repo.records_in_window("acme", T0 - timedelta(days=1), T0 + timedelta(days=30)).deals
    assert [(r.at, r.stage, r.status, r.amount) for r in deal.revisions] == [
        (T0, "demo", DealStatus.OPEN, Money.of("100.00", "EUR")),
        (T0 + timedelta(days=5), "proposal", DealStatus.OPEN, Money.of("150.00", "EUR")),
        (T0 + timedelta(days=9), "proposal", DealStatus.WON, Money.of("150.00", "EUR")),
    ]
    assert (deal.status, deal.amount) == (DealStatus.WON, Money.of("150.00", "EUR"))


def _people_of(repo: RecordRepository, workspace: str) -> set[tuple[frozenset[str], str | None]]:
    """Who is one person, as content: each contact's identifiers and name, with the ids of
    the interactions it holds."""
    read = repo.records_in_window(workspace, T0 - timedelta(days=1), T0 + timedelta(days=1))
    held: dict[str, set[str]] = {}
    for interaction in read.interactions:
        held.setdefault(interaction.contact_id, set()).add(interaction.interaction_id)
    return {
        (frozenset(i.key for i in c.identifiers) | frozenset(held.get(c.contact_id, ())), c.name)
        for c in read.contacts
    }


def _identity_event(workspace: str, n: int, kind: str, who: list[Identifier]) -> Event:
    at = T0 + timedelta(minutes=n)
    payload: Payload
    if kind == "touch":
        payload = InteractionEvent(
            interaction_id=f"i{n}",
            contact=who,
            type="dm",
            direction="inbound",
            channel="linkedin",
            occurred_at=at,
        )
    else:
        payload = ContactUpsert(identifiers=who, name=f"name-{n}")
    return Event(
        event_id=event_id_for("generic", workspace, n),
        workspace=workspace,
        source="generic",
        request_id="r",
        received_at=at,
        occurred_at=at,
        payload=payload,
    )


def test_the_issue_example_gives_one_person_in_every_order(repo: RecordRepository) -> None:
    """Interaction by e-mail, contact by phone, contact by e-mail and phone: 6 orders."""
    phone = Identifier(kind=IdentifierKind.PHONE, value="+15550100")
    mail = email("ada@example.com")
    specs = [("touch", [mail]), ("contact", [phone]), ("contact", [mail, phone])]
    seen = set()
    for number, order in enumerate(permutations(range(3))):
        workspace = f"order{number}"
        for n in order:
            kind, who = specs[n]
            repo.apply_event(_identity_event(workspace, n, kind, who))
        people = _people_of(repo, workspace)
        assert len(people) == 1, (order, people)
        seen.add(frozenset(people))
    assert len(seen) == 1


POOL = [email(f"p{k}@example.com") for k in range(3)] + [
    Identifier(kind=IdentifierKind.PHONE, value=f"+1555010{k}") for k in range(2)
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    specs=st.lists(
        st.tuples(
            st.sampled_from(["touch", "contact"]),
            st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True),
        ),
        min_size=2,
        max_size=5,
    ),
    data=st.data(),
)
def test_who_is_one_person_does_not_depend_on_arrival_order(
    repo: RecordRepository, specs: list[tuple[str, list[Identifier]]], data: st.DataObject
) -> None:
    orders = [list(range(len(specs)))] + [
        data.draw(st.permutations(range(len(specs)))) for _ in range(3)
    ]
    results = []
    for order in orders:
        workspace = f"w{uuid.uuid4().hex[:12]}"
        for n in order:
            kind, who = specs[n]
            repo.apply_event(_identity_event(workspace, n, kind, who))
        results.append(_people_of(repo, workspace))
    assert all(r == results[0] for r in results), results


def test_a_run_on_files_reads_what_a_run_on_the_table_reads(repo: RecordRepository) -> None:
    """`rel2rev.window.window_for_run` over every stored record selects exactly what
    `records_for_run` queries, for windows at many places in a random history."""
    import random

    from rel2rev.window import window_for_run

    rng, ws = random.Random(11), "files"

    def at(day: int) -> datetime:
        return T0 + timedelta(days=day, minutes=rng.randrange(1440))

    def put(payload: Payload, when: datetime, key: str) -> None:
        repo.apply_event(
            event(payload, when, key).model_copy(update={"workspace": ws, "event_id": key})
        )

    people = [[email(f"p{n}@x.example")] for n in range(30)]
    for n, who in enumerate(people):
        account = f"a{n % 7}.example" if n % 5 else None
        put(
            ContactUpsert(identifiers=who, account_id=account, created_at=at(-400 + n)),
            at(-400 + n),
            f"c{n}",
        )
    for n in range(120):
        when = at(rng.randrange(-400, 60))
        interaction = InteractionEvent(
            interaction_id=f"i{n}", contact=rng.choice(people), type="meeting",
            direction="inbound", channel="webinar", occurred_at=when,
            account_id=f"a{rng.randrange(9)}.example" if n % 3 else None,
        )  # fmt: skip
        put(interaction, when, f"i{n}")
    for n in range(25):
        created = at(rng.randrange(-500, 0))
        deal = DealUpsert(
            deal_id=f"d{n}", account_id=f"a{rng.randrange(9)}.example", created_at=created,
            contact_roles=[ContactRoleRef(contact=rng.choice(people))],
        )  # fmt: skip
        put(deal, created, f"d{n}-open")
        if n % 2:
            closed = created + timedelta(days=rng.randrange(1, 300))
            won = deal.model_copy(update={"status": DealStatus.WON, "closed_at": closed})
            put(won, closed, f"d{n}-won")
    for n in range(10):
        created = at(rng.randrange(-400, 30))
        lead = LeadUpsert(lead_id=f"l{n}", contact=rng.choice(people), created_at=created,
                          account_id=f"a{rng.randrange(9)}.example")  # fmt: skip
        put(lead, created, f"l{n}")
    everything = repo.records_in_window(
        ws, datetime(1970, 1, 1, tzinfo=UTC), datetime(2099, 12, 31, tzinfo=UTC)
    )

    def ids(records: Any) -> tuple[set[str], ...]:
        return (
            {c.contact_id for c in records.contacts},
            {i.interaction_id for i in records.interactions},
            {lead.lead_id for lead in records.leads},
            {d.deal_id for d in records.deals},
        )

    for offset in (-300, -120, -30, 0, 45):
        start, lookback = T0 + timedelta(days=offset), timedelta(days=rng.choice([0, 30, 90]))
        end = start + timedelta(days=rng.choice([30, 90, 365]))
        table = repo.records_for_run(ws, start, end, lookback)
        files = window_for_run(everything, start, end, lookback)
        assert ids(files) == ids(table), (start, end, lookback)
        assert any(ids(table)), "a window that reads nothing proves nothing"
