"""Holdout scores, bootstrap intervals, table selection."""

from __future__ import annotations

import numpy as np
import pytest

from rel2rev.attribution.compare import auc, score, split_holdout
from rel2rev.attribution.io import table_from_paths
from rel2rev.attribution.run import run_models
from rel2rev.attribution.table import JourneyTable

from .helpers import journey


def test_auc_counts_ties_as_half_and_uses_weights() -> None:
    p = np.array([0.1, 0.4, 0.4, 0.9])
    positives = np.array([0.0, 1.0, 0.0, 2.0])
    negatives = np.array([1.0, 0.0, 1.0, 0.0])
    # pairs (pos, neg): 0.4 vs 0.1 win, 0.4 vs 0.4 tie, 0.9 (x2) vs both win -> (1 + .5 + 4) / 6
    assert auc(p, positives, negatives) == pytest.approx(5.5 / 6)
    assert auc(p, positives, np.zeros(4)) is None


def test_log_loss_of_a_constant_prediction() -> None:
    got = score(np.full(2, 0.25), np.array([1.0, 0.0]), np.array([0.0, 3.0]))
    assert got.log_loss == pytest.approx(-(np.log(0.25) + 3 * np.log(0.75)) / 4)
    assert got.journeys == 4.0


def test_holdout_split_keeps_every_count() -> None:
    table = table_from_paths(
        ["a", "a > b", "b"], np.array([10.0, 4.0, 0.0]), np.array([5.0, 0.0, 7.0])
    )
    train, test = split_holdout(table, 0.3, seed=1)
    assert (train.conversions + test.conversions).tolist() == [10.0, 4.0, 0.0]
    assert (train.nulls + test.nulls).tolist() == [5.0, 0.0, 7.0]


def test_select_keeps_touches_and_labels() -> None:
    table = JourneyTable.from_journeys(
        [
            journey("x", ["a", "b"]),
            journey("y", ["c"], converted=False),
            journey("z", ["b", "c", "a"]),
        ]
    )
    picked = table.select(np.array([2, 0]))
    assert list(picked.ids) == ["z", "x"]
    codes, labels = picked.codes("channel")
    assert labels == ["a", "b", "c"]
    assert [labels[c] for c in codes] == ["b", "c", "a", "a", "b"]
    assert picked.offsets.tolist() == [0, 3, 5]
    assert table.converting.ids[1] == "z"


def test_hazard_prediction_ignores_the_conversion_time() -> None:
    from rel2rev.attribution.hazard import AdditiveHazard

    journeys = [journey(str(i), ["a", "b"], converted=i % 3 == 0, end_day=5) for i in range(30)]
    model = AdditiveHazard().fit(JourneyTable.from_journeys(journeys))
    moved = [journey(str(i), ["a", "b"], converted=i % 3 == 0, end_day=2) for i in range(29)]
    anchor = journey("29", ["a", "b"], converted=False, end_day=5)  # keeps the same horizon
    before = model.predict(JourneyTable.from_journeys(journeys))
    after = model.predict(JourneyTable.from_journeys([*moved, anchor]))
    assert after == pytest.approx(before)


def test_bootstrap_intervals_bracket_the_shares() -> None:
    table = table_from_paths(
        ["a > b", "a", "b", "c > a"],
        np.array([30.0, 5.0, 20.0, 3.0]),
        np.array([10.0, 40.0, 25.0, 30.0]),
    )
    got = run_models(table, ["linear", "markov"], bootstrap=30, seed=2)
    for result in got.models.values():
        for value, share in result.shares.items():
            interval = result.share_intervals[value]
            assert interval.low <= share + 1e-9
            assert share - 1e-9 <= interval.high


def test_report_round_trips_through_json() -> None:
    from rel2rev.attribution import AttributionReport

    data = [journey("a", ["e", "f"], amount="10.00"), journey("b", ["e"], converted=False)]
    report = run_models(data, holdout=0.5, bootstrap=3)
    assert AttributionReport.model_validate_json(report.model_dump_json()) == report
