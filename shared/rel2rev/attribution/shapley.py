"""Shapley attribution: the coalition game of the attribution literature, and a rate game.

`shapley` (Zhao et al. 2018; DP6's implementation): the worth of a coalition S is the
conversions of the journeys whose set of values (channels, by default) is contained in S,
v(S) = Σ_{T⊆S} R(T) with R(T) the conversions of journeys whose set is exactly T. v is a sum
of unanimity games, so its exact Shapley value has the closed form φ_j = Σ_{T∋j} R(T)/|T|:
every converting journey's conversion is split evenly over its distinct values. Zhao's
"simplified Shapley value" is this same formula, not an approximation, which is why
`shapley_simplified` is an alias of `shapley`. Non-negative, and summing to the conversions.

`shapley_rate`: a different model. The value of a coalition S is the conversion *rate* of the
journeys whose set is exactly S (v(∅) = 0; a set no journey has is worth 0), and for every
distinct set T seen on a journey the game is played over the members of T by explicit
enumeration of the 2^|T| subsets (vectorised per set size). It estimates how much each value
adds to the conversion rate of the sets it appears in; a value that lowers the rate gets a
negative φ. Published credit is never negative: `rel2rev.attribution.run` clips each set's φ at
0 and normalises it, and those same weights split the set's conversions, deal amounts and
touches. When v is additive over the members of S, φ_c(T) is exactly c's own effect, which is
what the generator in `bench/attribution.py` plants.

`shapley_incremental` plays the same game with v(∅) = b, the baseline rate (the conversion
rate of journeys without touches, `rel2rev.attribution.baseline`), and a set never observed
worth b too (no evidence of lift; `shapley_rate` is the case b = 0). Each set's values then sum
to v(T) - b: what the channels added to the organic rate.

`exact_shapley` is the enumeration on its own, for any game given as v of an array of masks:
`rel2rev.attribution.logistic` plays it on a fitted logistic model's probabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import factorial

import numpy as np
import pandas as pd

from rel2rev.attribution.table import FloatArray, IntArray, JourneyTable
from rel2rev.errors import InsufficientDataError

MAX_VALUES = 62
"""Value sets are 64-bit masks."""
MAX_SET_SIZE = 20
"""Exact enumeration is 2^|T| per set: refuse journeys with more distinct values."""
_CHUNK = 1 << 22


def journey_masks(table: JourneyTable, dimension: str) -> IntArray:
    """Bit mask of the distinct values on each journey (0 for journeys without touches)."""
    codes, labels = table.codes(dimension)
    if len(labels) > MAX_VALUES:
        raise InsufficientDataError(
            f"shapley: {len(labels)} distinct values of {dimension!r}, at most {MAX_VALUES}"
        )
    masks = np.zeros(table.n_journeys, dtype=np.int64)
    nonempty = table.lengths > 0
    if table.n_touches:
        bits = np.left_shift(np.int64(1), codes)
        masks[nonempty] = np.bitwise_or.reduceat(bits, table.offsets[:-1][nonempty])
    return masks


def popcount(masks: IntArray) -> IntArray:
    """Number of set bits of each mask."""
    counts = np.zeros(masks.shape, dtype=np.int64)
    work = masks.copy()
    while work.any():
        counts += work & 1
        work >>= 1
    return counts


@dataclass(frozen=True)
class SetGame:
    """Conversion rate per observed value set, and each set's exact Shapley values."""

    masks: IntArray
    """Sorted distinct value sets."""
    rates: FloatArray
    conversions: FloatArray
    journeys: FloatArray
    phi: FloatArray
    """(len(masks), n_values): φ_c(T) for c in T, 0 elsewhere; rows sum to `rates`."""
    base_rate: float
    baseline: float = 0.0
    """v(∅), and the worth of every set never observed."""

    def value(self, subsets: IntArray) -> FloatArray:
        """v(S) for an array of masks: the observed rate, `baseline` for sets never observed
        (the empty set among them)."""
        where = np.minimum(np.searchsorted(self.masks, subsets), len(self.masks) - 1)
        return np.where(self.masks[where] == subsets, self.rates[where], self.baseline)

    def predict(self, masks: IntArray, prior: float = 1.0) -> FloatArray:
        """Conversion probability of journeys with these sets: each set's rate shrunk toward
        the base rate by `prior` pseudo-journeys (unseen sets: the base rate), so rare sets
        do not predict a certain 0 or 1."""
        where = np.minimum(np.searchsorted(self.masks, masks), len(self.masks) - 1)
        smoothed = (self.conversions + prior * self.base_rate) / (self.journeys + prior)
        return np.where(self.masks[where] == masks, smoothed[where], self.base_rate)


