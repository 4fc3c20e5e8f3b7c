"""ReconcileFunction on the embedded stack, against the local HubSpot API: a change whose
webhook was lost arrives in the records, and the metric counts it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.hubspot import TOKEN, connection, iso, seed

from rel2rev.apply import RecordKind
from rel2rev.ingest.connections import Connection
from rel2rev.local import LocalStack
from rel2rev.local.hubspot_api import HubSpotApiServer
from rel2rev.money import Money
from rel2rev.records import Deal
from rel2rev.storage import record_repository

pytestmark = pytest.mark.integration

WORKSPACE = "rci"
SCHEDULE = json.loads(
    (Path(__file__).parents[2] / "events" / "functions" / "reconcile_schedule.json").read_text()
)


@pytest.fixture(scope="module")
def api() -> Iterator[HubSpotApiServer]:
    with HubSpotApiServer(seed(), token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def stack(api: HubSpotApiServer) -> Iterator[LocalStack]:
    with LocalStack(metrics=True) as local:
        local.connections.register(connection(api.url, workspace=WORKSPACE))
        local.connections.register(
            Connection(workspace=WORKSPACE, source="generic", signing_secret="g-secret")
        )
        yield local


def emitted(out: str, name: str) -> dict[str, float]:
    """`object_type -> value` of one metric in the EMF lines printed."""
    found: dict[str, float] = {}
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blob: dict[str, Any] = json.loads(line)
            if name in blob:
                value = blob[name]  # EMF: one value, or a list of them
                total = sum(value) if isinstance(value, list) else value
                found[str(blob.get("object_type", ""))] = float(total)
    return found


def test_a_change_whose_webhook_was_lost_arrives_and_is_counted(
    stack: LocalStack, api: HubSpotApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    first = stack.invoke("ReconcileFunction", SCHEDULE)
    stack.drain()
    (outcome,) = first["outcomes"]  # the generic connection reads no API
    assert (outcome["source"], outcome["status"]) == ("hubspot", "done")
    repository = record_repository(stack.name("RecordsTable"))
    deal = repository.get(WORKSPACE, RecordKind.DEAL, "hubspot:7001")
    assert isinstance(deal, Deal)
    assert deal.amount == Money.of("24000.00", "EUR")
    capsys.readouterr()

    api.modify("deals", "7001", iso(28), amount="31000.00")  # no webhook for it
    second = stack.invoke("ReconcileFunction", SCHEDULE)
    stack.drain()
    deal = repository.get(WORKSPACE, RecordKind.DEAL, "hubspot:7001")
    assert isinstance(deal, Deal)
    assert deal.amount == Money.of("31000.00", "EUR")
    missed = {t["object_type"]: t["missed"] for t in second["outcomes"][0]["types"]}
    assert missed["deals"] == 1
    assert sum(missed.values()) == 1
    out = capsys.readouterr().out
    assert emitted(out, "ReconciledMissed")["deals"] == 1
    assert emitted(out, "ReconciledObjects")["deals"] == 1
    assert emitted(out, "ReconcileFailures") == {"": 0}
    assert TOKEN not in out
