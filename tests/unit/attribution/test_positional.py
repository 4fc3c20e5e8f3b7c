"""The ten position models on hand-checked journeys."""

from __future__ import annotations

import pytest

from rel2rev.attribution import run_models
from rel2rev.attribution.positional import PRESETS

from .helpers import journey


def shares(model: str, *journeys: object) -> dict[str, float]:
    result = run_models(list(journeys), [model])  # type: ignore[arg-type]
    assert result.models[model].error is None
    return {k: round(v, 6) for k, v in result.models[model].shares.items() if v}


def touch_shares(model: str, j: object) -> list[float]:
    result = run_models([j], [model])  # type: ignore[list-item]
    return [t.share for t in result.models[model].touch_credits]


def test_presets_are_the_ten_position_models() -> None:
    assert list(PRESETS) == [
        "first", "last", "last_non_direct", "linear", "time_decay",
        "u_shaped", "w_shaped", "full_path", "j_shaped", "inverse_j",
    ]  # fmt: skip


def test_first_last_linear() -> None:
    a = journey("a", ["email", "ads", "webinar", "ads"])
    b = journey("b", ["ads"])
    assert shares("first", a, b) == {"email": 0.5, "ads": 0.5}
    assert shares("last", a, b) == {"ads": 1.0}
    assert shares("linear", a, b) == {"email": 0.125, "ads": 0.75, "webinar": 0.125}


def test_last_non_direct_skips_direct_unless_only_direct() -> None:
    a = journey("a", ["email", "webinar", "direct", "Direct"])
    b = journey("b", ["direct", "direct"])
    assert shares("last_non_direct", a, b) == {"webinar": 0.5, "direct": 0.5}


def test_time_decay_halves_per_half_life() -> None:
    # Touches 14, 7 and 0 days before the conversion: weights 1/4, 1/2, 1.
    j = journey("a", ["email", "ads", "webinar"], days=[0, 7, 14])
    assert touch_shares("time_decay", j) == pytest.approx([0.25 / 1.75, 0.5 / 1.75, 1 / 1.75])


def test_time_decay_uses_exact_seconds_not_whole_days() -> None:
    # 36 hours before the conversion vs 0: a whole-day truncation would say 1 day.
    j = journey("a", ["email", "ads"], days=[0, 1.5])
    first, second = touch_shares("time_decay", j)
    assert first / second == pytest.approx(2 ** (-1.5 / 7), rel=1e-6)


def test_u_shaped_first_and_lead_creation_touch() -> None:
    j = journey("a", ["a", "b", "c", "d", "e"], lead_day=2.5)
    # lead created after touch 2 (day 2): 40% a, 40% c, 20% over b, d, e.
    assert touch_shares("u_shaped", j) == pytest.approx([0.4, 0.2 / 3, 0.4, 0.2 / 3, 0.2 / 3])


def test_u_shaped_without_stage_anchors_the_last_touch() -> None:
    j = journey("a", ["a", "b", "c"])
    assert touch_shares("u_shaped", j) == pytest.approx([0.4, 0.2, 0.4])


def test_u_shaped_two_touches_split_evenly_by_renormalising() -> None:
    assert touch_shares("u_shaped", journey("a", ["a", "b"])) == pytest.approx([0.5, 0.5])


def test_w_shaped_anchors_first_lead_opportunity() -> None:
    j = journey("a", ["a", "b", "c", "d", "e"], lead_day=1, opportunity_day=3.2)
    assert touch_shares("w_shaped", j) == pytest.approx([0.3, 0.3, 0.05, 0.3, 0.05])


def test_coinciding_anchors_add() -> None:
    # Lead created before the second touch: lead touch = first touch.
    j = journey("a", ["a", "b", "c", "d"], lead_day=0.5, opportunity_day=2)
    assert touch_shares("w_shaped", j) == pytest.approx([0.6, 0.05, 0.3, 0.05])


def test_stage_before_every_touch_anchors_the_first() -> None:
    j = journey("a", ["a", "b", "c"], lead_day=-3)
    assert touch_shares("u_shaped", j) == pytest.approx([0.8, 0.1, 0.1])


def test_full_path_four_anchors_and_rest() -> None:
    j = journey("a", ["a", "b", "c", "d", "e", "f"], lead_day=1, opportunity_day=3)
    # first a, lead b, opportunity d, close f; rest c and e share 10%.
    assert touch_shares("full_path", j) == pytest.approx([0.225, 0.225, 0.05, 0.225, 0.05, 0.225])


def test_fewer_touches_than_anchors_split_evenly() -> None:
    j = journey("a", ["a", "b", "c"], lead_day=1, opportunity_day=1)
    assert touch_shares("full_path", j) == pytest.approx([1 / 3, 1 / 3, 1 / 3])


def test_j_and_inverse_j() -> None:
    j = journey("a", ["a", "b", "c", "d"])
    assert touch_shares("j_shaped", j) == pytest.approx([0.2, 0.1, 0.1, 0.6])
    assert touch_shares("inverse_j", j) == pytest.approx([0.6, 0.1, 0.1, 0.2])


def test_non_converting_journeys_earn_nothing() -> None:
    got = run_models(
        [journey("a", ["email"]), journey("b", ["ads"], converted=False)], ["linear"]
    ).models["linear"]
    assert got.shares == {"ads": 0.0, "email": 1.0}
    assert got.conversions == {"ads": 0.0, "email": 1.0}


@pytest.mark.parametrize("model", list(PRESETS))
def test_folded_conversions_equal_weighted_touch_shares(model: str) -> None:
    import numpy as np

    from rel2rev.attribution.credit import conversions_by_value
    from rel2rev.attribution.positional import position_conversions, position_weights
    from rel2rev.attribution.table import JourneyTable

    rng = np.random.default_rng(5)
    channels = ["direct", "email", "ads", "webinar"]
    journeys = [
        journey(
            f"j{i}",
            [str(c) for c in rng.choice(channels, size=int(rng.integers(1, 7)))],
            converted=bool(rng.integers(0, 2)),
            lead_day=float(rng.uniform(-1, 6)),
        )
        for i in range(80)
    ]
    table = JourneyTable.from_journeys(journeys)
    rule = PRESETS[model]
    folded = position_conversions(table, "channel", rule)
    assert folded == pytest.approx(
        conversions_by_value(table, "channel", position_weights(table, rule))
    )


def test_no_conversion_is_a_model_error() -> None:
    got = run_models([journey("a", ["email"], converted=False)], ["first", "time_decay"])
    assert (
        got.models["first"].error == "insufficient data: first: no converting journey with touches"
    )
    assert got.models["time_decay"].error is not None
