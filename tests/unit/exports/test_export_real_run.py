"""A real run (simulated world -> job compute) exported: every deal's credits sum to its amount."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from rel2rev.exports import csv_path, parquet_path, write_exports
from rel2rev.job.compute import compute_results
from rel2rev.records import DealStatus
from rel2rev.results.contracts import RunParameters, RunRecord, RunResults, run_id_for
from rel2rev.simulate.world import World, WorldConfig, simulate_world

END = datetime(2026, 10, 31, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return simulate_world(WorldConfig(seed=11, accounts=30, days=200, end=END))


@pytest.fixture(scope="module")
def run(world: World) -> RunResults:
    params = RunParameters(window_days=200)
    record = RunRecord(
        run_id=run_id_for(world.records.workspace, END.date(), params),
        workspace=world.records.workspace,
        as_of=END.date(),
        window_start=END - timedelta(days=params.window_days),
        window_end=END,
        parameters=params,
        created_at=END,
        started_at=END,
    )
    return compute_results(world.records, record)


def test_every_credited_deal_reconciles_to_its_booked_amount(world: World, run: RunResults) -> None:
    files = write_exports(run)
    won = {d.deal_id: d.amount for d in world.records.deals if d.status is DealStatus.WON}
    table = pq.read_table(io.BytesIO(files[parquet_path("attribution_deals")])).to_pylist()
    assert table, "the simulated world has attributed deals"
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    currencies: dict[str, set[str]] = defaultdict(set)
    for row in table:
        sums[(row["model"], row["dimension"], row["deal_id"])] += row["amount"]
        currencies[row["deal_id"]].add(row["currency"])
    for (model, dimension, deal_id), total in sums.items():
        amount = won[deal_id]
        assert amount is not None
        assert total == amount.amount, (model, dimension, deal_id)
        assert currencies[deal_id] == {amount.currency}
    deals = {d.deal_id: d for d in world.records.deals}
    for row in table:  # what finance joins on, on every line
        deal = deals[row["deal_id"]]
        assert (row["deal_name"], row["account_id"], row["stage"]) == (
            deal.name, deal.account_id, deal.stage,
        )  # fmt: skip
        assert row["deal_amount"] == won[row["deal_id"]].amount  # type: ignore[union-attr]
        assert row["amount"] > 0
    credited_models = {model for model, _, _ in sums}
    assert {"first", "linear", "markov", "shapley"} <= credited_models
    csv_rows = list(csv.DictReader(io.StringIO(files[csv_path("attribution_deals")].decode())))
    assert len(csv_rows) == len(table)
    assert sum(Decimal(r["amount"]) for r in csv_rows) == sum(r["amount"] for r in table)


def test_data_driven_models_holdout_scores_are_exported(run: RunResults) -> None:
    files = write_exports(run)
    table = pq.read_table(io.BytesIO(files[parquet_path("attribution_holdout")])).to_pylist()
    assert [r["model"] for r in table] == [
        "markov",
        "shapley_rate",
        "additive_hazard",
        "additive_hazard_incremental",
    ]
    assert {r["dimension"] for r in table} == {"channel"}
    scored = [r for r in table if r["reason"] is None]
    assert scored, "the simulated world has enough journeys to score a model"
    for row in scored:
        assert row["log_loss"] > 0
        assert row["auc"] is None or 0 <= row["auc"] <= 1
        assert row["train_journeys"] + row["test_journeys"] == run.run.counts.journeys
        assert 0 < row["test_journeys"] < row["train_journeys"]
        assert (row["holdout_fraction"], row["seed"]) == (0.2, 0)
    assert all(r["log_loss"] is None for r in table if r["reason"] is not None)
    csv_rows = list(csv.DictReader(io.StringIO(files[csv_path("attribution_holdout")].decode())))
    assert [(r["model"], r["log_loss"]) for r in csv_rows] == [
        (r["model"], "" if r["log_loss"] is None else repr(r["log_loss"])) for r in table
    ]
    page = files["report.html"].decode()
    assert "<h3>Which model explains your data best</h3>" in page


def test_report_of_a_real_run_has_every_section_and_chart(run: RunResults) -> None:
    page = write_exports(run)["report.html"].decode()
    for anchor in (
        "summary",
        "funnel",
        "engagement",
        "timing",
        "drivers",
        "attribution",
        "people",
        "caveats",
    ):
        assert f'<section id="{anchor}">' in page
    ok = {s.name for s in run.run.sections if s.status.value == "ok"}
    assert page.count("<svg") >= 2 + ("survival" in ok) + 3 * ("attribution" in ok)
