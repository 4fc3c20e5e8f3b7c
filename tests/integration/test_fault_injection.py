"""Fault injection: a 2xx still means stored exactly once while AWS calls fail.

About 330 events (generic and Pipedrive: contacts, interactions, leads, and deals sent in two
versions) flow through the real gateway, with 30 % of the deliveries sent twice. Meanwhile 20 %
of the application's own DynamoDB, S3 and SQS calls fail. Half fail before the call takes
effect (a 5xx or throttling error as boto3 raises it once its retries are spent, or a refused
connection). The other half fail after the call took effect (the response is lost: a read
timeout or a closed connection). The test acts as a CRM: a delivery answered 5xx, or cut off,
is redelivered until it gets a 2xx. It drains the queues with the faults still on, turns them
off, drains again, retries the workspace's quarantine (`rel2rev quarantine retry --all`) and
drains once more.

Proven: every event answered 2xx is stored exactly once. Its applied-event marker exists, its
record holds the newest version, and no contact, interaction, lead or deal is stored twice or
under a second identity. Nothing is left in the quarantine, the events queue or its dead-letter
queue. The fault counters show that the faults reached the application at the intended rate:
they are raised outside boto3's retry loop, so its retries cannot absorb them.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import (
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from rel2rev.apply import RecordKind
from rel2rev.cli import main as cli
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.events import InteractionEvent
from rel2rev.ingest.native import (
    NativeRequest,
    build_requests,
    generic_event,
    hook_url,
    sign_generic,
)
from rel2rev.local import LocalStack
from rel2rev.local.stack import reset_cached_factories
from rel2rev.money import Money
from rel2rev.records import (
    Contact,
    ContactRole,
    Deal,
    DealStatus,
    Identifier,
    IdentifierKind,
    Interaction,
    Lead,
    WorkspaceRecords,
)
from rel2rev.storage import clients, keys, quarantine_store, record_repository

pytestmark = pytest.mark.integration

SEED = 20260610
"""Seeds the traffic and the fault decisions. Threads interleave their calls, so two runs with
one seed fail different calls, at the same rate."""
FAULT_RATE = 0.2
DUPLICATE_RATE = 0.3
MAX_DELIVERY_ATTEMPTS = 12
"""How many times the simulated CRM posts a delivery before it gives up on it."""
WORKSPACE = "faults"
GENERIC_PEOPLE, GENERIC_INTERACTIONS, GENERIC_DEALS, GENERIC_LEADS = 50, 160, 25, 15
PIPEDRIVE_PEOPLE, PIPEDRIVE_ACTIVITIES, PIPEDRIVE_DEALS = 15, 30, 10
OUTAGE = frozenset({"generic-i007", "generic-i042"})
"""Interactions whose records cannot be read or written while the faults are on."""
CRASH = frozenset({"generic-i100"})
"""Interactions the processor crashes on while the faults are on (quarantine put included)."""

NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(days=20)
EPOCH, FAR = NOW - timedelta(days=400), NOW + timedelta(days=1)

CONNECTIONS = {
    "generic": Connection(workspace=WORKSPACE, source="generic", signing_secret="g-secret"),
    "pipedrive": Connection(
        workspace=WORKSPACE, source="pipedrive", basic_user="pd", basic_password="pd-pass"
    ),
}

# --- fault injection -------------------------------------------------------------------------

FAULTED_SERVICES = frozenset({"dynamodb", "s3", "sqs"})
SERVICE_ERRORS: dict[str, list[tuple[str, int]]] = {
    "dynamodb": [
        ("InternalServerError", 500),
        ("ServiceUnavailable", 503),
        ("ThrottlingException", 400),
        ("ProvisionedThroughputExceededException", 400),
    ],
    "s3": [("InternalError", 500), ("SlowDown", 503), ("ServiceUnavailable", 503)],
    "sqs": [("InternalFailure", 500), ("ServiceUnavailable", 503)],
}
"""Error responses each service sends for transient trouble (code, HTTP status)."""
_LOSE_RESPONSE = "fault_injection.lose_response"
"""Request-context key: this call's response is lost after it took effect."""
PROCESSOR_THREAD = "EventsQueue"
"""The local stack runs the ProcessorFunction in the thread polling this queue."""


