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
    """Create and queue a run, or return the existing one (re-queued only if it had failed)."""
    record = new_run(workspace, as_of or now.astimezone(UTC).date(), parameters, trigger="api",
                     now=now)  # fmt: skip
    stored, created = store.create_run(record)
    if created or stored.status is RunStatus.FAILED:
        queue.request(workspace, stored.run_id)
    return stored, created
