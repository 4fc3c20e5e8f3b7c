"""Money: exact amounts, minor units, and largest-remainder allocation."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from rel2rev.money import Money, allocate, minor_exponent


def test_amount_is_held_at_minor_unit_precision() -> None:
    assert Money.of("12.5", "eur").amount == Decimal("12.50")
    assert Money.of("12.5", "EUR").currency == "EUR"
    assert Money.of("1000", "JPY").minor_units == 1000
    assert Money.of("1.234", "KWD").minor_units == 1234
    assert minor_exponent("USD") == 2


def test_money_refuses_floats_unknown_currencies_and_infinities() -> None:
    with pytest.raises(TypeError):
        Money.of(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="unknown ISO 4217"):
        Money.of("1", "XYZ")
    with pytest.raises(ValidationError, match="finite"):
        Money(amount=Decimal("Infinity"), currency="EUR")


def test_digits_finer_than_the_minor_unit_are_refused_not_rounded() -> None:
    for amount, currency in (("10.005", "EUR"), ("3.5", "JPY"), ("1.2345", "KWD")):
        with pytest.raises(ValidationError, match=f"finer than the {currency} minor unit"):
            Money.of(amount, currency)
    assert Money.of("10.500", "EUR").amount == Decimal("10.50")  # trailing zeros are exact
    with pytest.raises(ValidationError, match="too many digits"):
        Money.of("1E+40", "EUR")
    assert Money.rounded(Decimal(10) / 3, "EUR") == Money.of("3.33", "EUR")


def test_allocation_hands_leftover_cents_to_largest_remainders() -> None:
    parts = allocate(Money.of("100.00", "EUR"), {"a": 1, "b": 1, "c": 1})
    assert [p.amount for p in parts.values()] == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    parts = allocate(Money.of("10.00", "USD"), {"x": Fraction(1, 6), "y": Fraction(5, 6)})
    assert parts == {"x": Money.of("1.67", "USD"), "y": Money.of("8.33", "USD")}


def test_allocation_edge_cases() -> None:
    assert allocate(Money.of("-0.05", "EUR"), {"a": 1, "b": 1}) == {
        "a": Money.of("-0.03", "EUR"),
        "b": Money.of("-0.02", "EUR"),
    }
    assert allocate(Money.of("3", "JPY"), {"a": 0, "b": 0})["a"].amount == Decimal(2)
    with pytest.raises(ValueError, match="non-negative"):
        allocate(Money.of("1", "EUR"), {"a": -1})
    with pytest.raises(ValueError, match="no keys"):
        allocate(Money.of("1", "EUR"), {})


@given(
    cents=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=12),
)
def test_allocation_always_sums_exactly(cents: int, weights: list[float]) -> None:
    total = Money.from_minor_units(cents, "EUR")
    parts = allocate(total, dict(enumerate(weights)))
    assert sum(p.minor_units for p in parts.values()) == cents
    # No part strays more than one cent from its exact share.
    weight_sum = sum(Fraction(w) for w in weights) or None
    for key, part in parts.items():
        exact = Fraction(cents) * Fraction(weights[key]) / weight_sum if weight_sum else None
        if exact is not None:
            assert abs(part.minor_units - exact) < 1
