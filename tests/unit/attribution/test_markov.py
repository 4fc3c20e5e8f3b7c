"""Exact Markov removal effects against a brute-force absorbing chain."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from rel2rev.attribution.io import table_from_paths
from rel2rev.attribution.markov import fit_chain
from rel2rev.attribution.run import model_credit, run_models

from .helpers import journey

Path = tuple[tuple[str, ...], float, float]


def brute_force(paths: list[Path], order: int, removed: str | None = None) -> float:
    """P(conversion) by squaring the full transition matrix (absorbing states included)."""
    counts: dict[object, dict[object, float]] = defaultdict(lambda: defaultdict(float))
    for channels, conv, null in paths:
        if conv + null == 0:
            continue
        states = [tuple(channels[max(0, i - order + 1) : i + 1]) for i in range(len(channels))]
        previous: object = "START"
        for state in states:
            counts[previous][state] += conv + null
            previous = state
        counts[previous]["CONV"] += conv
        counts[previous]["NULL"] += null
    names = sorted({s for row in counts.values() for s in row} | set(counts), key=str)
    index = {s: i for i, s in enumerate(names)}
    matrix = np.zeros((len(names), len(names)))
    for source, row in counts.items():
        total = sum(row.values())
        for target, c in row.items():
            sink = "NULL" if isinstance(target, tuple) and removed in target else target
            matrix[index[source], index[sink]] += c / total
    for absorbing in ("CONV", "NULL"):
        matrix[index[absorbing], :] = 0.0
        matrix[index[absorbing], index[absorbing]] = 1.0
    power = matrix
    for _ in range(60):
        power = power @ power
    return float(power[index["START"], index["CONV"]])


def table(paths: list[Path]):  # type: ignore[no-untyped-def]
    return table_from_paths(
        [" > ".join(p) for p, _, _ in paths],
        np.array([c for _, c, _ in paths]),
        np.array([n for _, _, n in paths]),
    )


def test_hand_checked_chain() -> None:
    paths: list[Path] = [(("a", "b"), 1, 0), (("a",), 0, 1), (("b",), 1, 0)]
    credit = model_credit(table(paths), "markov")
    assert credit.diagnostics["p_conversion"] == pytest.approx(2 / 3)
    assert credit.diagnostics["removal_effect:a"] == pytest.approx(0.5)
    assert credit.diagnostics["removal_effect:b"] == pytest.approx(1.0)
    assert list(credit.conversions) == pytest.approx([2 / 3, 4 / 3])


@pytest.mark.parametrize(("seed", "order"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)])
def test_matches_brute_force_on_random_graphs(seed: int, order: int) -> None:
    rng = np.random.default_rng(seed)
    channels = ["a", "b", "c", "d"]
    paths: list[Path] = []
    for _ in range(25):
        length = int(rng.integers(1, 6))
        path = tuple(str(c) for c in rng.choice(channels, size=length))
        paths.append((path, float(rng.integers(0, 4)), float(rng.integers(0, 4))))
    paths.append((("a", "b"), 2.0, 1.0))
    chain = fit_chain(table(paths), "channel", order)
    p, effects = chain.removal_effects()
    assert p == pytest.approx(brute_force(paths, order), abs=1e-10)
    for code, label in enumerate(chain.labels):
        expected = 1 - brute_force(paths, order, removed=label) / p
        assert effects[code] == pytest.approx(expected, abs=1e-9)


def test_sparse_solver_agrees_with_the_dense_one(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(9)
    channels = [f"c{i}" for i in range(8)]
    paths: list[Path] = [
        (tuple(str(c) for c in rng.choice(channels, size=int(rng.integers(1, 7)))), 1.0, 2.0)
        for _ in range(400)
    ]
    chain = fit_chain(table(paths), "channel", order=2)
    dense_p, dense_effects = chain.removal_effects()
    monkeypatch.setattr("rel2rev.attribution.markov._DENSE_LIMIT", 0)
    sparse_p, sparse_effects = chain.removal_effects()
    assert sparse_p == pytest.approx(dense_p, abs=1e-12)
    assert sparse_effects == pytest.approx(dense_effects, abs=1e-12)
    assert dense_p == pytest.approx(brute_force(paths, 2), abs=1e-9)


def test_no_conversions_is_a_model_error_not_an_exception() -> None:
    got = run_models([journey("a", ["x"], converted=False)], ["markov"])
    assert (
        got.models["markov"].error
        == "insufficient data: markov: no converting journey with touches"
    )


def test_deal_lines_follow_global_effects_restricted_to_the_deal() -> None:
    journeys = [
        journey("d1", ["a", "b"], amount="100.00"),
        journey("d2", ["a"], converted=False),
        journey("d3", ["b"], amount="10.00"),
    ]
    got = run_models(journeys, ["markov"]).models["markov"]
    # Removal effects a = 1/2, b = 1 (the hand-checked chain): d1 splits 1:2.
    lines = {(line.deal_id, line.value): str(line.amount.amount) for line in got.deal_lines}
    assert lines == {("d1", "a"): "33.33", ("d1", "b"): "66.67", ("d3", "b"): "10.00"}
    assert {k: str(v.amount) for k, v in got.revenue["EUR"].items()} == {
        "a": "33.33",
        "b": "76.67",
    }
