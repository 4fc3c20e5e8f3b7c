"""A run on files: the job's records, results and exports in folders (`rel2rev job`).

`DatasetReader` serves a folder of records (`rel2rev.dataset`) with the table's selection
(`rel2rev.window`); `FileCosts` serves the lines of a costs file; `FolderResults` and
`FolderExports` write the run record (`run.json`), the results (`results.json`, the
`RunResults` contract the API serves) and the export files into the output folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from rel2rev.records import WorkspaceRecords
from rel2rev.results.contracts import RunRecord, RunResults
from rel2rev.spend import CostLine
from rel2rev.window import window_for_run

RUN_FILE = "run.json"
RESULTS_FILE = "results.json"


class DatasetReader:
    """Records held in memory, read the way the records table is."""

    def __init__(self, records: WorkspaceRecords) -> None:
        self._records = records

    def records_for_run(
        self, workspace: str, start: datetime, end: datetime, lookback: timedelta
    ) -> WorkspaceRecords:
        """The records a run of [start, end) reads (`rel2rev.window.window_for_run`)."""
        del workspace  # one workspace per folder
        return window_for_run(self._records, start, end, lookback)


class FileCosts:
    """Cost lines held in memory (a costs file), read the way the results table serves them."""

    def __init__(self, lines: Sequence[CostLine]) -> None:
        self._lines = sorted(lines, key=lambda line: line.key)

    def lines(self, workspace: str, first: str, last: str) -> list[CostLine]:
        """The lines of months `first` to `last` (YYYY-MM, both included), in key order."""
        del workspace  # one workspace per file
        return [line for line in self._lines if first <= line.month <= last]


class FolderResults:
    """The run record and results as JSON files in a folder."""

    def __init__(self, out: Path) -> None:
        self._out = out

    def create_run(self, record: RunRecord) -> tuple[RunRecord, bool]:
        """A run on files always runs: the record as given."""
        return record, True

    def save_run(self, record: RunRecord) -> None:
        """Write `run.json`."""
        self._write(RUN_FILE, record.model_dump_json(indent=2))

    def save_results(self, results: RunResults) -> int:
        """Write `results.json`; 1 file."""
        self._write(RESULTS_FILE, results.model_dump_json())
        return 1

    def release_slot(self, workspace: str, run_id: str) -> None:
        """Runs on files hold no slot."""

    def runs_before(self, workspace: str, as_of: date, limit: int) -> list[RunRecord]:
        """A folder holds one run: there are none before it."""
        return []

    def _write(self, name: str, text: str) -> None:
        self._out.mkdir(parents=True, exist_ok=True)
        (self._out / name).write_text(text + "\n")


class FolderExports:
    """Export files under a folder."""

    def __init__(self, out: Path) -> None:
        self._out = out

    def upload(self, workspace: str, run_id: str, files: dict[str, bytes]) -> list[str]:
        """Write every file; their names, sorted."""
        for name, content in files.items():
            path = self._out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        return sorted(files)
