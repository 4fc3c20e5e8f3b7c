"""`rel2rev attribute`: an amount without a currency needs `--currency`; no silent USD."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rel2rev.cli import main

FIX = "pass --currency XXX (an ISO 4217 code, e.g. --currency EUR)"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["attribute", *argv, "--model", "first"])
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize(
    ("name", "text", "fmt", "field"),
    [
        ("t.csv", "journey_id,ts,channel,revenue\nd1,2026-01-01,email,10.00\n", "touches",
         "revenue"),
        ("p.csv", "path,total_conversions,total_conversion_value\na > b,2,30.00\n", "paths",
         "total_conversion_value"),
        ("t.jsonl", '{"journey_id": "d1", "ts": "2026-01-01", "channel": "a", "revenue": "5"}\n',
         "touches", "revenue"),
    ],
)  # fmt: skip
def test_amounts_without_a_currency_column_need_currency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, fmt: str, field: str
) -> None:
    source = write(tmp_path, name, text)
    code, err = run(capsys, "--input", str(source), "--format", fmt)
    assert code == 2
    assert err == (
        f"rel2rev attribute: {source}: row 1, field {field}: an amount without a currency (the "
        f"file has no currency column): add a currency column or {FIX}"
    )
    out = tmp_path / "out.json"
    code, err = run(capsys, "--input", str(source), "--format", fmt, "--currency", "eur",
                    "--out", str(out))  # fmt: skip
    assert (code, err) == (0, "")
    assert list(json.loads(out.read_text())["won"]) == ["EUR"]


def test_an_empty_currency_cell_needs_currency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "journey_id,ts,channel,revenue,currency\nd1,2026-01-01,a,10.00,EUR\nd2,2026-01-01,b,5,\n"
    source = write(tmp_path, "t.csv", text)
    code, err = run(capsys, "--input", str(source), "--format", "touches")
    assert code == 2
    assert err == (
        f"rel2rev attribute: {source}: row 2, field revenue: an amount without a currency (its "
        f"currency cell is empty): fill in its currency cell or {FIX}"
    )
    out = tmp_path / "out.json"
    assert main(["attribute", "--input", str(source), "--format", "touches", "--model", "first",
                 "--currency", "GBP", "--out", str(out)]) == 0  # fmt: skip
    assert json.loads(out.read_text())["won"] == {"EUR": "10.00", "GBP": "5.00"}


def test_no_amounts_need_no_currency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    touches = write(tmp_path, "t.csv", "journey_id,ts,channel,converted\nd1,2026-01-01,a,1\n")
    paths = write(tmp_path, "p.csv", "path,total_conversions,total_null\na > b,2,1\n")
    assert run(capsys, "--input", str(touches), "--format", "touches") == (0, "")
    assert run(capsys, "--input", str(paths), "--format", "paths") == (0, "")


def test_the_currency_column_wins_over_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "journey_id,ts,channel,revenue,currency\nd1,2026-01-01,a,100,JPY\n"
    source = write(tmp_path, "t.csv", text)
    out = tmp_path / "out.json"
    assert main(["attribute", "--input", str(source), "--format", "touches", "--model", "first",
                 "--currency", "EUR", "--out", str(out)]) == 0  # fmt: skip
    assert json.loads(out.read_text())["won"] == {"JPY": "100"}
