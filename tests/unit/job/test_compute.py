"""The job's compute step on simulated worlds: every section, reconciliation, isolation."""

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rel2rev.engine.backends import DuckDBEngine
from rel2rev.engine.table import journeys_of
from rel2rev.job import adapters
from rel2rev.job.compute import compute_results, in_order
from rel2rev.records import DealStatus, WorkspaceRecords
from rel2rev.results.contracts import (
    SECTIONS,
    RunParameters,
    RunResults,
    RunStatus,
    SectionStatus,
    new_run,
)
from rel2rev.simulate.world import WorldConfig, simulate_world

END = datetime(2026, 6, 1, tzinfo=UTC)
AS_OF = date(2026, 5, 31)


@pytest.fixture(scope="module")
def world() -> WorkspaceRecords:
    return simulate_world(WorldConfig(seed=3, accounts=24, days=150, end=END)).records


@pytest.fixture(scope="module")
def results(world: WorkspaceRecords) -> RunResults:
    run = new_run(world.workspace, AS_OF, RunParameters(), trigger="cli", now=END)
    return compute_results(world, run)


def test_every_model_section_runs_and_is_timed(results: RunResults) -> None:
    outcomes = {s.name: s for s in results.run.sections}
    assert set(outcomes) == set(SECTIONS) - {"exports"}
    assert all(s.status is SectionStatus.OK for s in outcomes.values()), outcomes
    assert all(s.seconds >= 0 for s in outcomes.values())
    assert results.run.status is RunStatus.SUCCEEDED
    assert results.run.model_versions["lifelines"]
    assert results.run.counts.deals > 0


def test_every_deal_reconciles_to_the_cent_under_every_model(
    world: WorkspaceRecords, results: RunResults
) -> None:
    assert results.attribution is not None
    won = {
        d.deal_id: d.amount
        for d in world.deals
        if d.status is DealStatus.WON and d.amount is not None and d.closed_at is not None
    }
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for line in results.attribution.lines:
        assert line.amount.currency == won[line.deal_id].currency  # type: ignore[union-attr]
        sums[line.deal_id, line.model, line.by] += line.amount.amount
    credited_models = {m for _, m, _ in sums}
    assert credited_models == set(results.attribution.models) - {
        f.model for f in results.attribution.failures
    }
    for (deal_id, _, _), total in sums.items():
        assert total == won[deal_id].amount  # type: ignore[union-attr]
    # every won deal with touches in the lookback gets lines from every successful model
    assert {d for d, _, _ in sums} <= set(won)


def test_totals_per_currency_equal_the_sum_of_lines(results: RunResults) -> None:
    assert results.attribution is not None
    from_lines: dict[tuple[str, str, str, str], Decimal] = defaultdict(Decimal)
    for line in results.attribution.lines:
        from_lines[line.model, line.by, line.value, line.amount.currency] += line.amount.amount
    from_totals = {
        (t.model, t.by, t.value, t.amount.currency): t.amount.amount
        for t in results.attribution.totals
    }
    assert from_totals == dict(from_lines)


def test_data_driven_models_are_scored_once_on_a_seeded_channel_holdout(
    world: WorkspaceRecords, results: RunResults
) -> None:
    assert results.attribution is not None
    holdout = results.attribution.holdout
    assert [h.model for h in holdout] == [
        "markov",
        "shapley_rate",
        "additive_hazard",
        "additive_hazard_incremental",
    ]
    assert {(h.by, h.fraction, h.seed) for h in holdout} == {
        ("channel", adapters.HOLDOUT_FRACTION, adapters.HOLDOUT_SEED)
    }
    scored = [h for h in holdout if h.reason is None]
    assert scored
    for h in scored:
        assert h.log_loss is not None
        assert h.log_loss > 0
        assert h.train_journeys + h.test_journeys == results.run.counts.journeys
        assert 0 < h.test_journeys < h.train_journeys
    assert all(h.log_loss is None and h.auc is None for h in holdout if h.reason is not None)
    run, ordered = results.run, in_order(world)
    again = adapters.attribution_results(run, adapters.journeys_for(ordered, run, DuckDBEngine()))
    assert again.holdout == holdout  # deterministic


def test_the_holdout_is_scored_by_channel_even_when_channel_is_not_credited(
    world: WorkspaceRecords, results: RunResults
) -> None:
    assert results.attribution is not None
    params = RunParameters(models=("linear", "markov"), attribution_by=("campaign",))
    run, ordered = new_run(world.workspace, AS_OF, params, trigger="cli", now=END), in_order(world)
    out = adapters.attribution_results(run, adapters.journeys_for(ordered, run, DuckDBEngine()))
    assert {line.by for line in out.lines} == {"campaign"}
    markov = next(h for h in results.attribution.holdout if h.model == "markov")
    assert out.holdout == [markov]
    linear_only = run.model_copy(update={"parameters": RunParameters(models=("linear",))})
    assert adapters.attribution_results(linear_only, journeys_of([])).holdout == []


def test_funnel_rows_cover_every_capture(world: WorkspaceRecords, results: RunResults) -> None:
    assert results.funnel is not None
    overall = [r for r in results.funnel.rows if r.by is None]
    by_channel = [r for r in results.funnel.rows if r.by == "channel"]
    assert sum(r.captured for r in overall) == sum(r.captured for r in by_channel) > 0
    assert all(r.value is None for r in overall)
    assert {d.from_stage for d in results.funnel.delays} >= {"captured", "qualified"}


def test_relationships_carry_timeline_and_score_history(
    world: WorkspaceRecords, results: RunResults
) -> None:
    assert results.relationships
    touched = {i.contact_id for i in world.interactions}
    busiest = max(results.relationships, key=lambda r: r.interactions)
    assert busiest.contact_id in touched
    assert len(busiest.timeline) == busiest.interactions
    assert busiest.score_history
    assert busiest.stages.captured_at is not None


def test_survival_sections_cover_each_transition(results: RunResults) -> None:
    assert results.survival is not None
    transitions = {c.transition for c in results.survival.curves if c.by is None}
    assert transitions == {"capture_to_qualified", "qualified_to_lead", "lead_to_won"}
    assert {d.transition for d in results.survival.drivers} == transitions
    assert results.survival.competing is not None


def test_a_failing_section_is_marked_and_the_rest_completes(
    world: WorkspaceRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise ValueError("degenerate design matrix")

    monkeypatch.setattr(adapters, "survival_drivers", broken)
    run = new_run(world.workspace, AS_OF, RunParameters(models=("linear",)), trigger="cli",
                  now=END)  # fmt: skip
    results = compute_results(world, run)
    drivers = results.run.section("drivers")
    assert drivers is not None
    assert drivers.status is SectionStatus.FAILED
    assert drivers.error == "ValueError: degenerate design matrix"
    assert results.run.status is RunStatus.PARTIAL
    assert results.survival is not None
    assert results.survival.drivers == []
    assert results.attribution is not None
    assert results.attribution.lines


def test_an_empty_workspace_still_completes(results: RunResults) -> None:
    empty = WorkspaceRecords(workspace="empty")
    run = new_run("empty", AS_OF, RunParameters(), trigger="cli", now=END)
    out = compute_results(empty, run)
    assert out.run.status in {RunStatus.SUCCEEDED, RunStatus.PARTIAL}
    assert len(out.run.sections) == len(SECTIONS) - 1
    assert out.run.counts.deals == 0
    if out.attribution is not None:
        assert out.attribution.lines == []
        assert out.attribution.holdout
        assert all(h.reason and h.log_loss is None for h in out.attribution.holdout)
