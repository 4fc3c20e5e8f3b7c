"""Requesting runs: idempotent on (workspace, as-of, parameters)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rel2rev.job.results import RunParameters, RunRecord, RunStatus, new_run
from rel2rev.storage.results import ResultsStore, RunRequests


def request_run(
    store: ResultsStore,
    queue: RunRequests,
    workspace: str,
    as_of: date | None,
    parameters: RunParameters,
    *,
    now: datetime,
) -> tuple[RunRecord, bool]:
    """Create and queue a run, or return the existing one; a failed run is queued again.

    Returns the run record and whether it was created by this request.
    """
    day = as_of or now.astimezone(UTC).date()
    record = new_run(workspace, day, parameters, trigger="api", now=now)
    stored, created = store.create_run(record)
    retry = not created and stored.status is RunStatus.FAILED
    if retry:
        stored = stored.model_copy(update={"status": RunStatus.QUEUED, "error": None})
        store.save_run(stored)
    if created or retry:
        queue.request(workspace, stored.run_id)
    return stored, created
