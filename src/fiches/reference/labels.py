"""Display labels for the French customs (DGDDI) nomenclatures.

The tables live in data/reference/ (``a129.csv``, ``countries.csv``, each with a .md saying
where it comes from): the official French labels of the A129 product groups and of the partner
countries, as the DGDDI label files ``Libelle_A129.txt`` and ``Libelle_PAYS.txt`` publish them, and
short display labels for chart tiles, axes and Sankey nodes. This module holds the display rules:
what of a label can be printed, and how a long one is shortened.
"""

from __future__ import annotations

import csv
import unicodedata
from functools import cache

from fiches.config import FONTS_DIR, REFERENCE_DIR

__all__ = [
    "A129_LABELS",
    "A129_SHORT",
    "A129_SHORT_MAX",
    "COUNTRY_LABELS",
    "COUNTRY_SHORT",
    "COUNTRY_SHORT_MAX",
    "a129_short",
    "country_short",
]

A129_SHORT_MAX = 28
"""Maximum length of a short A129 product label."""

COUNTRY_SHORT_MAX = 22
"""Maximum length of a short country name."""

A129_SHORT_MAX_EM = 14.1
"""Maximum width of a short A129 label shortened from an official one, in em of the bundled
Lato: as wide as the widest curated short label, so that a Sankey node label always fits beside
its band whatever the letters (28 capital W would not)."""

COUNTRY_SHORT_MAX_EM = 10.7
"""Maximum width of a short country name, in em: the balance chart's axis labels have 100 pt at 9 pt."""

_SPREADSHEET_LEAD = "=+-@"
"""A cell starting with one of these is a formula to a spreadsheet: never how a label starts."""


