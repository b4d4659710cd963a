"""How a value is written into the page: `raw` for the `data-value` attribute (exact, machine-readable), and a
display format per kind of measure (amounts in GBP, the one currency every till and web shop prices in)."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

MISSING = "—"


def raw(value: object) -> str:
    """The exact value: Decimal as written, float round-tripping (repr), bool as 1 / 0, NULL as the empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def money(value: object) -> str:
    if value is None:
        return MISSING
    amount = Decimal(str(value))
    return f"-£{-amount:,.2f}" if amount < 0 else f"£{amount:,.2f}"


def integer(value: object) -> str:
    return MISSING if value is None else f"{round(float(value)):,}"  # type: ignore[arg-type]


def decimal1(value: object) -> str:
    return MISSING if value is None else f"{float(value):,.1f}"  # type: ignore[arg-type]


def decimal2(value: object) -> str:
    return MISSING if value is None else f"{float(value):,.2f}"  # type: ignore[arg-type]


def percent(value: object) -> str:
    return MISSING if value is None else f"{float(value) * 100:.1f} %"  # type: ignore[arg-type]


def text(value: object) -> str:
    return MISSING if value is None else str(value)


def day(value: object) -> str:
    return MISSING if value is None else value.strftime("%d %b %Y") if isinstance(value, date) else str(value)
