"""A model picker without script: radio buttons that switch which model one chart shows.

The picker is a `<fieldset>` holding one radio button per model, then the chart (a `<figure>`
whose SVG draws every model as its own group, see `charts.switchable_bar_chart`). A CSS rule
per position shows the group of the checked radio button (`input.pick-3:checked ~ figure
.pick-3`), so switching needs no JavaScript, nothing is fetched, and with no stylesheet at all
the chart still shows the default model alone (the other groups are hidden by attribute).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape

from rel2rev.results.contracts import HeadlineCredit
from rel2rev.results.headline import trend_model

PICK = "pick"
"""Class of a model's group in the chart; `pick-<i>` marks the i-th model's radio and group."""

_CENT = Decimal("0.01")

_CSS = (
    "fieldset.picker { border:0; padding:0; margin:10px 0 18px; min-width:0; "
    "position:relative; }\n"
    "fieldset.picker > legend { font-weight:600; font-size:14px; padding:0; "
    "margin:0 0 6px; }\n"
    ".picker > input { position:absolute; left:0; top:0; opacity:0; width:1px; height:1px; "
    "margin:0; }\n"
    ".picker > label { display:inline-block; margin:0 6px 6px 0; padding:2px 11px; "
    "border:1px solid var(--line); border-radius:14px; font-size:13px; cursor:pointer; "
    "background:#fff; }\n"
    ".picker > label:hover { border-color:var(--accent); }\n"
    ".picker > input:checked + label { background:var(--accent); border-color:var(--accent); "
    "color:#fff; }\n"
    ".picker > input:focus-visible + label { outline:2px solid var(--ink); "
    "outline-offset:2px; }\n"
    f".picker figure .{PICK} {{ visibility:hidden; }}\n"
)


def default_model(models: Sequence[str], credit: HeadlineCredit = "full") -> str:
    """The model shown before any choice: with incremental `credit` the first incremental
    model among `models`, else Markov if computed, else linear, else the first."""
    if not models:
        raise ValueError("a picker needs at least one model")
    return trend_model(list(models), credit) or models[0]


def picker_key(*parts: str) -> str:
    """An id-safe key for one picker (lower case letters, digits and dashes)."""
    words = "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)
    return f"{PICK}-{words or 'chart'}"


def picker_css(count: int) -> str:
    """The CSS every picker on the page relies on (the report's head carries it), for pickers
    of up to `count` models: hide every model's group, show the one whose radio button is
    checked."""
    shown = ",\n".join(
        f".picker > input.{PICK}-{i}:checked ~ figure .{PICK}-{i}" for i in range(count)
    )
    return _CSS + (f"{shown} {{ visibility:visible; }}\n" if count else "")


def model_picker(
    key: str,
    legend: str,
    options: Sequence[str],
    chart: str,
    caption: str,
    *,
    shown: int = 0,
) -> str:
    """Radio buttons named `options` (in the chart's group order) over the chart and caption;
    `shown` is checked. Ids are `key-<i>`, so `key` must be unique in the page."""
    if not 0 <= shown < len(options):
        raise ValueError("the shown option must be one of the options")
    buttons = "".join(
        f'<input type="radio" class="{PICK}-{i}" name="{escape(key)}" id="{escape(key)}-{i}"'
        f"{' checked' if i == shown else ''}>"
        f'<label for="{escape(key)}-{i}">{escape(name)}</label>'
        for i, name in enumerate(options)
    )
    return (
        f'<fieldset class="picker"><legend>{escape(legend)}</legend>{buttons}'
        f"<figure>{chart}<figcaption>{escape(caption)}</figcaption></figure></fieldset>"
    )


def same_split(
    revenue: Mapping[str, Mapping[str, Decimal]],
    models: Sequence[str],
) -> bool:
    """True when there are at least two models and every one credits every value the same
    amount (to the cent): one column then says it all."""
    if len(models) < 2 or not revenue:
        return False
    return all(
        len({amounts.get(m, Decimal(0)).quantize(_CENT) for m in models}) == 1
        for amounts in revenue.values()
    )
