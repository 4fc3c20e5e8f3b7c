"""The job's composition roots: what a run reads from and writes to, built in one place.

`job_root()` is the deployed job's (records table, or its daily export for the workspaces
named in `REL2REV_EXPORT_WORKSPACES`; results table; exports bucket): the ModelJobFunction
handler and `rel2rev run` both run through it. `folder_root()` is the same
job on a folder of records (`rel2rev job`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from rel2rev.engine.backends import EngineName
from rel2rev.exports import write_exports
from rel2rev.job.folder import DatasetReader, FileCosts, FolderExports, FolderResults
from rel2rev.job.runner import (
    CostReader,
    Exporter,
    ExportSink,
    RunStore,
    execute_run,
    run_now,
)
from rel2rev.records import WorkspaceRecords
from rel2rev.results.contracts import RunParameters, RunRecord, Trigger
from rel2rev.spend import CostLine
from rel2rev.storage import record_repository
from rel2rev.storage.clients import dynamodb_client, s3_client
from rel2rev.storage.costs import cost_store
from rel2rev.storage.export_reader import ExportReader, ReaderChoice, workspace_set
from rel2rev.storage.results import JobSettings, export_files, results_store
from rel2rev.storage.table_export import TableExports
from rel2rev.window import RecordsReader


@dataclass(frozen=True)
class JobRoot:
    """Where a run reads its records and puts its results and exports."""

    records: RecordsReader
    store: RunStore
    files: ExportSink
    exporter: Exporter = write_exports
    engine: EngineName = "duckdb"
    costs: CostReader | None = None

    def execute(self, run: RunRecord) -> RunRecord:
        """Run `run` to the end (`rel2rev.job.runner.execute_run`)."""
        return execute_run(
            run,
            records=self.records,
            store=self.store,
            files=self.files,
            exporter=self.exporter,
            engine_name=self.engine,
            costs=self.costs,
        )

    def run_now(
        self, workspace: str, as_of: date, parameters: RunParameters, trigger: Trigger
    ) -> RunRecord:
        """Create (idempotently) and run (`rel2rev.job.runner.run_now`)."""
        return run_now(
            workspace,
            as_of,
            parameters,
            trigger=trigger,
            records=self.records,
            store=self.store,
            files=self.files,
            exporter=self.exporter,
            engine_name=self.engine,
            costs=self.costs,
        )


@cache
def job_root() -> JobRoot:
    """The deployed job's root, from its environment (`REL2REV_TABLE_NAME`,
    `REL2REV_RESULTS_TABLE` (results and costs), `REL2REV_EXPORTS_BUCKET`)."""
    settings = JobSettings()  # type: ignore[call-arg]
    records: RecordsReader = record_repository(settings.table_name)
    exported = workspace_set(settings.export_workspaces)
    if exported:
        exports = TableExports(
            dynamodb_client(), s3_client(), settings.table_arn, settings.exports_bucket
        )
        records = ReaderChoice(records, ExportReader(exports), exported)
    return JobRoot(records, results_store(), export_files(), costs=cost_store())


def folder_root(
    records: WorkspaceRecords,
    out: Path,
    engine: EngineName = "duckdb",
    costs: Sequence[CostLine] = (),
) -> JobRoot:
    """The job on records (and cost lines) held in memory, writing into `out`, its journeys
    built by `engine`."""
    return JobRoot(
        DatasetReader(records),
        FolderResults(out),
        FolderExports(out),
        engine=engine,
        costs=FileCosts(costs),
    )
