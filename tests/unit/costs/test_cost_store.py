"""CostStore on the template's results table (moto): upsert, month ranges, pages, deletes."""

from __future__ import annotations

import boto3
import pytest

from rel2rev.money import Money
from rel2rev.spend import CostLine
from rel2rev.storage.costs import CostStore, cost_store


def cost(month: str, channel: str, amount: str, campaign: str | None = None,
         currency: str = "EUR") -> CostLine:  # fmt: skip
    return CostLine(
        month=month, channel=channel, campaign=campaign, amount=Money.of(amount, currency)
    )


@pytest.fixture
def store(results_table: str) -> CostStore:
    return cost_store()


def test_items_have_the_documented_keys_and_attributes(
    store: CostStore, results_table: str
) -> None:
    store.put("acme", [cost("2026-03", "Paid", "4200.50", "spring"), cost("2026-03", "paid", "9")])
    items = boto3.resource("dynamodb").Table(results_table).scan()["Items"]
    assert sorted(items, key=lambda i: str(i["sk"])) == [
        {"pk": "COSTS#acme", "sk": "2026-03#paid##EUR", "month": "2026-03", "channel": "paid",
         "campaign": "", "amount": "9.00", "currency": "EUR"},
        {"pk": "COSTS#acme", "sk": "2026-03#paid#spring#EUR", "month": "2026-03",
         "channel": "paid", "campaign": "spring", "amount": "4200.50", "currency": "EUR"},
    ]  # fmt: skip
    assert all("expires_at" not in item for item in items)


def test_a_line_with_the_same_key_replaces_the_stored_one(store: CostStore) -> None:
    assert store.put("acme", [cost("2026-03", "paid", "10.00"), cost("2026-03", "paid", "5", "x")])
    assert (
        store.put("acme", [cost("2026-03", "PAID", "12.00"), cost("2026-03", "paid", "7.00")]) == 2
    )
    assert store.lines("acme", "2026-03", "2026-03") == [
        cost("2026-03", "paid", "7.00"),
        cost("2026-03", "paid", "5", "x"),
    ]
    store.put("acme", [cost("2026-03", "paid", "3.00", currency="USD")])
    assert len(store.lines("acme", "2026-03", "2026-03")) == 3, "another currency, another line"


def test_month_ranges_are_inclusive_in_key_order_and_per_workspace(store: CostStore) -> None:
    lines = [
        cost("2026-05", "social", "1"), cost("2026-02", "paid", "2"),
        cost("2026-03", "paid social", "3"), cost("2026-03", "paid", "4", "b"),
        cost("2026-03", "paid", "5", "a"), cost("2026-04", "événements", "6"),
        cost("2025-12", "paid", "7"),
    ]  # fmt: skip
    store.put("acme", lines)
    store.put("other", [cost("2026-03", "paid", "99")])
    found = store.lines("acme", "2026-02", "2026-04")
    assert found == sorted(found, key=lambda line: line.key)
    assert [line.amount.amount for line in found] == [2, 5, 4, 3, 6]
    assert store.lines("acme", "2026-03", "2026-03") == found[1:4]
    assert store.lines("acme", "2024-01", "2024-12") == []
    assert len(store.lines("acme", "0000-01", "9999-12")) == 7


def test_names_with_separators_never_share_a_key(store: CostStore) -> None:
    """`a#b` with no campaign and `a` with campaign `b#` would both be `a#b##` unescaped."""
    lines = [cost("2026-03", "a#b", "1"), cost("2026-03", "a", "2", "b#"),
             cost("2026-03", "a%23b", "3")]  # fmt: skip
    store.put("acme", lines)
    assert sorted(store.lines("acme", "2026-03", "2026-03"), key=lambda x: x.amount.amount) == lines


def test_many_pages_are_read_and_deleted(store: CostStore) -> None:
    """5,000 lines of long campaign names are several 1 MB query pages."""
    lines = [cost("2026-03", "paid", "1", f"{i:04d}" + "x" * 250) for i in range(4000)]
    lines += [cost("2026-04", "paid", "1", f"{i:04d}" + "x" * 250) for i in range(1000)]
    assert store.put("acme", lines) == 5000
    assert store.lines("acme", "2026-03", "2026-04") == lines
    assert store.delete("acme", "2026-03", "2026-03") == 4000
    assert store.lines("acme", "2026-01", "2026-12") == lines[4000:]


def test_delete_removes_only_the_range_of_the_workspace(store: CostStore) -> None:
    store.put("acme", [cost("2026-02", "paid", "1"), cost("2026-03", "paid", "2", "x"),
                       cost("2026-04", "paid", "3")])  # fmt: skip
    store.put("other", [cost("2026-03", "paid", "9")])
    assert store.delete("acme", "2026-03", "2026-04") == 2
    assert store.delete("acme", "2026-03", "2026-04") == 0
    assert store.lines("acme", "0000-01", "9999-12") == [cost("2026-02", "paid", "1")]
    assert len(store.lines("other", "0000-01", "9999-12")) == 1
