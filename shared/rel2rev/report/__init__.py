"""The marketing report: one self-contained `report.html` per run (inline CSS and SVG charts)."""

from rel2rev.report.render import render_report

__all__ = ["render_report"]
