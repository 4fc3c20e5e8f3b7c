"""Requesting runs: idempotent on (workspace, as-of, parameters)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from rel2rev.errors import UnprocessableError
from rel2rev.job.results import RunParameters, RunRecord, RunStatus, Trigger, run_id_for
from rel2rev.storage.results import ResultsStore, RunRequests


def new_run(
    workspace: str,
    as_of: date,
    parameters: RunParameters,
    *,
    trigger: Trigger,
    now: datetime,
) -> RunRecord:
    """A queued run record for (workspace, as-of, parameters); the window ends with as-of."""
    if as_of > now.astimezone(UTC).date():
        raise UnprocessableError(
            "as_of lies in the future",
            details=[{"loc": ["body", "as_of"], "msg": "must be today or earlier"}],
        )
    window_end = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)
    return RunRecord(
        run_id=run_id_for(workspace, as_of, parameters),
        workspace=workspace,
        as_of=as_of,
        window_start=window_end - timedelta(days=parameters.window_days),
        window_end=window_end,
        parameters=parameters,
        trigger=trigger,
        created_at=now,
    )


def request_run(
    store: ResultsStore,
    queue: RunRequests,
    workspace: str,
    as_of: date | None,
    parameters: RunParameters,
    *,
    now: datetime,
) -> tuple[RunRecord, bool]:
    """Create and queue a run, or return the existing one (re-queued only if it had failed)."""
    record = new_run(workspace, as_of or now.astimezone(UTC).date(), parameters, trigger="api",
                     now=now)  # fmt: skip
    stored, created = store.create_run(record)
    if created or stored.status is RunStatus.FAILED:
        queue.request(workspace, stored.run_id)
    return stored, created
