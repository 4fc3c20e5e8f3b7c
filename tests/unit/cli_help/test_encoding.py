"""Text that is not in the expected encoding: a one-line error naming the file, the byte
offset and the line (never a traceback), or read correctly with `--encoding`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rel2rev import dataset
from rel2rev.cli import main
from rel2rev.cli.formats import example_records
from rel2rev.dataset import decoding_error, write_dataset
from rel2rev.records import WorkspaceRecords

HINT = "pass --encoding with the file's encoding (e.g. --encoding latin-1)"
TOUCHES = "journey_id,ts,channel,revenue,currency,campaign\nd1,2026-01-01,email,10.00,EUR,café\n"


def fails(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "Traceback" not in captured.err
    assert "\n" not in err
    return err


def latin1(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("latin-1"))
    return path


def expected(path: Path, command: str) -> str:
    """The message, the offset found by decoding the whole file at once."""
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError) as failure:
        data.decode("utf-8")
    offset = failure.value.start
    line = data[:offset].count(b"\n") + 1
    return (
        f"rel2rev {command}: {path}: not valid utf-8 text: byte 0x{data[offset]:02x} at byte "
        f"offset {offset} (line {line}); {HINT}"
    )


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_attribute_latin1_is_an_error_or_read_with_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    if suffix == ".csv":
        text = TOUCHES
    else:
        header, values = (line.split(",") for line in TOUCHES.splitlines())
        row = dict(zip(header, values, strict=True))
        text = json.dumps(row, ensure_ascii=False) + "\n"
    source = latin1(tmp_path / f"t{suffix}", text)
    argv = ["attribute", "--input", str(source), "--format", "touches", "--model", "first"]
    assert fails(capsys, argv) == expected(source, "attribute")
    out = tmp_path / "out.json"
    argv += ["--by", "campaign", "--encoding", "latin-1", "--out", str(out)]
    assert main(argv) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["models"]["first"]["revenue"] == {
        "café": "10.00"
    }


def test_the_offset_is_in_the_file_not_the_decoders_chunk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"d{i},2026-01-01,email,,EUR,ok\n" for i in range(40_000)]  # > 1 MiB before the bad row
    source = tmp_path / "big.csv"
    source.write_bytes((TOUCHES + "".join(rows)).encode("utf-8") + b"d9,2026-01-01,x\xff,,EUR,\n")
    err = fails(capsys, ["attribute", "--input", str(source), "--format", "touches"])
    assert err == expected(source, "attribute")
    assert "line 40003" in err


def test_a_multibyte_character_across_scan_chunks_is_not_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dataset, "_SCAN_CHUNK", 3)
    path = tmp_path / "x.csv"
    data = "ab\né\nüü\n".encode() + b"z\xe9\n"  # é and ü straddle 3-byte chunks
    path.write_bytes(data)
    error = decoding_error(path, "utf-8")
    assert error.message == (
        f"{path}: not valid utf-8 text: byte 0xe9 at byte offset {data.index(b'z') + 1} "
        f"(line 4); {HINT}"
    )
    path.write_bytes(b"ok\n\xc3")  # a truncated sequence at the very end
    assert "byte 0xc3 at byte offset 3 (line 2)" in decoding_error(path, "utf-8").message


def test_a_bom_still_reads_as_utf8(tmp_path: Path) -> None:
    source = tmp_path / "bom.csv"
    source.write_bytes(b"\xef\xbb\xbf" + TOUCHES.encode("utf-8"))
    assert main(["attribute", "--input", str(source), "--format", "touches"]) == 0


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_import_latin1(tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    event = {"event": "contact", "identifiers": {"email": "zoe@example.com"}, "name": "Zoë"}
    if suffix == ".csv":
        text = "event,identifiers.email,name\ncontact,zoe@example.com,Zoë\n"
    else:
        text = json.dumps(event, ensure_ascii=False) + "\n"
    source = latin1(tmp_path / f"events{suffix}", text)
    argv = ["import", str(source), "--workspace", "acme", "--dry-run"]
    assert fails(capsys, argv) == expected(source, "import")
    assert main([*argv, "--encoding", "latin-1"]) == 0
    assert "1 rows are valid" in capsys.readouterr().out


@pytest.fixture
def latin1_folder(tmp_path: Path) -> Path:
    """The help's example records as CSV, contacts.csv in Latin-1 with a non-ASCII name."""
    records = example_records()
    records["contacts"] = records["contacts"].model_copy(update={"name": "Zoë Martín"})
    folder = tmp_path / "records"
    write_dataset(
        WorkspaceRecords(workspace="acme", **{k: [v] for k, v in records.items()}),
        folder,
        fmt="csv",
    )
    contacts = folder / "contacts.csv"
    latin1(contacts, contacts.read_text(encoding="utf-8"))
    return folder


@pytest.mark.parametrize("command", ["funnel", "survival"])
def test_folder_commands_latin1(
    latin1_folder: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    argv = [command, "--input", str(latin1_folder)]
    assert fails(capsys, argv) == expected(latin1_folder / "contacts.csv", command)
    assert main([*argv, "--encoding", "latin-1"]) == 0


def test_job_latin1(
    latin1_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["job", "--input", str(latin1_folder), "--as-of", "2026-01-31"]
    argv += ["--out", str(tmp_path / "out")]
    assert fails(capsys, argv) == expected(latin1_folder / "contacts.csv", "job")
    assert main([*argv, "--encoding", "latin-1"]) == 0


def test_a_latin1_jsonl_record_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    contact = example_records()["contacts"].model_copy(update={"name": "Zoë"})
    latin1(folder / "contacts.jsonl", contact.model_dump_json() + "\n")
    argv = ["funnel", "--input", str(folder)]
    assert fails(capsys, argv) == expected(folder / "contacts.jsonl", "funnel")
    assert main([*argv, "--encoding", "latin-1"]) == 0


def test_a_latin1_funnel_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "records"
    write_dataset(
        WorkspaceRecords(workspace="acme", **{k: [v] for k, v in example_records().items()}),
        folder,
    )
    config = latin1(tmp_path / "rule.json", '{"threshold": 5,\n "note": "é"}')
    offset = config.read_bytes().index(b"\xe9")
    err = fails(capsys, ["funnel", "--input", str(folder), "--config", str(config)])
    assert err == (
        f"rel2rev funnel: {config}: not valid utf-8 text: byte 0xe9 at byte offset {offset} "
        "(line 2); a JSON config is UTF-8 text"
    )


def test_an_unknown_encoding_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "t.csv"
    source.write_text(TOUCHES, encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        main(["attribute", "--input", str(source), "--format", "touches", "--encoding", "klingon"])
    assert stop.value.code == 2
    assert "argument --encoding: unknown text encoding: 'klingon'" in capsys.readouterr().err
