"""French number formatting, as small pure functions (also registered as Jinja filters).

Thousands are separated, and units preceded, by a no-break space: "1 064,3 M€", "2,2 %".
"""

from __future__ import annotations

import math

NBSP = "\u00a0"
MINUS = "\u2212"


def number(value: float, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    text = f"{abs(value):,.{decimals}f}"
    integer, _, fraction = text.partition(".")
    integer = integer.replace(",", NBSP)
    out = integer + ("," + fraction if fraction else "")
    negative = value < 0 and any(ch not in "0,." + NBSP for ch in out)
    return (MINUS if negative else "") + out


def meur(euros: float, decimals: int = 1) -> str:
    """Euros written in millions: 1_064_321_000 -> "1 064,3 M€"."""
    return f"{number(euros / 1e6, decimals)}{NBSP}M€"


def compact_eur(euros: float) -> str:
    """A chart label that stays narrow: "875 M€" below ten billion euros, "170,5 Md€" above."""
    if abs(euros) >= 1e10:
        return f"{number(euros / 1e9, 1)}{NBSP}Md€"
    return meur(euros, 0)


def signed_meur(euros: float, decimals: int = 1) -> str:
    text = meur(euros, decimals)
    return text if text.startswith(MINUS) or number(euros / 1e6, decimals).strip("0,") == "" else "+" + text


#: A balance under this many euros reads "0,0 M€": it is written in k€ instead, or as "≈ 0".
NEAR_ZERO = 50_000


def balance(euros: float) -> str:
    """A balance as a reader should see it: "+12,3 M€", "−48 k€" when it rounds to 0,0 M€, "≈ 0"
    when it rounds to 0 k€ too."""
    if abs(euros) >= NEAR_ZERO:
        return signed_meur(euros)
    thousands = round(euros / 1e3)
    if thousands == 0:
        return "≈ 0"
    return f"{'+' if thousands > 0 else MINUS}{number(abs(thousands), 0)}{NBSP}k€"


def balance_sign(euros: float) -> str:
    """ "positive", "negative", or "neutral" for a balance written as "≈ 0"."""
    return "neutral" if balance(euros).startswith("≈") else ("positive" if euros > 0 else "negative")


def percent(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return "–"
    return f"{number(value, decimals)}{NBSP}%"


def signed_percent(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return "–"
    text = percent(value, decimals)
    return text if text.startswith(MINUS) or number(value, decimals).strip("0,") == "" else "+" + text


def share(value: float | None, decimals: int) -> str:
    """A share in %; tiny non-zero shares say so instead of printing 0,00."""
    if value is None:
        return "–"
    if 0 < value < 0.5 * 10**-decimals:
        return f"<{NBSP}{number(10**-decimals, decimals)}{NBSP}%"
    return percent(value, decimals)


def file_size(size: int) -> str:
    """A file's size as French readers write it: "850 octets", "102 Ko", "1,2 Mo" (powers of 1 000)."""
    if size < 1000:
        return f"{size}{NBSP}octet{'s' if size > 1 else ''}"
    kilo = (size + 500) // 1000
    if kilo < 1000:
        return f"{kilo}{NBSP}Ko"
    return f"{number(size / 1e6, 1)}{NBSP}Mo"
