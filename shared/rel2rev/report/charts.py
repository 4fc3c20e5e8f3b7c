"""Hand-built, accessible inline SVG charts: bars, step curves with bands, and forest plots.

Every chart is a standalone `<svg role="img">` with a `<title>` and `<desc>`, a `viewBox` so it
scales with the page, text as real text (searchable, zoomable) and a `<title>` tooltip per mark.
Colours are the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from pydantic import BaseModel, ConfigDict

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#4D4D4D")
"""Okabe-Ito colours (yellow left out: too pale on white), then a dark grey."""

WIDTH = 880
_FONT = 12
_CHAR = 7.0  # average glyph width at 12px in the page's sans-serif stack


class Series(BaseModel):
    """One named row of values over a chart's categories."""

    model_config = ConfigDict(frozen=True)

    name: str
    values: tuple[float, ...]


class CurvePoint(BaseModel):
    """One step of a curve: from `x` on the value is `y`, with an optional band."""

    model_config = ConfigDict(frozen=True)

    x: float
    y: float
    lower: float | None = None
    upper: float | None = None


class Curve(BaseModel):
    """A named step curve (e.g. one segment's cumulative conversion)."""

    model_config = ConfigDict(frozen=True)

    name: str
    points: tuple[CurvePoint, ...]


class Estimate(BaseModel):
    """A ratio with its confidence interval, one line of a forest plot."""

    model_config = ConfigDict(frozen=True)

    label: str
    value: float
    lower: float
    upper: float


