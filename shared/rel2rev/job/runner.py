"""Execute a run against storage: read the window, compute, export, store, record status.

`execute_run` is what the Lambda handler, `rel2rev run` and the tests call. Storage comes in
as small objects (records reader, results store, export files), so the same code runs on AWS,
on the embedded moto stack and in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from time import perf_counter
from typing import Protocol

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from rel2rev.engine.backends import EngineName
from rel2rev.job.compute import Sections, compute_results
from rel2rev.results.contracts import (
    RunParameters,
    RunRecord,
    RunResults,
    RunStatus,
    Trigger,
    new_run,
)
from rel2rev.results.headline import trend_runs
from rel2rev.spend import CostLine, months_between
from rel2rev.window import RecordsReader

logger = Logger(service="rel2rev", child=True)
metrics = Metrics()
Exporter = Callable[[RunResults], dict[str, bytes]]
HISTORY_READ = 100
"""Earlier run records read for the trend (several may share an as-of)."""


class RunStore(Protocol):
    """Where run records and results go (the results table; a folder for `rel2rev job`)."""

    def create_run(self, record: RunRecord) -> tuple[RunRecord, bool]: ...

    def save_run(self, record: RunRecord) -> None: ...

    def save_results(self, results: RunResults) -> int: ...

    def release_slot(self, workspace: str, run_id: str) -> None: ...

    def runs_before(self, workspace: str, as_of: date, limit: int) -> list[RunRecord]:
        """Up to `limit` of the workspace's runs with an earlier as-of, latest first."""
        ...


class CostReader(Protocol):
    """Where a run reads the workspace's cost lines (the results table; a file for `rel2rev
    job`)."""

    def lines(self, workspace: str, first: str, last: str) -> Sequence[CostLine]: ...


class ExportSink(Protocol):
    """Where export files go (the exports bucket; a folder for `rel2rev job`)."""

    def upload(self, workspace: str, run_id: str, files: dict[str, bytes]) -> list[str]: ...


def _now() -> datetime:
    return datetime.now(UTC)


def execute_run(
    run: RunRecord,
    *,
    records: RecordsReader,
    store: RunStore,
    files: ExportSink,
    exporter: Exporter,
    engine_name: EngineName = "duckdb",
    costs: CostReader | None = None,
) -> RunRecord:
    """Run `run` to the end and store everything; returns the final run record.

    `costs` (when given) supplies the cost lines of the spend period for the returns section.

    Reading the window or storing results failing fails the run (status `failed`, `error`
    set); a model section failing only marks that section (status `partial`).
    """
    started = run.model_copy(
        update={"status": RunStatus.RUNNING, "started_at": _now(), "error": None}
    )
    store.save_run(started)
    logger.info("run started", run_id=run.run_id, workspace=run.workspace, as_of=str(run.as_of))
    clock = perf_counter()
    try:
        lookback = timedelta(days=run.parameters.lookback_days)
        window = records.records_for_run(run.workspace, run.window_start, run.window_end, lookback)
        logger.info(
            "window read",
            run_id=run.run_id,
            seconds=round(perf_counter() - clock, 3),
            interactions=len(window.interactions),
            deals=len(window.deals),
        )
        spend = _cost_lines(costs, run) if costs is not None else ()
        sections = Sections(run.run_id)
        results = compute_results(
            window, started, sections=sections, engine_name=engine_name, costs=spend
        )
        earlier = store.runs_before(run.workspace, run.as_of, HISTORY_READ)
        results = results.model_copy(update={"history": trend_runs(earlier, run)})
        exported = sections.run(
            "exports",
            lambda: files.upload(run.workspace, run.run_id, exporter(results)),
        )
        final = results.run.model_copy(
            update={
                "sections": list(sections.outcomes),
                "exports": exported or [],
                "status": RunStatus.PARTIAL if sections.failed else RunStatus.SUCCEEDED,
                "finished_at": _now(),
            }
        )
        store.save_results(results.model_copy(update={"run": final}))
    except Exception as exc:  # the run record must say why a run died
        logger.exception("run failed", run_id=run.run_id)
        final = started.model_copy(
            update={
                "status": RunStatus.FAILED,
                "finished_at": _now(),
                "error": f"{type(exc).__name__}: {exc}",
            }
        )
    store.save_run(final)
    store.release_slot(run.workspace, run.run_id)
    outcome = f"Runs{final.status.value.capitalize()}"
    metrics.add_metric(name=outcome, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="RunSeconds", unit=MetricUnit.Seconds, value=perf_counter() - clock)
    logger.info("run finished", run_id=run.run_id, status=final.status.value, seconds=final.seconds)
    return final


def _cost_lines(costs: CostReader, run: RunRecord) -> Sequence[CostLine]:
    """The cost lines of the run's spend period (the lookback before the window, the window)."""
    lookback = timedelta(days=run.parameters.lookback_days)
    months = months_between(run.window_start - lookback, run.window_end - timedelta.resolution)
    return costs.lines(run.workspace, months[0], months[-1])


def run_now(
    workspace: str,
    as_of: date,
    parameters: RunParameters,
    *,
    trigger: Trigger,
    records: RecordsReader,
    store: RunStore,
    files: ExportSink,
    exporter: Exporter,
    engine_name: EngineName = "duckdb",
    costs: CostReader | None = None,
) -> RunRecord:
    """Create (idempotently) and execute the run of (workspace, as-of, parameters).

    A run that already succeeded is returned as it is; a new, queued or failed one runs.
    """
    requested = new_run(workspace, as_of, parameters, trigger=trigger, now=_now())
    record, _ = store.create_run(requested)
    if record.status in {RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.RUNNING}:
        logger.info("run exists", run_id=record.run_id, status=record.status.value)
        return record
    return execute_run(
        record,
        records=records,
        store=store,
        files=files,
        exporter=exporter,
        engine_name=engine_name,
        costs=costs,
    )
