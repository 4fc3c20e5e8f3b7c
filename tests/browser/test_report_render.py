"""report.html in headless Chromium: charts drawn with real sizes, no errors, no network."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from devtools_pipe import DevTools
from PIL import Image

from rel2rev.report import render_report

pytestmark = pytest.mark.browser

MEASURE = """JSON.stringify({
  charts: Array.from(document.querySelectorAll('svg.chart')).map(svg => {
    const box = svg.getBoundingClientRect();
    const marks = Array.from(svg.querySelectorAll('.mark'));
    const drawn = marks.filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
    return {section: svg.closest('section').id, width: box.width, height: box.height,
            marks: marks.length, drawn: drawn.length};
  }),
  sections: Array.from(document.querySelectorAll('main > section')).map(s => s.id),
  pageWidth: document.documentElement.scrollWidth,
})"""


def _open(devtools: DevTools, page: Path) -> str:
    target = devtools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session: str = devtools.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    for domain in ("Page", "Runtime", "Log", "Network"):
        devtools.send(f"{domain}.enable", session=session)
    devtools.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        session,
    )
    devtools.send("Page.navigate", {"url": page.as_uri()}, session)
    devtools.wait_for("Page.loadEventFired")
    return session


def _problems(events: list[dict[str, Any]], page: Path) -> list[str]:
    problems = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            problems.append(f"uncaught: {params['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
            problems.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            problems.append(f"log: {params['entry'].get('text')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if url != page.as_uri():
                problems.append(f"request to {url}")
    return problems


def _palette_pixels(png: bytes, rgb: tuple[int, int, int]) -> int:
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    return int((np.abs(pixels - np.array(rgb)) <= 6).all(axis=-1).sum())


@pytest.mark.parametrize("failed", [False, True], ids=["complete", "attribution-failed"])
def test_report_charts_are_drawn_without_errors(
    devtools: DevTools, samples: ModuleType, tmp_path: Path, failed: bool
) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_report(samples.sample_results(failed_attribution=failed)), "utf-8")
    session = _open(devtools, page)
    measured = json.loads(
        devtools.send("Runtime.evaluate", {"expression": MEASURE, "returnByValue": True}, session)[
            "result"
        ]["value"]
    )
    png = devtools.screenshot(session)
    (tmp_path / "report.png").write_bytes(png)

    assert _problems(devtools.events, page) == []
    assert measured["sections"] == [
        "summary",
        "funnel",
        "engagement",
        "timing",
        "drivers",
        "attribution",
        "baseline",
        "returns",
        "over-time",
        "trend",
        "deal-story",
        "people",
        "caveats",
    ]
    charts = measured["charts"]
    # the holdout AUC chart, 2 full-vs-incremental share charts, 2 months charts, 2 return
    # pickers; 2 won-per-run charts either way
    assert len(charts) == (10 if failed else 21)
    for chart in charts:
        assert chart["width"] > 300, chart
        assert chart["height"] > 60, chart
        assert chart["marks"] > 0, chart
        assert chart["drawn"] == chart["marks"], chart
    assert measured["pageWidth"] <= 1200, "nothing overflows the page horizontally"
    image = Image.open(io.BytesIO(png))
    assert image.width == 1200
    assert image.height > 3000
    assert _palette_pixels(png, (0x00, 0x72, 0xB2)) > 5000  # blue bars and curves
    assert _palette_pixels(png, (0xE6, 0x9F, 0x00)) > 1000  # orange second series
