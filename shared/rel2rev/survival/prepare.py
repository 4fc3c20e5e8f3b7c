"""Durations and events at a time resolution, with open spells censored at the as-of date."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from rel2rev.errors import UnprocessableError

CENSORED, EVENT, COMPETING = 0, 1, 2
"""Outcome codes in `prepare`'s `outcome` column."""


def prepare(frame: pd.DataFrame, *, as_of: datetime, resolution: timedelta) -> pd.DataFrame:
    """Add `duration` (started resolution units, at least 1), `event` and `outcome` to spells.

    `frame` needs `start`, `end` and optionally `competing` (UTC datetimes, NaT = not
    reached). A spell whose end (or competing outcome) is after `as_of` is open: it is
    censored at `as_of`, counted at risk until then and never as an event. Spells starting
    after `as_of` are dropped. Whichever of end and competing comes first decides the outcome.
    """
    if resolution <= timedelta(0):
        raise UnprocessableError("resolution must be positive")
    cutoff = pd.Timestamp(as_of)
    out = frame.loc[frame["start"] <= cutoff].copy()
    end = out["end"].where(out["end"] <= cutoff)
    competing = (
        out["competing"]
        if "competing" in out
        else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    )
    competing = competing.where(competing <= cutoff)
    first_end = end.notna() & (competing.isna() | (end <= competing))
    first_competing = competing.notna() & ~first_end
    stop = end.where(first_end, competing.where(first_competing, cutoff))
    units = (stop - out["start"]).dt.total_seconds() / resolution.total_seconds()
    out["duration"] = np.maximum(1.0, np.ceil(units.to_numpy(dtype=float)))
    out["outcome"] = np.select([first_end, first_competing], [EVENT, COMPETING], CENSORED)
    out["event"] = out["outcome"] == EVENT
    return out.reset_index(drop=True)
