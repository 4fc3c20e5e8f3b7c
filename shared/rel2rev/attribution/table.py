"""`JourneyTable`: journeys in columnar form, the input every model computes on.

Journeys carry outcome *counts* (`conversions`, `nulls`) so one row can stand for one deal
(1/0) or for an aggregated path of many journeys (the `paths` format). Touches are flat arrays
sorted by journey, then time (stable), with `offsets[j]:offsets[j+1]` the touches of journey
`j`. Times are float seconds since the epoch (NaN when unknown): exact to the microsecond,
whole days are never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from rel2rev.attribution.journeys import Journey
from rel2rev.money import Money

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NONE_LABEL = "(none)"
"""Label of a touch that has no value in the credited dimension."""


def seconds_of(moment: datetime | None) -> float:
    """Seconds since the epoch of a moment (NaN when unknown), exact to the microsecond."""
    return moment.timestamp() if moment is not None else float("nan")


class RowIds(Sequence[str]):
    """Ids `row 1` .. `row n` of aggregated rows, without building n strings up front."""

    def __init__(self, n: int) -> None:
        self._n = n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [f"row {i + 1}" for i in range(*index.indices(self._n))]
        if not -self._n <= index < self._n:
            raise IndexError(index)
        return f"row {index % self._n + 1}"


class _Selected(Sequence[str]):
    """Some rows of another id sequence."""

    def __init__(self, ids: Sequence[str], rows: IntArray) -> None:
        self._ids, self._rows = ids, rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._ids[int(i)] for i in self._rows[index]]
        return self._ids[int(self._rows[index])]


@dataclass(frozen=True)
class JourneyTable:
    """Columnar journeys (n rows) and touches (m rows); see the module docstring."""

    ids: Sequence[str]
    conversions: FloatArray
    nulls: FloatArray
    amounts: list[Money | None]
    end_s: FloatArray
    stage_s: FloatArray  # (n, 3): lead created, opportunity created, closed
    offsets: IntArray  # (n + 1,)
    touch_s: FloatArray  # (m,)
    dimensions: dict[str, tuple[IntArray, list[str]]] = field(default_factory=dict)
    """Per dimension: codes per touch (indices into the label list)."""
    reasons: Sequence[str | None] | None = None
    """Per journey, why a journey without touches has none (`no_linked_contact`, ...)."""

    def reason(self, row: int) -> str:
        """Why journey `row` has no touches (`no_touches` when the input did not say)."""
        given = self.reasons[row] if self.reasons is not None else None
        return given or "no_touches"

    @property
    def n_journeys(self) -> int:
        """Number of journey rows."""
        return len(self.ids)

    @property
    def n_touches(self) -> int:
        """Number of touches."""
        return int(self.offsets[-1])

    @cached_property
    def lengths(self) -> IntArray:
        """Touches per journey."""
        return np.diff(self.offsets)

    @cached_property
    def touch_journey(self) -> IntArray:
        """Journey row of each touch."""
        return np.repeat(np.arange(self.n_journeys, dtype=np.int64), self.lengths)

    @cached_property
    def positions(self) -> IntArray:
        """0-based position of each touch on its journey."""
        return np.arange(self.n_touches, dtype=np.int64) - self.offsets[self.touch_journey]

    @property
    def has_times(self) -> bool:
        """True when every touch has a time."""
        return self.n_touches > 0 and not bool(np.isnan(self.touch_s).any())

    def codes(self, dimension: str) -> tuple[IntArray, list[str]]:
        """Codes and labels of a dimension; unknown dimensions are an error naming it."""
        if dimension not in self.dimensions:
            known = ", ".join(sorted(self.dimensions))
            raise KeyError(f"unknown dimension {dimension!r} (known: {known})")
        return self.dimensions[dimension]

    def select(self, rows: IntArray) -> JourneyTable:
        """The journeys at `rows` (in that order) with their touches; labels are kept."""
        lengths = self.lengths[rows]
        starts = self.offsets[:-1][rows]
        touches = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(
            int(lengths.sum()), dtype=np.int64
        )
        return JourneyTable(
            ids=_Selected(self.ids, rows),
            conversions=self.conversions[rows],
            nulls=self.nulls[rows],
            amounts=[self.amounts[int(i)] for i in rows],
            end_s=self.end_s[rows],
            stage_s=self.stage_s[rows],
            offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            touch_s=self.touch_s[touches],
            dimensions={
                k: (codes[touches], labels) for k, (codes, labels) in self.dimensions.items()
            },
            reasons=None if self.reasons is None else [self.reasons[int(i)] for i in rows],
        )

    @cached_property
    def converting(self) -> JourneyTable:
        """Only the journeys with conversions (all that conversion credit depends on)."""
        return self.select(np.flatnonzero(self.conversions > 0))

    def with_counts(self, conversions: FloatArray, nulls: FloatArray) -> JourneyTable:
        """The same journeys with other outcome counts (holdout splits, bootstrap draws)."""
        return replace(self, conversions=conversions, nulls=nulls)

    @classmethod
    def from_journeys(cls, journeys: Sequence[Journey]) -> JourneyTable:
        """Columnar form of `Journey` models (all touch dimensions, extras included)."""
        n = len(journeys)
        lengths = np.fromiter((len(j.touches) for j in journeys), dtype=np.int64, count=n)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        touches = [t for j in journeys for t in j.touches]
        names = ["channel", "campaign", "type", "owner", "contact", "content", "direction"]
        extra = sorted({k for t in touches for k in t.extra} - set(names))
        dimensions: dict[str, tuple[IntArray, list[str]]] = {}
        for name in names + extra:
            values = [t.value(name) or NONE_LABEL for t in touches]
            dimensions[name] = encode(values)
        converted = np.array([1.0 if j.converted else 0.0 for j in journeys])
        return cls(
            ids=[j.journey_id for j in journeys],
            conversions=converted,
            nulls=1.0 - converted,
            amounts=[j.amount if j.converted else None for j in journeys],
            end_s=np.array([seconds_of(j.converted_at or j.ends_at) for j in journeys]),
            stage_s=np.array(
                [
                    [
                        seconds_of(j.lead_created_at),
                        seconds_of(j.opportunity_created_at),
                        seconds_of(j.closed_at),
                    ]
                    for j in journeys
                ],
                dtype=np.float64,
            ).reshape(n, 3),
            offsets=offsets,
            touch_s=np.array([seconds_of(t.at) for t in touches], dtype=np.float64),
            dimensions=dimensions,
            reasons=[j.unattributed_reason for j in journeys],
        )


def encode(
    values: Sequence[str] | pd.Series[str] | npt.NDArray[np.object_],
) -> tuple[IntArray, list[str]]:
    """Integer codes and sorted labels of a sequence of strings."""
    codes, labels = pd.factorize(pd.Series(values, dtype=object), sort=True)
    return codes.astype(np.int64), [str(v) for v in labels]