def _table(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


_A129 = _table("a129.csv")
_COUNTRIES = _table("countries.csv")

#: Official A129 (NA 2008) labels, as in the DGDDI file ``Libelle_A129.txt`` (data/reference/a129.csv).
A129_LABELS: dict[str, str] = {row["code"]: row["label"] for row in _A129}
#: Short French A129 labels for charts (at most ``A129_SHORT_MAX`` characters, all distinct).
A129_SHORT: dict[str, str] = {row["code"]: row["short"] for row in _A129 if row["short"]}
#: Official labels of the current partner codes (validity ending 999912) of ``Libelle_PAYS.txt``
#: (data/reference/countries.csv). Geonomenclature codes, close to ISO 3166 alpha-2: ``NA`` is
#: Namibia, ``XK`` Kosovo, ``XS`` Serbia, ``XC`` Ceuta, ``XL`` Melilla; ``Q*`` codes are statistical specials.
COUNTRY_LABELS: dict[str, str] = {row["code"]: row["label"] for row in _COUNTRIES if row["label"]}
#: Short display names (at most ``COUNTRY_SHORT_MAX`` characters) where the official one is long or awkward.
COUNTRY_SHORT: dict[str, str] = {row["code"]: row["short"] for row in _COUNTRIES if row["short"]}

_ISLAND_WORDS = {"île": "Île", "îles": "Îles", "ile": "Île", "iles": "Îles"}


@cache
def _font_metrics() -> tuple[frozenset[int], dict[int, float]]:
    """Code points every bundled Lato face draws, and their advance widths in em (regular face)."""
    from fontTools.ttLib import TTFont  # a WeasyPrint dependency

    covered: frozenset[int] | None = None
    widths: dict[int, float] = {}
    for path in sorted(FONTS_DIR.glob("Lato-*.ttf")):
        font = TTFont(path, lazy=True)
        cmap = font.getBestCmap()
        covered = frozenset(cmap) if covered is None else covered & frozenset(cmap)
        if path.name == "Lato-Regular.ttf":
            # unitsPerEm read from the raw table: parsing "head" logs a warning about Lato's dates.
            metrics, units = font["hmtx"], int.from_bytes(font.reader["head"][18:20], "big")
            widths = {code: metrics[glyph][0] / units for code, glyph in cmap.items()}
        font.close()
    return covered or frozenset(), widths


def _em_width(text: str) -> float:
    widths = _font_metrics()[1]
    return sum(widths.get(ord(char), 1.0) for char in text)


def _displayable(label: str) -> str:
    """What of an official label can be printed safely: the characters the bundled font draws.

    Control and format characters (bidi overrides, zero-width...) and the scripts or emoji Lato
    lacks are dropped rather than drawn as empty boxes or in a fallback font, spaces are collapsed,
    and a leading ``=``, ``+``, ``-`` or ``@`` goes so that no spreadsheet reads the label as a
    formula. Empty when nothing readable is left (the caller then shows the code).
    """
    covered = _font_metrics()[0]
    kept = []
    for char in label:
        if char.isspace():
            kept.append(" ")
        elif ord(char) in covered and unicodedata.category(char)[0] != "C":
            kept.append(char)
    text = " ".join("".join(kept).split()).lstrip(_SPREADSHEET_LEAD + " ").replace("'", "’")  # one apostrophe throughout
    return text if any(char.isalnum() for char in text) else ""


def _truncate(text: str, limit: int, max_em: float | None = None) -> str:
    """Cut ``text`` to at most ``limit`` characters and ``max_em`` wide, on a word boundary,
    with an ellipsis."""
    if len(text) <= limit and (max_em is None or _em_width(text) <= max_em):
        return text
    cut = text[: limit - 1]
    if max_em is not None:
        room = max_em - _em_width("…")
        while cut and _em_width(cut) > room:
            cut = cut[:-1]
    boundary = (len(cut) + 1) // 2
    cut = cut.rstrip(" ,;:-")
    space = cut.rfind(" ")
    if space >= boundary:
        cut = cut[:space].rstrip(" ,;:-")
    return cut + "…"


def _clean_country(label: str) -> str:
    """Turn an official country label into a display name.

    ``"Corée (République de)"`` becomes ``"Corée"``, ``"Falkland (îles)"`` becomes
    ``"Îles Falkland"``, ``"Cocos (Keeling) (îles)"`` becomes ``"Îles Cocos"``.
    """
    text = _displayable(label)
    original = text
    prefix = ""
    while text.endswith(")") and " (" in text:
        head, _, inner = text.rpartition(" (")
        inner = inner[:-1].strip()
        if not prefix and inner.lower() in _ISLAND_WORDS:
            prefix = _ISLAND_WORDS[inner.lower()] + " "
        text = head.strip()
    return _truncate(prefix + text if text else original, COUNTRY_SHORT_MAX, COUNTRY_SHORT_MAX_EM) if original else ""


def _clean_a129(label: str) -> str:
    """Shorten an official A129 label: keep its first clause, then truncate."""
    text = _displayable(label.strip().strip('"'))
    for separator in (" ; ", ", "):
        head = text.split(separator, 1)[0]
        if len(text) > A129_SHORT_MAX and len(head) >= 8:
            text = head
    return _truncate(text, A129_SHORT_MAX, A129_SHORT_MAX_EM)


def country_short(code: str, official: str | None = None) -> str:
    """Short display name of a partner country code.

    Uses ``COUNTRY_SHORT``, else a cleaned official label (``official`` if given,
    else ``COUNTRY_LABELS``), else the code itself.
    """
    key = code.strip().upper()
    short = COUNTRY_SHORT.get(key)
    if short:
        return short.replace("'", "’")
    label = official if official and official.strip() else COUNTRY_LABELS.get(key)
    if label:
        return _clean_country(label) or code.strip()
    return code.strip()


def a129_short(code: str, official: str | None = None) -> str:
    """Short display label of an A129 product code.

    Uses ``A129_SHORT``, else a shortened official label (``official`` if given,
    else ``A129_LABELS``), else the code itself.
    """
    key = code.strip().upper()
    short = A129_SHORT.get(key)
    if short:
        return short.replace("'", "’")
    label = official if official and official.strip() else A129_LABELS.get(key)
    if label:
        return _clean_a129(label) or code.strip()
    return code.strip()
