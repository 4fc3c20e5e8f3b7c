"""The costs file: one CSV row per month, channel and (optionally) campaign.

Columns (header row required, any order; other columns are ignored):
- `month`: `YYYY-MM`;
- `channel`: the channel name interactions carry (matched case-insensitively);
- `campaign`: optional; empty or absent means the channel's cost not tied to a campaign;
- `amount`: the spend, a plain decimal with a dot (`1200.50`), at most the currency's minor
  unit, not negative;
- `currency`: ISO 4217 code; when the column is absent, `--currency` names it for every row.

Example:

    month,channel,campaign,amount,currency
    2026-03,paid,spring-launch,4200.00,EUR
    2026-03,webinar,,950.00,EUR

A row repeating another's (month, channel, campaign, currency) is an error, so a file cannot
count a cost twice; importing a line again replaces the stored one.
"""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import ValidationError

from rel2rev.dataset import decoding_error
from rel2rev.errors import InputError
from rel2rev.money import Money, is_known_currency
from rel2rev.spend.lines import CostLine

REQUIRED = ("month", "channel", "amount")
MAX_REPORTED_ERRORS = 5


def read_cost_file(
    path: Path, *, currency: str | None = None, encoding: str = "utf-8"
) -> list[CostLine]:
    """Every line of the file; `InputError` naming the file, line and column of each problem
    (up to five) when any row is invalid."""
    try:
        with path.open(encoding=encoding, newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = [name.strip() for name in reader.fieldnames or []]
    except UnicodeDecodeError:
        raise decoding_error(path, encoding) from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    missing = [c for c in REQUIRED if c not in header]
    if "currency" not in header and currency is None:
        missing.append("currency (or pass --currency)")
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    if currency is not None and not is_known_currency(currency.upper()):
        raise InputError(f"--currency {currency!r} is not an ISO 4217 currency code")
    lines: list[CostLine] = []
    errors: list[str] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for number, row in enumerate(rows, start=2):
        cells = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        try:
            line = _line(cells, currency)
        except ValueError as exc:
            errors.append(f"line {number}: {exc}")
        else:
            first = seen.setdefault(line.key, number)
            if first != number:
                errors.append(f"line {number}: repeats line {first} ({', '.join(line.key)})")
            lines.append(line)
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    if errors:
        raise InputError(f"{path}: " + "; ".join(errors))
    return lines


def _line(cells: dict[str, str], currency: str | None) -> CostLine:
    code = (cells.get("currency") or currency or "").upper()
    if not is_known_currency(code):
        raise ValueError(f"column currency: {code or '(empty)'!r} is not an ISO 4217 code")
    text = cells.get("amount", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"column amount: {text or '(empty)'!r} is not a decimal number") from None
    try:
        money = Money.of(amount, code)
    except ValidationError as exc:
        raise ValueError(f"column amount: {exc.errors()[0]['msg']}") from None
    try:
        return CostLine(
            month=cells.get("month", ""),
            channel=cells.get("channel", ""),
            campaign=cells.get("campaign") or None,
            amount=money,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"column {first['loc'][0]}: {first['msg']}") from None
