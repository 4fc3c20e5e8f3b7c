"""Assemble every export file of a run: tables as CSV and Parquet, a manifest and the report.

Layout (relative to `exports/{workspace}/{run_id}/` or the output folder):
`report.html`, `manifest.json`, `csv/{table}.csv` and `parquet/{table}/{table}.parquet` (one
folder per table, so an Athena table can point at it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from rel2rev.exports import rows
from rel2rev.exports.schema import ExportRow, Table
from rel2rev.exports.tables import (
    EXPORT_TABLES,
    AttributionBaselineRow,
    AttributionComparisonRow,
    AttributionDealRow,
    AttributionFailureRow,
    AttributionHoldoutRow,
    AttributionIncrementalRow,
    AttributionPipelineRow,
    AttributionReconciliationRow,
    AttributionTotalRow,
    AttributionUnattributedRow,
    CompetingRiskRow,
    DriverRow,
    FunnelDelayRow,
    FunnelMoneyRow,
    FunnelRow,
    FunnelUnplacedRow,
    QualifiedCostRow,
    RelationshipRevenueRow,
    RelationshipRow,
    ReturnRow,
    RunSectionRow,
    RunSummaryRow,
    RunTrendRow,
    SurvivalCurveRow,
    SurvivalSummaryRow,
)
from rel2rev.exports.writers import to_csv, to_parquet
from rel2rev.results.contracts import RunResults

_BUILDERS: dict[type[ExportRow], Callable[[RunResults], Table]] = {
    RunSummaryRow: rows.run_table,
    RunSectionRow: rows.section_table,
    FunnelRow: rows.funnel_table,
    FunnelMoneyRow: rows.funnel_money_table,
    FunnelUnplacedRow: rows.funnel_unplaced_table,
    FunnelDelayRow: rows.funnel_delay_table,
    AttributionDealRow: rows.attribution_deal_table,
    AttributionUnattributedRow: rows.attribution_unattributed_table,
    AttributionReconciliationRow: rows.attribution_reconciliation_table,
    AttributionTotalRow: rows.attribution_total_table,
    AttributionPipelineRow: rows.attribution_pipeline_table,
    AttributionComparisonRow: rows.attribution_comparison_table,
    AttributionFailureRow: rows.attribution_failure_table,
    AttributionHoldoutRow: rows.attribution_holdout_table,
    AttributionBaselineRow: rows.attribution_baseline_table,
    AttributionIncrementalRow: rows.attribution_incremental_table,
    ReturnRow: rows.returns_table,
    QualifiedCostRow: rows.qualified_cost_table,
    RunTrendRow: rows.run_trend_table,
    SurvivalSummaryRow: rows.survival_summary_table,
    SurvivalCurveRow: rows.survival_curve_table,
    DriverRow: rows.driver_table,
    CompetingRiskRow: rows.competing_risk_table,
    RelationshipRow: rows.relationship_table,
    RelationshipRevenueRow: rows.relationship_revenue_table,
}

REPORT_FILE = "report.html"
MANIFEST_FILE = "manifest.json"


def csv_path(table: str) -> str:
    """Relative path of a table's CSV file."""
    return f"csv/{table}.csv"


def parquet_path(table: str) -> str:
    """Relative path of a table's Parquet file (one folder per table, for Athena)."""
    return f"parquet/{table}/{table}.parquet"


def tables_of(results: RunResults) -> dict[type[ExportRow], Table]:
    """Every export table of a run (a failed section gives an empty table)."""
    return {model: _BUILDERS[model](results) for model in EXPORT_TABLES}


def write_exports(results: RunResults, *, report: bool = True) -> dict[str, bytes]:
    """Every export file of a run: relative name -> content (tables, manifest, report)."""
    files: dict[str, bytes] = {}
    tables: dict[str, dict[str, object]] = {}
    for model, table in tables_of(results).items():
        files[csv_path(model.TABLE)] = to_csv(table)
        files[parquet_path(model.TABLE)] = to_parquet(table)
        tables[model.TABLE] = {
            "rows": len(table),
            "csv": csv_path(model.TABLE),
            "parquet": parquet_path(model.TABLE),
        }
    if report:
        from rel2rev.report import render_report

        files[REPORT_FILE] = render_report(results).encode("utf-8")
    manifest = {
        "run_id": results.run.run_id,
        "workspace": results.run.workspace,
        "as_of": results.run.as_of.isoformat(),
        "tables": tables,
        "files": {name: hashlib.sha256(body).hexdigest() for name, body in sorted(files.items())},
    }
    files[MANIFEST_FILE] = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    return files


def write_exports_to_dir(results: RunResults, out_dir: Path, *, report: bool = True) -> list[Path]:
    """Write every export file of a run under `out_dir`; returns the paths written."""
    written = []
    for name, body in write_exports(results, report=report).items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        written.append(path)
    return written
