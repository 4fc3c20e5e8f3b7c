"""Markov removal effects (Anderl et al. 2016), solved exactly on the absorbing chain.

States: START, one state per sequence of the last `order` values of the credited dimension,
CONVERSION and NULL. Transition probabilities are counted over all journeys (converting and
not), weighted by each row's journey count. P(conversion) is the absorption probability in
CONVERSION from START: the solution x of (I - Q) x = r, read at START, with Q the transient
block and r the one-step probabilities into CONVERSION. Removing a value sends every
transition into a state that contains it to NULL, i.e. drops those states from the system;
the removal effect is RE_v = 1 - P_without_v / P. No simulation anywhere.

Counting is vectorised: states are integers (base-(V+1) digits of the last `order` codes),
transitions are pairs of state indices summed by a sparse COO matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

from rel2rev.attribution.table import BoolArray, FloatArray, IntArray, JourneyTable
from rel2rev.errors import InsufficientDataError

_DENSE_LIMIT = 1500
"""Systems up to this size are solved densely (LAPACK); larger ones by sparse LU."""
_DENSE_COUNTS = 4_000_000
"""Transition counts are summed by one bincount when states × states fit this size."""


@dataclass(frozen=True)
class MarkovChain:
    """The fitted chain: transient block, absorption vectors and the states' value codes."""

    labels: list[str]
    order: int
    states: IntArray
    """Sorted state keys (base-(V+1) digits of the last `order` codes, 0 = before the start)."""
    q: scipy.sparse.csr_matrix
    """Transient block; row/column 0 is START, row i+1 is `states[i]`."""
    to_conversion: FloatArray
    to_null: FloatArray

    def contains(self, code: int) -> BoolArray:
        """Mask over `states` of those whose history includes value `code`."""
        base = len(self.labels) + 1
        digits = self.states.copy()
        found = np.zeros(len(self.states), dtype=bool)
        for _ in range(self.order):
            found |= digits % base == code + 1
            digits //= base
        return found

    def absorption(self, removed: BoolArray | None = None) -> float:
        """P(CONVERSION | START), with the `removed` states (mask over `states`) sent to NULL."""
        keep = np.ones(len(self.states) + 1, dtype=bool)
        if removed is not None:
            keep[1:] = ~removed
        q = self.q[keep][:, keep]
        r = self.to_conversion[keep]
        size = q.shape[0]
        if size <= _DENSE_LIMIT:
            system = np.eye(size) - q.toarray()
            x = scipy.linalg.solve(system, r, check_finite=False)
        else:
            system = scipy.sparse.identity(size, format="csc") - q.tocsc()
            x = scipy.sparse.linalg.spsolve(system, r)
        return float(x[0])

    def removal_effects(self) -> tuple[float, FloatArray]:
        """P(conversion) and the removal effect of every value (0 for values never seen)."""
        p = self.absorption()
        if p <= 0.0:
            raise InsufficientDataError("markov: no journey converts")
        effects = np.zeros(len(self.labels))
        for code in range(len(self.labels)):
            mask = self.contains(code)
            if mask.any():
                effects[code] = max(0.0, 1.0 - self.absorption(mask) / p)
        return p, effects

    def predict(self, table: JourneyTable, dimension: str) -> FloatArray:
        """P(conversion | the journey ended in its last state), for holdout scoring.

        Journeys without touches or ending in a state never seen get the START absorption rate.
        """
        base_rate = self.absorption()
        keys = state_keys(table, dimension, self.order, len(self.labels))
        lengths = table.lengths
        out = np.full(table.n_journeys, base_rate)
        nonempty = lengths > 0
        last = keys[table.offsets[1:][nonempty] - 1]
        where = np.searchsorted(self.states, last)
        where = np.minimum(where, len(self.states) - 1)
        seen = self.states[where] == last
        ends = self.to_conversion[1:] + self.to_null[1:]
        rate = np.divide(
            self.to_conversion[1:], ends, out=np.full(len(self.states), base_rate), where=ends > 0
        )
        out_nonempty = np.where(seen, rate[where], base_rate)
        out[nonempty] = out_nonempty
        return out