class FaultInjector:
    """Fails a share of the calls of the boto3 clients it is attached to.

    `before-call` is emitted after boto3 built the request and before its retry loop sends
    it, and a response returned there stands for the call's response. So a `before` fault is
    an error response that boto3 turns into the service's modeled ClientError, or a raised
    `EndpointConnectionError`, and nothing reaches AWS. `after-call` is emitted once the real
    call (with boto3's retries) has completed, so an `after` fault raises a `ReadTimeoutError`
    or `ConnectionClosedError` about a call that took effect. Neither kind is retried by boto3:
    every fault reaches the application.

    Random faults alone leave the quarantine empty in most runs, so two targeted ones make
    sure both ways into it are taken while the injector is enabled: every DynamoDB call that
    reads or writes an `outage` record fails (the processor quarantines those events on
    their message's last delivery), and every DynamoDB call of the processor that names a
    `crash` token fails, its quarantine put included (the message goes to the dead-letter
    queue and the QuarantineFunction quarantines it).
    """

    def __init__(
        self,
        rate: float,
        seed: int,
        outage: frozenset[str] = frozenset(),
        crash: frozenset[str] = frozenset(),
    ) -> None:
        self.rate = rate
        self.outage = outage
        self.crash = crash
        self.enabled = False
        self.calls: Counter[str] = Counter()
        """Calls made while enabled and not targeted, by service."""
        self.targeted: Counter[str] = Counter()
        """Targeted faults by `service.Operation`."""
        self.before: Counter[str] = Counter()
        self.after: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        """Faults by the error raised."""
        self.operations: Counter[str] = Counter()
        """Faults by `service.Operation`."""
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def attach(self, client: Any) -> None:
        """Register the fault handlers on one client."""
        service: str = client.meta.service_model.service_id.hyphenize()
        endpoint: str = client.meta.endpoint_url

        def before_call(
            model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
        ) -> Any:
            return self._before(service, endpoint, model.name, params, context)

        def after_call(model: Any, context: dict[str, Any], **_: Any) -> None:
            self._after(service, endpoint, model.name, context)

        client.meta.events.register(f"before-call.{service}", before_call)
        client.meta.events.register(f"after-call.{service}", after_call)

    def _is_targeted(self, service: str, params: dict[str, Any]) -> bool:
        if service != "dynamodb":
            return False
        body = params.get("body") or b""
        text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
        if any(token in text for token in self.outage):
            return True
        in_processor = threading.current_thread().name == PROCESSOR_THREAD
        return in_processor and any(token in text for token in self.crash)

    def _before(
        self,
        service: str,
        endpoint: str,
        operation: str,
        params: dict[str, Any],
        context: dict[str, Any],
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not self.enabled:
            return None
        if self._is_targeted(service, params):
            with self._lock:
                self.targeted[f"{service}.{operation}"] += 1
            return _error_response(endpoint, service, operation, "InternalServerError", 500)
        with self._lock:
            roll, pick = self._random.random(), self._random.random()
            self.calls[service] += 1
            if roll >= self.rate:
                return None
            if roll >= self.rate / 2:
                context[_LOSE_RESPONSE] = pick
                return None
            self.before[service] += 1
            self.operations[f"{service}.{operation}"] += 1
            errors = SERVICE_ERRORS[service]
            index = int(pick * (len(errors) + 1))
            name = "EndpointConnectionError" if index == len(errors) else errors[index][0]
            self.errors[name] += 1
        if index == len(errors):
            raise EndpointConnectionError(endpoint_url=endpoint)
        code, status = errors[index]
        return _error_response(endpoint, service, operation, code, status)

    def _after(self, service: str, endpoint: str, operation: str, context: dict[str, Any]) -> None:
        pick = context.pop(_LOSE_RESPONSE, None)
        if pick is None:
            return
        error = ReadTimeoutError if pick < 0.5 else ConnectionClosedError
        with self._lock:
            self.after[service] += 1
            self.operations[f"{service}.{operation}"] += 1
            self.errors[error.__name__] += 1
        raise error(endpoint_url=endpoint)

    def summary(self) -> dict[str, Any]:
        """The counters, for the test's report line."""
        with self._lock:
            return {
                "calls": dict(self.calls),
                "before": dict(self.before),
                "after": dict(self.after),
                "errors": dict(self.errors),
                "operations": dict(self.operations),
                "targeted": dict(self.targeted),
            }


def _error_response(
    endpoint: str, service: str, operation: str, code: str, status: int
) -> tuple[AWSResponse, dict[str, Any]]:
    """What botocore's parser makes of an error answer, after its retries (RetryAttempts)."""
    metadata = {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 4}
    parsed = {
        "Error": {"Code": code, "Message": f"injected before {service}.{operation}"},
        "ResponseMetadata": metadata,
    }
    return AWSResponse(endpoint, status, HTTPHeaders(), None), parsed


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultInjector]:
    """A fault injector attached to every DynamoDB, S3 and SQS client the application builds
    (`rel2rev.storage.clients`), not to the clients of the test or of the queue pollers."""
    injector = FaultInjector(
        FAULT_RATE,
        SEED,
        outage=frozenset(keys.record_pk(WORKSPACE, RecordKind.INTERACTION, i) for i in OUTAGE),
        crash=CRASH,
    )
    original: Callable[[str], Any] = clients._client

    def faulty_client(service: str) -> Any:
        client = original(service)
        if service in FAULTED_SERVICES:
            injector.attach(client)
        return client

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clients, "_client", faulty_client)
        reset_cached_factories()
        yield injector
    reset_cached_factories()


