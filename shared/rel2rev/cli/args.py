"""Argument types shared by the sub-commands."""

from __future__ import annotations

import argparse
import codecs
from datetime import date


def day(value: str) -> date:
    """A `YYYY-MM-DD` argument."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def encoding(value: str) -> str:
    """A text encoding Python knows (`utf-8`, `latin-1`, `cp1252`, ...)."""
    try:
        codecs.lookup(value)
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown text encoding: {value!r}") from None
    return value


def add_encoding(parser: argparse.ArgumentParser, what: str = "CSV and JSONL input") -> None:
    """The `--encoding` option: the text encoding of the command's CSV and JSONL input."""
    parser.add_argument(
        "--encoding",
        type=encoding,
        default="utf-8",
        metavar="NAME",
        help=f"text encoding of the {what} (default utf-8; e.g. latin-1, cp1252)",
    )
