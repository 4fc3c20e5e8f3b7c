"""A small version of `make demo`, end to end through the local HTTP gateway.

A seeded world is delivered as native signed webhooks of every source (with redeliveries and
stale updates) plus a `rel2rev import` backfill, the job runs from the scheduler's event,
finance pulls every deal's credit lines with an API key, and the exports land on disk.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pydantic import SecretStr
from rich.console import Console

from rel2rev.cli import main
from rel2rev.demo.flow import DemoConfig, DemoFlow, DemoResult
from rel2rev.demo.summary import print_summary
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import generic_event
from rel2rev.local import LocalStack
from rel2rev.records import DealStatus
from rel2rev.results.contracts import RunStatus
from rel2rev.simulate import WorldConfig, simulate_world
from rel2rev.storage import record_repository

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str]:
    out = tmp_path_factory.mktemp("demo") / "out"
    console = Console(file=io.StringIO(), width=200)
    config = DemoConfig(out=out, seed=4, accounts=12, days=150, workers=4)
    result = DemoFlow(config, console).run()
    print_summary(result, console)
    assert isinstance(console.file, io.StringIO)
    return result, " ".join(console.file.getvalue().split())


def test_every_deal_reconciles_to_the_cent(demo: tuple[DemoResult, str]) -> None:
    result, _ = demo
    check = result.reconciliation
    assert check is not None
    assert check.ok, (check.problems, check.missing)
    won = [d for d in result.world.records.deals if d.status is DealStatus.WON]
    assert check.deals == len(won) > 0
    assert {"linear", "markov", "shapley", "additive_hazard"} <= check.models
    assert check.checks >= check.deals * len(check.models)


def test_redeliveries_and_stale_updates_change_nothing(demo: tuple[DemoResult, str]) -> None:
    result, _ = demo
    assert result.delivered is not None
    assert result.stale is not None
    assert result.stale.requests > 0
    run = result.run
    assert run is not None
    assert run.status in {RunStatus.SUCCEEDED, RunStatus.PARTIAL}
    world = result.world.truth.counts
    assert run.counts.interactions == world.interactions
    assert run.counts.contacts == world.contacts
    assert run.counts.won_deals == world.deals_won
    # The stale versions carried lower quotes; finance saw the booked amounts (reconciled).


def test_exports_and_report_are_written(demo: tuple[DemoResult, str]) -> None:
    result, summary = demo
    assert result.report is not None
    html = result.report.read_text(encoding="utf-8")
    assert "<svg" in html
    names = {p.name for p in result.files}
    assert "report.html" in names
    csvs = [p for p in result.files if p.suffix == ".csv"]
    parquets = [p for p in result.files if p.suffix == ".parquet"]
    assert csvs
    assert parquets
    for path in csvs:
        with path.open(newline="", encoding="utf-8") as handle:
            assert next(csv.reader(handle))  # a header row
    for path in parquets:
        assert pq.read_table(path).num_columns > 0
    out = result.report.parent
    assert (out / "world" / "ground_truth.json").is_file()
    assert (out / "world" / "backfill.jsonl").stat().st_size > 0
    assert json.loads((out / "recovery.json").read_text())["markov"]["max_error_pp"] >= 0
    assert "every deal reconciles to the cent" in summary
    assert "Recovery of the planted channel effects" in summary
    assert str(Path(result.report).resolve()) in summary


def test_import_direct_goes_through_the_ingest_logic_once(tmp_path: Path) -> None:
    """`rel2rev import --direct` stores each row once, however often the file is imported."""
    world = simulate_world(WorldConfig(seed=2, accounts=4, days=60))
    contacts = {c.contact_id: c for c in world.records.contacts}
    backfill = tmp_path / "backfill.jsonl"
    backfill.write_text(
        "".join(json.dumps(generic_event(i, contacts)) + "\n" for i in world.records.interactions)
    )
    with LocalStack() as stack:
        stack.connections.register(
            Connection(workspace="demo", source="generic", signing_secret=SecretStr("s3cret"))
        )
        for _ in range(2):
            assert main(["import", str(backfill), "--workspace", "demo", "--direct"]) == 0
        stack.drain(timeout=300)
        stored = record_repository(stack.name("RecordsTable")).records_in_window(
            "demo", world.truth.start - timedelta(days=1), world.truth.end + timedelta(days=1)
        )
    assert len(stored.interactions) == len(world.records.interactions)
    assert {i.channel for i in stored.interactions} == {
        i.channel for i in world.records.interactions
    }


def test_hubspot_history_came_through_its_api_client(demo: tuple[DemoResult, str]) -> None:
    result, summary = demo
    history = result.plan.api["hubspot"]
    read = len(history.contacts) + len(history.deals) + len(history.interactions)
    assert result.api_objects == read > 0
    assert result.api_events > result.api_objects  # stage and lifecycle history entries too
    assert f"Read {read} HubSpot objects" in summary
