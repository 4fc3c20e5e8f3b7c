"""The SVG chart builders and the number formatting they rely on."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from rel2rev.report import formatting as f
from rel2rev.report.charts import (
    Curve,
    CurvePoint,
    Estimate,
    Series,
    TimelinePoint,
    bar_chart,
    forest_plot,
    nice_ticks,
    step_chart,
    timeline_chart,
)


def test_nice_ticks_cover_the_range_in_round_steps() -> None:
    assert nice_ticks(4374) == [0, 1000, 2000, 3000, 4000, 5000]
    assert nice_ticks(0.9) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0) == [0.0, 1.0]


def test_bar_lengths_are_proportional_to_values() -> None:
    svg = bar_chart(
        "t", "d", ["a", "b"], [Series(name="s", values=(100.0, 25.0))], fmt=lambda v: f"{v:.0f}"
    )
    widths = [float(w) for w in re.findall(r'<rect class="mark" [^>]*width="([\d.]+)"', svg)]
    assert len(widths) == 2
    assert widths[0] == pytest.approx(4 * widths[1], rel=1e-2)


def test_grouped_bars_get_a_legend_and_one_colour_per_series() -> None:
    svg = bar_chart(
        "t", "d", ["a"], [Series(name="x", values=(1.0,)), Series(name="y", values=(2.0,))], fmt=str
    )
    assert ">x</text>" in svg
    assert ">y</text>" in svg
    assert len(set(re.findall(r'class="mark"[^>]*fill="(#\w+)"', svg))) == 2


def test_bar_chart_needs_one_value_per_category() -> None:
    with pytest.raises(ValueError, match="one value per category"):
        bar_chart("t", "d", ["a", "b"], [Series(name="s", values=(1.0,))], fmt=str)


def test_step_chart_draws_a_line_and_a_band_per_curve() -> None:
    curve = Curve(
        name="all",
        points=(
            CurvePoint(x=0, y=0, lower=0, upper=0),
            CurvePoint(x=10, y=0.5, lower=0.4, upper=0.6),
        ),
    )
    svg = step_chart("t", "d", [curve], x_label="days", y_label="share")
    assert svg.count('fill-opacity="0.16"') == 1
    line = re.search(r'<path class="mark" d="([^"]+)"', svg).group(1)
    assert line.startswith("M")
    assert "H" in line
    assert "V" in line


def test_forest_plot_marks_significant_ratios() -> None:
    svg = forest_plot(
        "t",
        "d",
        [
            Estimate(label="fast", value=2, lower=1.5, upper=3),
            Estimate(label="noise", value=1, lower=0.8, upper=1.2),
        ],
        "HR",
    )
    fills = re.findall(r'<circle class="mark"[^>]*fill="(#\w+)"', svg)
    assert fills[0] != fills[1]
    assert "2.00× (1.50–3.00)" in svg


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("1234567.5"), "EUR", "€1,234,567.50"),
        (Decimal("1234567"), "JPY", "¥1,234,567"),
        (Decimal("12.345"), "KWD", "KWD 12.345"),
        (Decimal("-0.01"), "USD", "−$0.01"),
        (Decimal("12"), "CHF", "CHF 12.00"),
    ],
)
def test_money_is_exact_with_separators_and_symbol(
    amount: Decimal, currency: str, text: str
) -> None:
    assert f.money(amount, currency) == text


def test_short_money_days_and_hours() -> None:
    assert f.money_short(12_345.0, "EUR") == "€12.3k"
    assert f.money_short(2_000_000.0, "USD") == "$2M"
    assert f.days(1.0) == "1.0 days" or f.days(1.0) == "1 day"
    assert f.days(42.4) == "42 days"
    assert f.hours(0.5) == "30 min"
    assert f.hours(72) == "3.0 days"
    assert f.percent(None) == "—"


def test_timeline_chart_puts_each_event_on_its_row_and_day() -> None:
    svg = timeline_chart(
        "Touches",
        "two people",
        ["ada", "bob"],
        [
            TimelinePoint(row="ada", day=0.0, series="email"),
            TimelinePoint(row="bob", day=10.0, series="linkedin"),
            TimelinePoint(row="ada", day=20.0, series="email"),
        ],
        "Days since the first touch",
    )
    dots = re.findall(r'<circle class="mark" cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert len(dots) == 3
    (x0, y0), (x1, y1), (x2, y2) = [(float(x), float(y)) for x, y in dots]
    assert y0 == y2 != y1, "one line per person"
    assert x0 < x1 < x2
    assert x1 - x0 == pytest.approx(x2 - x1), "days on one linear scale"
    assert ">email<" in svg
    assert ">linkedin<" in svg
    assert "Days since the first touch" in svg
