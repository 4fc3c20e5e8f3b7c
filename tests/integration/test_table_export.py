"""Export -> job on the embedded stack: a workspace read from a point-in-time export of the
records table (DynamoDB JSON in S3, as `ExportTableToPointInTime` writes it) gives the job
exactly what paging the table gives it, and the same results to the cent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from rel2rev.exports import write_exports
from rel2rev.ingest.connections import Connection
from rel2rev.ingest.native import build_requests
from rel2rev.job.folder import RESULTS_FILE, DatasetReader, FolderExports, FolderResults
from rel2rev.job.root import job_root
from rel2rev.job.runner import execute_run
from rel2rev.records import WorkspaceRecords
from rel2rev.results.contracts import RunParameters, RunResults, new_run
from rel2rev.simulate.world import WorldConfig, simulate_world
from rel2rev.storage import record_repository
from rel2rev.storage.export_reader import ReaderChoice
from rel2rev.storage.table_export import TableExports, records_of_export
from rel2rev.window import RecordsReader, window_for_run

pytestmark = pytest.mark.integration

WS = "exported"
AS_OF = date(2026, 10, 31)
END = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> Any:
    connection = Connection(workspace=WS, source="generic", signing_secret="export-secret")
    local_stack.connections.register(connection)
    world = simulate_world(WorldConfig(seed=5, workspace=WS, accounts=12, days=150, end=END))
    for request in build_requests(
        "generic", connection, world.records, now=datetime.now(UTC), base_url=local_stack.api_url
    ):
        answer = requests.request(
            request.method, request.url, headers=request.headers, data=request.body, timeout=30
        )
        assert answer.status_code == 202, answer.text
    local_stack.drain(timeout=120)
    return local_stack


@pytest.fixture(scope="module")
def exports(stack: Any) -> TableExports:
    """Exports of the embedded stack's records table into its exports bucket."""
    table = stack.client("dynamodb").describe_table(TableName=stack.name("RecordsTable"))
    return TableExports(
        stack.client("dynamodb"),
        stack.client("s3"),
        table["Table"]["TableArn"],
        stack.name("ExportsBucket"),
    )


@pytest.fixture(scope="module")
def exported(exports: TableExports) -> WorkspaceRecords:
    arn = exports.start("table-exports/test")
    exports.wait(arn, timeout=60, poll=0.1)
    return records_of_export(exports.items("table-exports/test"), WS)


def _ids(records: WorkspaceRecords) -> tuple[set[str], ...]:
    return (
        {c.contact_id for c in records.contacts},
        {i.interaction_id for i in records.interactions},
        {lead.lead_id for lead in records.leads},
        {d.deal_id for d in records.deals},
    )


def test_the_export_holds_the_workspace_as_the_table_serves_it(
    stack: Any, exported: WorkspaceRecords
) -> None:
    repo = record_repository(stack.name("RecordsTable"))
    everything = repo.records_in_window(
        WS, datetime(1970, 1, 1, tzinfo=UTC), datetime(2099, 12, 31, tzinfo=UTC)
    )
    assert _ids(exported) == _ids(everything)
    assert all(_ids(exported)), "contacts, interactions, leads and deals"
    for days, lookback in ((30, 0), (90, 30), (365, 90)):
        start = END - timedelta(days=days)
        table = repo.records_for_run(WS, start, END, timedelta(days=lookback))
        files = window_for_run(exported, start, END, timedelta(days=lookback))
        assert _ids(files) == _ids(table)


def _run(records: RecordsReader, out: Path) -> RunResults:
    run = new_run(WS, AS_OF, RunParameters(), trigger="cli", now=datetime.now(UTC))
    final = execute_run(
        run,
        records=records,
        store=FolderResults(out),
        files=FolderExports(out),
        exporter=lambda results: write_exports(results, report=False),
    )
    assert final.status.value == "succeeded", final.error
    return RunResults.model_validate_json((out / RESULTS_FILE).read_text())


def test_the_job_on_the_export_gives_the_job_on_the_table_to_the_cent(
    stack: Any, exported: WorkspaceRecords, tmp_path: Path
) -> None:
    on_table = _run(record_repository(stack.name("RecordsTable")), tmp_path / "table")
    on_export = _run(DatasetReader(exported), tmp_path / "export")
    assert on_table.attribution is not None
    assert on_table.attribution.won, "the world wins deals in the window"
    assert on_export.attribution == on_table.attribution
    assert on_export.funnel == on_table.funnel
    assert on_export.survival == on_table.survival
    assert on_export.relationships == on_table.relationships


def test_the_deployed_job_reads_named_workspaces_from_the_days_export(
    stack: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`REL2REV_EXPORT_WORKSPACES` sends a workspace's runs to the day's export (started once,
    joined by later runs, its own files only); the others keep querying the table."""
    monkeypatch.setenv("REL2REV_EXPORT_WORKSPACES", f"{WS}, other")
    job_root.cache_clear()
    try:
        reader = job_root().records
    finally:
        job_root.cache_clear()
    assert isinstance(reader, ReaderChoice)
    assert reader.reads_export(WS)
    assert not reader.reads_export("someone-else")
    on_export = _run(reader, tmp_path / "export")
    on_table = _run(record_repository(stack.name("RecordsTable")), tmp_path / "table")
    assert on_export.attribution == on_table.attribution
    assert on_export.funnel == on_table.funnel
    bucket = stack.name("ExportsBucket")
    listed = stack.client("s3").list_objects_v2(Bucket=bucket, Prefix="table-exports/")
    days = {entry["Key"].split("/")[1] for entry in listed.get("Contents", [])}
    assert datetime.now(UTC).date().isoformat() in days


def test_an_export_is_read_alone_when_its_prefix_holds_two(exports: TableExports) -> None:
    exports.wait(exports.start("table-exports/once"), timeout=60, poll=0.1)
    for _ in range(2):
        exports.wait(exports.start("table-exports/twice"), timeout=60, poll=0.1)
    once = list(exports.items("table-exports/once"))
    assert once
    assert sorted(map(str, exports.items("table-exports/twice"))) == sorted(map(str, once))
