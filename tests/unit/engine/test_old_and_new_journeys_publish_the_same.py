"""The job's attribution section publishes the same results whether its journeys come from the
engine (DuckDB) or from the record-by-record reference (`build_journeys`): every model and
dimension, every credit line to the cent, the reconciliation and the holdout scores."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rel2rev.attribution.journeys import build_journeys
from rel2rev.cutoff import known_at
from rel2rev.engine.backends import DuckDBEngine
from rel2rev.engine.table import journeys_of
from rel2rev.job import adapters
from rel2rev.job.compute import in_order
from rel2rev.results.contracts import RunParameters, new_run
from rel2rev.simulate.world import WorldConfig, simulate_world

END = datetime(2026, 10, 31, tzinfo=UTC)


@pytest.mark.parametrize(("accounts", "seed"), [(60, 3), (140, 8)])
def test_engine_and_reference_journeys_publish_the_same_attribution(
    accounts: int, seed: int
) -> None:
    world = simulate_world(WorldConfig(accounts=accounts, seed=seed, end=END, days=300))
    run = new_run(world.records.workspace, date(2026, 10, 31), RunParameters(), trigger="cli",
                  now=END)  # fmt: skip
    records = in_order(known_at(world.records, run.window_end))
    lookback = timedelta(days=run.parameters.lookback_days)
    reference = journeys_of(
        build_journeys(records, as_of=run.window_end, lookback=lookback, since=run.window_start),
        records.deals,
    )
    with DuckDBEngine() as engine:
        built = adapters.journeys_for(records, run, engine)
    old = adapters.attribution_results(run, reference)
    new = adapters.attribution_results(run, built)
    assert old.lines, "the world credits won deals"
    failed = {f.model for f in old.failures}
    assert {line.model for line in old.lines} == set(run.parameters.models) - failed
    assert len(failed) <= 1, failed  # shapley_incremental, without journeys without touches
    assert new == old
    assert [str(x.amount.amount) for x in new.lines] == [str(x.amount.amount) for x in old.lines]