@pytest.fixture(scope="module")
def stack(faults: FaultInjector) -> Iterator[LocalStack]:
    """A stack whose functions use the faulty clients (started after the patch: its start
    clears the cached clients, and the functions import cold). Failed messages come back
    after 50 ms instead of the default 200 ms."""
    with LocalStack(retry_delay=0.05) as local:
        for connection in CONNECTIONS.values():
            local.connections.register(connection)
        yield local


# --- traffic ---------------------------------------------------------------------------------


@dataclass
class World:
    """What the CRMs know: the records and the deliveries that carry them."""

    people: dict[str, Contact] = field(default_factory=dict)
    """Contact id (as sent) -> contact."""
    email_of: dict[str, str] = field(default_factory=dict)
    """Contact id (as sent) -> the person's email (their only shared identifier)."""
    interactions: dict[str, str] = field(default_factory=dict)
    """Stored interaction id -> the sent contact id of its person."""
    deals: dict[str, Deal] = field(default_factory=dict)
    """Stored deal id -> its newest version."""
    leads: set[str] = field(default_factory=set)
    requests: list[tuple[str, NativeRequest]] = field(default_factory=list)
    """(source, request), one per distinct delivery."""


def _at(rng: random.Random) -> datetime:
    return START + timedelta(minutes=rng.randrange(0, 19 * 24 * 60))


def _person(source: str, number: int, rng: random.Random) -> Contact:
    at = _at(rng)
    return Contact(
        workspace=WORKSPACE,
        source=source,
        updated_at=at,
        contact_id=f"{source}:{number}",
        identifiers=[Identifier(kind=IdentifierKind.EMAIL, value=f"{source}.{number}@example.com")],
        name=f"Person {source} {number}",
        account_id=f"acct{number % 10}.example.com",
        created_at=at,
    )


def _interaction(source: str, interaction_id: str, person: Contact, at: datetime) -> Interaction:
    return Interaction(
        workspace=WORKSPACE,
        source=source,
        updated_at=at,
        interaction_id=interaction_id,
        contact_id=person.contact_id,
        account_id=person.account_id,
        type="call",
        direction="outbound",
        channel="phone",
        occurred_at=at,
    )