def fit_game(table: JourneyTable, dimension: str, baseline: float = 0.0) -> SetGame:
    """Rates and exact Shapley values of every observed value set, with v(∅) = `baseline`."""
    _, labels = table.codes(dimension)
    masks = journey_masks(table, dimension)
    weight = table.conversions + table.nulls
    used = (masks != 0) & (weight > 0)
    if not (used & (table.conversions > 0)).any():
        raise InsufficientDataError("shapley_rate: no converting journey with touches")
    frame = (
        pd.DataFrame({"mask": masks[used], "conv": table.conversions[used], "total": weight[used]})
        .groupby("mask", sort=True)[["conv", "total"]]
        .sum()
    )
    set_masks = frame.index.to_numpy(dtype=np.int64)
    conversions = frame["conv"].to_numpy(dtype=np.float64)
    journeys = frame["total"].to_numpy(dtype=np.float64)
    game = SetGame(
        masks=set_masks,
        rates=conversions / journeys,
        conversions=conversions,
        journeys=journeys,
        phi=np.zeros((len(set_masks), len(labels))),
        base_rate=float(conversions.sum() / frame["total"].sum()),
        baseline=baseline,
    )
    game.phi[:] = exact_shapley(set_masks, len(labels), game.value, dimension)
    return game


def exact_shapley(
    sets: IntArray, n_values: int, value: Callable[[IntArray], FloatArray], dimension: str
) -> FloatArray:
    """Exact Shapley values (len(sets), n_values) of the game `value` (v of an array of
    masks) played over the members of each set, by enumeration of its 2^|T| subsets
    (vectorised per set size, in chunks); `InsufficientDataError` past `MAX_SET_SIZE`."""
    phi = np.zeros((len(sets), n_values))
    if not len(sets):
        return phi
    sizes = popcount(sets)
    if int(sizes.max()) > MAX_SET_SIZE:
        raise InsufficientDataError(
            f"shapley: a journey has {int(sizes.max())} distinct values of {dimension!r}; "
            f"exact enumeration stops at {MAX_SET_SIZE}"
        )
    for size in np.unique(sizes):
        rows = np.flatnonzero(sizes == size)
        step = max(1, _CHUNK // (1 << int(size)))
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            phi[chunk] = _shapley_of_sets(value, sets[chunk], int(size), n_values)
    return phi


def _shapley_of_sets(
    value: Callable[[IntArray], FloatArray], sets: IntArray, size: int, n_values: int
) -> FloatArray:
    """Exact Shapley values (k, n_values) of k sets of equal `size`, by enumeration."""
    members = (sets[:, None] >> np.arange(n_values, dtype=np.int64)) & 1
    positions = np.nonzero(members)[1].reshape(len(sets), size)  # value code of each local bit
    local = np.arange(1 << size, dtype=np.int64)
    local_bits = (local[:, None] >> np.arange(size, dtype=np.int64)) & 1  # (2^size, size)
    subsets = local_bits @ (np.int64(1) << positions).T  # (2^size, k) global masks
    values = value(subsets.ravel()).reshape(subsets.shape)
    coalition = local_bits.sum(axis=1)
    weights = np.array(
        [
            factorial(s) * factorial(size - s - 1) / factorial(size) if s < size else 0.0
            for s in range(size + 1)
        ]
    )
    phi = np.zeros((len(sets), n_values))
    for bit in range(size):
        without = local[(local_bits[:, bit] == 0)]
        gain = values[without | (1 << bit)] - values[without]  # (2^(size-1), k)
        contribution = weights[coalition[without]] @ gain
        phi[np.arange(len(sets)), positions[:, bit]] = contribution
    return phi


def coalition_shapley(table: JourneyTable, dimension: str) -> FloatArray:
    """The coalition game's exact Shapley value φ_j = Σ_{T∋j} R(T)/|T| per value (it sums to
    the conversions of the journeys with touches)."""
    _, labels = table.codes(dimension)
    masks = journey_masks(table, dimension)
    converting = (masks != 0) & (table.conversions > 0)
    if not converting.any():
        raise InsufficientDataError("shapley: no converting journey with touches")
    members = (masks[converting, None] >> np.arange(len(labels), dtype=np.int64)) & 1
    share = table.conversions[converting] / members.sum(axis=1)
    phi: FloatArray = share @ members
    return phi
