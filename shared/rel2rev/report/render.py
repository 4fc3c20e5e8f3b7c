"""`render_report`: one self-contained `report.html` (inline CSS and SVG, no scripts, no URLs)."""

from __future__ import annotations

from html import escape

from rel2rev.report import formatting as f
from rel2rev.report import sections
from rel2rev.report.picker import picker_css
from rel2rev.results.contracts import ALL_MODELS, RunResults

CSS = """
:root { --ink:#1d2733; --muted:#5b6675; --line:#dfe3e8; --accent:#0072B2; --warn:#9a4d00;
  --panel:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; background:#fff; color:var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Noto Sans", "Liberation Sans", sans-serif; }
header.top { background:#12314d; color:#fff; padding:28px 0 22px; }
.wrap { max-width:1080px; margin:0 auto; padding:0 28px; }
header.top h1 { margin:0 0 6px; font-size:28px; font-weight:650; letter-spacing:-0.01em; }
header.top p { margin:0; color:#d5e2ee; }
.badge { display:inline-block; padding:1px 9px; border-radius:10px; font-size:13px;
  font-weight:600; margin-left:6px; background:#e7f3ea; color:#145c2c; }
.badge.partial, .badge.failed { background:#fdecd8; color:var(--warn); }
nav.toc { background:var(--panel); border-bottom:1px solid var(--line); }
nav.toc ol { list-style:none; margin:0; padding:10px 0; display:flex; flex-wrap:wrap;
  gap:4px 20px; }
nav.toc a { color:var(--accent); text-decoration:none; font-size:14px; }
nav.toc a:hover { text-decoration:underline; }
section { padding:26px 0 10px; border-bottom:1px solid var(--line); }
h2 { font-size:22px; margin:0 0 10px; }
h3 { font-size:17px; margin:22px 0 8px; }
p.explain { color:var(--muted); max-width:78ch; margin:0 0 14px; }
.kpis { display:grid; grid-template-columns:repeat(auto-fill, minmax(215px, 1fr)); gap:12px;
  margin:14px 0 18px; }
.kpi { border:1px solid var(--line); border-radius:8px; padding:12px 14px; background:#fff; }
.kpi-value { font-size:22px; overflow-wrap:anywhere; font-weight:650;
  font-variant-numeric:tabular-nums; }
.kpi-label { font-weight:600; font-size:14px; }
.kpi-hint { color:var(--muted); font-size:12.5px; }
figure { margin:10px 0 18px; }
figure svg { width:100%; max-width:880px; height:auto; display:block; }
figure svg text { font-family:inherit; }
figcaption { color:var(--muted); font-size:13px; margin-top:4px; }
.table-wrap { overflow-x:auto; margin:8px 0 18px; }
table { border-collapse:collapse; font-size:13.5px; min-width:50%; }
caption { text-align:left; font-weight:600; padding:0 0 6px; color:var(--ink); }
th, td { padding:6px 12px; border-bottom:1px solid var(--line); text-align:left;
  vertical-align:top; }
th { background:var(--panel); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.num { white-space:nowrap; }
table.wide { font-size:12.5px; }
table.wide th, table.wide td { padding:5px 7px; }
tbody tr:nth-child(even) td { background:#fbfcfd; }
tbody tr:last-child td { border-bottom:2px solid var(--line); }
.muted { color:var(--muted); }
p.note { border-left:4px solid var(--accent); background:#eef6fb; padding:8px 12px;
  margin:10px 0; max-width:90ch; }
p.note.warning { border-left-color:#d55e00; background:#fdf3ea; }
footer { color:var(--muted); font-size:13px; padding:18px 0 40px; }
svg { max-width:100%; height:auto; }
p, li, figcaption, caption, header.top p { overflow-wrap:break-word; }
header.top code { word-break:break-all; }
.table-wrap { max-width:100%; -webkit-overflow-scrolling:touch; }
@media (max-width: 600px) {
  body { font-size:14px; line-height:1.5; }
  .wrap { padding:0 14px; }
  header.top { padding:18px 0 14px; }
  header.top h1 { font-size:21px; }
  h2 { font-size:19px; }
  h3 { font-size:16px; margin:18px 0 6px; }
  section { padding:18px 0 8px; }
  nav.toc ol { gap:4px 14px; padding:8px 0; }
  .kpis { grid-template-columns:repeat(auto-fill, minmax(140px, 1fr)); gap:8px; }
  .kpi { padding:10px; }
  .kpi-value { font-size:19px; }
  figure { margin:8px 0 14px; }
  figure svg { width:100%; max-width:100%; height:auto; }
  .table-wrap { overflow-x:auto; margin:6px 0 14px; }
  table { font-size:12.5px; min-width:0; }
  th, td { padding:5px 8px; }
  p.explain, p.note { max-width:none; }
  p.note { padding:7px 10px; }
}
@media print { nav.toc { display:none; } section { break-inside:avoid-page; } }
"""

_TOC = (
    ("summary", "At a glance"),
    ("funnel", "Funnel"),
    ("engagement", "Vanity vs relationships"),
    ("timing", "Time to convert"),
    ("drivers", "What speeds conversion"),
    ("attribution", "Revenue by channel, campaign, owner"),
    ("baseline", "What would have closed anyway"),
    ("returns", "Spend and return"),
    ("over-time", "Revenue over time, open pipeline"),
    ("trend", "Run by run"),
    ("deal-story", "One deal, touch by touch"),
    ("people", "Relationships and owners"),
    ("caveats", "Data window and caveats"),
)


def render_report(results: RunResults) -> str:
    """The whole report as one HTML document: no scripts, no external resources."""
    run = results.run
    status = run.status.value
    body = [
        sections.summary_section(results),
        sections.funnel_section(results),
        sections.engagement_section(results),
        sections.survival_section(results),
        sections.drivers_section(results),
        sections.attribution_section(results),
        sections.baseline_section(results),
        sections.returns_section(results),
        sections.over_time_section(results),
        sections.trend_section(results),
        sections.deal_story_section(results),
        sections.people_section(results),
        sections.caveats_section(results),
    ]
    toc = "".join(f'<li><a href="#{a}">{escape(t)}</a></li>' for a, t in _TOC)
    title = f"Relationships to revenue — {run.workspace}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}{picker_css(len(ALL_MODELS))}</style>"
        "</head><body>"
        f'<header class="top"><div class="wrap"><h1>{escape(title)}</h1>'
        f"<p>Report date {escape(f.when(run.as_of))} · data from "
        f"{escape(f.when(run.window_start.date()))} to {escape(f.when(run.window_end.date()))}"
        f' · run <code>{escape(run.run_id)}</code><span class="badge {escape(status)}">'
        f"{escape(status)}</span></p></div></header>"
        f'<nav class="toc" aria-label="Sections"><div class="wrap"><ol>{toc}</ol></div></nav>'
        f'<main class="wrap">{"".join(body)}</main>'
        '<footer class="wrap">Generated by rel2rev. Tables behind every chart are in the CSV '
        "and Parquet exports of this run (see docs/exports.md for their columns).</footer>"
        "</body></html>\n"
    )
