"""The baseline exports: the estimate with its evidence, and incremental beside full shares."""

from __future__ import annotations

from rel2rev.exports.bundle import tables_of
from rel2rev.exports.tables import AttributionBaselineRow, AttributionIncrementalRow
from rel2rev.results.contracts import BASELINE, RunResults


def test_the_baseline_row_carries_the_estimate_and_its_evidence(results: RunResults) -> None:
    assert results.attribution is not None
    estimate = results.attribution.baseline
    assert estimate is not None
    rows = tables_of(results)[AttributionBaselineRow].records()
    assert rows == [estimate.model_dump()]


def test_incremental_shares_and_the_baseline_tie_out_per_model(results: RunResults) -> None:
    assert results.attribution is not None
    rows = tables_of(results)[AttributionIncrementalRow].records()
    assert {r["model"] for r in rows} == {"additive_hazard_incremental"}
    assert {r["full_model"] for r in rows} == {"additive_hazard"}
    for r in rows:
        assert (r["full_share"] is None) == r["baseline"] == (r["dimension_value"] == BASELINE)
    # the sample's incremental model credits every deal (a touchless one to the baseline)
    for key in {(r["dimension"], r["currency"]) for r in rows}:
        parts = [r for r in rows if (r["dimension"], r["currency"]) == key]
        assert abs(sum(r["incremental_share"] for r in parts) - 1.0) < 1e-9


def test_a_failed_attribution_exports_no_baseline(failed_results: RunResults) -> None:
    assert tables_of(failed_results)[AttributionBaselineRow].records() == []
    assert tables_of(failed_results)[AttributionIncrementalRow].records() == []
