"""Line tables (`rel2rev.lines`) read, validate, compare and serialise exactly as the lists of
models they replace."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import TypeAdapter

from rel2rev.money import Money
from rel2rev.results.contracts import CreditLine, CreditLines, DealAttribution

CLOSE = datetime(2026, 5, 10, tzinfo=UTC)
LINES = [
    CreditLine(
        deal_id="hubspot:1", model="linear", by="channel", value="email", share=0.25,
        amount=Money.of("25.01", "EUR"), closed_at=CLOSE,
    ),
    CreditLine(
        deal_id="hubspot:1", model="linear", by="channel", value="linkedin", share=0.75,
        amount=Money.of("75.00", "EUR"), closed_at=CLOSE,
    ),
    CreditLine(
        deal_id="sf:2", model="first", by="campaign", value="(none)", share=1.0,
        amount=Money.of("300", "JPY"), closed_at=None,
    ),
]  # fmt: skip


def test_reads_as_the_list_it_holds() -> None:
    table = CreditLines.of(LINES)
    assert len(table) == 3
    assert list(table) == LINES
    assert table[1] == LINES[1]
    assert table[-1] == LINES[-1]
    assert list(table[1:]) == LINES[1:]
    assert list(table.take([2, 0])) == [LINES[2], LINES[0]]
    assert table == LINES
    assert table == CreditLines.concat([CreditLines.of(LINES[:1]), CreditLines.of(LINES[1:])])
    assert table != CreditLines.of(LINES[:2])
    with pytest.raises(IndexError):
        table[3]


def test_serialises_exactly_as_a_list_of_models() -> None:
    as_list = TypeAdapter(list[CreditLine])
    deal = DealAttribution(deal_id="hubspot:1", lines=CreditLines.of(LINES))
    listed = as_list.dump_python(LINES, mode="json")
    assert deal.model_dump(mode="json")["lines"] == listed
    assert deal.model_dump()["lines"] == as_list.dump_python(LINES)
    again = DealAttribution.model_validate_json(deal.model_dump_json())
    assert again == deal
    assert isinstance(again.lines, CreditLines)
    assert again.lines[0].amount == Money.of("25.01", "EUR")


def test_validates_like_a_list_of_models() -> None:
    deal = DealAttribution(deal_id="d", lines=[line.model_dump() for line in LINES])
    assert isinstance(deal.lines, CreditLines)
    assert deal.lines == LINES
    bad = LINES[0].model_dump() | {"amount": {"amount": "1.001", "currency": "EUR"}}
    with pytest.raises(ValueError, match="finer than the EUR minor unit"):
        DealAttribution(deal_id="d", lines=[bad])


def test_json_schema_is_the_list_schema() -> None:
    schema = TypeAdapter(DealAttribution).json_schema(mode="serialization")
    lines = schema["properties"]["lines"]
    assert lines["type"] == "array"
    assert lines["items"]["$ref"].endswith("CreditLine")


def test_columns_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown columns"):
        CreditLines({"deal": ["x"]})
    with pytest.raises(ValueError, match="different lengths"):
        CreditLines({"deal_id": ["x"], "model": []})
    amounts = CreditLines.of(LINES).column("amount")
    assert amounts == [Decimal("25.01"), Decimal("75.00"), Decimal("300")]


def test_dumps_match_pydantic_on_every_kind_of_value() -> None:
    """The columns are dumped without building models; the result is pydantic's own."""
    moments = [
        None,
        datetime(2026, 10, 4, 18, 51, 48, 123456, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]
    amounts = [("0.00", "EUR"), ("12345678901234567890.10", "USD"), ("7", "JPY"), ("1.250", "KWD")]
    lines = [
        CreditLine(
            deal_id=f"d{i}", model="markov", by="owner", value="ana", share=share,
            amount=Money.of(amount, currency), closed_at=moments[i % len(moments)],
        )
        for i, ((amount, currency), share) in enumerate(
            zip(amounts, [0.0, 1e-12, 1 / 3, 1.0], strict=True)
        )
    ]  # fmt: skip
    as_list = TypeAdapter(list[CreditLine])
    table = CreditLines.of(lines)
    holder = TypeAdapter(CreditLines)
    assert holder.dump_python(table, mode="json") == as_list.dump_python(lines, mode="json")
    assert holder.dump_python(table) == as_list.dump_python(lines)
    assert holder.dump_json(table) == as_list.dump_json(lines)


def test_a_plain_list_set_by_model_copy_still_serialises() -> None:
    """`model_copy(update=...)` does not validate: a list put there must dump all the same."""
    deal = DealAttribution(deal_id="hubspot:1", lines=CreditLines.of(LINES))
    copied = deal.model_copy(update={"lines": LINES[:1]})
    assert copied.model_dump(mode="json")["lines"] == deal.model_dump(mode="json")["lines"][:1]
    assert deal.model_copy(update={"lines": []}).model_dump_json().count('"lines":[]') == 1