def _deal_versions(source: str, deal_id: str, person: Contact, rng: random.Random) -> list[Deal]:
    """An open deal, then the same deal won for more (a later source clock)."""
    created = _at(rng)
    opened = Deal(
        workspace=WORKSPACE,
        source=source,
        updated_at=created,
        deal_id=deal_id,
        name=f"Deal {deal_id}",
        account_id=person.account_id,
        amount=Money.of(Decimal(rng.randrange(100, 5000)), "EUR"),
        stage="proposal",
        status=DealStatus.OPEN,
        created_at=created,
        contact_roles=[ContactRole(contact_id=person.contact_id, role="buyer")],
    )
    won_at = created + timedelta(hours=rng.randrange(1, 48))
    won = opened.model_copy(
        update={
            "updated_at": won_at,
            "amount": Money.of(Decimal(rng.randrange(5000, 9000)), "EUR"),
            "stage": "closedwon",
            "status": DealStatus.WON,
            "closed_at": won_at,
        }
    )
    return [opened, won]


def _generic_request(api_url: str, body: dict[str, Any]) -> NativeRequest:
    data = json.dumps(body).encode()
    secret = CONNECTIONS["generic"].signing_secret
    assert secret is not None
    headers = {
        "Content-Type": "application/json",
        "X-Rel2rev-Signature": sign_generic(secret.get_secret_value(), data, int(time.time())),
    }
    url = hook_url(api_url, WORKSPACE, "generic")
    return NativeRequest(method="POST", url=url, headers=headers, body=data)


def build_world(api_url: str, rng: random.Random) -> World:
    """Generic records in deliveries of 1 to 4 events, Pipedrive one entity per delivery."""
    world = World()
    generic_records: list[Contact | Interaction | Lead | Deal] = []
    people = [_person("generic", n, rng) for n in range(GENERIC_PEOPLE)]
    generic_records += people
    for n in range(GENERIC_INTERACTIONS):
        person = rng.choice(people)
        generic_records.append(_interaction("generic", f"generic-i{n:03d}", person, _at(rng)))
        world.interactions[f"generic-i{n:03d}"] = person.contact_id
    for n in range(GENERIC_DEALS):
        versions = _deal_versions("generic", f"generic-d{n}", rng.choice(people), rng)
        generic_records += versions
        world.deals[f"generic-d{n}"] = versions[-1]
    for n in range(GENERIC_LEADS):
        person, at = rng.choice(people), _at(rng)
        lead = Lead(
            workspace=WORKSPACE,
            source="generic",
            updated_at=at,
            lead_id=f"generic-l{n}",
            contact_id=person.contact_id,
            account_id=person.account_id,
            created_at=at,
        )
        generic_records.append(lead)
        world.leads.add(lead.lead_id)
    directory = {p.contact_id: p for p in people}
    rng.shuffle(generic_records)
    while generic_records:
        size = rng.randint(1, 4)
        chunk, generic_records = generic_records[:size], generic_records[size:]
        body = {"events": [generic_event(r, directory) for r in chunk]}
        world.requests.append(("generic", _generic_request(api_url, body)))

    pd_people = [_person("pipedrive", n, rng) for n in range(1, PIPEDRIVE_PEOPLE + 1)]
    pd_interactions = []
    for n in range(1, PIPEDRIVE_ACTIVITIES + 1):
        person = rng.choice(pd_people)
        pd_interactions.append(
            _interaction("pipedrive", f"pipedrive:activity:{n}", person, _at(rng))
        )
        world.interactions[f"pipedrive:activity:{n}"] = person.contact_id
    pd_deals = []
    for n in range(1, PIPEDRIVE_DEALS + 1):
        versions = _deal_versions("pipedrive", f"pipedrive:{n}", rng.choice(pd_people), rng)
        pd_deals += versions
        world.deals[f"pipedrive:{n}"] = versions[-1]
    records = WorkspaceRecords(
        workspace=WORKSPACE, contacts=pd_people, interactions=pd_interactions, deals=pd_deals
    )
    world.requests += [
        ("pipedrive", r)
        for r in build_requests(
            "pipedrive", CONNECTIONS["pipedrive"], records, now=NOW, base_url=api_url
        )
    ]
    for person in [*people, *pd_people]:
        world.people[person.contact_id] = person
        world.email_of[person.contact_id] = person.identifiers[0].value
    return world


