"""`rel2rev costs --help` documents the costs file: the reader's own docstring, whose example
rows the reader accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rel2rev.cli import COMMANDS, main
from rel2rev.spend import file as cost_file
from rel2rev.spend import read_cost_file


def help_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


def example_rows() -> list[str]:
    doc = cost_file.__doc__ or ""
    return [line.strip() for line in doc.split("Example:")[1].splitlines() if line.strip()][:3]


@pytest.mark.parametrize("argv", [["costs"], ["costs", "import"]])
def test_help_lists_every_column_its_type_and_an_example(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_of(argv, capsys)
    for column in ("month", "channel", "campaign", "amount", "currency"):
        assert re.search(rf"^- `{column}`: \S", text, re.MULTILINE), column
    assert "YYYY-MM" in text
    assert "ISO 4217" in text
    for row in example_rows():
        assert f"    {row}\n" in text


def test_the_example_is_read(tmp_path: Path) -> None:
    path = tmp_path / "costs.csv"
    path.write_text("\n".join(example_rows()) + "\n", encoding="utf-8")
    lines = read_cost_file(path)
    assert [(line.channel, line.campaign, str(line.amount)) for line in lines] == [
        ("paid", "spring-launch", "4200.00 EUR"),
        ("webinar", None, "950.00 EUR"),
    ]


def test_costs_is_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert "costs" in COMMANDS
    assert "costs" in help_of([], capsys)
