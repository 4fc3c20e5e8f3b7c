"""`rel2rev simulate` writes the records folder and the ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rel2rev.cli import main
from rel2rev.simulate import read_records, read_truth


def test_simulate_writes_the_world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "world"
    flags = ["--seed", "3", "--accounts", "15", "--end", "2026-03-01", "--format", "csv"]
    code = main(["simulate", *flags, "--out", str(out)])
    assert code == 0
    assert "world seed 3" in capsys.readouterr().out
    truth = read_truth(out)
    records = read_records(out, "demo")
    assert truth.counts.interactions == len(records.interactions) > 0
    assert truth.end.isoformat() == "2026-03-01T00:00:00+00:00"
    assert json.loads((out / "ground_truth.json").read_text())["seed"] == 3
    assert (out / "interactions.csv").is_file()
    lines = (out / "accounts.jsonl").read_text().splitlines()
    assert len(lines) == 16  # fifteen companies and the seller itself


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--accounts", "0"], "--accounts"), (["--workspace", "Bad Name!"], "--workspace")],
)
def test_bad_flags_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    assert main(["simulate", *flags, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
