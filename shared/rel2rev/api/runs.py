"""Requesting runs: idempotent on (workspace, as-of, parameters), one in flight per workspace."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rel2rev.errors import ConflictError, NotFoundError
from rel2rev.results.contracts import RunParameters, RunRecord, RunStatus, new_run
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

    A workspace has at most one requested run queued or running: asking for another while one
    is in flight is a `ConflictError` (409) naming it (asking for the same run again returns
    it). The job frees the slot when the run ends (`SLOT_HOLD` at most). Returns the run record
    and whether it was created by this request.
    """
    day = as_of or now.astimezone(UTC).date()
    record = new_run(workspace, day, parameters, trigger="api", now=now)
    try:
        stored: RunRecord | None = store.get_run(workspace, record.run_id)
    except NotFoundError:
        stored = None
    if stored is not None and stored.status is not RunStatus.FAILED:
        return stored, False
    holder = store.claim_slot(workspace, record.run_id, now)
    if holder is not None:
        raise ConflictError(
            f"run {holder} of workspace {workspace!r} is queued or running; request another "
            "run when it has finished",
            details=[{"loc": ["body"], "msg": f"in flight: {holder}"}],
        )
    if stored is None:
        stored, created = store.create_run(record)
    else:
        stored, created = (
            stored.model_copy(update={"status": RunStatus.QUEUED, "error": None}),
            False,
        )
        store.save_run(stored)
    queue.request(workspace, stored.run_id)
    return stored, created