def colour(index: int) -> str:
    """The palette colour for the index-th series (cycling)."""
    return PALETTE[index % len(PALETTE)]


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least `high` (1-2-2.5-5 steps)."""
    if high <= 0 or not math.isfinite(high):
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < high - 1e-12 * high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>'


def _svg(height: float, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'font-size="{_FONT}" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>" + "".join(body) + "</svg>"
    )


def _legend(names: Sequence[str], y: float, left: float) -> tuple[list[str], float]:
    """Legend swatches laid out in rows; returns the marks and the height used."""
    marks, x, row = [], left, 0
    for i, name in enumerate(names):
        width = 22 + len(name) * _CHAR + 18
        if x + width > WIDTH - 10 and x > left:
            x, row = left, row + 1
        top = y + row * 20
        marks.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="12" height="12" rx="2" fill="{colour(i)}"/>'
        )
        marks.append(_text(x + 17, top + 10.5, name, fill="#333"))
        x += width
    return marks, (row + 1) * 20 + 6 if names else 0


def _grid(
    ticks: Sequence[float],
    left: float,
    scale: float,
    span: tuple[float, float],
    fmt: Callable[[float], str],
) -> list[str]:
    """Vertical grid lines at the ticks of a horizontal axis, labelled under the plot."""
    top, bottom = span
    marks = []
    for tick in ticks:
        x = left + tick * scale
        marks.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="#e3e3e3"/>'
        )
        marks.append(_text(x, bottom + 15, fmt(tick), text_anchor="middle", fill="#666"))
    return marks


def bar_chart(
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Callable[[float], str],
    annotations: Sequence[str] | None = None,
) -> str:
    """Horizontal (grouped) bars: one group per category, one bar per series, values labelled."""
    if any(len(s.values) != len(categories) for s in series):
        raise ValueError("every series needs one value per category")
    label_width = min(210.0, max([len(c) for c in categories] + [4]) * _CHAR + 14)
    left, right = label_width, 150.0
    plot = WIDTH - left - right
    bar = 22.0 if len(series) == 1 else 13.0
    group = bar * len(series) + 12
    body: list[str] = []
    top = 8.0
    if len(series) > 1:
        marks, used = _legend([s.name for s in series], top, left)
        body += marks
        top += used
    high = max([v for s in series for v in s.values] + [0.0])
    ticks = nice_ticks(high)
    scale = plot / ticks[-1]
    bottom = top + group * len(categories)
    body += _grid(ticks, left, scale, (top, bottom), fmt)
    for ci, category in enumerate(categories):
        y0 = top + ci * group + 6
        body.append(
            _text(
                left - 8,
                y0 + bar * len(series) / 2 + 4,
                _short(category, int((label_width - 14) / _CHAR)),
                text_anchor="end",
                fill="#222",
            )
        )
        for si, s in enumerate(series):
            value = s.values[ci]
            y = y0 + si * bar
            width = max(0.0, value) * scale
            note = f" · {annotations[ci]}" if annotations and annotations[ci] else ""
            tip = f"{category} — {s.name}: {fmt(value)}{note}"
            body.append(
                f'<rect class="mark" x="{left:.1f}" y="{y:.1f}" width="{max(width, 0.5):.1f}" '
                f'height="{bar - 2:.1f}" rx="2" fill="{colour(si)}"><title>{escape(tip)}</title>'
                "</rect>"
            )
            body.append(_text(left + width + 5, y + bar / 2 + 3, fmt(value) + note, fill="#333"))
    body.append(
        f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{bottom:.1f}" stroke="#999"/>'
    )
    return _svg(bottom + 26, title, desc, body)


def _step_vertices(points: Sequence[tuple[float, float]], end: float) -> list[tuple[float, float]]:
    """Corners of a right-continuous step function through `points`, held until `end`."""
    corners: list[tuple[float, float]] = []
    for i, (x, y) in enumerate(points):
        nxt = points[i + 1][0] if i + 1 < len(points) else end
        corners += [(x, y), (nxt, y)]
    return corners


def _step_path(points: Sequence[tuple[float, float]]) -> str:
    parts = []
    for i, (x, y) in enumerate(points):
        if i == 0:
            parts.append(f"M{x:.1f},{y:.1f}")
        else:
            parts.append(f"H{x:.1f}V{y:.1f}")
    return "".join(parts)


def step_chart(
    title: str,
    desc: str,
    curves: Sequence[Curve],
    *,
    x_label: str,
    y_label: str,
    x_max: float | None = None,
) -> str:
    """Step curves on a 0-100 % axis with shaded confidence bands (Kaplan-Meier style)."""
    left, right, top = 58.0, 24.0, 8.0
    body: list[str] = []
    if len(curves) > 1:
        marks, used = _legend([c.name for c in curves], top, left)
        body += marks
        top += used
    height, plot_w = 250.0, WIDTH - left - right
    bottom = top + height
    high = x_max or max([p.x for c in curves for p in c.points] + [1.0])
    x_ticks = nice_ticks(high, 8)
    sx = plot_w / x_ticks[-1]

    def px(x: float) -> float:
        return left + min(x, x_ticks[-1]) * sx

    def py(y: float) -> float:
        return bottom - max(0.0, min(1.0, y)) * height

    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = py(tick)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e3e3e3"/>'
        )
        body.append(_text(left - 6, y + 4, f"{tick:.0%}", text_anchor="end", fill="#666"))
    for tick in x_ticks:
        body.append(_text(px(tick), bottom + 16, f"{tick:g}", text_anchor="middle", fill="#666"))
    body.append(_text(left + plot_w / 2, bottom + 34, x_label, text_anchor="middle", fill="#333"))
    body.append(
        _text(
            14,
            top + height / 2,
            y_label,
            text_anchor="middle",
            fill="#333",
            transform=f"rotate(-90 14 {top + height / 2:.1f})",
        )
    )
    for ci, curve in enumerate(curves):
        points = sorted(curve.points, key=lambda p: p.x)
        if not points:
            continue
        end = max(p.x for p in points)
        banded = [p for p in points if p.lower is not None and p.upper is not None]
        if banded:
            upper = _step_vertices([(p.x, p.upper or 0.0) for p in banded], end)
            lower = _step_vertices([(p.x, p.lower or 0.0) for p in banded], end)
            ring = [(px(x), py(y)) for x, y in upper + lower[::-1]]
            d = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + "Z"
            body.append(f'<path d="{d}" fill="{colour(ci)}" fill-opacity="0.16" stroke="none"/>')
        line = [(px(p.x), py(p.y)) for p in points]
        body.append(
            f'<path class="mark" d="{_step_path(line)}" fill="none" stroke="{colour(ci)}" '
            f'stroke-width="2.2"><title>{escape(curve.name)}</title></path>'
        )
    body.append(
        f'<rect x="{left}" y="{top:.1f}" width="{plot_w:.1f}" height="{height:.1f}" '
        'fill="none" stroke="#999"/>'
    )
    return _svg(bottom + 44, title, desc, body)


def ratio_text(value: float) -> str:
    """A ratio for labels: '1.80', '0.07', '<0.01', '3.4e+03', '∞'."""
    if not math.isfinite(value):
        return "∞"
    if value < 0.01:
        return "<0.01"
    return f"{value:.3g}" if value >= 100 else f"{value:.2f}"


FOREST_LIMIT = 6
"""The forest plot's axis spans at most 2^-6 .. 2^6; wider intervals are cut at the edge."""


