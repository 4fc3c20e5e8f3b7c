"""`execute_run` / `run_now` against moto: stored results, exports, failure modes, idempotency."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from rel2rev.exports import write_exports
from rel2rev.job.runner import execute_run, run_now
from rel2rev.local.template import TemplateModel
from rel2rev.records import WorkspaceRecords
from rel2rev.results.contracts import RunParameters, RunResults, RunStatus, SectionStatus, new_run
from rel2rev.simulate.world import WorldConfig, simulate_world
from rel2rev.storage.results import RESULTS_RETENTION, ExportFiles, ResultsStore

END = datetime(2026, 6, 1, tzinfo=UTC)
PARAMETERS = RunParameters(models=("linear",), attribution_by=("channel",))


class InMemoryRecords:
    """The job's records port over a fixed world (counts how often the window is read)."""

    def __init__(self, records: WorkspaceRecords | None) -> None:
        self.records = records
        self.reads = 0

    def records_for_run(
        self, workspace: str, start: datetime, end: datetime, lookback: timedelta
    ) -> WorkspaceRecords:
        self.reads += 1
        if self.records is None:
            raise ConnectionError("records table unreachable")
        return self.records


@pytest.fixture(scope="module")
def world() -> WorkspaceRecords:
    return simulate_world(
        WorldConfig(seed=3, workspace="acme", accounts=10, days=60, end=END)
    ).records


@pytest.fixture
def stores(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ResultsStore, ExportFiles]]:
    props = TemplateModel().resources["ResultsTable"]["Properties"]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName="results",
            AttributeDefinitions=props["AttributeDefinitions"],
            KeySchema=props["KeySchema"],
            GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
            BillingMode=props["BillingMode"],
        )
        boto3.client("s3").create_bucket(Bucket="exports")
        table = boto3.resource("dynamodb").Table("results")
        yield ResultsStore(table), ExportFiles(boto3.client("s3"), "exports")


def _run(store: ResultsStore) -> object:
    record = new_run("acme", date(2026, 5, 31), PARAMETERS, trigger="cli", now=END)
    return store.create_run(record)[0]


def test_a_run_stores_results_and_uploads_exports(
    world: WorkspaceRecords, stores: tuple[ResultsStore, ExportFiles]
) -> None:
    store, files = stores
    final = execute_run(
        _run(store), records=InMemoryRecords(world), store=store, files=files,  # type: ignore[arg-type]
        exporter=write_exports,
    )  # fmt: skip
    assert final.status is RunStatus.SUCCEEDED
    assert final.started_at is not None
    assert final.finished_at is not None
    assert store.get_run("acme", final.run_id) == final
    exports = final.section("exports")
    assert exports is not None
    assert exports.status is SectionStatus.OK
    listed = boto3.client("s3").list_objects_v2(Bucket="exports", Prefix="exports/acme/")
    prefix = f"exports/acme/{final.run_id}/"
    keys = sorted(o["Key"].removeprefix(prefix) for o in listed["Contents"])
    assert keys == final.exports
    assert "report.html" in keys
    assert store.funnel("acme", final.run_id).rows
    assert store.attribution("acme", final.run_id).models == ["linear"]
    assert store.latest_run("acme").run_id == final.run_id


def test_an_unreadable_window_fails_the_run_with_its_reason(
    stores: tuple[ResultsStore, ExportFiles],
) -> None:
    store, files = stores
    final = execute_run(
        _run(store), records=InMemoryRecords(None), store=store, files=files,  # type: ignore[arg-type]
        exporter=write_exports,
    )  # fmt: skip
    assert final.status is RunStatus.FAILED
    assert final.error == "ConnectionError: records table unreachable"
    assert store.get_run("acme", final.run_id).status is RunStatus.FAILED


def test_a_failing_exporter_only_marks_the_exports_section(
    world: WorkspaceRecords, stores: tuple[ResultsStore, ExportFiles]
) -> None:
    store, files = stores

    def broken(_: RunResults) -> dict[str, bytes]:
        raise RuntimeError("disk full")

    final = execute_run(
        _run(store), records=InMemoryRecords(world), store=store, files=files,  # type: ignore[arg-type]
        exporter=broken,
    )  # fmt: skip
    assert final.status is RunStatus.PARTIAL
    exports = final.section("exports")
    assert exports is not None
    assert exports.error == "RuntimeError: disk full"
    assert final.exports == []
    assert store.attribution("acme", final.run_id).lines == []  # lines live in deal items
    assert store.deal_pages("acme", final.run_id, start=None, end=None, limit=5)[0]


def test_run_now_runs_once(
    world: WorkspaceRecords, stores: tuple[ResultsStore, ExportFiles]
) -> None:
    store, files = stores
    records = InMemoryRecords(world)
    first = run_now("acme", date(2026, 5, 31), PARAMETERS, trigger="schedule", records=records,
                    store=store, files=files, exporter=write_exports)  # fmt: skip
    again = run_now("acme", date(2026, 5, 31), PARAMETERS, trigger="schedule", records=records,
                    store=store, files=files, exporter=write_exports)  # fmt: skip
    assert first.status is RunStatus.SUCCEEDED
    assert again == first
    assert records.reads == 1


def test_result_items_expire_but_run_records_do_not(
    world: WorkspaceRecords, stores: tuple[ResultsStore, ExportFiles]
) -> None:
    store, files = stores
    final = execute_run(
        _run(store), records=InMemoryRecords(world), store=store, files=files,  # type: ignore[arg-type]
        exporter=write_exports,
    )  # fmt: skip
    items = boto3.resource("dynamodb").Table("results").scan()["Items"]
    results = [i for i in items if str(i["pk"]).startswith("RESULT#")]
    runs = [i for i in items if str(i["sk"]).startswith("RUN#")]
    expected = int((final.created_at + RESULTS_RETENTION).timestamp())
    assert results
    assert {int(i["expires_at"]) for i in results} == {expected}
    assert all("expires_at" not in i for i in runs)


def test_a_later_run_carries_the_earlier_runs_headlines_for_its_trend(
    world: WorkspaceRecords, stores: tuple[ResultsStore, ExportFiles]
) -> None:
    store, files = stores
    exported: list[RunResults] = []

    def exporter(results: RunResults) -> dict[str, bytes]:
        exported.append(results)
        return write_exports(results)

    days = (date(2026, 5, 17), date(2026, 5, 24), date(2026, 5, 31))
    finals = [
        run_now("acme", day, PARAMETERS, trigger="schedule", records=InMemoryRecords(world),
                store=store, files=files, exporter=exporter)
        for day in days
    ]  # fmt: skip
    assert all(f.headline is not None for f in finals)
    assert [r.history for r in exported[:1]] == [[]]
    last = exported[-1]
    assert [r.run_id for r in last.history] == [f.run_id for f in finals[:2]]
    assert [r.headline for r in last.history] == [f.headline for f in finals[:2]]
    headline = last.run.headline
    assert headline is not None
    assert headline.model == "linear"
    assert last.attribution is not None
    assert sorted((c.value, str(c.amount)) for c in headline.channels) == sorted(
        (t.value, str(t.amount)) for t in last.attribution.totals if t.by == "channel"
    )
