"""`rel2rev attribute`: formats, outputs and one-line errors naming row and field."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from rel2rev.attribution.io import read_input
from rel2rev.cli import main

TOUCHES = """journey_id,ts,channel,converted,revenue,campaign
d1,2026-01-01T00:00:00Z,email,1,100.00,spring
d1,2026-01-03T12:00:00Z,linkedin,1,100.00,
d2,2026-01-02T00:00:00Z,email,0,,spring
d3,2026-01-02T00:00:00Z,direct,true,10.01,x
d3,2026-01-01T00:00:00Z,linkedin,true,10.01,x
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["attribute", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "Traceback" not in err
    return err


def test_touches_csv_to_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path, "t.csv", TOUCHES)
    out = tmp_path / "out.json"
    code = main(["attribute", "--input", str(source), "--format", "touches", "--model", "first",
                 "linear", "--model", "markov", "--currency", "USD",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    assert "Share of conversions by channel" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert list(doc["models"]) == ["first", "linear", "markov"]
    first = doc["models"]["first"]
    assert first["shares"] == {"direct": 0.0, "email": 0.5, "linkedin": 0.5}
    assert first["revenue"] == {"email": "100.00", "linkedin": "10.01"}
    linear = doc["models"]["linear"]
    assert sum(linear["shares"].values()) == pytest.approx(1.0)
    assert linear["revenue"] == {"email": "50.00", "linkedin": "55.01", "direct": "5.00"}


def test_credit_by_another_dimension_to_csv_and_parquet(tmp_path: Path) -> None:
    source = write(tmp_path, "t.csv", TOUCHES)
    for name in ("out.csv", "out.parquet"):
        out = tmp_path / name
        assert main(["attribute", "--input", str(source), "--format", "touches", "--by", "campaign",
                     "--model", "last", "--currency", "USD", "--out", str(out)]) == 0  # fmt: skip
        frame = pd.read_csv(out) if name.endswith(".csv") else pd.read_parquet(out)
        assert dict(zip(frame["value"], frame["share"], strict=True)) == {
            "(none)": 0.5, "spring": 0.0, "x": 0.5,
        }  # fmt: skip


def test_paths_semicolon_csv_jsonl_and_parquet_agree(tmp_path: Path) -> None:
    csv_path = write(
        tmp_path, "p.csv", "path;total_conversions;total_null\na > b;1;0\na;0;1\nb;1;0\n"
    )
    frame = pd.DataFrame(
        {"path": ["a > b", "a", "b"], "total_conversions": [1, 0, 1], "total_null": [0, 1, 0]}
    )
    jsonl = tmp_path / "p.jsonl"
    frame.to_json(jsonl, orient="records", lines=True)
    parquet = tmp_path / "p.parquet"
    frame.to_parquet(parquet)
    for source in (csv_path, jsonl, parquet):
        out = tmp_path / f"{source.stem}-{source.suffix[1:]}.json"
        assert main(["attribute", "--input", str(source), "--format", "paths", "--model", "markov",
                     "--out", str(out)]) == 0  # fmt: skip
        shares = json.loads(out.read_text())["models"]["markov"]["shares"]
        assert shares == pytest.approx({"a": 1 / 3, "b": 2 / 3})


def test_touches_after_the_conversion_are_dropped(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "t.csv",
        "journey_id,ts,channel,conversion_ts\nj,2026-01-01,a,2026-01-05\nj,2026-01-09,b,2026-01-05\n",
    )
    table = read_input(source, "touches")
    assert table.n_touches == 1
    assert table.conversions.tolist() == [1.0]


@pytest.mark.parametrize(
    ("name", "text", "fmt", "message"),
    [
        ("e.csv", "", "touches", "empty file"),
        ("h.csv", "journey_id,ts,channel\n", "touches", "empty file (no data rows)"),
        ("d.csv", "journey_id,ts,channel\nj,2026-01-01,a\nj,2026-13-01,b\n", "touches",
         "row 2, field ts: cannot parse '2026-13-01' as a date"),
        ("a.csv", "journey_id,ts,channel,revenue\nj,2026-01-01,a,12,5\n", "touches",
         "row 1: 5 fields where the header has 4"),
        ("r.csv", "journey_id,ts,channel,revenue\nj,2026-01-01,a,12.5x\n", "touches",
         "row 1, field revenue: cannot parse '12.5x' as an amount"),
        ("m.csv", "journey_id,channel\nj,a\n", "touches", "field ts: required column missing"),
        ("c.csv", "journey_id,ts,channel\nj,2026-01-01,\n", "touches",
         "row 1, field channel: missing"),
        ("k.csv", "journey_id,ts,channel,currency\nj,2026-01-01,a,XYZ\n", "touches",
         "row 1, field currency: unknown ISO 4217 currency 'XYZ'"),
        ("x.csv", "journey_id,ts,channel,revenue,currency\n"
         "j,2026-01-01,a,1,EUR\nj,2026-01-02,b,2,EUR\n", "touches",
         "row 2, field revenue: conflicts with an earlier row of the same journey (1)"),
        ("p.csv", "path,total_conversions,colour\na,1,red\n", "paths",
         "field colour: unknown column (paths format: path, total_conversions, "
         "total_conversion_value, total_null, currency)"),
        ("q.csv", "path,total_conversions\na > b,1\n > ,2\n", "paths",
         "row 2, field path: a path with no channels"),
        ("s.csv", "path,total_conversions\na > b,1\na >  > b,2\n", "paths",
         "row 2, field path: a path with an empty channel (or no channels)"),
        ("n.csv", "path,total_conversions\na,lots\n", "paths",
         "row 1, field total_conversions: cannot parse 'lots' as a count"),
        ("l.jsonl", '{"journey_id": "j", "ts": "2026-01-01", "channel": ["a"], "revenue": "x"}\n',
         "touches", "row 1, field revenue: cannot parse 'x' as an amount"),
        ("j.jsonl", '{"path": "a", "total_conversions": 1}\n{"path": \n', "paths",
         "row 2: not valid JSON (Expecting value)"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_row_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, fmt: str, message: str
) -> None:
    source = write(tmp_path, name, text)
    err = fails(capsys, "--input", str(source), "--format", fmt)
    assert err.endswith(message), err


def test_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path, "t.csv", TOUCHES)
    base = ["--input", str(source), "--format", "touches", "--currency", "USD"]
    assert fails(capsys, *base, "--model", "magic").startswith(
        "rel2rev attribute: --model: unknown"
    )
    assert "field owner: unknown column for --by" in fails(capsys, *base, "--by", "owner")
    assert "--out: out.txt must end in" in fails(capsys, *base, "--out", str(tmp_path / "out.txt"))
    assert "--order: must be at least 1" in fails(capsys, *base, "--order", "0")
    assert "--hazard-decay: per_value, shared" in fails(capsys, *base, "--hazard-decay", "x")
    assert "--currency: unknown ISO 4217 currency 'eurx'" in fails(
        capsys, *base, "--currency", "eurx"
    )
    assert "no such file" in fails(
        capsys, "--input", str(tmp_path / "nope.csv"), "--format", "paths"
    )


def test_holdout_and_bootstrap_are_reported(tmp_path: Path) -> None:
    rows = ["path,total_conversions,total_null"]
    rows += [
        f"{p},{c},{n}"
        for p, c, n in [("a > b", 30, 10), ("a", 5, 40), ("b", 20, 25), ("c > a", 3, 30)]
    ]
    source = write(tmp_path, "p.csv", "\n".join(rows) + "\n")
    out = tmp_path / "o.json"
    argv = ["--format", "paths", "--model", "markov", "shapley_rate", "--holdout", "0.3"]
    assert (
        main(["attribute", "--input", str(source), *argv, "--bootstrap", "20", "--out", str(out)])
        == 0
    )
    doc = json.loads(out.read_text())["models"]
    for model in ("markov", "shapley_rate"):
        assert 0.0 < doc[model]["holdout"]["log_loss"] < 1.0
        assert 0.5 < doc[model]["holdout"]["auc"] <= 1.0
        low, high = doc[model]["share_intervals"]["a"]
        assert low <= doc[model]["shares"]["a"] <= high


def test_unattributed_revenue_is_shown_and_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A converting journey without revenue, and a model that cannot run: the CLI says what
    was left unattributed and why, and per model credited + unattributed = won."""
    rows = TOUCHES + "d4,2026-01-04T00:00:00Z,email,1,,\n"
    source = write(tmp_path, "t.csv", rows)
    out = tmp_path / "out.json"
    argv = ["attribute", "--input", str(source), "--format", "touches", "--by", "campaign",
            "--currency", "USD", "--model", "linear", "markov", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "credited + unattributed = won" in printed
    doc = json.loads(out.read_text())
    assert doc["won"] == {"USD": "110.01"}
    linear = doc["models"]["linear"]
    assert linear["unattributed"] == [
        {"deal_id": "d4", "reason": "no_amount", "amount": None, "currency": None}
    ]
    assert sum(float(v) for v in linear["revenue"].values()) == pytest.approx(110.01)
    frame_out = tmp_path / "out.csv"
    assert main([*argv[:-2], "--model", "shapley_simplified", "--out", str(frame_out)]) == 0
    frame = pd.read_csv(frame_out)
    assert set(frame["model"]) == {"linear", "markov", "shapley"}


def test_a_failed_model_leaves_all_its_revenue_unattributed(tmp_path: Path) -> None:
    rows = [f"d1,2026-01-{day:02d}T00:00:00Z,c{day},100.00,EUR" for day in range(1, 22)]
    source = write(tmp_path, "t.csv", "journey_id,ts,channel,revenue,currency\n" + "\n".join(rows))
    out = tmp_path / "out.csv"
    assert main(["attribute", "--input", str(source), "--format", "touches", "--model",
                 "shapley_rate", "--out", str(out)]) == 0  # fmt: skip
    frame = pd.read_csv(out, dtype=str)
    gap = frame[frame["unattributed"].notna()]
    columns = (gap["model"], gap["currency"], gap["revenue"], gap["unattributed"])
    assert list(zip(*columns, strict=True)) == [("shapley_rate", "EUR", "100.00", "model_failed")]


def test_an_amount_finer_than_its_currency_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = "path;total_conversions;total_conversion_value;total_null;currency\n"
    paths += "a > b;2;10.00;1;EUR\nb;1;5.001;0;EUR\n"
    source = write(tmp_path, "p.csv", paths)
    err = fails(capsys, "--input", str(source), "--format", "paths")
    assert "row 2, field total_conversion_value" in err
    assert "finer than the EUR minor unit" in err
    touches = TOUCHES.replace("10.01", "10.015")
    source = write(tmp_path, "t.csv", touches)
    err = fails(capsys, "--input", str(source), "--format", "touches", "--currency", "USD")
    assert "row 4, field revenue: '10.015' is finer than the USD minor unit" in err