def schedule(world: World, rng: random.Random) -> list[int]:
    """Delivery order (indexes into `world.requests`): shuffled, 30 % of them twice, the
    redelivery somewhere later."""
    order = list(range(len(world.requests)))
    rng.shuffle(order)
    for index in rng.sample(range(len(order)), round(DUPLICATE_RATE * len(order))):
        position = order.index(index)
        order.insert(rng.randint(position + 1, len(order)), index)
    return order


@dataclass
class Crm:
    """Posts deliveries the way a CRM does: until a 2xx, within a bounded number of tries."""

    answers: dict[int, list[list[str]]] = field(default_factory=dict)
    """Delivery index -> the event ids of each 2xx answer."""
    retries: Counter[str] = field(default_factory=Counter)
    """Failed attempts by what happened (`500`, `ConnectionError`, ...)."""

    def deliver(self, index: int, request: NativeRequest) -> None:
        for _ in range(MAX_DELIVERY_ATTEMPTS):
            try:
                response = requests.request(
                    request.method,
                    request.url,
                    headers=request.headers,
                    data=request.body,
                    timeout=30,
                )
            except requests.ConnectionError as exc:
                self.retries[type(exc).__name__] += 1
                continue
            if response.status_code >= 500:
                self.retries[str(response.status_code)] += 1
                continue
            assert response.status_code in (200, 202), response.text
            self.answers.setdefault(index, []).append(response.json()["event_ids"])
            return
        pytest.fail(f"delivery {index} got no 2xx in {MAX_DELIVERY_ATTEMPTS} attempts")


# --- reading what was stored -----------------------------------------------------------------


def stored_markers(stack: LocalStack) -> list[str]:
    """Event ids of the workspace's applied-event markers (a test-only scan)."""
    prefix = keys.event_pk(WORKSPACE, "")
    found: list[str] = []
    paginator = stack.client("dynamodb").get_paginator("scan")
    for page in paginator.paginate(
        TableName=stack.name("RecordsTable"),
        FilterExpression="begins_with(PK, :p)",
        ExpressionAttributeValues={":p": {"S": prefix}},
    ):
        found += [item["PK"]["S"].removeprefix(prefix) for item in page["Items"]]
    return found


