"""Reading a rendered report back: tag balance, sections and their charts, ids and pickers."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class PageStructure(HTMLParser):
    """Tags balance (`errors`, `stack`), each section's chart count, every id, every label
    target and the radio buttons of the model pickers."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.charts: dict[str, int] = {}
        self.section: str | None = None
        self.ids: list[str] = []
        self.targets: list[str] = []
        self.radios: list[dict[str, str | None]] = []

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"] or "")
        if tag == "label" and found.get("for"):
            self.targets.append(found["for"] or "")
        if tag == "input" and found.get("type") == "radio":
            self.radios.append(found)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, attrs)
        if tag == "section":
            self.section = dict(attrs)["id"]
            self.charts[self.section or ""] = 0
        if tag == "svg" and self.section:
            self.charts[self.section] += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Self-closed elements (SVG's rect, line, path ...) open nothing."""
        self._attributes(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()


def page_structure(page: str) -> PageStructure:
    """The structure of a rendered page."""
    parser = PageStructure()
    parser.feed(page)
    parser.close()
    return parser
