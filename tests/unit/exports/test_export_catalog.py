"""Docs, Athena DDL and the Glue template are generated from the row models and cannot drift."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from pydantic import Field

from rel2rev.exports import catalog
from rel2rev.exports.schema import ColumnType, ExportRow, schema_of
from rel2rev.exports.tables import EXPORT_TABLES

ROOT = Path(__file__).resolve().parents[3]
ATHENA_TYPES = {
    ColumnType.STRING: "string",
    ColumnType.INTEGER: "bigint",
    ColumnType.FLOAT: "double",
    ColumnType.DECIMAL: "decimal(38,4)",
    ColumnType.TIMESTAMP: "timestamp",
    ColumnType.DATE: "date",
    ColumnType.BOOLEAN: "boolean",
}


@pytest.mark.parametrize("name", sorted(catalog.generated_files()))
def test_committed_file_matches_the_generated_one(name: str) -> None:
    committed = (ROOT / name).read_text(encoding="utf-8")
    assert committed == catalog.generated_files()[name], (
        f"{name} is stale: run `python -m rel2rev.exports.catalog` and commit the result"
    )


def test_docs_list_every_column_of_every_table() -> None:
    docs = (ROOT / "docs/exports.md").read_text(encoding="utf-8")
    for model in EXPORT_TABLES:
        assert f"## `{model.TABLE}`" in docs
        for column in schema_of(model).columns:
            assert f"| `{column.name}` | {column.type.value} |" in docs


def test_glue_tables_match_the_parquet_columns() -> None:
    template = yaml.safe_load((ROOT / "infra/glue.yaml").read_text(encoding="utf-8"))
    tables = {
        r["Properties"]["TableInput"]["Name"]: r["Properties"]["TableInput"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Glue::Table"
    }
    assert set(tables) == {m.TABLE for m in EXPORT_TABLES}
    for model in EXPORT_TABLES:
        schema = schema_of(model)
        table = tables[model.TABLE]
        columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
        expected = [
            (c.name, ATHENA_TYPES[c.type])
            for c in schema.columns
            if c.name not in catalog.PARTITION_KEYS
        ]
        assert columns == expected
        assert [k["Name"] for k in table["PartitionKeys"]] == ["workspace", "run_id"]
        template_location = table["Parameters"]["storage.location.template"]["Fn::Sub"]
        assert template_location.endswith(f"/${{!run_id}}/parquet/{model.TABLE}/")


def test_athena_ddl_declares_every_data_column_in_order() -> None:
    for model in EXPORT_TABLES:
        ddl = (ROOT / f"infra/athena/{model.TABLE}.sql").read_text(encoding="utf-8")
        declared = [line.split("`")[1] for line in ddl.splitlines() if line.startswith("  `")]
        assert declared == [
            c.name for c in schema_of(model).columns if c.name not in catalog.PARTITION_KEYS
        ]
        assert f"/parquet/{model.TABLE}/'" in ddl


@pytest.mark.skipif(
    shutil.which("cfn-lint") is None and not (ROOT / ".venv/bin/cfn-lint").exists(),
    reason="cfn-lint is not installed",
)
def test_glue_template_passes_cfn_lint() -> None:
    exe = shutil.which("cfn-lint") or str(ROOT / ".venv/bin/cfn-lint")
    done = subprocess.run(
        [exe, str(ROOT / "infra/glue.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_columns_need_descriptions_and_known_types() -> None:
    class Undocumented(ExportRow):
        TABLE = "x"
        DESCRIPTION = "x"
        a: int

    class Unsupported(ExportRow):
        TABLE = "y"
        DESCRIPTION = "y"
        a: list[int] = Field(description="a list")

    with pytest.raises(TypeError, match="no description"):
        schema_of(Undocumented)
    with pytest.raises(TypeError, match="no export column type"):
        schema_of(Unsupported)


def test_optional_columns_are_nullable() -> None:
    class Row(ExportRow):
        TABLE = "z"
        DESCRIPTION = "z"
        at: datetime | None = Field(description="maybe a time")
        n: int = Field(description="a count")

    columns = {c.name: c for c in schema_of(Row).columns}
    assert columns["at"].nullable
    assert columns["at"].type is ColumnType.TIMESTAMP
    assert not columns["n"].nullable
