"""Incremental credit: the baseline estimate, the two incremental models, computed by hand."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from rel2rev.attribution import Journey, run_models
from rel2rev.attribution.baseline import BASELINE, MIN_TOUCHLESS, estimate_baseline
from rel2rev.attribution.hazard import AdditiveHazard
from rel2rev.attribution.io import read_input, table_from_paths
from rel2rev.attribution.run import FULL_CREDIT_MODELS
from rel2rev.attribution.shapley import fit_game
from rel2rev.attribution.table import JourneyTable
from rel2rev.cli import main
from rel2rev.money import Money

from .helpers import journey


def _game() -> JourneyTable:
    """Baseline 4/40 = 0.1; v(a) = 0.3, v(b) = 0.2, v(ab) = 0.5, v(c) = 0.1 (no lift)."""
    money = [Money.of(a, "EUR") for a in ("40.00", "10.00", "7.01", "100.00", "5.00")]
    return table_from_paths(
        ["", "a", "b", "a > b", "c"],
        np.array([4.0, 3, 2, 5, 1]),
        np.array([36.0, 7, 8, 5, 9]),
        money,
    )


def test_the_two_channel_game_with_a_baseline_by_hand() -> None:
    # w = v - b: w(a) = 0.2, w(b) = 0.1, w(ab) = 0.4, so on {a, b}
    # φ_a = (w(a) + w(ab) - w(b)) / 2 = 0.25 and φ_b = (w(b) + w(ab) - w(a)) / 2 = 0.15.
    game = fit_game(_game(), "channel", baseline=0.1)
    assert list(game.masks) == [1, 2, 3, 4]
    assert game.phi == pytest.approx(
        np.array([[0.2, 0, 0], [0, 0.1, 0], [0.25, 0.15, 0], [0, 0, 0]]), abs=1e-12
    )
    result = run_models(_game(), ["shapley_incremental"]).models["shapley_incremental"]
    assert result.error is None
    assert result.incremental
    # {a}: 1/3 baseline; {b}: 1/2; {a, b}: 0.2 baseline, then 0.8 split 0.25 : 0.15;
    # {c}: v = b, all baseline; no touches: all baseline.
    assert result.conversions == pytest.approx(
        {"a": 3 * 2 / 3 + 5 * 0.5, "b": 2 * 0.5 + 5 * 0.3, "c": 0.0, BASELINE: 1 + 1 + 1 + 1 + 4}
    )
    assert result.shares[BASELINE] == pytest.approx(8 / 15)
    lines = {(line.deal_id, line.value): line.amount.amount for line in result.deal_lines}
    assert lines == {
        ("row 1", BASELINE): Decimal("40.00"),
        ("row 2", "a"): Decimal("6.67"),
        ("row 2", BASELINE): Decimal("3.33"),
        ("row 3", "b"): Decimal("3.51"),  # the tie goes to the value touched first
        ("row 3", BASELINE): Decimal("3.50"),
        ("row 4", "a"): Decimal("50.00"),
        ("row 4", "b"): Decimal("30.00"),
        ("row 4", BASELINE): Decimal("20.00"),
        ("row 5", BASELINE): Decimal("5.00"),
    }
    revenue = {v: m.amount for v, m in result.revenue["EUR"].items()}
    assert revenue == {BASELINE: Decimal("71.83"), "a": Decimal("56.67"), "b": Decimal("33.51")}
    assert result.unattributed == []
    assert sum(revenue.values()) == Decimal("162.01")  # baseline + channels = won, to the cent


def test_full_credit_leaves_the_touchless_deal_unattributed_and_has_no_baseline() -> None:
    report = run_models(_game(), ["shapley_rate", "shapley_incremental", "linear"])
    full = report.models["shapley_rate"]
    assert not full.incremental
    assert BASELINE not in full.shares
    assert [(g.deal_id, g.reason, g.amount) for g in full.unattributed] == [
        ("row 1", "no_touches", Money.of("40.00", "EUR"))
    ]
    credited = sum(m.amount for m in full.revenue["EUR"].values())
    assert credited + Decimal("40.00") == report.won["EUR"].amount == Decimal("162.01")
    row = next(r for r in report.comparison if r.value == BASELINE)
    assert set(row.shares) == {"shapley_incremental"}  # not a 0 for the others
    assert report.baseline is not None
    assert report.baseline.rate == pytest.approx(0.1)


def test_baseline_estimate_interval_evidence_and_refusal() -> None:
    table = _game()
    found = estimate_baseline(table, seed=3)
    assert (found.journeys, found.conversions, found.rate) == (40, 4, 0.1)
    assert found.low is not None
    assert found.high is not None
    assert 0 <= found.low < 0.1 < found.high < 0.3
    assert estimate_baseline(table, seed=3) == found
    few = table.select(np.array([1, 2, 3]))
    refused = estimate_baseline(few)
    assert refused.rate is None
    assert refused.journeys == 0
    assert refused.reason == f"0 journeys without touches; the baseline needs {MIN_TOUCHLESS}"
    result = run_models(few, ["shapley_incremental"]).models["shapley_incremental"]
    assert result.error is not None
    assert "no baseline rate" in result.error
    assert {g.reason for g in result.unattributed} == {"model_failed"}


def _touched_and_touchless() -> tuple[list[Journey], list[Journey]]:
    rng = np.random.default_rng(4)
    channels = ["email", "ads", "meeting", "webinar"]
    touched = []
    for k in range(60):
        path = list(rng.choice(channels, size=int(rng.integers(1, 4))))
        converted = bool(rng.random() < 0.4)
        days = sorted(float(d) for d in rng.uniform(0, 20, size=len(path)))
        touched.append(
            journey(
                f"t{k}", path, converted=converted, amount="99.99" if converted else None,
                days=days, end_day=25, lead_day=days[0], opportunity_day=days[-1],
            )
        )  # fmt: skip
    touchless = [
        journey(f"o{k}", [], converted=k % 5 == 0, amount="50.00", end_day=10)
        for k in range(MIN_TOUCHLESS)
    ]
    return touched, touchless


def test_touchless_journeys_change_nothing_for_the_full_credit_models() -> None:
    touched, touchless = _touched_and_touchless()
    settings = {"hazard_decay": timedelta(days=7), "touches": True}
    # but `logistic`: its intercept is fitted on them too (the fit of `logistic_incremental`)
    models = [m for m in FULL_CREDIT_MODELS if m != "logistic"]
    before = run_models(touched, models, **settings)
    after = run_models(touched + touchless, models, **settings)
    for name in models:
        old, new = before.models[name], after.models[name]
        assert old.error is None, name
        assert new.error is None, name
        assert new.shares == old.shares, name
        assert new.conversions == old.conversions, name
        assert list(new.deal_lines) == list(old.deal_lines), name
        assert new.touch_credits == old.touch_credits, name
        assert {g.reason for g in new.unattributed} == {"no_touches"}, name
    assert after.baseline is not None
    assert after.baseline.rate == pytest.approx(6 / 30)


def _hazard_world(n: int, lam0: float, beta: dict[str, float], seed: int) -> list[Journey]:
    """One touch at day 0 per journey; hazard λ0 + β_c 2^(-t/7); censored at day 60."""
    rng = np.random.default_rng(seed)
    omega = math.log(2) / 7
    labels = list(beta)
    codes = rng.integers(0, len(labels), size=n)
    b = np.array([beta[c] for c in labels])[codes]
    target = rng.exponential(size=n)
    low, high = np.zeros(n), np.full(n, 1e4)
    for _ in range(80):  # Λ(t) = λ0 t + β/ω (1 - e^(-ωt)) = target, by bisection
        mid = (low + high) / 2
        above = lam0 * mid + b / omega * -np.expm1(-omega * mid) > target
        high, low = np.where(above, mid, high), np.where(above, low, mid)
    return [
        journey(
            f"h{k}", [labels[codes[k]]], converted=bool(t < 60), amount="10.00",
            days=[0.0], end_day=min(float(t), 60.0),
        )
        for k, t in enumerate(high)
    ]  # fmt: skip


def test_the_additive_hazard_recovers_a_constant_baseline() -> None:
    journeys = _hazard_world(6000, 0.004, {"email": 0.05, "meeting": 0.2}, seed=1)
    table = JourneyTable.from_journeys(journeys)
    half_life = timedelta(days=7)
    fitted = AdditiveHazard(decay=half_life, baseline=True).fit(table)
    assert fitted.baseline_ == pytest.approx(0.004, rel=0.2)
    assert dict(zip(fitted.labels_, fitted.beta_, strict=True)) == pytest.approx(
        {"email": 0.05, "meeting": 0.2}, rel=0.2
    )
    plain = AdditiveHazard(decay=half_life).fit(table)
    assert plain.baseline_ == 0
    assert fitted.log_likelihood_ > plain.log_likelihood_
    report = run_models(table, ["additive_hazard_incremental"], hazard_decay=half_life)
    result = report.models["additive_hazard_incremental"]
    assert result.error is None
    assert result.incremental
    # A converter's baseline part is λ0 / (λ0 + β_c 2^(-T/7)) at its conversion T.
    beta = dict(zip(fitted.labels_, fitted.beta_, strict=True))
    expected = 0.0
    for j in journeys:
        if j.converted and j.converted_at is not None:
            age = (j.converted_at - j.touches[0].at).total_seconds() / 86400  # type: ignore[operator]
            touch = beta[j.touches[0].channel] * 2 ** (-age / 7)
            expected += fitted.baseline_ / (fitted.baseline_ + touch)
    assert result.conversions[BASELINE] == pytest.approx(expected, rel=1e-9)
    won = sum(m.amount for m in report.won.values())
    assert sum(m.amount for m in result.revenue["EUR"].values()) == won


def test_files_with_touchless_journeys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    touches = tmp_path / "t.csv"
    touches.write_text(
        "journey_id,ts,channel,revenue,currency\n"
        "j1,2026-01-01,email,10,EUR\n"
        "j2,,,20,EUR\n"
        "j1,,,10,EUR\n"
        "j3,2026-01-02,ads,,\n",
        encoding="utf-8",
    )
    table = read_input(touches, "touches")
    assert list(table.ids) == ["j1", "j2", "j3"]
    assert list(table.lengths) == [1, 0, 1]
    assert list(table.conversions) == [1, 1, 0]
    assert table.codes("channel")[1] == ["ads", "email"]
    paths = tmp_path / "p.csv"
    paths.write_text(
        "path,total_conversions,total_null\nemail > ads,3,7\n,4,36\n", encoding="utf-8"
    )
    table = read_input(paths, "paths")
    assert list(table.lengths) == [2, 0]
    assert list(table.conversions) == [3, 4]
    out = tmp_path / "r.json"
    code = main(["attribute", "--input", str(paths), "--format", "paths", "--out", str(out),
                 "--model", "linear", "shapley_incremental"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "no baseline" in printed
    assert "baseline conversion rate 10.00%" in printed
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["baseline"]["rate"] == pytest.approx(0.1)
    assert document["baseline"]["journeys"] == 40
    assert document["models"]["linear"]["incremental"] is False
    assert document["models"]["shapley_incremental"]["incremental"] is True
    assert BASELINE in document["models"]["shapley_incremental"]["shares"]