def state_keys(table: JourneyTable, dimension: str, order: int, n_values: int) -> IntArray:
    """Integer key of each touch's state: its own and the previous `order - 1` codes."""
    codes, _ = table.codes(dimension)
    base = n_values + 1
    if order < 1:
        raise ValueError("markov order must be at least 1")
    if order * np.log2(base) >= 62:
        raise InsufficientDataError(f"markov: order {order} over {n_values} values is too large")
    if order == 1:
        return codes + 1
    m = table.n_touches
    position = np.arange(m, dtype=np.int64) - table.offsets[table.touch_journey]
    keys = np.zeros(m, dtype=np.int64)
    for lag in range(order):
        previous = np.zeros(m, dtype=np.int64)
        previous[lag:] = codes[: m - lag] + 1
        previous[position < lag] = 0
        keys += previous * base**lag
    return keys


def fit_chain(table: JourneyTable, dimension: str, order: int = 1) -> MarkovChain:
    """Count the transitions of every journey (weighted by its count) into a `MarkovChain`."""
    _, labels = table.codes(dimension)
    weight = table.conversions + table.nulls
    nonempty = table.lengths > 0
    if not (nonempty & (weight > 0)).any():
        raise InsufficientDataError("markov: no journey with touches")
    keys = state_keys(table, dimension, order, len(labels))
    states, index = _number_states(keys, order, len(labels))
    n_states = len(states) + 1  # 0 is START
    width = n_states + 2  # then CONVERSION, NULL
    first = table.offsets[:-1][nonempty]
    last = table.offsets[1:][nonempty] - 1
    step_weight = np.repeat(weight, table.lengths)[:-1]
    step_weight[last[:-1]] = 0.0  # no step from a journey's last touch into the next journey
    start_to = index[first]
    end_from = index[last]
    if n_states * width <= _DENSE_COUNTS:
        size = n_states * width
        steps = index[:-1] * width + index[1:]
        counts = np.bincount(steps, weights=step_weight, minlength=size).astype(np.float64)
        counts += np.bincount(start_to, weights=weight[nonempty], minlength=size)
        counts += np.bincount(end_from * width + n_states, table.conversions[nonempty], size)
        counts += np.bincount(end_from * width + n_states + 1, table.nulls[nonempty], size)
        matrix = scipy.sparse.csr_matrix(counts.reshape(n_states, width))
    else:
        n_ends = len(last)
        rows = [index[:-1], np.zeros(n_ends, dtype=np.int64), end_from, end_from]
        cols = [index[1:], start_to, np.full(n_ends, n_states), np.full(n_ends, n_states + 1)]
        vals = [step_weight, weight[nonempty], table.conversions[nonempty], table.nulls[nonempty]]
        matrix = scipy.sparse.coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_states, width),
        ).tocsr()
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    scale = scipy.sparse.diags(np.divide(1.0, totals, out=np.zeros(n_states), where=totals > 0))
    probabilities = (scale @ matrix).tocsc()
    return MarkovChain(
        labels=labels,
        order=order,
        states=states,
        q=probabilities[:, :n_states].tocsr(),
        to_conversion=probabilities[:, [n_states]].toarray().ravel(),
        to_null=probabilities[:, [n_states + 1]].toarray().ravel(),
    )


def _number_states(keys: IntArray, order: int, n_values: int) -> tuple[IntArray, IntArray]:
    """Sorted distinct state keys, and each touch's state index counted from 1 (0 is START)."""
    if order == 1:  # keys are codes + 1, and every code occurs
        return np.arange(1, n_values + 1, dtype=np.int64), keys
    index, uniques = pd.factorize(keys, sort=True)
    return np.asarray(uniques, dtype=np.int64), index.astype(np.int64) + 1
