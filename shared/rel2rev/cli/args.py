"""Argument types shared by the sub-commands."""

from __future__ import annotations

import argparse
from datetime import date


def day(value: str) -> date:
    """A `YYYY-MM-DD` argument."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None
