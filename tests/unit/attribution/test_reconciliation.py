"""Property: under every model, every deal's credit lines sum exactly to its amount."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rel2rev.attribution import ALL_MODELS, Journey, run_models

from .helpers import journey

CHANNELS = ["direct", "email", "ads", "webinar", "events"]
CURRENCIES = ["EUR", "JPY", "KWD"]


@st.composite
def journeys(draw: st.DrawFn) -> list[Journey]:
    count = draw(st.integers(1, 8))
    out = []
    for i in range(count):
        channels = draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=6))
        days = sorted(
            draw(st.lists(st.floats(0, 80), min_size=len(channels), max_size=len(channels)))
        )
        converted = draw(st.booleans())
        minor = draw(st.integers(0, 10**9))
        currency = draw(st.sampled_from(CURRENCIES))
        exponent = {"EUR": 2, "JPY": 0, "KWD": 3}[currency]
        amount = str(Decimal(minor).scaleb(-exponent)) if converted else None
        out.append(
            journey(
                f"d{i}",
                channels,
                converted=converted,
                amount=amount,
                currency=currency,
                days=days,
                end_day=days[-1] + draw(st.floats(0, 5)),
                lead_day=draw(st.none() | st.floats(-5, 85)),
                opportunity_day=draw(st.none() | st.floats(-5, 85)),
            )
        )
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journeys())
def test_every_model_reconciles_every_deal(data: list[Journey]) -> None:
    report = run_models(data, ALL_MODELS, touches=False)
    amounts = {j.journey_id: j.amount for j in data if j.converted and j.amount is not None}
    for name, result in report.models.items():
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for gap in result.unattributed:
            assert gap.amount is not None
            sums[gap.deal_id] += gap.amount.amount
        if result.error is not None:
            assert result.error.startswith("insufficient data: ")
            for gap in result.unattributed:  # a won deal of amount 0 has nothing to split
                assert gap.amount is not None
                want = "no_amount" if gap.amount.amount == 0 else "model_failed"
                assert gap.reason == want, gap
            assert sums == {k: v.amount for k, v in amounts.items()}, name
            continue
        for line in result.deal_lines:
            assert line.amount.currency == amounts[line.deal_id].currency  # type: ignore[union-attr]
            assert line.amount.amount >= 0
            assert line.share > 0
            sums[line.deal_id] += line.amount.amount
        assert sums == {k: v.amount for k, v in amounts.items()}, name
        revenue = sum(
            (m.amount for cur in result.revenue.values() for m in cur.values()), Decimal()
        )
        assert revenue == sum((a.amount for a in amounts.values()), Decimal())
        if any(j.converted for j in data):
            assert sum(result.shares.values()) == pytest.approx(1.0)


def test_models_that_always_run_on_timed_converting_data() -> None:
    data = [journey("a", ["email", "ads"], amount="10.00"), journey("b", ["ads"], converted=False)]
    report = run_models(data)
    failed = {m: r.error for m, r in report.models.items() if r.error}
    assert list(failed) == ["shapley_incremental"]  # no journey without touches: no baseline
    assert "no baseline rate: 0 journeys without touches" in str(failed["shapley_incremental"])
    assert list(report.models) == list(ALL_MODELS)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=6),
            st.integers(-(10**12), 10**12),
            st.sampled_from(CURRENCIES),
        ),
        min_size=1,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_vectorised_split_matches_money_allocate(
    deals: list[tuple[list[str], int, str]], rng: object
) -> None:
    import numpy as np

    from rel2rev.attribution.credit import deal_lines
    from rel2rev.attribution.table import JourneyTable
    from rel2rev.money import Money

    journeys = [
        journey(f"d{i}", channels, amount="1", currency=currency)
        for i, (channels, _, currency) in enumerate(deals)
    ]
    table = JourneyTable.from_journeys(journeys)
    amounts = [Money.from_minor_units(units, cur) for _, units, cur in deals]
    table = JourneyTable(**{**table.__dict__, "amounts": amounts})  # type: ignore[arg-type]
    weights = np.array([rng.random() for _ in range(table.n_touches)])  # type: ignore[attr-defined]
    weights[weights < 0.2] = 0.0  # some values weigh nothing
    got = {
        (line.deal_id, line.value): line.amount
        for line in deal_lines(table, "channel", "m", weights)
    }
    for row, money in enumerate(amounts):
        expected = documented_split(table, row, weights, money)
        assert {v: got[(f"d{row}", v)] for v in expected} == expected
        assert {v for d, v in got if d == f"d{row}"} == set(expected)


def documented_split(table: object, row: int, weights: object, money: object) -> dict[str, object]:
    """The rule `deal_lines` documents, written out: each value's share of the deal (touch
    weights summed in touch order, the total over values in label order; all zero: even),
    rounded to an integer weight round(share × 2^32), split by `allocate` in first-touch
    order; values with weight 0, and parts of no money, get no line."""
    import numpy as np

    from rel2rev.money import allocate

    codes, labels = table.codes("channel")  # type: ignore[attr-defined]
    raw: dict[int, float] = {}
    for i in range(int(table.offsets[row]), int(table.offsets[row + 1])):  # type: ignore[attr-defined]
        raw[int(codes[i])] = raw.get(int(codes[i]), 0.0) + float(weights[i])  # type: ignore[index]
    total = 0.0
    for code in sorted(raw):
        total += raw[code]
    share = {c: (w / total if total > 0 else 1.0 / len(raw)) for c, w in raw.items()}
    scaled = {labels[c]: int(np.rint(s * 2**32)) for c, s in share.items()}
    parts = allocate(money, {v: w for v, w in scaled.items() if w > 0})  # type: ignore[arg-type]
    return {v: part for v, part in parts.items() if part.amount != 0}


def test_issue_example_u_shaped_on_a_billion_matches_the_documented_rule() -> None:
    """Thousands of splits of EUR 999,999,999.99 (and of small amounts) under U-shaped."""
    import numpy as np

    from rel2rev.attribution.positional import PRESETS, position_weights
    from rel2rev.attribution.table import JourneyTable
    from rel2rev.money import Money

    rng = np.random.default_rng(9)
    data = []
    for i in range(3000):
        channels = list(rng.choice(CHANNELS, size=int(rng.integers(1, 9))))
        amount = "999999999.99" if i % 2 else f"{int(rng.integers(1, 10**6))}.{i % 100:02d}"
        data.append(journey(f"d{i}", channels, amount=amount, lead_day=0.5, opportunity_day=1.5))
    table = JourneyTable.from_journeys(data)
    lines = run_models(table, ["u_shaped"], touches=False).models["u_shaped"].deal_lines
    got: dict[str, dict[str, Money]] = defaultdict(dict)
    for line in lines:
        got[line.deal_id][line.value] = line.amount
    weights = position_weights(table, PRESETS["u_shaped"])
    for row, j in enumerate(data):
        assert got[j.journey_id] == documented_split(table, row, weights, j.amount), j.journey_id


def test_amounts_beyond_float_precision_take_the_exact_path() -> None:
    from rel2rev.money import Money, allocate

    big = Money.from_minor_units(10**17 + 1, "EUR")
    data = [journey("big", ["a", "b", "c"], amount=str(big.amount))]
    lines = run_models(data, ["linear"]).models["linear"].deal_lines
    assert {line.value: line.amount for line in lines} == allocate(big, {"a": 1, "b": 1, "c": 1})
