"""The costs CSV: what it accepts, and errors that name the file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from rel2rev.errors import InputError
from rel2rev.money import Money
from rel2rev.spend import CostLine, read_cost_file


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "costs.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_channel_and_campaign_lines_exactly(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "month,channel,campaign,amount,currency,note\n"
        "2026-03,Paid,spring-launch,4200.10,eur,ads\n"
        "2026-03,webinar,,950,EUR,\n"
        "2026-03,webinar,,1000,USD,\n",
    )
    assert read_cost_file(path) == [
        CostLine(month="2026-03", channel="paid", campaign="spring-launch",
                 amount=Money.of("4200.10", "EUR")),
        CostLine(month="2026-03", channel="webinar", amount=Money.of("950", "EUR")),
        CostLine(month="2026-03", channel="webinar", amount=Money.of("1000", "USD")),
    ]  # fmt: skip


def test_currency_option_when_the_column_is_absent(tmp_path: Path) -> None:
    path = write(tmp_path, "channel,month,amount\nemail,2026-01,10.5\n")
    with pytest.raises(InputError, match=r"missing column\(s\) currency \(or pass --currency\)"):
        read_cost_file(path)
    assert read_cost_file(path, currency="GBP")[0].amount == Money.of("10.5", "GBP")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2026-13,email,,10,EUR", "line 2: column month: String should match pattern"),
        ("2026-01,email,,-1,EUR", "line 2: column amount: Value error, a cost cannot be negative"),
        ("2026-01,email,,1.005,EUR", "line 2: column amount"),
        ("2026-01,email,,1 200,EUR", "line 2: column amount: '1 200' is not a decimal number"),
        ("2026-01,email,,10,EURO", "line 2: column currency: 'EURO' is not an ISO 4217 code"),
        ("2026-01,,,10,EUR", "line 2: column channel"),
    ],
)
def test_bad_rows_name_the_line_and_column(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, f"month,channel,campaign,amount,currency\n{row}\n")
    with pytest.raises(InputError, match="costs.csv: " + message.replace("(", r"\(")):
        read_cost_file(path)


def test_a_repeated_line_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "month,channel,campaign,amount,currency\n2026-01,email,,10,EUR\n2026-01,Email,,12,EUR\n",
    )
    with pytest.raises(InputError, match="line 3: repeats line 2"):
        read_cost_file(path)


def test_missing_columns_and_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing column\(s\) amount"):
        read_cost_file(write(tmp_path, "month,channel,currency\n2026-01,email,EUR\n"))
    with pytest.raises(InputError, match="no such file"):
        read_cost_file(tmp_path / "absent.csv")


def test_latin1_bytes_name_the_offset_or_read_with_the_encoding(tmp_path: Path) -> None:
    text = "month,channel,campaign,amount,currency\n2026-01,email,Café,10,EUR\n"
    path = write(tmp_path, text, encoding="latin-1")
    with pytest.raises(InputError, match=r"byte 0xe9 at byte offset 56 \(line 2\)"):
        read_cost_file(path)
    assert read_cost_file(path, encoding="latin-1")[0].campaign == "Café"
