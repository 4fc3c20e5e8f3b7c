"""The regularised logistic model and its Shapley credit, computed by hand."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from scipy.special import expit

from rel2rev.attribution import run_models
from rel2rev.attribution.baseline import BASELINE
from rel2rev.attribution.io import table_from_paths
from rel2rev.attribution.logistic import LogisticModel
from rel2rev.attribution.run import (
    ALL_MODELS,
    FULL_CREDIT_MODELS,
    INCREMENTAL_MODELS,
    PREDICTIVE_MODELS,
)
from rel2rev.attribution.table import JourneyTable
from rel2rev.money import Money

# p(∅) = 0.1, p(a) = 0.3, p(b) = 0.2: odds 1/9, 3/7, 1/4, so β0 = log(1/9), β_a = log(27/7),
# β_b = log(9/4) and the odds of {a, b} are (3/7)(1/4)/(1/9) = 27/28: p(a, b) = 27/55.
B0, BA, BB = math.log(1 / 9), math.log(27 / 7), math.log(9 / 4)
P_AB = 27 / 55


def _known() -> LogisticModel:
    model = LogisticModel("channel")
    model.intercept_, model.coef_, model.labels_ = B0, np.array([BA, BB]), ["a", "b"]
    return model


def test_the_two_channel_split_by_hand() -> None:
    model = _known()
    sets = np.array([0, 1, 2, 3], dtype=np.int64)
    assert model.probability(sets) == pytest.approx([0.1, 0.3, 0.2, P_AB])
    # incremental: w = p - 0.1, w(a) = 0.2, w(b) = 0.1, w(ab) = 43/110, so on {a, b}
    # φ_a = (w(a) + w(ab) - w(b)) / 2 = 27/110 and φ_b = (w(b) + w(ab) - w(a)) / 2 = 16/110;
    # baseline part 0.1 / (27/55) = 11/54, the rest 43/54 split 27 : 16.
    phi = model.shapley(sets, incremental=True)
    assert phi[3] == pytest.approx([27 / 110, 16 / 110])
    assert model.weights(sets, incremental=True) == pytest.approx(
        np.array([[0, 0, 1], [2 / 3, 0, 1 / 3], [0, 1 / 2, 1 / 2], [1 / 2, 8 / 27, 11 / 54]])
    )
    # full credit: v(∅) = 0, φ_a = (0.3 + 27/55 - 0.2) / 2 = 65/220, φ_b = 43/220
    assert model.shapley(sets, incremental=False)[3] == pytest.approx([65 / 220, 43 / 220])
    assert model.weights(sets, incremental=False) == pytest.approx(
        np.array([[0, 0], [1, 0], [0, 1], [65 / 108, 43 / 108]])
    )


def test_a_channel_that_lowers_conversion_is_clipped_and_the_rest_is_baseline() -> None:
    model = _known()
    model.coef_ = np.array([BA, -1.0])
    p_ab = expit(B0 + BA - 1.0)
    row = model.weights(np.array([3], dtype=np.int64), incremental=True)[0]
    assert row[1] == 0.0  # b's φ is negative: no credit
    assert row == pytest.approx([1 - 0.1 / p_ab, 0.0, 0.1 / p_ab])
    below = model.weights(np.array([2], dtype=np.int64), incremental=True)[0]
    assert below == pytest.approx([0, 0, 1])  # p(b) < p(∅): all baseline


def _scaled(scale: float, amounts: bool = True) -> JourneyTable:
    """Exactly the rates of `_known` in counts of `scale`; deal amounts on each row."""
    rates = np.array([0.1, 0.3, 0.2, P_AB])
    money = [Money.of(a, "EUR") for a in ("40.00", "30.00", "10.00", "108.00")]
    return table_from_paths(
        ["", "a", "b", "a > b"], rates * scale, (1 - rates) * scale, money if amounts else None
    )


def test_coefficients_recovered_from_data_generated_by_known_ones() -> None:
    model = LogisticModel("channel").fit(_scaled(1e6))
    assert model.labels_ == ["a", "b"]
    assert model.intercept_ == pytest.approx(B0, abs=1e-4)
    assert model.coef_ == pytest.approx([BA, BB], abs=1e-4)
    assert model.baseline_ == pytest.approx(0.1, abs=1e-5)
    # sampled, three channels, no journey without touches: the intercept is extrapolated
    rng = np.random.default_rng(11)
    beta0, beta = -2.5, np.array([1.2, 0.4, -0.3])
    sets = np.arange(1, 8)
    members = (sets[:, None] >> np.arange(3)) & 1
    n = rng.integers(20_000, 40_000, size=len(sets))
    conversions = rng.binomial(n, expit(beta0 + members @ beta)).astype(float)
    paths = [" > ".join(c for c, m in zip("xyz", row, strict=True) if m) for row in members]
    fitted = LogisticModel("channel").fit(table_from_paths(paths, conversions, n - conversions))
    assert fitted.intercept_ == pytest.approx(beta0, abs=0.1)
    assert fitted.coef_ == pytest.approx(beta, abs=0.1)


def test_the_penalty_keeps_a_separated_channel_finite() -> None:
    table = table_from_paths(["", "a", "b"], np.array([1.0, 5, 1]), np.array([9.0, 0, 9]))
    model = LogisticModel("channel").fit(table)  # a never fails to convert
    assert np.isfinite(model.coef_).all()
    assert 0 < model.coef_[0] < 10
    unpenalised = LogisticModel("channel", penalty=1e-6).fit(table)
    assert unpenalised.coef_[0] > model.coef_[0]


def test_reconciles_to_the_cent_with_the_baseline_line() -> None:
    report = run_models(_scaled(1e6), ["logistic_incremental", "logistic", "shapley_incremental"])
    result = report.models["logistic_incremental"]
    assert result.error is None
    assert result.incremental
    lines = {(line.deal_id, line.value): line.amount.amount for line in result.deal_lines}
    assert lines == {
        ("row 1", BASELINE): Decimal("40.00"),
        ("row 2", "a"): Decimal("20.00"),
        ("row 2", BASELINE): Decimal("10.00"),
        ("row 3", "b"): Decimal("5.00"),
        ("row 3", BASELINE): Decimal("5.00"),
        ("row 4", "a"): Decimal("54.00"),
        ("row 4", "b"): Decimal("32.00"),
        ("row 4", BASELINE): Decimal("22.00"),
    }
    revenue = {v: m.amount for v, m in result.revenue["EUR"].items()}
    assert revenue == {BASELINE: Decimal("77.00"), "a": Decimal("74.00"), "b": Decimal("37.00")}
    assert result.unattributed == []
    assert sum(revenue.values()) == report.won["EUR"].amount == Decimal("188.00")
    conversions = np.array([0.1, 0.3, 0.2, P_AB]) * 1e6
    assert result.conversions == pytest.approx(
        {
            "a": conversions[1] * 2 / 3 + conversions[3] / 2,
            "b": conversions[2] / 2 + conversions[3] * 8 / 27,
            BASELINE: conversions[0] + conversions[1] / 3 + conversions[2] / 2
            + conversions[3] * 11 / 54,
        },
        rel=1e-5,
    )  # fmt: skip
    assert result.diagnostics["baseline_probability"] == pytest.approx(0.1, abs=1e-5)
    # the observed sets are saturated and exactly logistic: the rate game agrees
    assert report.models["shapley_incremental"].shares == pytest.approx(result.shares, abs=1e-5)
    full = report.models["logistic"]
    assert not full.incremental
    assert BASELINE not in full.shares
    lines = {(line.deal_id, line.value): line.amount.amount for line in full.deal_lines}
    assert lines == {
        ("row 2", "a"): Decimal("30.00"),
        ("row 3", "b"): Decimal("10.00"),
        ("row 4", "a"): Decimal("65.00"),
        ("row 4", "b"): Decimal("43.00"),
    }
    assert [(g.deal_id, g.reason) for g in full.unattributed] == [("row 1", "no_touches")]
    credited = sum(m.amount for m in full.revenue["EUR"].values())
    assert credited + Decimal("40.00") == Decimal("188.00")
    row = next(r for r in report.comparison if r.value == BASELINE)
    assert set(row.shares) == {"logistic_incremental", "shapley_incremental"}


def test_touch_credits_and_journeys_without_touchless_evidence() -> None:
    table = _scaled(1e3).select(np.array([1, 2, 3]))  # no journey without touches
    report = run_models(table, ["logistic_incremental", "shapley_incremental"], holdout=0.3)
    assert report.models["shapley_incremental"].error is not None  # no observed baseline
    result = report.models["logistic_incremental"]
    assert result.error is None  # the intercept extrapolates one
    assert 0 < result.shares[BASELINE] < 1
    assert result.holdout is not None
    per_deal: dict[str, float] = {}
    for credit in result.touch_credits:
        per_deal[credit.journey_id] = per_deal.get(credit.journey_id, 0.0) + credit.share
    assert per_deal == pytest.approx(dict.fromkeys(["row 2", "row 3", "row 4"], 1.0))
    lines = sum(line.amount.amount for line in result.deal_lines)
    assert lines == Decimal("148.00")


def test_deterministic_registered_and_scored() -> None:
    table = _scaled(1e3)
    first = run_models(table, ["logistic", "logistic_incremental"], holdout=0.25, seed=3)
    again = run_models(table, ["logistic", "logistic_incremental"], holdout=0.25, seed=3)
    assert first.model_dump() == again.model_dump()
    for name in ("logistic", "logistic_incremental"):
        assert name in ALL_MODELS
        assert name in PREDICTIVE_MODELS
        assert first.models[name].holdout is not None
    assert "logistic" in FULL_CREDIT_MODELS
    assert "logistic_incremental" in INCREMENTAL_MODELS
    assert first.models["logistic"].holdout == first.models["logistic_incremental"].holdout


def test_journeys_without_touches_inform_the_intercept_of_both_forms() -> None:
    touched = _scaled(1e3).select(np.array([1, 2, 3]))
    alone = LogisticModel("channel").fit(touched)
    together = LogisticModel("channel").fit(_scaled(1e3))
    assert together.baseline_ == pytest.approx(0.1, abs=0.01)  # observed: 100 of 1,000
    assert alone.baseline_ != pytest.approx(together.baseline_, abs=1e-6)  # extrapolated
    full = run_models(_scaled(1e3), ["logistic"]).models["logistic"]
    assert [(g.deal_id, g.reason) for g in full.unattributed] == [("row 1", "no_touches")]
    assert full.diagnostics["intercept"] == pytest.approx(together.intercept_)
