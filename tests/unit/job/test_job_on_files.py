"""`rel2rev job` on a simulated folder of records: every section runs, the files a reader
needs are written, and the published attribution ties out per currency and model."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from rel2rev.cli import main as cli
from rel2rev.results.contracts import RunResults
from rel2rev.spend import read_cost_file


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("job")
    world = root / "world"
    simulate = ["simulate", "--accounts", "80", "--days", "200", "--end", "2026-10-31"]
    simulate += ["--workspace", "filesco", "--out", str(world), "--format", "parquet"]
    assert cli(simulate) == 0
    out = root / "out"
    assert cli(["job", "--input", str(world), "--as-of", "2026-10-31", "--out", str(out)]) == 0
    return out


def test_every_section_runs_and_every_file_is_written(run_dir: Path) -> None:
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "succeeded"
    assert record["workspace"] == "filesco"
    assert {s["status"] for s in record["sections"]} == {"ok"}
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert (run_dir / "report.html").stat().st_size > 10_000
    for table in manifest["tables"].values():
        assert (run_dir / table["csv"]).exists()
        assert (run_dir / table["parquet"]).exists()
    assert sorted(record["exports"]) == sorted(
        str(p.relative_to(run_dir))
        for p in run_dir.rglob("*")
        if p.is_file() and p.name not in {"run.json", "results.json"}
    )


def test_published_attribution_ties_out(run_dir: Path) -> None:
    results = RunResults.model_validate_json((run_dir / "results.json").read_text())
    attribution = results.attribution
    assert attribution is not None
    won = {m.currency: m.amount for m in attribution.won}
    assert won, "the simulated world wins deals in the window"
    credited: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in attribution.lines:
        credited[line.model, line.by, line.amount.currency] += line.amount.amount
    for gap in attribution.unattributed:
        if gap.amount is not None:
            credited[gap.model, gap.by, gap.amount.currency] += gap.amount.amount
    assert len({model for model, _, _ in credited}) == 16, "every default model published"
    for (model, by, currency), total in credited.items():
        assert total == won[currency], (model, by)


def test_the_folder_costs_give_the_returns_their_spend(run_dir: Path) -> None:
    results = RunResults.model_validate_json((run_dir / "results.json").read_text())
    returns, attribution = results.returns, results.attribution
    assert returns is not None
    assert attribution is not None
    lines = read_cost_file(run_dir.parent / "world" / "costs.csv")
    inside = [c for c in lines if returns.spend_from <= c.month <= returns.spend_to]
    assert returns.cost_lines == len(inside) > 0
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for line in inside:
        spend[line.amount.currency] += line.amount.amount
    assert {m.currency: m.amount for m in returns.spend} == spend
    for model in attribution.models:  # every channel's credited revenue, once (no baseline)
        for currency in spend:
            shown = sum(
                r.revenue.amount
                for r in returns.returns
                if (r.model, r.by, r.currency) == (model, "channel", currency)
            )
            credited = sum(
                t.amount.amount
                for t in attribution.totals
                if (t.model, t.by, t.amount.currency) == (model, "channel", currency)
                and not t.baseline
            )
            assert shown == credited
    assert any(r.roas is not None for r in returns.returns)
    assert any(q.cost_per_qualified for q in returns.qualified)
