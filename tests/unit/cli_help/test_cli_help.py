"""`--help` of the commands that read files documents every input format: the columns, from
the readers' own definitions, their types, and example rows the readers accept; `--version`."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest

import rel2rev
from rel2rev.attribution.io import (
    COLUMN_TYPES,
    JOURNEY_COLUMNS,
    PATH_COLUMNS,
    TOUCH_COLUMNS,
    read_input,
)
from rel2rev.cli import main
from rel2rev.cli.formats import (
    ATTRIBUTE_EXAMPLES,
    IMPORT_EXAMPLES,
    csv_text,
    dataset_columns,
    dotted,
    example_records,
)
from rel2rev.dataset import KINDS, columns, flatten, read_dataset
from rel2rev.importer import batches, read_rows, validate
from rel2rev.ingest.sources.generic_format import EVENT_MODELS
from rel2rev.records import WorkspaceRecords


def help_of(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


def column_lines(text: str) -> dict[str, str]:
    """`name  type` entries of the help (a type wrapped onto more lines joined): name -> type."""
    found: dict[str, str] = {}
    current, depth = None, 0
    for line in text.splitlines():
        lead = len(line) - len(line.lstrip())
        parts = line.split(maxsplit=1)
        if len(parts) == 2 and lead >= 2 and "  " in line.strip():
            current, depth = parts[0], lead
            found.setdefault(current, parts[1].strip())
        elif current is not None and lead > depth + len(current) and line.strip():
            found[current] += " " + line.strip()
        else:
            current = None
    return found


def flat_csv(kind: str) -> str:
    row = {
        k: v.isoformat() if isinstance(v, datetime) else v
        for k, v in flatten(kind, example_records()[kind]).items()
    }
    return csv_text([row])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"rel2rev {rel2rev.__version__}\n"


def test_every_column_of_touches_and_paths_has_a_type() -> None:
    assert set(COLUMN_TYPES) == {*TOUCH_COLUMNS, *JOURNEY_COLUMNS, *PATH_COLUMNS}


def test_attribute_help_lists_both_formats_with_types_and_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of("attribute", capsys)
    assert "touches: one row per touch." in text
    assert "paths: one row per distinct path" in text
    listed = column_lines(text)
    for column in (*TOUCH_COLUMNS, *JOURNEY_COLUMNS, *PATH_COLUMNS):
        assert listed[column].startswith(COLUMN_TYPES[column][:40]), column
    for fmt, rows in ATTRIBUTE_EXAMPLES.items():
        for line in csv_text(rows).splitlines():
            assert f"    {line}\n" in text, (fmt, line)
        assert json.dumps(rows[0]) in text
    assert "--currency XXX" in text
    assert "--encoding" in text


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_attribute_examples_are_read(tmp_path: Path, suffix: str) -> None:
    for fmt, rows in ATTRIBUTE_EXAMPLES.items():
        path = tmp_path / f"{fmt}{suffix}"
        if suffix == ".csv":
            path.write_text(csv_text(rows), encoding="utf-8")
        else:
            path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        table = read_input(path, fmt)  # no default currency: the examples carry theirs
        assert table.conversions.sum() > 0
        assert {m.currency for m in table.amounts if m is not None} == {"EUR"}


@pytest.mark.parametrize("command", ["job", "funnel", "survival"])
def test_folder_commands_list_every_kind_column_type_and_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_of(command, capsys)
    examples = example_records()
    for kind in KINDS:
        assert f"{kind}.<ext> columns:" in text
        section = text.split(f"{kind}.<ext> columns:")[1]
        listed = column_lines(section)
        for name, kind_text in dataset_columns(kind):
            assert listed[name].startswith(kind_text[:30]), (kind, name)
        assert [name for name, _ in dataset_columns(kind)] == columns(kind)
        for line in flat_csv(kind).splitlines():
            assert f"    {line}\n" in section, (kind, line)
        assert examples[kind].model_dump_json(exclude_none=True) in section
    for word in ("jsonl", "csv", "parquet", "--encoding", "datetime", "ISO 4217"):
        assert word in text


def test_folder_examples_are_read(tmp_path: Path) -> None:
    examples = example_records()
    expected = WorkspaceRecords(workspace="acme", **{k: [v] for k, v in examples.items()})
    as_csv, as_jsonl = tmp_path / "csv", tmp_path / "jsonl"
    as_csv.mkdir()
    as_jsonl.mkdir()
    for kind in KINDS:
        (as_csv / f"{kind}.csv").write_text(flat_csv(kind), encoding="utf-8")
        line = examples[kind].model_dump_json(exclude_none=True) + "\n"
        (as_jsonl / f"{kind}.jsonl").write_text(line, encoding="utf-8")
    assert read_dataset(as_csv) == expected
    assert read_dataset(as_jsonl) == expected


def test_import_help_lists_every_event_type_column_and_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of("import", capsys)
    for kind, model in EVENT_MODELS.items():
        section = text.split(f"event {kind}: columns")[1].split("\nevent ")[0]
        listed = column_lines(section)
        for name, field in model.model_fields.items():
            assert any(c == name or c.startswith(f"{name}.") for c in listed), (kind, name)
            if field.is_required():
                assert any(
                    (c == name or c.startswith(f"{name}.")) and "required" in listed[c]
                    for c in listed
                ), (kind, name)
        for line in csv_text([dotted(IMPORT_EXAMPLES[kind])]).splitlines():
            assert f"    {line}\n" in section, (kind, line)
        assert json.dumps(IMPORT_EXAMPLES[kind]) in section
    assert "contact.email" in text
    assert "--encoding" in text


def test_import_examples_are_valid_as_csv_and_jsonl(tmp_path: Path) -> None:
    events = list(IMPORT_EXAMPLES.values())
    mixed = tmp_path / "events.csv"
    mixed.write_text(csv_text([dotted(e) for e in events]), encoding="utf-8")
    lines = tmp_path / "events.jsonl"
    lines.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    for path in (mixed, lines):
        rows = read_rows(path)
        assert [r.event["event"] for r in rows] == list(IMPORT_EXAMPLES)
        validate(batches(rows), "acme")  # raises on any invalid row
    header = next(csv.reader(io.StringIO(mixed.read_text(encoding="utf-8"))))
    assert "cost.currency" in header
    assert "amount.currency" in header


def test_other_commands_have_no_format_epilog(capsys: pytest.CaptureFixture[str]) -> None:
    assert "columns" not in help_of("keys", capsys)
