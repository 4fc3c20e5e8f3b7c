"""A world on disk: the records folder the analyst commands read, plus accounts and truth.

The records are written with `rel2rev.dataset` (`contacts`, `interactions`, `leads`, `deals`
as JSONL, CSV or Parquet), so `rel2rev funnel --input DIR` and friends read a simulated world
directly. Beside them: `accounts.jsonl` (the simulated companies and their CRMs) and
`ground_truth.json` (the planted effects, see `rel2rev.simulate.truth`) and `costs.csv`
(what the company spent per channel and month, see `rel2rev.simulate.costs`).
"""

from __future__ import annotations

from pathlib import Path

from rel2rev.dataset import Format, read_dataset, write_dataset
from rel2rev.records import WorkspaceRecords
from rel2rev.simulate.costs import cost_file_text, world_costs
from rel2rev.simulate.truth import GroundTruth
from rel2rev.simulate.world import World

ACCOUNTS_FILE = "accounts.jsonl"
TRUTH_FILE = "ground_truth.json"
COSTS_FILE = "costs.csv"


def write_world(world: World, directory: Path, *, fmt: Format = "jsonl") -> list[Path]:
    """Write the world's records, accounts, ground truth and costs into `directory`; return
    the files."""
    written = write_dataset(world.records, directory, fmt=fmt)
    accounts = directory / ACCOUNTS_FILE
    with accounts.open("w", encoding="utf-8") as handle:
        handle.writelines(a.model_dump_json() + "\n" for a in world.accounts)
    truth = directory / TRUTH_FILE
    truth.write_text(world.truth.model_dump_json(indent=2) + "\n", encoding="utf-8")
    costs = directory / COSTS_FILE
    costs.write_text(cost_file_text(world_costs(world)), encoding="utf-8")
    return [*written, accounts, truth, costs]


def read_records(directory: Path, workspace: str) -> WorkspaceRecords:
    """Read back the records `write_world` wrote (any of the dataset formats)."""
    return read_dataset(directory, workspace=workspace)


def read_truth(directory: Path) -> GroundTruth:
    """Read back `ground_truth.json`."""
    return GroundTruth.model_validate_json((directory / TRUTH_FILE).read_text(encoding="utf-8"))
