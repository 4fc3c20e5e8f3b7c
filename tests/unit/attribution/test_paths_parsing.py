"""Parsing aggregated `paths`: Arrow tokenizing across chunks, and row-precise errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rel2rev.attribution import io
from rel2rev.attribution.io import table_from_paths
from rel2rev.errors import InputError


def _zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=float)


def test_paths_split_the_same_in_one_chunk_or_many(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = ["a > b", "b>c", " c >a> a ", "é > b"] * 5
    whole = table_from_paths(pd.Series(paths), _zeros(20), _zeros(20))
    monkeypatch.setattr(io, "_PARSE_CHUNK", 3)
    chunked = table_from_paths(paths, _zeros(20), _zeros(20))
    (codes, labels), (chunked_codes, chunked_labels) = (
        whole.dimensions["channel"],
        chunked.dimensions["channel"],
    )
    assert labels == chunked_labels == ["a", "b", "c", "é"]
    assert np.array_equal(codes, chunked_codes)
    assert np.array_equal(whole.lengths, chunked.lengths)
    assert [labels[c] for c in codes[:9]] == ["a", "b", "b", "c", "c", "a", "a", "é", "b"]
    assert list(whole.lengths[:4]) == [2, 2, 3, 2]


@pytest.mark.parametrize(
    ("path", "why"),
    [
        (None, "missing or not text"),
        (17, "missing or not text"),
        ("a > \ud800", "not valid Unicode text"),
        ("a >  > b", "empty channel"),
        (" > ", "empty channel"),
    ],
)
def test_a_bad_path_names_its_row_even_past_a_chunk_boundary(
    monkeypatch: pytest.MonkeyPatch, path: object, why: str
) -> None:
    monkeypatch.setattr(io, "_PARSE_CHUNK", 4)
    paths = ["a > b"] * 9 + [path] + ["c"]
    with pytest.raises(InputError, match=rf"^row 10, field path: .*{why}"):
        table_from_paths(pd.Series(paths, dtype=object), _zeros(11), _zeros(11))
