"""Number, money, date and duration formatting for the report (thousands separators, symbols)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from rel2rev.money import minor_exponent

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩"}


def integer(value: int) -> str:
    """1234567 -> '1,234,567'."""
    return f"{value:,}"


def money(amount: Decimal, currency: str) -> str:
    """Exact amount with separators and the currency symbol or code: '€1,234.50', 'CHF 12.00'."""
    places = minor_exponent(currency)
    text = f"{abs(amount):,.{places}f}"
    sign = "−" if amount < 0 else ""
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


def money_short(value: float, currency: str) -> str:
    """Compact money for chart labels and axes: '€12.3k', '$1.2M' (display only)."""
    symbol = _SYMBOLS.get(currency, currency + " ")
    magnitude = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{symbol}{value / limit:,.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"{symbol}{value:,.0f}"


def percent(share: float | None, places: int = 0) -> str:
    """0.4567 -> '46%'; None -> '—'."""
    return "—" if share is None else f"{share:.{places}%}"


def days(value: float | None) -> str:
    """Days with one decimal below 10, whole days above: '3.5 days', '42 days', '—'."""
    if value is None:
        return "—"
    shown = f"{value:,.1f}" if value < 10 else f"{value:,.0f}"
    return f"{shown} day" if shown == "1" else f"{shown} days"


def hours(value: float | None) -> str:
    """Response delay: '45 min', '5.2 h', '3.1 days', '—'."""
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 60:.0f} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def when(value: datetime | date | None) -> str:
    """'21 Nov 2026' (dates) or '21 Nov 2026 14:05 UTC' (times); None -> '—'."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%-d %b %Y %H:%M UTC")
    return value.strftime("%-d %b %Y")


def label(value: str | None) -> str:
    """Machine names to words: 'lead_to_won' -> 'Lead to won'; None -> '(none)'."""
    if not value:
        return "(none)"
    return value.replace("_", " ").capitalize()
