"""Every export table written as CSV and Parquet, read back, and money kept exact."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rel2rev.exports import csv_path, parquet_path, tables_of, write_exports, write_exports_to_dir
from rel2rev.exports.schema import ColumnType, ExportRow, Table, schema_of
from rel2rev.exports.tables import EXPORT_TABLES, AttributionDealRow, FunnelMoneyRow
from rel2rev.exports.writers import to_parquet
from rel2rev.results.contracts import RunResults


@pytest.fixture(scope="module")
def files(results: RunResults) -> dict[str, bytes]:
    return write_exports(results)


def _parse(kind: ColumnType, text: str) -> object:
    if text == "":
        return None
    return {
        ColumnType.STRING: str,
        ColumnType.INTEGER: int,
        ColumnType.FLOAT: float,
        ColumnType.DECIMAL: Decimal,
        ColumnType.TIMESTAMP: datetime.fromisoformat,
        ColumnType.DATE: date.fromisoformat,
        ColumnType.BOOLEAN: {"true": True, "false": False}.__getitem__,
    }[kind](text)


def test_every_table_has_a_csv_and_a_parquet_file(files: dict[str, bytes]) -> None:
    expected = {csv_path(m.TABLE) for m in EXPORT_TABLES} | {
        parquet_path(m.TABLE) for m in EXPORT_TABLES
    }
    assert set(files) == expected | {"report.html", "manifest.json"}


@pytest.mark.parametrize("model", EXPORT_TABLES, ids=lambda m: m.TABLE)
def test_csv_reads_back_to_the_rows(
    model: type[ExportRow], results: RunResults, files: dict[str, bytes]
) -> None:
    schema = schema_of(model)
    rows = tables_of(results)[model].records()
    reader = csv.reader(io.StringIO(files[csv_path(model.TABLE)].decode("utf-8")))
    header, *body = list(reader)
    assert header == schema.column_names
    parsed = [
        {c.name: _parse(c.type, cell) for c, cell in zip(schema.columns, line, strict=True)}
        for line in body
    ]
    assert parsed == rows
    assert rows, "the sample run fills every table"


@pytest.mark.parametrize("model", EXPORT_TABLES, ids=lambda m: m.TABLE)
def test_parquet_reads_back_to_the_rows(
    model: type[ExportRow], results: RunResults, files: dict[str, bytes]
) -> None:
    table = pq.read_table(io.BytesIO(files[parquet_path(model.TABLE)]))
    schema = schema_of(model)
    assert table.column_names == schema.column_names
    for column in schema.columns:
        field = table.schema.field(column.name)
        assert field.metadata[b"description"].decode() == column.description
        if column.type is ColumnType.DECIMAL:
            assert field.type == pa.decimal128(38, 4)
    assert table.to_pylist() == tables_of(results)[model].records()


def test_every_deal_reconciles_exactly_in_csv_and_parquet(
    results: RunResults, files: dict[str, bytes]
) -> None:
    assert results.attribution is not None
    line_count = len(results.attribution.lines)
    from_csv: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in csv.DictReader(io.StringIO(files[csv_path("attribution_deals")].decode())):
        from_csv[(row["model"], row["dimension"], row["deal_id"])] += Decimal(row["amount"])
    from_parquet: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    parquet = pq.read_table(io.BytesIO(files[parquet_path("attribution_deals")])).to_pylist()
    for row in parquet:
        from_parquet[(row["model"], row["dimension"], row["deal_id"])] += row["amount"]
    assert from_csv == from_parquet
    assert sum(1 for _ in parquet) == line_count
    # every model and dimension credits a deal with the same, whole amount
    per_deal: dict[str, set[Decimal]] = defaultdict(set)
    for (_, _, deal_id), total in from_csv.items():
        per_deal[deal_id].add(total)
    assert all(len(totals) == 1 for totals in per_deal.values())
    assert per_deal["D999"] == {Decimal("100.00")}


def test_csv_writes_money_as_exact_decimal_strings(files: dict[str, bytes]) -> None:
    rows = list(csv.DictReader(io.StringIO(files[csv_path("relationship_revenue")].decode())))
    assert rows
    for row in rows:
        assert "E" not in row["revenue"]
        assert len(row["revenue"].split(".")[1]) == 2  # EUR keeps its two minor digits


def _money_table(revenue: object, cost: object = Decimal(0)) -> Table:
    return Table(
        FunnelMoneyRow,
        cohort=["2026-01"],
        dimension=[None],
        dimension_value=[None],
        currency=["EUR"],
        revenue=[revenue],
        cost=[cost],
    )


def test_parquet_refuses_to_round_money_or_take_floats() -> None:
    with pytest.raises(pa.ArrowInvalid):
        to_parquet(_money_table(Decimal("0.00001")))
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        to_parquet(_money_table(0.1))


def test_tables_check_columns_lengths_and_nulls() -> None:
    with pytest.raises(ValueError, match="columns"):
        Table(FunnelMoneyRow, cohort=["2026-01"])
    with pytest.raises(ValueError, match="different lengths"):
        Table(
            FunnelMoneyRow,
            cohort=["a", "b"],
            dimension=[None],
            dimension_value=[None],
            currency=["EUR"],
            revenue=[Decimal(1)],
            cost=[Decimal(0)],
        )
    with pytest.raises(ValueError, match="currency is not nullable"):
        Table(
            FunnelMoneyRow,
            cohort=["a"],
            dimension=[None],
            dimension_value=[None],
            currency=[None],
            revenue=[Decimal(1)],
            cost=[Decimal(0)],
        )


def test_a_failed_section_leaves_typed_empty_tables(failed_results: RunResults) -> None:
    files = write_exports(failed_results, report=False)
    assert files[csv_path("attribution_deals")].decode() == (
        ",".join(schema_of(AttributionDealRow).column_names) + "\n"
    )
    table = pq.read_table(io.BytesIO(files[parquet_path("attribution_deals")]))
    assert table.num_rows == 0
    assert table.schema.field("amount").type == pa.decimal128(38, 4)
    sections = list(csv.DictReader(io.StringIO(files[csv_path("run_sections")].decode())))
    failed = [s for s in sections if s["status"] == "failed"]
    assert [s["section"] for s in failed] == ["attribution"]
    assert failed[0]["error"] == "Markov: no converting journeys in the window"
    assert "report.html" not in files


def test_manifest_counts_rows_and_hashes_files(
    results: RunResults, files: dict[str, bytes]
) -> None:
    manifest = json.loads(files["manifest.json"])
    assert manifest["run_id"] == results.run.run_id
    for model, table in tables_of(results).items():
        assert manifest["tables"][model.TABLE]["rows"] == len(table)
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest


def test_write_exports_to_dir_writes_the_same_files(results: RunResults, tmp_path) -> None:
    written = write_exports_to_dir(results, tmp_path, report=False)
    files = write_exports(results, report=False)
    assert {p.relative_to(tmp_path).as_posix() for p in written} == set(files)
    for path in written:
        name = path.relative_to(tmp_path).as_posix()
        if name != "manifest.json":
            assert path.read_bytes() == files[name]