def forest_plot(title: str, desc: str, estimates: Sequence[Estimate], x_label: str) -> str:
    """Ratios with confidence intervals on a log axis, a reference line at 1."""
    label_width = min(290.0, max([len(e.label) for e in estimates] + [4]) * _CHAR + 16)
    left, right, top, row = label_width, 170.0, 10.0, 24.0
    plot = WIDTH - left - right
    finite = [
        v for e in estimates for v in (e.lower, e.upper, e.value) if v > 0 and math.isfinite(v)
    ]
    lo_exp = max(-FOREST_LIMIT, math.floor(math.log2(min([*finite, 0.5]))))
    hi_exp = min(FOREST_LIMIT, math.ceil(math.log2(max([*finite, 2.0]))))

    def px(v: float) -> float:
        v = min(max(v, 2.0**lo_exp), 2.0**hi_exp) if v > 0 else 2.0**lo_exp
        return left + (math.log2(v) - lo_exp) / (hi_exp - lo_exp) * plot

    bottom = top + row * len(estimates) + 6
    body: list[str] = []
    step = 1 if hi_exp - lo_exp <= 8 else 2
    for e in range(lo_exp, hi_exp + 1):
        x = px(2.0**e)
        stroke = "#777" if e == 0 else "#e3e3e3"
        body.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="{stroke}"/>'
        )
        if e % step == 0:
            tick = f"{2.0**e:g}×" if e >= 0 else f"1/{2**-e:g}"
            body.append(_text(x, bottom + 15, tick, text_anchor="middle", fill="#666"))
    body.append(_text(left + plot / 2, bottom + 33, x_label, text_anchor="middle", fill="#333"))
    for i, est in enumerate(estimates):
        y = top + i * row + row / 2 + 3
        shade = colour(0) if est.lower > 1 or est.upper < 1 else "#888"
        interval = f"{ratio_text(est.lower)}–{ratio_text(est.upper)}"
        tip = f"{est.label}: {ratio_text(est.value)}× (95% CI {interval})"
        body.append(
            _text(
                left - 8,
                y + 4,
                _short(est.label, int((label_width - 16) / _CHAR)),
                text_anchor="end",
                fill="#222",
            )
        )
        body.append(
            f'<line x1="{px(est.lower):.1f}" y1="{y:.1f}" x2="{px(est.upper):.1f}" '
            f'y2="{y:.1f}" stroke="{shade}" stroke-width="2"/>'
        )
        body.append(
            f'<circle class="mark" cx="{px(est.value):.1f}" cy="{y:.1f}" r="5" '
            f'fill="{shade}"><title>{escape(tip)}</title></circle>'
        )
        body.append(
            _text(WIDTH - right + 10, y + 4, f"{ratio_text(est.value)}× ({interval})", fill="#333")
        )
    return _svg(bottom + 42, title, desc, body)