def queue_depth(stack: LocalStack, logical_id: str) -> int:
    """Messages in a queue: visible, in flight or delayed."""
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.ref(logical_id),
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def retry_quarantine(capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    """`rel2rev quarantine retry --workspace W --all`; its JSON answer."""
    capsys.readouterr()
    assert cli(["quarantine", "retry", "--workspace", WORKSPACE, "--all"]) == 0
    answer: dict[str, int] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return answer


# --- the proof -------------------------------------------------------------------------------


# A QuarantineFunction batch whose quarantine puts all failed publishes no metric; Powertools
# warns about the empty flush.
@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_faults_lose_no_event_and_count_none_twice(
    stack: LocalStack, faults: FaultInjector, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(SEED)
    world = build_world(stack.api_url, rng)
    order = schedule(world, rng)
    crm = Crm()
    started = time.monotonic()

    faults.enabled = True
    for index in order:
        crm.deliver(index, world.requests[index][1])
    stack.drain(timeout=120)
    faults.enabled = False
    stack.drain(timeout=30)

    store = quarantine_store(stack.name("RecordsTable"))
    quarantined = list(store.entries(WORKSPACE))
    dead_lettered = {e.event_id for e in quarantined if e.reason.startswith("dead-lettered")}
    retried = retry_quarantine(capsys)
    stack.drain(timeout=30)
    elapsed = time.monotonic() - started

    with capsys.disabled():
        print(
            f"\nfault injection (seed {SEED}): {faults.summary()}; CRM retries "
            f"{dict(crm.retries)}; quarantined {len(quarantined)} "
            f"({len(dead_lettered)} via the DLQ), retry answered {retried}; "
            f"{len(world.requests)} deliveries + {len(order) - len(world.requests)} "
            f"redeliveries in {elapsed:.1f}s"
        )

    # The faults happened, at the intended rate, in every service and in both ways.
    calls = sum(faults.calls.values())
    failed = sum(faults.before.values()) + sum(faults.after.values())
    assert calls > 2000, faults.summary()
    assert 0.8 * FAULT_RATE < failed / calls < 1.2 * FAULT_RATE, faults.summary()
    for service in FAULTED_SERVICES:
        assert faults.before[service] >= 5, (service, faults.summary())
        assert faults.after[service] >= 5, (service, faults.summary())
    assert sum(crm.retries.values()) > 0, "ingest saw faults: some deliveries were retried"

    # Both ways into the quarantine were taken, and its retry sent everything through again.
    doomed = {
        e.event.payload.interaction_id: e
        for e in quarantined
        if e.event is not None and isinstance(e.event.payload, InteractionEvent)
    }
    assert doomed.keys() >= OUTAGE | CRASH, sorted(doomed)
    for interaction_id in OUTAGE:
        entry = doomed[interaction_id]
        assert entry.reason.startswith(("failed on every one of", "dead-lettered")), entry
    for interaction_id in CRASH:
        assert doomed[interaction_id].event_id in dead_lettered, doomed[interaction_id]
    assert retried == {"requeued": len(quarantined), "left": 0}

    # Every delivery was answered 2xx, its redelivery with the same event ids.
    assert set(crm.answers) == set(range(len(world.requests)))
    for index, answers in crm.answers.items():
        assert all(ids == answers[0] for ids in answers), index
    accepted = [i for answers in crm.answers.values() for i in answers[0]]
    assert len(accepted) == len(set(accepted)), "distinct deliveries carry distinct events"
    expected_events = (
        len(world.people) + len(world.interactions) + 2 * len(world.deals) + len(world.leads)
    )
    assert len(accepted) == expected_events

    # 0 lost: every accepted event was applied (its marker is stored), and nothing else was.
    markers = stored_markers(stack)
    assert sorted(markers) == sorted(accepted)

    # Nothing left behind: quarantine, events queue and dead-letter queue are empty.
    assert list(store.entries(WORKSPACE)) == []
    assert list(store.entries("unknown")) == []
    assert queue_depth(stack, "EventsQueue") == 0
    assert queue_depth(stack, "EventsDeadLetterQueue") == 0

    # Every record stored once, under one identity per person, at its newest version.
    repo = record_repository(stack.name("RecordsTable"))
    stored = repo.records_in_window(WORKSPACE, EPOCH, FAR)
    contact_of: dict[str, str] = {}
    for sent_id, email in world.email_of.items():
        found = repo.contact_by_identifier(
            WORKSPACE, Identifier(kind=IdentifierKind.EMAIL, value=email)
        )
        assert found is not None, email
        assert found.name == world.people[sent_id].name
        contact_of[sent_id] = found.contact_id
    assert len(set(contact_of.values())) == len(world.people), "one contact per person"
    assert sorted(c.contact_id for c in stored.contacts) == sorted(contact_of.values())

    interactions = [i.interaction_id for i in stored.interactions]
    assert sorted(interactions) == sorted(world.interactions)
    for interaction in stored.interactions:
        assert interaction.contact_id == contact_of[world.interactions[interaction.interaction_id]]
    per_person = Counter(world.interactions.values())
    for sent_id, contact_id in contact_of.items():
        history = repo.interactions_of_contact(WORKSPACE, contact_id)
        assert len(history) == per_person[sent_id], sent_id

    assert sorted(d.deal_id for d in stored.deals) == sorted(world.deals)
    for deal in stored.deals:
        newest = world.deals[deal.deal_id]
        assert (deal.status, deal.stage, deal.amount) == (
            DealStatus.WON,
            "closedwon",
            newest.amount,
        ), deal.deal_id
        (sent_role,) = newest.contact_roles
        assert [r.contact_id for r in deal.contact_roles] == [contact_of[sent_role.contact_id]]
    assert sorted(lead.lead_id for lead in stored.leads) == sorted(world.leads)
