"""Readable charts: few survival curves, plain-word drivers, an explained funnel, phone CSS."""

from __future__ import annotations

import math
import re

import pytest

from rel2rev.report import render_report
from rel2rev.report.render import CSS
from rel2rev.report.sections import drivers_section, funnel_section, survival_section
from rel2rev.report.sections.common import MAX_CURVES
from rel2rev.report.sections.survival import driver_label, share_converted_by
from rel2rev.results.contracts import (
    CurvePoint,
    Drivers,
    FunnelRow,
    HazardRatio,
    RunResults,
    SurvivalCurve,
)

CHANNELS = [f"channel-{i}" for i in range(9)]


def _points(rate: float) -> list[CurvePoint]:
    return [
        CurvePoint(t_days=float(d), survival=math.exp(-rate * d), at_risk=100 - d // 2)
        for d in range(0, 121, 10)
    ]


def _many_segments(results: RunResults) -> RunResults:
    """Everyone plus nine capture channels and two owners for capture to qualified."""
    assert results.survival is not None
    curves = [
        SurvivalCurve(
            transition="capture_to_qualified",
            subjects=2000,
            events=900,
            censored=1100,
            median_days=40.0,
            points=_points(0.02),
        )
    ]
    curves += [
        SurvivalCurve(
            transition="capture_to_qualified",
            by="channel",
            segment=name,
            subjects=500 - 40 * i,
            events=200 - 20 * i,
            censored=300 - 20 * i,
            median_days=30.0 + i,
            points=_points(0.03 - 0.002 * i),
        )
        for i, name in enumerate(CHANNELS)
    ]
    curves += [
        SurvivalCurve(
            transition="capture_to_qualified",
            by="owner",
            segment=owner,
            subjects=40,
            events=events,
            censored=40 - events,
            points=_points(0.01),
        )
        for owner, events in (("ana.lima", 12), ("bo.chen", 1))
    ]
    survival = results.survival.model_copy(update={"curves": curves})
    return results.model_copy(update={"survival": survival})


def _charts(html: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", html, flags=re.S)


def test_survival_charts_draw_at_most_five_curves(results: RunResults) -> None:
    html = survival_section(_many_segments(results))
    charts = _charts(html)
    assert len(charts) == 1
    drawn = re.findall(r'<path class="mark"[^>]*><title>([^<]*)</title>', charts[0])
    assert len(drawn) == MAX_CURVES == 5
    assert drawn[0] == "Everyone"
    # the largest segments by subjects are the ones drawn
    assert drawn[1:] == [f"Channel: {c}" for c in CHANNELS[:4]]


def test_undrawn_segments_go_to_a_table_with_a_reason(results: RunResults) -> None:
    html = survival_section(_many_segments(results))
    table_at = html.index("<caption>Segments not drawn on the chart</caption>")
    rest = html[table_at : html.index("</table>", table_at)]
    for name in CHANNELS[4:]:
        assert f"Channel: {name}</td>" in rest
    assert "Owner: ana.lima</td>" in rest
    assert "Owner: bo.chen</td>" in rest
    for name in CHANNELS[:4]:
        assert f"Channel: {name}</td>" not in rest
    for header in ("Segment", "Relationships", "Made the step", "Median", "Converted by day 30"):
        assert f">{header}</th>" in rest
    assert "Converted by day 90</th>" in rest
    # 5 smaller channels + 2 owners, with why each is in the table
    sentence = re.search(r"7 segments are in the table below rather than on the chart: [^<]*", html)
    assert sentence is not None
    assert "5 smaller capture-channel segments, as a chart" in sentence.group()
    assert f"at most {MAX_CURVES} curves" in sentence.group()
    assert "1 segment of other splits" in sentence.group()
    assert "1 segment with fewer than 3 relationships that made the step" in sentence.group()


def test_share_converted_by_reads_the_curve_and_stops_where_follow_up_ends() -> None:
    curve = SurvivalCurve(
        transition="capture_to_qualified",
        subjects=10,
        events=5,
        censored=5,
        points=[
            CurvePoint(t_days=10.0, survival=0.8, at_risk=10),
            CurvePoint(t_days=40.0, survival=0.5, at_risk=6),
            CurvePoint(t_days=60.0, survival=0.5, at_risk=2),
        ],
    )
    assert share_converted_by(curve, 30) == pytest.approx(0.2)
    assert share_converted_by(curve, 5) == pytest.approx(0.0)
    assert share_converted_by(curve, 90) is None


def test_small_survival_runs_have_no_leftover_table(results: RunResults) -> None:
    assert results.survival is not None
    few = [c for c in results.survival.curves if c.by != "owner"]
    small = results.model_copy(
        update={"survival": results.survival.model_copy(update={"curves": few})}
    )
    html = survival_section(small)
    assert "Segments not drawn on the chart" not in html
    assert "rather than on the chart" not in html


RAW_FEATURES = {
    "log_count_like": "Likes received",
    "log_count_email_reply": "E-mail replies",
    "log_count_meeting": "Meetings",
    "log_count_inbound": "Messages from them",
    "reciprocal": "Two-way conversation (both sides have written)",
    "answered_before": "We had already answered them",
    "log_response_hours": "Our response time (hours)",
    "inbound_replies": "Replies from them",
    "likes": "Likes received",
    "channel=linkedin": "Captured via linkedin",
    "stakeholder=economic_buyer": "Stakeholder type: economic_buyer",
    "log_count_brand_new_type": "Brand new type",
    "days_since_last_touch": "Days since last touch",
}


@pytest.mark.parametrize(("feature", "words"), RAW_FEATURES.items())
def test_driver_labels_are_plain_words(feature: str, words: str) -> None:
    assert driver_label(feature) == words


def test_drivers_section_shows_no_raw_covariate_ids(results: RunResults) -> None:
    assert results.survival is not None
    ratios = [
        HazardRatio(feature=name, hazard_ratio=1.1 + i / 10, lower=0.9, upper=1.5 + i / 10)
        for i, name in enumerate(RAW_FEATURES)
        if not name.startswith("stakeholder")
    ]
    drivers = Drivers(
        transition="capture_to_qualified",
        subjects=500,
        events=200,
        concordance=0.7,
        ratios=ratios,
        ph_violations=["log_count_like"],
    )
    run = results.model_copy(
        update={"survival": results.survival.model_copy(update={"drivers": [drivers]})}
    )
    html = drivers_section(run)
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", html)
    for words in ("Likes received", "Replies from them", "Our response time (hours)", "Meetings"):
        assert any(label.startswith(words) for label in labels), words
    for raw in ("log_count", "log count", "(log)", "Log ", "reciprocal"):
        assert all(raw not in label for label in labels), raw
    assert all("_" not in label for label in labels)
    # the log scale and the segment reference are explained once, in notes
    assert html.count("log(1 + value)") == 1
    assert html.count("most common group") == 1
    assert "Proportional-hazards check failed for Likes received" in html


def _funnel(results: RunResults, **counts: int) -> RunResults:
    assert results.funnel is not None
    row = FunnelRow(cohort="2026-03", **counts)
    return results.model_copy(
        update={"funnel": results.funnel.model_copy(update={"rows": [row], "unplaced": []})}
    )


def test_funnel_explains_a_later_stage_above_an_earlier_one(results: RunResults) -> None:
    run = _funnel(results, captured=1200, qualified=39, lead=99, opportunity=50, won=20, lost=9)
    html = funnel_section(run)
    assert (
        "Stage by stage: capture 1,200 → qualified 39 → lead 99 → opportunity 50 → won 20." in html
    )
    note = re.search(r"Why qualified 39 → lead 99 goes up: [^<]*", html)
    assert note is not None
    text = note.group()
    assert "counted on its own, not as a subset of the stage before" in text
    assert "CRM record" in text
    assert "at least 60 of the 99 relationships at lead" in text
    # on the chart, next to the bar
    chart = _charts(html)[0]
    assert "more than the 39 qualified: see note" in chart
    # and the note sits right under the chart, before the next table
    assert html.index("</figure>") < note.start() < html.index("<table")


def test_funnel_has_no_explanation_when_every_stage_shrinks(results: RunResults) -> None:
    run = _funnel(results, captured=1200, qualified=300, lead=99, opportunity=50, won=20, lost=9)
    html = funnel_section(run)
    assert (
        "Stage by stage: capture 1,200 → qualified 300 → lead 99 → opportunity 50 → won 20." in html
    )
    assert "goes up" not in html
    assert "see note" not in html
    assert "goes up" not in funnel_section(results)


def test_css_makes_the_page_usable_on_a_phone(results: RunResults) -> None:
    assert "svg { max-width:100%; height:auto; }" in CSS
    assert re.search(r"\.table-wrap \{[^}]*overflow-x:auto", CSS)
    phone = CSS[CSS.index("@media (max-width: 600px)") :]
    phone = phone[: phone.index("\n}\n")]
    for rule in (".wrap { padding:0 14px; }", "body { font-size:14px;", "th, td { padding:"):
        assert rule in phone
    page = render_report(results)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width: 600px)" in page
