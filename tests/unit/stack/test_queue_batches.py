"""SQS batching respects 10 entries and 256 KiB per call."""

from __future__ import annotations

import pytest

from rel2rev.errors import PayloadTooLargeError
from rel2rev.storage.queue import MAX_BATCH_BYTES, batches


def test_batches_hold_at_most_ten_messages() -> None:
    groups = batches([f"m{i}" for i in range(23)])
    assert [len(g) for g in groups] == [10, 10, 3]
    assert [m for g in groups for m in g] == [f"m{i}" for i in range(23)]


def test_batches_hold_at_most_256_kib() -> None:
    body = "x" * (100 * 1024)
    groups = batches([body] * 5)
    assert [len(g) for g in groups] == [2, 2, 1]
    assert all(sum(len(m) for m in g) <= MAX_BATCH_BYTES for g in groups)


def test_a_single_message_over_the_limit_is_refused() -> None:
    with pytest.raises(PayloadTooLargeError):
        batches(["x" * (MAX_BATCH_BYTES + 1)])
