"""An edition: the publisher's editorial texts, from a TOML file, checked and ready for the templates.

The default edition ships as templates/edition.toml; `fiches build --edition FILE` gives another.
Texts take a light markup (`*italique*`, `**gras**`, `[texte](https://…)`), escaped otherwise, and
words that name the territory of each factsheet ({du_territoire}…, see the file's header).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from markupsafe import Markup, escape

from fiches.config import TEMPLATES_DIR
from fiches.errors import UsageError

DEFAULT = TEMPLATES_DIR / "edition.toml"

#: Every key an edition may hold: "text" is a text, "list:…" a list of tables, a dict a table.
SCHEMA: dict = {
    "name": "text", "date": "text", "publisher": "text", "logo": "optional",
    "title": {"main": "text", "programme": "text"},
    "introduction": {"departement": "text", "region": "text", "france": "text", "single_region": "optional"},
    "context": {"title": "text", "text": "text"},
    "caveats": ("list", {"title": "text", "text": "text"}),
    "source": {"title": "text", "text": "text"},
    "territories": {"overseas": "text", "single_region": "text", "corse": "optional", "monaco": "text"},
    "practical": {"title": "text", "purpose": "text", "programme": "text"},
    "links": ("list", {"label": "text", "url": "url"}),
    "contact": {"label": "text", "email": "email"},
}
PLACEHOLDERS = ("territoire", "le_territoire", "du_territoire", "dans_territoire", "annee", "periode")


@dataclass(frozen=True)
class Edition:
    path: Path
    data: dict
    logo: Path | None

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def date(self) -> str:
        return self.data["date"]

    def __getitem__(self, key: str):
        return self.data[key]


def _check(value, schema, where: str, path: Path) -> None:
    def fail(what: str) -> None:
        raise UsageError(f"édition {path} : {what}")

    if isinstance(schema, dict):
        if not isinstance(value, dict):
            fail(f"« {where} » doit être une table")
        for key in value:
            if key not in schema:
                fail(f"clé inconnue « {where + '.' if where else ''}{key} » (attendu : {', '.join(schema)})")
        for key, inner in schema.items():
            if key not in value:
                if inner == "optional":
                    continue
                fail(f"texte obligatoire absent : « {where + '.' if where else ''}{key} »")
            _check(value[key], inner, f"{where + '.' if where else ''}{key}", path)
    elif isinstance(schema, tuple):
        if not isinstance(value, list) or not value:
            fail(f"« {where} » doit être une liste non vide de tables ([[{where}]])")
        for index, item in enumerate(value, start=1):
            _check(item, schema[1], f"{where}[{index}]", path)
    else:
        if not isinstance(value, str) or (schema != "optional" and not value.strip()):
            fail(f"« {where} » doit être un texte non vide")
        if schema == "url" and not re.match(r"^(https?://|mailto:)\S+$", value):
            fail(f"« {where} » n’est pas une adresse http(s) ou mailto : {value!r}")
        if schema == "email" and not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", value):
            fail(f"« {where} » n’est pas une adresse électronique : {value!r}")
        for name in re.findall(r"\{(\w+)\}", value):
            if name not in PLACEHOLDERS:
                fail(f"« {where} » : mot à remplacer inconnu {{{name}}} (attendu : {', '.join('{' + p + '}' for p in PLACEHOLDERS)})")


def load(path: Path | None = None) -> Edition:
    """The edition at `path` (the default one if None), checked: one clear line if it is not right."""
    path = Path(path) if path is not None else DEFAULT
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise UsageError(f"édition introuvable : {path}") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"édition {path} illisible : {exc}") from None
    _check(data, SCHEMA, "", path)
    try:
        date.fromisoformat(data["date"])
    except ValueError:
        raise UsageError(f"édition {path} : « date » doit être une date AAAA-MM-JJ, pas {data['date']!r}") from None
    logo = None
    if data.get("logo"):
        logo = (path.parent / data["logo"]).resolve()
        if not logo.is_file() or logo.suffix.lower() not in (".png", ".svg", ".jpg", ".jpeg"):
            raise UsageError(f"édition {path} : logo introuvable ou d’un format non pris en charge (PNG, SVG, JPEG) : {logo}")
    return Edition(path, data, logo)


_LINK = re.compile(r"\[([^\]]+)\]\(((?:https?://|mailto:)[^\s)]+)\)")
_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")


def inline(text: str) -> Markup:
    """Light markup to HTML, everything else escaped."""
    links: list[str] = []

    def keep(match: re.Match) -> str:
        links.append(f'<a href="{escape(match.group(2))}">{escape(match.group(1))}</a>')
        return f"\x00{len(links) - 1}\x00"

    text = _LINK.sub(keep, text)
    html = str(escape(text))
    html = _STRONG.sub(r"<strong>\1</strong>", html)
    html = _EMPHASIS.sub(r"<em>\1</em>", html)
    html = re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], html)
    return Markup(html)


def words(territory, year: int | str) -> dict[str, str]:
    """What the placeholders stand for, for one territory and year (or period: "T4 2025 – T3 2026")."""
    return {
        "territoire": territory.name, "le_territoire": territory.the_name, "du_territoire": territory.of_name,
        "dans_territoire": territory.in_name, "annee": str(year),
        "periode": f"année {year}" if str(year).isdigit() else f"quatre derniers trimestres, {year}",
    }


def paragraphs(text: str, replacements: dict[str, str] | None = None) -> list[Markup]:
    """A text's paragraphs (separated by a blank line), its placeholders replaced, each starting with a capital."""
    result = []
    for block in re.split(r"\n\s*\n", text.strip()):
        block = " ".join(block.split())
        if replacements:
            block = re.sub(r"\{(\w+)\}", lambda m: replacements.get(m.group(1), m.group(0)), block)
        if block[:1].islower():
            block = block[0].upper() + block[1:]
        if block:
            result.append(inline(block))
    return result


def edition_assets(edition: Edition) -> dict[str, tuple[bytes, str]]:
    """The files of an edition a factsheet may load: its logo, under assets/edition-logo.<ext>."""
    if edition.logo is None:
        return {}
    mime = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}[edition.logo.suffix.lower()]
    return {f"edition-logo{edition.logo.suffix}": (edition.logo.read_bytes(), mime)}
