"""The job's records for big workspaces: read from a point-in-time export, not paged queries.

Paging a workspace out of the records table costs read capacity and one round trip per
megabyte; a point-in-time export costs no read capacity, is one consistent snapshot, and
is written by DynamoDB itself to S3 (docs/engine.md, "Reading a big workspace"). One export
a day serves every workspace's run that day: each run starts it with the same client token,
so DynamoDB answers with the export already started (`TableExports.items` reads one export
of a prefix, never two).
`ReaderChoice` sends the workspaces named in `REL2REV_EXPORT_WORKSPACES` (or all, `*`)
this way and the others through queries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from rel2rev.records import WorkspaceRecords
from rel2rev.storage.table_export import TableExports, records_of_export
from rel2rev.window import RecordsReader, window_for_run

EXPORT_PREFIX = "table-exports"
"""Where the exports go in the exports bucket (expired by the bucket's lifecycle rule)."""


class ExportReader:
    """A run's records from the day's export of the records table."""

    def __init__(
        self,
        exports: TableExports,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeout: float = 3600,
        poll: float = 10,
    ) -> None:
        self._exports = exports
        self._clock = clock
        self._timeout = timeout
        self._poll = poll

    def records_for_run(
        self, workspace: str, start: datetime, end: datetime, lookback: timedelta
    ) -> WorkspaceRecords:
        """The records of [start, end) with their lookback (`rel2rev.window.window_for_run`),
        from today's export (started, or joined, now)."""
        day = self._clock().astimezone(UTC).date().isoformat()
        prefix = f"{EXPORT_PREFIX}/{day}"
        arn = self._exports.start(prefix, token=f"rel2rev-records-{day}")
        self._exports.wait(arn, timeout=self._timeout, poll=self._poll)
        records = records_of_export(self._exports.items(prefix), workspace)
        return window_for_run(records, start, end, lookback)


class ReaderChoice:
    """Exports for the workspaces in `exported` (`*`: every one), queries for the others."""

    def __init__(
        self, query: RecordsReader, export: RecordsReader, exported: frozenset[str]
    ) -> None:
        self._query = query
        self._export = export
        self._exported = exported

    def reads_export(self, workspace: str) -> bool:
        """True when `workspace`'s runs read the export."""
        return "*" in self._exported or workspace in self._exported

    def records_for_run(
        self, workspace: str, start: datetime, end: datetime, lookback: timedelta
    ) -> WorkspaceRecords:
        """The records of the run, from the export or from queries."""
        reader = self._export if self.reads_export(workspace) else self._query
        return reader.records_for_run(workspace, start, end, lookback)


def workspace_set(text: str) -> frozenset[str]:
    """The workspaces of a comma-separated setting (`*` for all; blanks ignored)."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())
