"""A world on disk: one JSONL file per record type plus `ground_truth.json`.

The layout is the records folder the analyst commands read: `contacts.jsonl`,
`interactions.jsonl`, `leads.jsonl`, `deals.jsonl` (one stored record per line, as JSON),
`accounts.jsonl` (the simulated companies) and `ground_truth.json`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from rel2rev.records import Contact, Deal, Interaction, Lead, WorkspaceRecords
from rel2rev.simulate.truth import GroundTruth
from rel2rev.simulate.world import World

RECORD_FILES = {
    "contacts": "contacts.jsonl",
    "interactions": "interactions.jsonl",
    "leads": "leads.jsonl",
    "deals": "deals.jsonl",
}
ACCOUNTS_FILE = "accounts.jsonl"
TRUTH_FILE = "ground_truth.json"

M = TypeVar("M", bound=BaseModel)


def _write_jsonl(path: Path, rows: Iterable[BaseModel]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(row.model_dump_json(exclude_none=True))
            handle.write("\n")


def write_world(world: World, directory: Path) -> list[Path]:
    """Write the world's records, accounts and ground truth into `directory`; return the files."""
    directory.mkdir(parents=True, exist_ok=True)
    records = world.records
    written: list[Path] = []
    for field, name in RECORD_FILES.items():
        path = directory / name
        _write_jsonl(path, getattr(records, field))
        written.append(path)
    _write_jsonl(directory / ACCOUNTS_FILE, world.accounts)
    truth = directory / TRUTH_FILE
    truth.write_text(world.truth.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return [*written, directory / ACCOUNTS_FILE, truth]


def _read_jsonl(path: Path, model: type[M]) -> list[M]:
    with path.open(encoding="utf-8") as handle:
        return [model.model_validate_json(line) for line in handle if line.strip()]


def read_records(directory: Path, workspace: str) -> WorkspaceRecords:
    """Read back the records `write_world` wrote."""
    return WorkspaceRecords(
        workspace=workspace,
        contacts=_read_jsonl(directory / RECORD_FILES["contacts"], Contact),
        interactions=_read_jsonl(directory / RECORD_FILES["interactions"], Interaction),
        leads=_read_jsonl(directory / RECORD_FILES["leads"], Lead),
        deals=_read_jsonl(directory / RECORD_FILES["deals"], Deal),
    )


def read_truth(directory: Path) -> GroundTruth:
    """Read back `ground_truth.json`."""
    return GroundTruth.model_validate_json((directory / TRUTH_FILE).read_text(encoding="utf-8"))
