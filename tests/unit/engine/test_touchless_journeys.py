"""Customers nobody touched become touchless journeys, alike in the three builders.

A customer contact that exists at the as-of, is on no deal of the run and had no interaction
in the lookback makes one non-converting journey without touches (`account:<id>`, else
`contact:<id>`), after every other journey; the baseline (`estimate_baseline`) counts it.
The reference (`build_journeys`), DuckDB and Spark must agree on every one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from rel2rev.attribution.baseline import MIN_TOUCHLESS, estimate_baseline
from rel2rev.attribution.journeys import build_journeys
from rel2rev.attribution.table import JourneyTable
from rel2rev.engine.backends import DuckDBEngine, EngineName, SparkEngine, engine
from rel2rev.engine.table import journeys_of, run_journeys
from rel2rev.job.compute import in_order
from rel2rev.records import (
    StakeholderType,
    WorkspaceRecords,
)
from rel2rev.simulate.world import WorldConfig, simulate_world

from .test_journey_engines import (
    AS_OF,
    DAY,
    LOOKBACK,
    T0,
    assert_same,
    contact,
    touch,
    won,
    workspace,
)


@pytest.fixture(scope="module", params=["duckdb", "spark"])
def built_by(request: pytest.FixtureRequest) -> Iterator[DuckDBEngine | SparkEngine]:
    """Each engine once for the module."""
    name: EngineName = request.param
    with engine(name) as running:
        yield running


def three_ways(
    running: DuckDBEngine | SparkEngine, records: WorkspaceRecords, since: datetime | None = None
) -> JourneyTable:
    """The engine's table, checked equal to the reference's."""
    ordered = in_order(records)
    got = run_journeys(ordered, running, as_of=AS_OF, lookback=LOOKBACK, since=since)
    want = build_journeys(ordered, as_of=AS_OF, lookback=LOOKBACK, since=since)
    assert_same(got.table, journeys_of(want).table)
    return got.table


def test_one_untouched_customer_makes_one_touchless_journey(
    built_by: DuckDBEngine | SparkEngine,
) -> None:
    records = workspace(
        contacts=[contact("ada", "acme.com"), contact("bob", "beta.com")],
        interactions=[touch("i1", "ada", 45)],
        deals=[won("deal", 50, account="acme.com")],
    )
    table = three_ways(built_by, records)
    assert list(table.ids) == ["deal", "account:beta.com"]
    assert list(table.lengths) == [1, 0]
    assert list(table.conversions) == [1.0, 0.0]
    assert list(table.nulls) == [0.0, 1.0]
    assert list(table.end_s) == [(T0 + 50 * DAY).timestamp(), AS_OF.timestamp()]
    assert list(table.reasons or []) == [None, None]
    baseline = estimate_baseline(table, draws=0)
    assert (baseline.journeys, baseline.conversions) == (1.0, 0.0)
    assert baseline.rate is None  # one journey: below MIN_TOUCHLESS


def test_who_makes_a_touchless_journey(built_by: DuckDBEngine | SparkEngine) -> None:
    records = workspace(
        contacts=[
            contact("ada", "acme.com"),  # touched in the window: a deal-less journey
            contact("gus", "acme.com"),  # untouched, but acme.com has a journey
            contact("bob", "beta.com"),  # untouched: account:beta.com
            contact("bea", "beta.com"),  # same account: still one journey
            contact("cid"),  # untouched, no account: contact:cid
            contact("pat", "pat.com", stakeholder_type=StakeholderType.PARTNER),  # no prospect
            contact("dan", "delta.com"),  # on a deal through its account
            contact("rae"),  # on a deal through its role
            contact("eve", "eps.com"),  # touched only before the window: touchless
            contact(
                "fay", "fox.com", created_at=T0 + 70 * DAY
            ),  # created after the as-of: not yet there
            contact("hal", "hotel.com"),  # its account was touched in the window
            contact("ian", "india.com"),  # touched in the window on another account
            contact("kim", "kilo.com"),  # on a deal closed before `since`: not covered
        ],
        interactions=[
            touch("i1", "ada", 45),
            touch("i2", "eve", 10),
            touch("i3", "pat", 40, account="hotel.com"),
            touch("i4", "ian", 41, account="juliet.com"),
            touch("i5", "dan", 42),
        ],
        deals=[
            won("d-delta", 50, account="delta.com"),
            won("d-rae", 52, roles=("rae",)),
            won("d-kilo", 5, account="kilo.com"),
        ],
    )
    table = three_ways(built_by, records, since=T0 + 20 * DAY)
    assert list(table.ids) == [
        "d-delta",
        "d-rae",
        "account:juliet.com",  # deal-less journeys by their first interaction (day 41)
        "account:acme.com",
        "account:beta.com",  # then the touchless ones in the order of the contacts
        "contact:cid",
        "account:eps.com",
        "account:kilo.com",
    ]
    assert list(table.lengths) == [1, 0, 1, 1, 0, 0, 0, 0]
    assert list(table.reasons or []) == [None, "no_touch_in_lookback", *[None] * 6]
    baseline = estimate_baseline(table, draws=0)
    # d-rae is a won deal whose committee had no touch: a touchless conversion
    assert (baseline.journeys, baseline.conversions) == (5.0, 1.0)


def test_the_baseline_rate_rests_on_touchless_journeys(
    built_by: DuckDBEngine | SparkEngine,
) -> None:
    idle = [contact(f"c{k:02d}", f"a{k:02d}.com") for k in range(MIN_TOUCHLESS)]
    committee = [contact("x", "x.com"), contact("y", "y.com"), contact("z", "z.com")]
    records = workspace(
        contacts=[*idle, *committee],
        interactions=[touch("i1", "z", 45)],
        deals=[  # x and y had no touch: touchless conversions; z's deal was touched
            won("dx", 50, account="x.com"),
            won("dy", 51, account="y.com"),
            won("dz", 52, account="z.com"),
        ],
    )
    table = three_ways(built_by, records)
    assert table.n_journeys == 3 + MIN_TOUCHLESS
    baseline = estimate_baseline(table, draws=200)
    assert baseline.journeys == MIN_TOUCHLESS + 2
    assert baseline.conversions == 2
    assert baseline.rate == pytest.approx(2 / (MIN_TOUCHLESS + 2))
    assert baseline.low is not None
    assert baseline.high is not None
    assert baseline.low <= baseline.rate <= baseline.high


def test_simulated_world_with_untouched_buyers(built_by: DuckDBEngine | SparkEngine) -> None:
    end = datetime(2026, 6, 1, tzinfo=UTC)
    config = WorldConfig(
        accounts=60, seed=4, end=end, days=240, baseline_hazard=0.002, touchless_share=0.3
    )
    records = in_order(simulate_world(config).records)
    got = run_journeys(records, built_by, as_of=end, lookback=90 * DAY)
    want = journeys_of(build_journeys(records, as_of=end, lookback=90 * DAY))
    assert_same(got.table, want.table)
    touchless = got.table.lengths == 0
    assert touchless.any()
    assert (got.table.nulls[touchless] > 0).any(), "untouched customers that did not convert"
