"""The Jinja environment of every page fiches writes, and the build's date.

Kept apart from `render` so that the command's own process, which writes the year's front page
but draws nothing, does not import the chart and spreadsheet libraries.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import jinja2

from fiches.config import TEMPLATES_DIR
from fiches.model import formatting
from fiches.sources.store import quarters_text

FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


def build_date() -> str:
    """ISO date-time of the build, honouring SOURCE_DATE_EPOCH for reproducible outputs."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit() else datetime.now(UTC)
    return moment.replace(microsecond=0).isoformat()


def french_date(iso_date: str) -> str:
    year, month, day = (int(part) for part in iso_date[:10].split("-"))
    return f"{day}{'er' if day == 1 else ''} {FRENCH_MONTHS[month - 1]} {year}"


def vintage_fr(vintage: str) -> str:
    """When a publication came out, as "publication …" goes on: "2025-02" -> "de février 2025",
    "2026-12-02" -> "du 2 décembre 2026"."""
    if re.fullmatch(r"\d{4}-\d{2}", vintage):
        year, month = (int(part) for part in vintage.split("-"))
        return f"de {FRENCH_MONTHS[month - 1]} {year}"
    return f"du {french_date(vintage)}" if re.match(r"\d{4}-\d{2}-\d{2}", vintage) else vintage


_WORDS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix")


def in_words(number: int) -> str:
    """Small counts in words, as French prose writes them ("trois départements"); digits from 11."""
    return _WORDS[number] if 0 <= number < len(_WORDS) else str(number)


def dates_fr(text: str) -> str:
    """Every ISO date in a text as a reader says it: "compilée le 2026-12-02" -> "compilée le 2 décembre 2026"."""
    return re.sub(r"\b\d{4}-\d{2}-\d{2}\b", lambda match: french_date(match.group(0)), str(text))


def quarter_nbsp(text: str) -> str:
    """A quarter never cut from its year ("T3 2025"), and a run of quarters cut only after its dash:
    "T4 2024 –" / "T3 2025", never "T4 2024" / "– T3 2025"."""
    text = re.sub(r"\b(T\d) (\d{4})\b", "\\1\u00a0\\2", str(text))
    return re.sub(r"(\d{4}) – (T\d)", "\\1\u00a0– \\2", text)


def join_fr(items) -> str:
    """ "le Cantal", "le Cantal et le Lot", "l’Ain, le Jura et la Savoie"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1] if items else ""


def _paragraphs(text: str, replacements: dict | None = None):
    from fiches.render.edition import paragraphs

    return paragraphs(text, replacements)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        meur=formatting.meur,
        signed_meur=formatting.signed_meur,
        balance=formatting.balance,
        percent=formatting.percent,
        signed_percent=formatting.signed_percent,
        share=formatting.share,
        number=formatting.number,
        file_size=formatting.file_size,
        french_date=french_date,
        vintage=vintage_fr,
        in_words=in_words,
        dates_fr=dates_fr,
        quarters=quarters_text,
        md=_paragraphs,
        join_fr=join_fr,
        capitalize_first=lambda text: text[:1].upper() + text[1:],  # unlike `capitalize`, leaves the rest as is
        quarter_nbsp=quarter_nbsp,
    )
    return env
