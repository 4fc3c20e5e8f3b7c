"""Exact Shapley against explicit enumeration of orderings; Zhao's simplified form by hand."""

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


def enumerate_shapley(paths: list[str], conv: np.ndarray, null: np.ndarray) -> dict[str, float]:
    """Conversions credited per channel: n(T)·φ(T), φ by averaging over all orderings."""
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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_shapley_matches_enumeration(seed: int) -> None:
    paths, conv, null = random_paths(seed)
    table = table_from_paths(paths, conv, null)
    got = model_credit(table, "shapley").conversions
    labels = table.codes("channel")[1]
    expected = enumerate_shapley(paths, conv, null)
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


def test_simplified_shapley_by_hand() -> None:
    journeys = [
        journey("1", ["a", "b", "a"]),
        journey("2", ["b", "c", "d"]),
        journey("3", ["a"], converted=False),
    ]
    got = run_models(journeys, ["shapley_simplified"]).models["shapley_simplified"]
    assert got.conversions == pytest.approx({"a": 0.5, "b": 0.5 + 1 / 3, "c": 1 / 3, "d": 1 / 3})


def test_too_many_distinct_values_on_a_journey_is_a_model_error() -> None:
    channels = [f"c{i}" for i in range(21)]
    got = run_models([journey("1", channels)], ["shapley"]).models["shapley"]
    assert got.error is not None
    assert "21 distinct values" in got.error


def test_deal_lines_use_the_sets_phi_clipped_at_zero() -> None:
    # v({a}) = 0, v({b}) = 1, v({a, b}) = 2/3: φ_a({a,b}) = (0 + (2/3 - 1)) / 2 = -1/6.
    journeys = [
        journey("a1", ["a"], converted=False),
        journey("a2", ["a"], converted=False),
        journey("b1", ["b"]),
        journey("ab1", ["a", "b"], amount="90.00"),
        journey("ab2", ["b", "a"]),
        journey("ab3", ["a", "b"], converted=False),
    ]
    got = run_models(journeys, ["shapley"]).models["shapley"]
    assert [(d.deal_id, d.value, str(d.amount.amount)) for d in got.deal_lines] == [
        ("ab1", "b", "90.00")
    ]
    assert got.conversions == pytest.approx({"a": 3 * -1 / 6, "b": 1 + 3 * 5 / 6})
