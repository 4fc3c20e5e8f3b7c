"""The input formats of the sub-commands, as the epilog of their `--help`.

Columns come from the readers' own definitions (`rel2rev.dataset.columns`, the generic event
models, `rel2rev.attribution.io`), types from the models' annotations, and every example row
is built by those models (or checked by the readers in the tests), so the help cannot drift
from what is actually read.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
import types
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

WIDTH = 100
INDENT = "  "
TIMES = "datetime, ISO 8601 with an offset (2026-01-05T09:30:00Z)"
CURRENCY_HINT = (
    "An amount needs a currency: a currency column, else --currency XXX (an ISO 4217 code);"
    " without either it is an error."
)


# --- types from annotations ----------------------------------------------------------------


def _bare(annotation: Any) -> Any:
    """The annotation without `Annotated[...]` metadata and without `| None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            kept = [a for a in get_args(annotation) if a is not type(None)]
            if len(kept) != 1:
                return annotation
            annotation = kept[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _choices(enum: type[Enum]) -> str:
    return "one of " + ", ".join(str(member.value) for member in enum)


def type_name(annotation: Any) -> str:
    """A reader's description of a field type: text, datetime, decimal, one of ..., JSON ..."""
    bare = _bare(annotation)
    origin = get_origin(bare)
    if origin is Literal:
        return "the text " + " or ".join(repr(v) for v in get_args(bare))
    if origin is list:
        (item,) = get_args(bare)
        item = _bare(item)
        if _is_model(item):
            return "JSON list of objects {" + ", ".join(item.model_fields) + "}"
        return f"JSON list of {type_name(item)}"
    if isinstance(bare, type):
        if issubclass(bare, Enum):
            return _choices(bare)
        if issubclass(bare, datetime):
            return TIMES
        if issubclass(bare, Decimal):
            return "decimal text (1250.00)"
        if issubclass(bare, bool):
            return "true or false"
        if issubclass(bare, int):
            return "integer"
        if issubclass(bare, str):
            return "text"
    return str(bare)


# --- rendering -------------------------------------------------------------------------------


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


def _table(rows: Sequence[tuple[str, str]], indent: str) -> list[str]:
    """`name  type` lines, the types aligned and wrapped."""
    width = max(len(name) for name, _ in rows) + 2
    lines: list[str] = []
    for name, kind in rows:
        wrapped = textwrap.wrap(kind, max(WIDTH - len(indent) - width, 30)) or [""]
        lines.append(f"{indent}{name.ljust(width)}{wrapped[0]}")
        lines += [f"{indent}{' ' * width}{more}" for more in wrapped[1:]]
    return lines


def csv_text(rows: Sequence[Mapping[str, Any]], fieldnames: Sequence[str] | None = None) -> str:
    """Rows as CSV text with a header (what a reader of the format accepts)."""
    names = list(fieldnames or dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def _example(title: str, text: str, indent: str) -> list[str]:
    return [f"{indent}{title}:", *(f"{indent}{INDENT}{line}" for line in text.splitlines())]


# --- rel2rev attribute -----------------------------------------------------------------------

ATTRIBUTE_EXAMPLES: dict[str, list[dict[str, str]]] = {
    "touches": [
        {"journey_id": "d1", "ts": "2026-01-05T09:30:00Z", "channel": "linkedin",
         "converted": "1", "revenue": "1200.00", "currency": "EUR", "campaign": "spring"},
        {"journey_id": "d1", "ts": "2026-01-09T14:00:00Z", "channel": "email",
         "converted": "1", "revenue": "1200.00", "currency": "EUR", "campaign": ""},
    ],
    "paths": [
        {"path": "linkedin > email > webinar", "total_conversions": "3",
         "total_conversion_value": "3600.00", "total_null": "12", "currency": "EUR"},
    ],
}  # fmt: skip
"""Example rows of `rel2rev attribute --format touches|paths` (read back in the tests)."""


def attribute_epilog() -> str:
    """`rel2rev attribute --help`: the touches and paths formats."""
    from rel2rev.attribution.io import (
        COLUMN_TYPES,
        JOURNEY_COLUMNS,
        PATH_COLUMNS,
        PATH_REQUIRED,
        TOUCH_COLUMNS,
    )

    lines = [
        "input formats (--format), each as CSV (a header row; comma or semicolon separated),",
        "JSONL (one JSON object per line) or Parquet, by the file's extension (.csv, .jsonl,",
        ".parquet); CSV and JSONL text is decoded with --encoding. Empty cells are absent values.",
        "",
        "touches: one row per touch.",
        f"{INDENT}required columns:",
        *_table([(c, COLUMN_TYPES[c]) for c in TOUCH_COLUMNS], INDENT * 2),
        f"{INDENT}optional columns, one value per journey (repeated or left empty on its rows):",
        *_table([(c, COLUMN_TYPES[c]) for c in JOURNEY_COLUMNS], INDENT * 2),
        f"{INDENT}any other column: text, a dimension --by can credit (e.g. campaign).",
        *_wrap(
            "Without converted, a journey converts when it has a conversion_ts or a revenue; "
            "with none of the three, every journey converts.",
            INDENT,
        ),
    ]
    touches = ATTRIBUTE_EXAMPLES["touches"]
    lines += _example("example rows (CSV)", csv_text(touches), INDENT)
    lines += _example("example row (JSONL)", json.dumps(touches[0]), INDENT)
    optional = [c for c in PATH_COLUMNS if c not in PATH_REQUIRED]
    lines += [
        "",
        "paths: one row per distinct path, ChannelAttribution's aggregated format.",
        f"{INDENT}required columns:",
        *_table([(c, COLUMN_TYPES[c]) for c in PATH_REQUIRED], INDENT * 2),
        f"{INDENT}optional columns (no other column is allowed):",
        *_table([(c, COLUMN_TYPES[c]) for c in optional], INDENT * 2),
    ]
    paths = ATTRIBUTE_EXAMPLES["paths"]
    lines += _example("example row (CSV)", csv_text(paths), INDENT)
    lines += _example("example row (JSONL)", json.dumps(paths[0]), INDENT)
    lines += ["", *_wrap(CURRENCY_HINT, "")]
    return "\n".join(lines)


# --- rel2rev job / funnel / survival: a folder of records ------------------------------------


def example_records() -> dict[str, BaseModel]:
    """One record of each kind of `rel2rev.dataset.KINDS`, valid by construction."""
    from rel2rev.dataset import KINDS

    common = {"workspace": "acme", "source": "generic", "updated_at": "2026-01-09T14:00:00Z"}
    data: dict[str, dict[str, Any]] = {
        "contacts": {"contact_id": "c1", "identifiers": [{"kind": "email",
                     "value": "ada@example.com"}], "name": "Ada Lovelace",
                     "account_id": "example.com", "stakeholder_type": "customer",
                     "owner": "grace", "created_at": "2026-01-02T10:00:00Z"},
        "interactions": {"interaction_id": "i1", "contact_id": "c1", "account_id": "example.com",
                         "type": "comment", "direction": "inbound", "channel": "linkedin",
                         "occurred_at": "2026-01-05T09:30:00Z", "owner": "grace",
                         "campaign": "spring", "content": "Great post!",
                         "cost": {"amount": "12.50", "currency": "EUR"}},
        "leads": {"lead_id": "l1", "contact_id": "c1", "account_id": "example.com",
                  "created_at": "2026-01-06T08:00:00Z", "status": "qualified", "owner": "grace",
                  "channel": "linkedin"},
        "deals": {"deal_id": "d1", "name": "Acme renewal", "account_id": "example.com",
                  "amount": {"amount": "1200.00", "currency": "EUR"}, "stage": "closed won",
                  "status": "won", "created_at": "2026-01-07T08:00:00Z",
                  "closed_at": "2026-01-09T14:00:00Z", "owner": "grace",
                  "contact_roles": [{"contact_id": "c1", "role": "champion"}]},
    }  # fmt: skip
    return {kind: model.model_validate(common | data[kind]) for kind, model in KINDS.items()}


def dataset_columns(kind: str) -> list[tuple[str, str]]:
    """(column, type) of a kind's flat CSV/Parquet rows, in `rel2rev.dataset.columns` order."""
    from rel2rev.dataset import KINDS, columns

    fields: dict[str, FieldInfo] = KINDS[kind].model_fields
    described = []
    for name in columns(kind):
        field = fields.get(name)
        money = name.removesuffix("_currency")
        if field is None and money in fields:
            described.append((name, f"ISO 4217 code (EUR, USD, ...); required with {money}"))
            continue
        assert field is not None, name
        bare = _bare(field.annotation)
        if _is_model(bare):  # a money field, flattened to x and x_currency
            kind_text = f"decimal text (1250.00), an amount in {name}_currency"
        elif get_origin(bare) is list:
            kind_text = f"{type_name(bare)}, as JSON text"
        else:
            kind_text = type_name(bare)
        needed = "required" if field.is_required() else "optional"
        described.append((name, f"{kind_text}; {needed}"))
    return described


def dataset_epilog(option: str = "--input") -> str:
    """The help of a folder of records: layout, and each file's columns, types and example."""
    from rel2rev.dataset import FORMATS, KINDS, flatten

    exts = ", ".join(FORMATS)
    files = ", ".join(f"{k}.<ext>" for k in KINDS)
    lines = [
        *_wrap(
            f"input ({option} DIR): a folder of records, one file per kind: {files}, "
            f"with <ext> one of {exts} (one per kind; a missing file means no records of that "
            "kind; every row of every file has the same workspace). JSONL: one record per line "
            'as a JSON object, money as {"amount": "1200.00", "currency": "EUR"} and lists as '
            "JSON lists. CSV (header row) and Parquet: the flat columns below, a money field x "
            "as x (decimal text) and x_currency; empty cells are absent values; in Parquet the "
            "datetimes are UTC timestamps and everything else is text. CSV and JSONL text is "
            "decoded with --encoding.",
            "",
        ),
    ]
    examples = example_records()
    for kind in KINDS:
        record = examples[kind]
        flat = {
            k: v.isoformat() if isinstance(v, datetime) else v
            for k, v in flatten(kind, record).items()
        }
        lines += [
            "",
            f"{kind}.<ext> columns:",
            *_table(dataset_columns(kind), INDENT),
            *_example("example row (CSV)", csv_text([flat]), INDENT),
            *_example("example row (JSONL)", record.model_dump_json(exclude_none=True), INDENT),
        ]
    return "\n".join(lines)


# --- rel2rev import: generic events ----------------------------------------------------------

IMPORT_EXAMPLES: dict[str, dict[str, Any]] = {
    "contact": {"event": "contact", "id": "evt-1", "identifiers": {"email": "ada@example.com"},
                "name": "Ada Lovelace", "account": "example.com", "stakeholder_type": "customer",
                "owner": "grace", "created_at": "2026-01-02T10:00:00Z"},
    "interaction": {"event": "interaction", "id": "evt-2", "occurred_at": "2026-01-05T09:30:00Z",
                    "type": "comment", "direction": "inbound", "channel": "linkedin",
                    "contact": {"email": "ada@example.com"}, "campaign": "spring",
                    "cost": {"amount": "12.50", "currency": "EUR"}},
    "lead": {"event": "lead", "id": "evt-3", "occurred_at": "2026-01-06T08:00:00Z",
             "lead_id": "l1", "contact": {"email": "ada@example.com"}, "status": "qualified",
             "channel": "linkedin"},
    "deal": {"event": "deal", "id": "evt-4", "occurred_at": "2026-01-09T14:00:00Z",
             "deal_id": "d1", "name": "Acme renewal", "account": "example.com",
             "amount": {"amount": "1200.00", "currency": "EUR"}, "status": "won",
             "closed_at": "2026-01-09T14:00:00Z",
             "contact_roles": [{"contact": {"email": "ada@example.com"}, "role": "champion"}]},
}  # fmt: skip
"""One generic event of each type (validated by the generic models when the help is built)."""


def _event_columns(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted CSV column, type) of a generic event model, `event` first."""
    from rel2rev.records import IdentifierKind

    fields = sorted(model.model_fields.items(), key=lambda item: item[0] != "event")
    for name, field in fields:
        bare = _bare(field.annotation)
        needed = "required" if field.is_required() else "optional"
        within = f", within {prefix[:-1]}" if prefix and field.is_required() else ""
        if _is_model(bare):
            yield from _event_columns(bare, f"{prefix}{name}.")
        elif get_origin(bare) is dict:
            kinds = ", ".join(k.value for k in IdentifierKind)
            yield (
                f"{prefix}{name}.<kind>",
                f"text: how the person is known, <kind> one of {kinds}; at least one; {needed}",
            )
        elif get_origin(bare) is list:
            yield f"{prefix}{name}", f"{type_name(bare)}, as JSON text; {needed}"
        else:
            about = f": {field.description}" if field.description else ""
            yield f"{prefix}{name}", f"{type_name(bare)}; {needed}{within}{about}"


def dotted(event: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A generic event as one CSV row: nested objects as dotted columns, lists as JSON text."""
    row: dict[str, Any] = {}
    for key, value in event.items():
        if isinstance(value, Mapping):
            row |= dotted(value, f"{prefix}{key}.")
        elif isinstance(value, list):
            row[f"{prefix}{key}"] = json.dumps(value, separators=(",", ":"))
        else:
            row[f"{prefix}{key}"] = value
    return row


def import_epilog() -> str:
    """`rel2rev import --help`: the generic event format as JSONL and CSV."""
    from rel2rev.ingest.sources.generic_format import EVENT_MODELS

    lines = [
        *_wrap(
            "input (FILE): generic events, the body format of the generic webhook, one event "
            "per line or row, by the file's extension: .jsonl/.ndjson (one JSON object per "
            "line, nested as below) or .csv (a header row; nested fields as dotted columns, "
            "e.g. contact.email, cost.amount; list fields as JSON text; empty cells are absent; "
            "one file may mix event types, each row leaving the other types' columns empty). "
            "Text is decoded with --encoding. Every row is checked before anything is sent.",
            "",
        ),
    ]
    for kind, model in EVENT_MODELS.items():
        example = IMPORT_EXAMPLES[kind]
        model.model_validate(example)  # an example the import would refuse is a bug
        lines += [
            "",
            f"event {kind}: columns",
            *_table(list(_event_columns(model)), INDENT),
            *_example("example row (CSV)", csv_text([dotted(example)]), INDENT),
            *_example("example row (JSONL)", json.dumps(example), INDENT),
        ]
    lines += ["", *_wrap("An amount carries its own currency (x.amount and x.currency).", "")]
    return "\n".join(lines)