def switchable_bar_chart(
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Callable[[float], str],
    shown: int = 0,
    group_class: str = "pick",
) -> str:
    """Horizontal bars for one series at a time, on one shared axis.

    Every series is drawn in its own `<g class="{group_class} {group_class}-{i}">` (a heading
    naming it, its bars and value labels) over the same category labels and ticks, so bars
    compare across series. All groups but the `shown` one carry `visibility="hidden"`: without
    any stylesheet the chart shows that series alone, and the page's CSS can switch between
    them (hidden marks keep their geometry).
    """
    if any(len(s.values) != len(categories) for s in series):
        raise ValueError("every series needs one value per category")
    if series and not 0 <= shown < len(series):
        raise ValueError("the shown series must be one of the series")
    label_width = min(210.0, max([len(c) for c in categories] + [4]) * _CHAR + 14)
    left, right = label_width, 150.0
    plot = WIDTH - left - right
    bar, group = 22.0, 34.0
    top = 30.0  # below the series heading
    high = max([v for s in series for v in s.values] + [0.0])
    ticks = nice_ticks(high)
    scale = plot / ticks[-1]
    bottom = top + group * len(categories)
    body: list[str] = []
    body += _grid(ticks, left, scale, (top, bottom), fmt)
    for ci, category in enumerate(categories):
        body.append(
            _text(
                left - 8,
                top + ci * group + 6 + bar / 2 + 4,
                _short(category, int((label_width - 14) / _CHAR)),
                text_anchor="end",
                fill="#222",
            )
        )
    for si, s in enumerate(series):
        hidden = "" if si == shown else ' visibility="hidden"'
        marks = [_text(left, 19, s.name, fill="#222", font_weight="600")]
        for ci, category in enumerate(categories):
            value = s.values[ci]
            y = top + ci * group + 6
            width = max(0.0, value) * scale
            tip = f"{category} — {s.name}: {fmt(value)}"
            marks.append(
                f'<rect class="mark" x="{left:.1f}" y="{y:.1f}" width="{max(width, 0.5):.1f}" '
                f'height="{bar - 2:.1f}" rx="2" fill="{colour(0)}"><title>{escape(tip)}</title>'
                "</rect>"
            )
            marks.append(_text(left + width + 5, y + bar / 2 + 3, fmt(value), fill="#333"))
        body.append(
            f'<g class="{escape(group_class)} {escape(group_class)}-{si}"{hidden}>'
            + "".join(marks)
            + "</g>"
        )
    body.append(
        f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{bottom:.1f}" stroke="#999"/>'
    )
    return _svg(bottom + 26, title, desc, body)


class TimelinePoint(BaseModel):
    """One event on a timeline: its row (a person), its day and its series (a channel)."""

    model_config = ConfigDict(frozen=True)

    row: str
    day: float
    series: str
    tip: str = ""


def timeline_chart(
    title: str, desc: str, rows: Sequence[str], points: Sequence[TimelinePoint], x_label: str
) -> str:
    """Dots on one line per row, by day (from 0), coloured by series, with a legend."""
    names = list(dict.fromkeys(p.series for p in points))
    label_width = min(210.0, max([len(r) for r in rows] + [4]) * _CHAR + 14)
    left, right = label_width, 30.0
    plot = WIDTH - left - right
    body, top = _legend(names, 8.0, left) if names else ([], 0.0)
    top += 8.0
    line = 24.0
    bottom = top + line * len(rows)
    ticks = nice_ticks(max([p.day for p in points] + [0.0]))
    scale = plot / ticks[-1]
    body += _grid(ticks, left, scale, (top, bottom), lambda tick: f"{tick:g}")
    body.append(_text(left + plot / 2, bottom + 32, x_label, text_anchor="middle", fill="#444"))
    place = {row: top + line * (k + 0.5) for k, row in enumerate(rows)}
    for row, y in place.items():
        limit = int((label_width - 14) / _CHAR)
        body.append(_text(left - 8, y + 4, _short(row, limit), text_anchor="end", fill="#222"))
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot:.1f}" y2="{y:.1f}" '
            'stroke="#f0f0f0"/>'
        )
    for p in points:
        tip = p.tip or f"{p.row} — {p.series}, day {p.day:g}"
        body.append(
            f'<circle class="mark" cx="{left + p.day * scale:.1f}" cy="{place[p.row]:.1f}" r="5" '
            f'fill="{colour(names.index(p.series))}" fill-opacity="0.85">'
            f"<title>{escape(tip)}</title></circle>"
        )
    return _svg(bottom + 42, title, desc, body)
