"""`rel2rev job` on a simulated folder of records: every section runs, the files a reader
needs are written, and the published attribution ties out per currency and model."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from rel2rev.cli import main as cli
from rel2rev.results.contracts import RunResults


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("job")
    world = root / "world"
    simulate = ["simulate", "--accounts", "80", "--days", "200", "--end", "2026-10-31"]
    simulate += ["--workspace", "filesco", "--out", str(world), "--format", "parquet"]
    assert cli(simulate) == 0
    out = root / "out"
    assert cli(["job", "--input", str(world), "--as-of", "2026-10-31", "--out", str(out)]) == 0
    return out


def test_every_section_runs_and_every_file_is_written(run_dir: Path) -> None:
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "succeeded"
    assert record["workspace"] == "filesco"
    assert {s["status"] for s in record["sections"]} == {"ok"}
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert (run_dir / "report.html").stat().st_size > 10_000
    for table in manifest["tables"].values():
        assert (run_dir / table["csv"]).exists()
        assert (run_dir / table["parquet"]).exists()
    assert sorted(record["exports"]) == sorted(
        str(p.relative_to(run_dir))
        for p in run_dir.rglob("*")
        if p.is_file() and p.name not in {"run.json", "results.json"}
    )


def test_published_attribution_ties_out(run_dir: Path) -> None:
    results = RunResults.model_validate_json((run_dir / "results.json").read_text())
    attribution = results.attribution
    assert attribution is not None
    won = {m.currency: m.amount for m in attribution.won}
    assert won, "the simulated world wins deals in the window"
    credited: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in attribution.lines:
        credited[line.model, line.by, line.amount.currency] += line.amount.amount
    for gap in attribution.unattributed:
        if gap.amount is not None:
            credited[gap.model, gap.by, gap.amount.currency] += gap.amount.amount
    assert len({model for model, _, _ in credited}) == 14, "every model published"
    for (model, by, currency), total in credited.items():
        assert total == won[currency], (model, by)
