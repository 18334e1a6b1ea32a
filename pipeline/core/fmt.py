"""Swedish number formatting for reports.

Conventions (DESIGN.md): no-break space as thousands separator, decimal comma, a no-break
space before "%", ".." for a suppressed cell and "–" (en dash) where there is nothing to report.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
SUPPRESSED = ".."
NOTHING = "\u2013"  # en dash
MINUS = "\u2212"  # typographic minus sign
SYNTHETIC = "Syntetiska data \u2013 inte verkliga uppgifter"  # on every page built from synthetic microdata


def _is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return False  # pandas.NA compares ambiguously


def round_half_up(value: float, decimals: int = 0) -> Decimal:
    """Round as statistical publications do (0,5 upwards), not banker's rounding."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def number(value, decimals: int = 0, sign: bool = False) -> str:
    """``1581`` → ``1 581``; ``0.725, 1`` → ``0,7``; missing → ``–``."""
    try:
        import pandas as pd

        if value is pd.NA:
            return NOTHING
    except ImportError:  # pragma: no cover
        pass
    if _is_missing(value):
        return NOTHING
    rounded = round_half_up(value, decimals)
    negative = rounded < 0
    text = f"{abs(rounded):,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    if negative and rounded != 0:
        return MINUS + text
    if sign and rounded > 0:
        return "+" + text
    return text


def percent(value, decimals: int = 0, sign: bool = False) -> str:
    """A value already in per cent: ``54`` → ``54 %``."""
    text = number(value, decimals, sign)
    return text if text == NOTHING else f"{text}{NBSP}%"


def share(part, whole, decimals: int = 0) -> str:
    """``part / whole`` as a Swedish percentage string."""
    if _is_missing(part) or _is_missing(whole) or whole == 0:
        return NOTHING
    return percent(100 * part / whole, decimals)


def percentage_points(value, decimals: int = 0, sign: bool = True) -> str:
    text = number(value, decimals, sign)
    return text if text == NOTHING else f"{text}{NBSP}procentenheter"


def year_span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}\u2013{last}"


def listing(items, sep: str = ", ", last: str = " och ") -> str:
    """``['a', 'b', 'c']`` → ``a, b och c`` (one item alone, none empty)."""
    items = [str(i) for i in items]
    return last.join([sep.join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def change_words(difference: float, unit_singular: str, unit_plural: str | None = None) -> str:
    """``+96, 'person', 'personer'`` → ``en ökning med 96 personer``."""
    unit_plural = unit_plural or unit_singular
    if _is_missing(difference):
        return NOTHING
    if difference == 0:
        return "oförändrat"
    unit = unit_singular if abs(difference) == 1 else unit_plural
    word = "en ökning" if difference > 0 else "en minskning"
    return f"{word} med {number(abs(difference))} {unit}".rstrip()
