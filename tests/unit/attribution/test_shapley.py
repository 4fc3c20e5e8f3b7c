"""Both Shapley games against explicit enumeration of orderings, and by hand."""

from __future__ import annotations

from collections import defaultdict
from itertools import permutations

import numpy as np
import pytest

from rel2rev.attribution.io import table_from_paths
from rel2rev.attribution.run import model_credit, run_models
from rel2rev.attribution.shapley import fit_game

from .helpers import journey


def random_paths(seed: int, n: int = 60) -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    channels = ["a", "b", "c", "d", "e"]
    paths = [
        " > ".join(str(c) for c in rng.choice(channels, size=int(rng.integers(1, 6))))
        for _ in range(n)
    ]
    return paths, rng.integers(0, 3, n).astype(float), rng.integers(0, 3, n).astype(float)


def enumerate_rate_game(paths: list[str], conv: np.ndarray, null: np.ndarray) -> dict[str, float]:
    """The rate game's n(T)·φ(T) per channel, φ by averaging over all orderings."""
    totals: dict[frozenset[str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for path, c, n in zip(paths, conv, null, strict=True):
        key = frozenset(p.strip() for p in path.split(">"))
        totals[key][0] += c
        totals[key][1] += c + n
    rate = {s: c / t for s, (c, t) in totals.items() if t > 0}

    def v(members: frozenset[str]) -> float:
        return rate.get(members, 0.0)

    credit: dict[str, float] = defaultdict(float)
    for members, (_, journeys) in totals.items():
        phi: dict[str, float] = defaultdict(float)
        orders = list(permutations(sorted(members)))
        for ordering in orders:
            before: frozenset[str] = frozenset()
            for channel in ordering:
                phi[channel] += (v(before | {channel}) - v(before)) / len(orders)
                before = before | {channel}
        for k in members:
            credit[k] += journeys * phi[k]
    return dict(credit)


def enumerate_coalition_game(paths: list[str], conv: np.ndarray) -> dict[str, float]:
    """Shapley values of v(S) = conversions of journeys whose channel set ⊆ S, by orderings."""
    sets = [frozenset(p.strip() for p in path.split(">")) for path in paths]
    players = sorted(set().union(*sets))

    def v(coalition: frozenset[str]) -> float:
        return float(sum(c for members, c in zip(sets, conv, strict=True) if members <= coalition))

    phi: dict[str, float] = defaultdict(float)
    orders = list(permutations(players))
    for ordering in orders:
        before: frozenset[str] = frozenset()
        for channel in ordering:
            phi[channel] += (v(before | {channel}) - v(before)) / len(orders)
            before = before | {channel}
    return dict(phi)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shapley_is_the_coalition_games_exact_shapley_value(seed: int) -> None:
    paths, conv, null = random_paths(seed)
    table = table_from_paths(paths, conv, null)
    got = model_credit(table, "shapley").conversions
    labels = table.codes("channel")[1]
    expected = enumerate_coalition_game(paths, conv)
    assert dict(zip(labels, got, strict=True)) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rate_game_values_match_enumeration(seed: int) -> None:
    paths, conv, null = random_paths(seed)
    table = table_from_paths(paths, conv, null)
    game = fit_game(table, "channel")
    labels = table.codes("channel")[1]
    expected = enumerate_rate_game(paths, conv, null)
    got = game.journeys @ game.phi
    assert dict(zip(labels, got, strict=True)) == pytest.approx(
        {k: expected.get(k, 0.0) for k in labels}, abs=1e-9
    )


def test_efficiency_each_set_distributes_its_rate() -> None:
    paths, conv, null = random_paths(4)
    game = fit_game(table_from_paths(paths, conv, null), "channel")
    assert game.phi.sum(axis=1) == pytest.approx(game.rates)


def test_additive_rates_give_each_channel_its_own_effect() -> None:
    effect = {"a": 0.1, "b": 0.3, "c": 0.05}
    sets = [["a"], ["b"], ["c"], ["a", "b"], ["a", "c"], ["b", "c"], ["a", "b", "c"]]
    paths, conv, null = [], [], []
    for members in sets:
        rate = sum(effect[m] for m in members)
        paths.append(" > ".join(members))
        conv.append(rate * 1000)
        null.append((1 - rate) * 1000)
    game = fit_game(table_from_paths(paths, np.array(conv), np.array(null)), "channel")
    full = int(np.flatnonzero(game.masks == 0b111)[0])
    assert list(game.phi[full]) == pytest.approx([0.1, 0.3, 0.05])


def test_shapley_by_hand_and_its_simplified_alias() -> None:
    journeys = [
        journey("1", ["a", "b", "a"], amount="90.00"),
        journey("2", ["b", "c", "d"], amount="10.00"),
        journey("3", ["a"], converted=False),
    ]
    report = run_models(journeys, ["shapley", "shapley_simplified"])
    assert list(report.models) == ["shapley"]
    got = report.models["shapley"]
    assert got.conversions == pytest.approx({"a": 0.5, "b": 0.5 + 1 / 3, "c": 1 / 3, "d": 1 / 3})
    lines = {(d.deal_id, d.value): str(d.amount.amount) for d in got.deal_lines}
    assert lines == {
        ("1", "a"): "45.00",
        ("1", "b"): "45.00",
        ("2", "b"): "3.34",
        ("2", "c"): "3.33",
        ("2", "d"): "3.33",
    }
    touched = defaultdict(float)
    for credit in got.touch_credits:
        touched[credit.value] += credit.conversions
    assert dict(touched) == pytest.approx(got.conversions)


def test_issue_example_is_non_negative_and_consistent() -> None:
    """Paths `A` (1 conversion) and `A > B` (0 conversions, 10 nulls)."""
    table = table_from_paths(["A", "A > B"], np.array([1.0, 0.0]), np.array([0.0, 10.0]))
    for model in ("shapley", "shapley_rate"):
        result = run_models(table, [model]).models[model]
        assert result.shares == pytest.approx({"A": 1.0, "B": 0.0}), model
        assert min(result.conversions.values()) >= 0


def test_too_many_distinct_values_on_a_journey_is_a_rate_game_error() -> None:
    channels = [f"c{i}" for i in range(21)]
    got = run_models([journey("1", channels)], ["shapley_rate"]).models["shapley_rate"]
    assert got.error is not None
    assert "21 distinct values" in got.error
    assert run_models([journey("1", channels)], ["shapley"]).models["shapley"].error is None


def test_rate_game_weighs_conversions_and_deal_lines_alike_clipped_at_zero() -> None:
    # v({a}) = 0, v({b}) = 1, v({a, b}) = 2/3: φ_a({a,b}) = (0 + (2/3 - 1)) / 2 = -1/6 -> 0.
    journeys = [
        journey("a1", ["a"], converted=False),
        journey("a2", ["a"], converted=False),
        journey("b1", ["b"]),
        journey("ab1", ["a", "b"], amount="90.00"),
        journey("ab2", ["b", "a"]),
        journey("ab3", ["a", "b"], converted=False),
    ]
    got = run_models(journeys, ["shapley_rate"]).models["shapley_rate"]
    assert [(d.deal_id, d.value, str(d.amount.amount)) for d in got.deal_lines] == [
        ("ab1", "b", "90.00")
    ]
    assert got.conversions == pytest.approx({"a": 0.0, "b": 3.0})
