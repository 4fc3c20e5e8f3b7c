"""What to keep in mind when reading the report."""

from __future__ import annotations

from html import escape

from rel2rev.report import formatting as f
from rel2rev.report.sections.common import (
    SMALL_EVENTS,
    SMALL_SUBJECTS,
    TRANSITION_WORDS,
    UNIT_WORDS,
)
from rel2rev.report.sections.survival import segment_name
from rel2rev.report.tables import Cell, note, num, section, table
from rel2rev.results.contracts import (
    RunResults,
    SurvivalCurve,
    SurvivalResults,
)


def _is_small(curve: SurvivalCurve) -> bool:
    return curve.subjects < SMALL_SUBJECTS or curve.events < SMALL_EVENTS


def _sample_table(survival: SurvivalResults) -> str:
    """Per transition: how many groups were estimated, how many on small samples, how many not."""
    rows: list[list[Cell | str]] = []
    for transition, (heading, _) in TRANSITION_WORDS.items():
        curves = [c for c in survival.curves if c.transition == transition]
        if not curves:
            continue
        estimated = [c for c in curves if c.insufficient is None]
        small = [c for c in estimated if _is_small(c)]
        examples = ", ".join(
            f"{segment_name(c)} ({f.integer(c.subjects)} {UNIT_WORDS[c.unit]}, "
            f"{f.integer(c.events)} events)"
            for c in sorted(small, key=lambda c: c.subjects)[:3]
        )
        rows.append(
            [
                heading,
                num(f.integer(len(estimated))),
                num(f.integer(len(small))),
                num(f.integer(len(curves) - len(estimated))),
                Cell(examples + (", ..." if len(small) > 3 else ""), muted=True),
            ]
        )
    return table(
        ["Time to convert", "Groups estimated", "On small samples", "Not estimated", "Smallest"],
        rows,
        caption=f"Sample sizes behind the curves (small: under {SMALL_SUBJECTS} subjects "
        f"or {SMALL_EVENTS} events)",
    )


def caveats_section(results: RunResults) -> str:
    """The data window, counts and every caveat: censoring, small samples, failed sections."""
    run = results.run
    counts = run.counts
    items = [
        f"Data window: {f.when(run.window_start)} to {f.when(run.window_end)} "
        f"({f.integer(run.parameters.window_days)} days); report date {f.when(run.as_of)}.",
        f"Data read: {f.integer(counts.contacts)} contacts, {f.integer(counts.interactions)} "
        f"interactions, {f.integer(counts.leads)} leads, {f.integer(counts.deals)} deals "
        f"({f.integer(counts.won_deals)} won), {f.integer(counts.journeys)} journeys.",
        f"Attribution looks back {f.integer(run.parameters.lookback_days)} days before each "
        "conversion; touches after it never get credit.",
        "Revenue is reported per currency and never converted between currencies.",
    ]
    warnings = [
        f"Section '{s.name}' failed: {s.error or 'no reason recorded'}."
        for s in run.sections
        if s.status.value == "failed"
    ]
    if run.error:
        warnings.append(f"The run reported an error: {run.error}.")
    if results.survival is not None:
        open_counts = [
            f"{TRANSITION_WORDS[c.transition][0].lower()}: {f.integer(c.censored)} of "
            f"{f.integer(c.subjects)} {UNIT_WORDS[c.unit]}"
            for c in results.survival.curves
            if c.segment is None
        ]
        if open_counts:
            items.append(
                "Censoring — relationships and accounts still open at the report date were "
                "counted as 'not "
                "yet', not dropped: " + "; ".join(open_counts) + "."
            )
        if any(_is_small(c) for c in results.survival.curves if c.insufficient is None):
            warnings.append(
                "Some groups rest on small samples; their curves and medians are uncertain "
                "(wide bands). The 'Everyone' curves are the most reliable; see the table below."
            )
    body = [
        "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>",
        *(note(w, kind="warning") for w in warnings),
        *([_sample_table(results.survival)] if results.survival is not None else []),
        table(
            ["Section", "Status", "Time", "Note"],
            [
                [f.label(s.name), s.status.value, num(f"{s.seconds:,.1f} s"), s.error or ""]
                for s in run.sections
            ],
            caption="Sections of this run",
            numeric_from=2,
        ),
    ]
    return section("caveats", "Data window and caveats", body)
