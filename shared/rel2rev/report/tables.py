"""Small HTML building blocks for the report: tables, notes, key figures (all escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


class Cell:
    """A table cell: text, right-aligned when numeric, optional muted style."""

    __slots__ = ("muted", "numeric", "text")

    def __init__(self, text: str, *, numeric: bool = False, muted: bool = False) -> None:
        self.text = text
        self.numeric = numeric
        self.muted = muted

    def html(self) -> str:
        """The `<td>` for this cell."""
        classes = " ".join(c for c, on in (("num", self.numeric), ("muted", self.muted)) if on)
        attr = f' class="{classes}"' if classes else ""
        return f"<td{attr}>{escape(self.text)}</td>"


def num(text: str) -> Cell:
    """A right-aligned numeric cell."""
    return Cell(text, numeric=True)


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell | str]],
    *,
    caption: str | None = None,
    numeric_from: int = 1,
) -> str:
    """An HTML table; a header is right-aligned over numeric cells (or, with no rows, from
    column `numeric_from` on)."""
    numeric = {i for row in rows for i, c in enumerate(row) if isinstance(c, Cell) and c.numeric}
    if not rows:
        numeric = set(range(numeric_from, len(headers)))
    num_class = ' class="num"'
    head = "".join(
        f'<th scope="col"{num_class if i in numeric else ""}>{escape(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>" + "".join((c if isinstance(c, Cell) else Cell(c)).html() for c in row) + "</tr>"
        for row in rows
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    wide = ' class="wide"' if len(headers) > 8 else ""
    return (
        f'<div class="table-wrap"><table{wide}>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def paragraph(text: str) -> str:
    """A plain-language explanation paragraph."""
    return f'<p class="explain">{escape(text)}</p>'


def note(text: str, *, kind: str = "info") -> str:
    """A callout: kind is info or warning."""
    return f'<p class="note {escape(kind)}">{escape(text)}</p>'


def figure(svg: str, caption: str) -> str:
    """A chart with its caption."""
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def key_figures(items: Sequence[tuple[str, str, str]]) -> str:
    """KPI cards: (value, label, hint) each."""
    cards = "".join(
        f'<div class="kpi"><div class="kpi-value">{escape(v)}</div>'
        f'<div class="kpi-label">{escape(lbl)}</div><div class="kpi-hint">{escape(h)}</div></div>'
        for v, lbl, h in items
    )
    return f'<div class="kpis">{cards}</div>'


def section(anchor: str, title: str, body: Sequence[str]) -> str:
    """A report section with an anchored heading."""
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>' + "".join(body) + "</section>"
