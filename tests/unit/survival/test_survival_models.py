"""Survival: lifelines' rossi through rel2rev's preparation, censoring, AJ, degenerate data."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from lifelines import AalenJohansenFitter, CoxPHFitter
from lifelines.datasets import load_rossi

from rel2rev.records import WorkspaceRecords
from rel2rev.survival import (
    aalen_johansen,
    competing_risks,
    fit_cox,
    kaplan_meier,
    prepare,
    survival_analysis,
    survival_drivers,
)
from rel2rev.survival.cox import time_varying_intervals, usable_features

T0 = pd.Timestamp("2026-01-05", tz="UTC")
ROSSI_PUBLISHED = {  # lifelines docs, CoxPHFitter on rossi (week, arrest)
    "fin": -0.379422, "age": -0.057438, "race": 0.313900, "wexp": -0.149796,
    "mar": -0.433704, "paro": -0.084871, "prio": 0.091497,
}  # fmt: skip


def rossi_spells() -> pd.DataFrame:
    """Each released prisoner as a spell starting at T0; arrests end it, week 52 is as-of."""
    rossi = load_rossi()
    week = pd.to_timedelta(rossi["week"] * 7, unit="D")
    spells = rossi.drop(columns=["week", "arrest"])
    spells["id"] = [f"p{i}" for i in range(len(rossi))]
    spells["start"] = T0
    spells["end"] = (spells["start"] + week).where(rossi["arrest"] == 1)
    return spells


def test_rossi_through_rel2rev_preparation_matches_lifelines_published_coefficients() -> None:
    spells = rossi_spells()
    prepared = prepare(spells, as_of=T0 + timedelta(weeks=52), resolution=timedelta(weeks=1))
    rossi = load_rossi()
    assert prepared["duration"].tolist() == rossi["week"].astype(float).tolist()
    assert prepared["event"].tolist() == (rossi["arrest"] == 1).tolist()
    fit = fit_cox(prepared, list(ROSSI_PUBLISHED))
    assert fit.insufficient is None
    coefs = {h.feature: h.coef for h in fit.hazard_ratios}
    for name, value in ROSSI_PUBLISHED.items():
        assert coefs[name] == pytest.approx(value, abs=1e-4)
    reference = CoxPHFitter().fit(rossi, "week", "arrest")
    for h in fit.hazard_ratios:
        assert h.se == pytest.approx(reference.standard_errors_[h.feature], abs=1e-6)
    assert fit.concordance == pytest.approx(reference.concordance_index_, abs=1e-9)
    assert fit.ph_violations == ["age", "wexp"]  # lifelines' own PH check flags these two
    assert fit.ph_spells == 432


def test_open_at_as_of_is_at_risk_and_not_an_event() -> None:
    spells = pd.DataFrame(
        {
            "start": [T0, T0, T0],
            "end": [T0 + timedelta(days=10), pd.NaT, T0 + timedelta(days=40)],
        }
    )
    prepared = prepare(
        spells, as_of=(T0 + timedelta(days=30)).to_pydatetime(), resolution=timedelta(days=1)
    )
    assert prepared["duration"].tolist() == [10.0, 30.0, 30.0]
    assert prepared["event"].tolist() == [True, False, False]
    curve = kaplan_meier(
        np.array([*prepared["duration"], 5, 12]), np.array([*prepared["event"], True, False])
    )
    assert curve.insufficient is None
    by_time = {p.time: p for p in curve.points}
    assert (by_time[10.0].at_risk, by_time[10.0].events) == (4, 1)
    assert by_time[30.0].censored == 2
    assert by_time[10.0].estimate == pytest.approx(4 / 5 * 3 / 4)
    assert curve.median is None  # never falls to 0.5: not reached, reported as None


def test_aalen_johansen_equals_lifelines_on_untied_times_and_handles_ties() -> None:
    rng = np.random.default_rng(7)
    times = rng.exponential(20.0, 300)
    outcomes = rng.choice([0, 1, 2], 300, p=[0.3, 0.4, 0.3])
    ours = aalen_johansen(times, outcomes, 1)
    theirs = AalenJohansenFitter(calculate_variance=True).fit(times, outcomes, event_of_interest=1)
    assert [p.estimate for p in ours] == pytest.approx(
        theirs.cumulative_density_.iloc[1:, 0].tolist()
    )
    bounds = theirs.confidence_interval_.iloc[1:-1]
    assert [p.lower for p in ours[:-1]] == pytest.approx(bounds.min(axis=1).tolist(), nan_ok=True)
    assert [p.upper for p in ours[:-1]] == pytest.approx(bounds.max(axis=1).tolist(), nan_ok=True)
    tied = aalen_johansen(np.array([1.0, 1, 1, 2, 3]), np.array([1, 2, 0, 1, 0]), 1)
    won = aalen_johansen(np.array([1.0, 1, 1, 2, 3]), np.array([1, 2, 0, 1, 0]), 2)
    assert [p.estimate for p in tied] == pytest.approx([1 / 5, 1 / 5 + 3 / 5 * 1 / 2, 0.5])
    assert won[-1].estimate == pytest.approx(1 / 5)


def test_collinear_and_constant_features_are_dropped_and_named() -> None:
    frame = pd.DataFrame(
        {"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8], "c": [1.0] * 4, "d": [0.0, 1, 0, 1]}
    )
    kept, dropped = usable_features(frame, ["a", "b", "c", "d"])
    assert kept == ["a", "d"]
    assert dropped == {"b": "collinear with other features", "c": "constant"}


def test_degenerate_inputs_give_reasons_not_exceptions() -> None:
    empty = WorkspaceRecords(workspace="w")
    as_of = datetime(2026, 3, 1, tzinfo=UTC)
    km = survival_analysis(empty, as_of=as_of, transition="lead_to_won", by="channel")
    assert km.n == 0
    assert km.overall.insufficient is not None
    assert "0 spells" in km.overall.insufficient.reason
    cox = survival_drivers(empty, as_of=as_of, transition="capture_to_qualified")
    assert cox.insufficient is not None
    assert cox.hazard_ratios == []
    tv = survival_drivers(empty, as_of=as_of, transition="qualified_to_lead", time_varying=True)
    assert tv.insufficient is not None
    cr = competing_risks(empty, as_of=as_of)
    assert cr.insufficient is not None
    no_events = kaplan_meier(np.array([3.0, 4, 5, 6, 7]), np.zeros(5, dtype=bool))
    assert no_events.insufficient is not None
    assert "no events" in no_events.insufficient.reason
    frame = pd.DataFrame({"x": [1.0] * 30, "duration": np.arange(1.0, 31), "event": [True] * 30})
    assert (
        fit_cox(frame, ["x"]).insufficient.reason == "no feature varies independently of the others"
    )  # type: ignore[union-attr]
    for report in (km, cox, tv, cr):
        text = report.model_dump_json()
        assert "NaN" not in text
        assert "Infinity" not in text
        json.loads(text)


def test_time_varying_intervals_split_where_counts_change() -> None:
    prepared = pd.DataFrame(
        {"id": ["a", "b"], "start": [T0, T0], "duration": [5.0, 3.0], "event": [True, False]}
    )
    touches = pd.DataFrame(
        {
            "id": ["a", "a", "a", "b"],
            "at": [T0, T0 + timedelta(hours=30), T0 + timedelta(days=9), T0 + timedelta(hours=1)],
            "group": ["inbound", "outbound", "outbound", "reaction"],
        }
    )
    rows = time_varying_intervals(prepared, touches, resolution=timedelta(days=1))
    a = rows.loc[rows["id"] == "a"]
    assert a[["start", "stop"]].to_numpy().tolist() == [[0.0, 2.0], [2.0, 5.0]]
    assert a["event"].tolist() == [False, True]
    assert a["reciprocal"].tolist() == [0.0, 1.0]
    assert a["log_count_outbound"].tolist() == [0.0, math.log(2)]
    b = rows.loc[rows["id"] == "b"]
    assert b[["start", "stop"]].to_numpy().tolist() == [[0.0, 1.0], [1.0, 3.0]]
    assert b["event"].tolist() == [False, False]


def test_features_without_enough_events_are_dropped_with_the_reason() -> None:
    rng = np.random.default_rng(3)
    n = 200
    frame = pd.DataFrame(
        {
            "duration": rng.exponential(20.0, n).round() + 1,
            "event": rng.random(n) < 0.2,
            "x": rng.normal(size=n),
            "rare": np.r_[np.ones(3), np.zeros(n - 3)],
        }
    )
    frame.loc[frame["rare"] == 1, "event"] = True  # 3 events with it: a runaway estimate
    for k in range(12):
        frame[f"noise{k}"] = rng.normal(size=n)
    fit = fit_cox(frame, ["x", "rare", *(f"noise{k}" for k in range(12))], check_ph=False)
    events = int(frame["event"].sum())
    assert fit.insufficient is None
    assert fit.dropped["rare"].startswith("3 events off its usual value")
    assert len(fit.features) == events // 10
    assert all(np.isfinite([h.lower, h.upper]).all() for h in fit.hazard_ratios)
