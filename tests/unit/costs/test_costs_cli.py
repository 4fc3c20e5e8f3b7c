"""`rel2rev costs import|list|delete` against the template's results table on moto."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rel2rev.cli import main

CSV = """month,channel,campaign,amount,currency
2026-01,paid,spring,100.00,EUR
2026-02,Paid,,50.50,EUR
2026-04,paid,,10.00,USD
2026-03,webinar,,950,EUR
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["costs", *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err.strip()


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "costs.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_import_reports_lines_totals_and_months_per_channel(
    results_table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, CSV)
    code, out, _ = run(capsys, "import", str(source), "--workspace", "acme", "--json")
    assert code == 0
    assert json.loads(out) == {
        "workspace": "acme",
        "stored": 4,
        "spend": [{"amount": "1100.50", "currency": "EUR"}, {"amount": "10.00", "currency": "USD"}],
        "channels": [
            {"channel": "paid", "months": ["2026-01", "2026-02", "2026-04"]},
            {"channel": "webinar", "months": ["2026-03"]},
        ],
    }
    code, out, _ = run(capsys, "import", str(source), "--workspace", "acme")
    assert code == 0
    assert "Stored 4 cost lines of acme: 1100.50 EUR, 10.00 USD" in out
    assert "2026-01..2026-02, 2026-04" in out, "a gap shows"
    assert "950.00 EUR" in out


def test_list_and_delete_a_month_range(
    results_table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, CSV)
    assert run(capsys, "import", str(source), "--workspace", "acme")[0] == 0
    code, out, _ = run(capsys, "list", "--workspace", "acme", "--from", "2026-02", "--json")
    assert code == 0
    assert json.loads(out) == [
        {"month": "2026-02", "channel": "paid", "campaign": None, "amount": "50.50",
         "currency": "EUR"},
        {"month": "2026-03", "channel": "webinar", "campaign": None, "amount": "950.00",
         "currency": "EUR"},
        {"month": "2026-04", "channel": "paid", "campaign": None, "amount": "10.00",
         "currency": "USD"},
    ]  # fmt: skip
    code, out, _ = run(capsys, "list", "--workspace", "acme", "--to", "2026-01")
    assert code == 0
    assert "Cost lines of acme: 1" in out
    assert "spring" in out
    code, out, _ = run(capsys, "delete", "--workspace", "acme", "--from", "2026-02",
                       "--to", "2026-03")  # fmt: skip
    assert (code, out) == (0, "deleted 2 cost lines of acme from 2026-02 to 2026-03\n")
    _, out, _ = run(capsys, "list", "--workspace", "acme", "--json")
    assert [line["month"] for line in json.loads(out)] == ["2026-01", "2026-04"]


def test_currency_for_a_file_without_the_column(
    results_table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, "month,channel,amount\n2026-01,paid,12\n")
    code, _, err = run(capsys, "import", str(source), "--workspace", "acme")
    assert code == 2
    assert err == f"rel2rev costs: {source}: missing column(s) currency (or pass --currency)"
    code, out, _ = run(capsys, "import", str(source), "--workspace", "acme", "--currency", "eur",
                       "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["spend"] == [{"amount": "12.00", "currency": "EUR"}]


def test_a_latin1_file_is_an_error_or_read_with_encoding(
    results_table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, "month,channel,amount,currency\n2026-01,événements,5,EUR\n", "latin-1")
    code, _, err = run(capsys, "import", str(source), "--workspace", "acme")
    assert code == 2
    assert err == (
        f"rel2rev costs: {source}: not valid utf-8 text: byte 0xe9 at byte offset 38 (line 2); "
        "pass --encoding with the file's encoding (e.g. --encoding latin-1)"
    )
    code, _, _ = run(capsys, "import", str(source), "--workspace", "acme", "--encoding", "latin-1")
    assert code == 0
    _, out, _ = run(capsys, "list", "--workspace", "acme", "--json")
    assert [line["channel"] for line in json.loads(out)] == ["événements"]


def test_repeated_rows_are_refused_and_nothing_is_stored(
    results_table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, CSV + "2026-02,paid,,60.00,EUR\n")
    code, _, err = run(capsys, "import", str(source), "--workspace", "acme")
    assert code == 2
    assert err == f"rel2rev costs: {source}: line 6: repeats line 3 (2026-02, paid, , EUR)"
    assert json.loads(run(capsys, "list", "--workspace", "acme", "--json")[1]) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["list", "--workspace", "acme", "--from", "2026-05", "--to", "2026-04"],
         "rel2rev costs: --from 2026-05 is after --to 2026-04"),
        (["import", "nowhere.csv", "--workspace", "acme"],
         "rel2rev costs: nowhere.csv: no such file"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_line_errors(
    results_table: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert run(capsys, *argv)[::2] == (2, message)


def test_a_month_that_is_not_one_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["costs", "delete", "--workspace", "acme", "--from", "2026-1", "--to", "2026-02"])
    assert stop.value.code == 2
    assert "not a month (YYYY-MM): '2026-1'" in capsys.readouterr().err


def test_without_a_stack_the_error_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rel2rev.storage import costs

    monkeypatch.delenv("REL2REV_RESULTS_TABLE", raising=False)
    costs.cost_store.cache_clear()
    code, _, err = run(capsys, "list", "--workspace", "acme")
    assert code == 2
    assert err.startswith("rel2rev costs: REL2REV_RESULTS_TABLE is not set")
