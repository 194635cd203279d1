"""The year folder's front page and manifest: what was built, from what, with checksums.

Both are derived from the files on disk (the factsheets' JSON sidecars), so they always describe
the folder as it is, whether this run built one factsheet or all of them. The front page also
draws the map of the départements (data/reference/france-departements.json), and the year folder
gets its accessibility statement beside it.
"""

from __future__ import annotations

import bisect
import functools
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fiches.atomic import atomic_path
from fiches.config import REFERENCE_DIR
from fiches.model import formatting
from fiches.reference.geography import ALIASES, DEPARTEMENTS, INSEE_DEPARTEMENTS, INSEE_REGIONS
from fiches.render import templating
from fiches.sources.fetch import sha256_file

#: level -> (folder, rank in the table). Territoires d'industrie have their own dossiers.
LEVELS = {"france": ("france", 0), "region": ("regions", 1), "departement": ("departements", 2), "territoire": ("territoires", 3)}
LEVEL_NAMES = {"france": "France", "region": "Région", "departement": "Département", "territoire": "Territoire d’industrie"}
#: The level filter's choices, in the table's order.
LEVEL_CHOICES = {"france": "France", "region": "Régions", "departement": "Départements", "territoire": "Territoires d’industrie"}
INTERNAL = {"_html"}  # kept HTML for benchmarks and debugging: not published
STATEMENT = "accessibilite.html"
MAP_FILE = REFERENCE_DIR / "france-departements.json"


def search_key(text: str) -> str:
    """What the page's search compares: no accents, no case, words split on any punctuation.

    The page's script does the same to what is typed (keep the two in step): "Côte-d'Or" and
    "cote d or" both give "cote d or".
    """
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    bare = bare.lower().replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", bare).split())


@dataclass(frozen=True)
class Entry:
    level: str
    code: str
    name: str
    exports: int
    imports: int
    balance: int
    sample: bool
    pdf: str
    json: str
    xlsx: str
    html: str | None
    pdf_size: int = 0
    json_size: int = 0
    xlsx_size: int = 0

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    @property
    def sort_order(self) -> int:
        return LEVELS[self.level][1]

    @property
    def reader_codes(self) -> tuple[str, ...]:
        """The codes readers know: INSEE's (974, 2A and 2B, 76 for Occitanie), not the customs'."""
        if self.level == "departement":
            return INSEE_DEPARTEMENTS.get(self.code, (self.code,))
        if self.level == "region":
            return (INSEE_REGIONS[self.code],) if self.code in INSEE_REGIONS else ()
        return (self.code,)

    @property
    def display_code(self) -> str:
        return ", ".join(self.reader_codes) or "–"

    @property
    def sort_key(self) -> str:
        """Orders the codes as readers expect: 19, Corse, 21… 95, 971… 976; the overseas région last."""
        if self.level == "departement" and self.code == "20":
            return "20"
        return self.reader_codes[0] if self.reader_codes else "99"

    @property
    def search_text(self) -> str:
        # 9D and 20 are typed too (the command line takes them); DGDDI's région codes never are.
        internal = () if self.level == "region" or self.code in self.reader_codes else (self.code,)
        return search_key(" ".join((self.name, *self.reader_codes, *internal)))

    @property
    def link_name(self) -> str:
        """The territory as a link names it ("PDF – Aveyron, 102 Ko"): a région says it is one,
        so that the Corse département and the Corse région are told apart."""
        return f"région {self.name}" if self.level == "region" else self.name


def entries(year_dir: Path) -> list[Entry]:
    """Every complete factsheet in the year folder (PDF, JSON and XLSX present), in code order."""
    found = []
    for level, (folder, _) in LEVELS.items():
        for sidecar in sorted((year_dir / folder).glob("*.json")):
            base = sidecar.with_suffix("")
            pdf, xlsx = base.with_suffix(".pdf"), base.with_suffix(".xlsx")
            if not (pdf.is_file() and xlsx.is_file()):
                continue
            try:
                data = json.loads(sidecar.read_text(encoding="utf-8"))
                territory = data["territory"]
                entry = Entry(
                    level=territory["level"] if territory["level"] in LEVELS else level,
                    code=str(territory["code"]),
                    name=str(territory["name"]),
                    exports=int(data["exports"]["total_eur"]),
                    imports=int(data["imports"]["total_eur"]),
                    balance=int(data["balance_eur"]),
                    sample=bool(data.get("sample", True)),
                    pdf=f"{folder}/{base.name}.pdf",
                    json=f"{folder}/{base.name}.json",
                    xlsx=f"{folder}/{base.name}.xlsx",
                    html=f"{folder}/{base.name}.html" if base.with_suffix(".html").is_file() else None,
                    pdf_size=pdf.stat().st_size,
                    json_size=sidecar.stat().st_size,
                    xlsx_size=xlsx.stat().st_size,
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not one of ours, or damaged: the next build rewrites it
            found.append(entry)
    return sorted(found, key=lambda e: (e.sort_order, e.sort_key, e.code))


# -- the map -------------------------------------------------------------------------------------

#: Class limits of the balance, in euros: seven classes, symmetric around zero.
BALANCE_LIMITS = (-1_000e6, -250e6, -50e6, 50e6, 250e6, 1_000e6)
BALANCE_CLASSES = (
    "moins de −1\u00a0000\u00a0M€", "de −1\u00a0000 à −250\u00a0M€", "de −250 à −50\u00a0M€", "de −50 à +50\u00a0M€",
    "de +50 à +250\u00a0M€", "de +250 à +1\u00a0000\u00a0M€", "plus de +1\u00a0000\u00a0M€",
)


def balance_class(balance: float) -> int:
    """0 (most negative) to 6 (most positive); a limit belongs to the class above it."""
    return bisect.bisect_right(BALANCE_LIMITS, balance)


@dataclass(frozen=True)
class Shape:
    d: str
    transform: str | None = None  # the enlarged copy of Paris and its inner ring


@dataclass(frozen=True)
class Area:
    """One département on the map: a link to its factsheet when there is one."""

    code: str  # customs code, as in the factsheets: 20 for both Corse shapes, 9D for La Réunion
    insee: str
    name: str
    shapes: tuple[Shape, ...]
    entry: Entry | None

    @property
    def balance_class(self) -> int | None:
        return None if self.entry is None else balance_class(self.entry.balance)

    @property
    def label(self) -> str:
        nbsp = formatting.NBSP
        if self.entry is None:
            return f"{self.name}{nbsp}: pas de fiche"
        size = formatting.file_size(self.entry.pdf_size)
        return f"{self.name}{nbsp}: solde {formatting.signed_meur(self.entry.balance)}, voir la fiche (PDF, {size})"


@dataclass(frozen=True)
class Frame:
    """An inset's box and caption."""

    box: tuple[float, float, float, float]
    label: str
    suffix: str  # its codes, left out on narrow screens
    at: tuple[float, float]


@dataclass(frozen=True)
class FranceMap:
    view_box: str
    areas: tuple[Area, ...]
    frames: tuple[Frame, ...]
    legend: tuple[tuple[int, str], ...]
    zoom_scale: str  # undoes the enlargement for the hatching of the enlarged copies


@functools.cache
def _geometry() -> dict:
    return json.loads(MAP_FILE.read_text(encoding="utf-8"))


def france_map(rows: list[Entry]) -> FranceMap:
    """The départements in code order (Tab order), each with its factsheet's balance if any."""
    geometry = _geometry()
    sheets = {e.code: e for e in rows if e.level == "departement"}
    zoom = geometry["zoom"]
    shapes: dict[str, list[Shape]] = {}
    insee_of: dict[str, str] = {}
    for item in geometry["departements"]:
        code = ALIASES.get(item["insee"], item["insee"])
        insee_of.setdefault(code, item["insee"])
        shapes.setdefault(code, []).append(Shape(item["d"]))
        if item["insee"] in zoom["codes"]:
            shapes[code].append(Shape(item["d"], zoom["transform"]))
    for item in geometry["overseas"]:
        code = ALIASES[item["insee"]]
        insee_of[code] = item["insee"]
        shapes[code] = [Shape(item["d"])]
    areas = tuple(
        Area(code, insee_of[code], sheets[code].name if code in sheets else DEPARTEMENTS[code][0], tuple(found), sheets.get(code))
        for code, found in shapes.items()
    )
    frames = [Frame(tuple(zoom["box"]), zoom["name"], zoom["suffix"], tuple(zoom["label"]))]
    frames += [Frame(tuple(o["box"]), o["name"], f" ({o['insee']})", tuple(o["label"])) for o in geometry["overseas"]]
    view_box = " ".join(str(v) for v in geometry["viewBox"])
    return FranceMap(view_box, areas, tuple(frames), tuple(enumerate(BALANCE_CLASSES)), f"{1 / zoom['scale']:.4f}")


# -- the pages -----------------------------------------------------------------------------------


def write_index(year_dir: Path, year: int | str, build_date: str) -> Path:
    """The year's index page and, beside it, its accessibility statement (`year`: or a period, "T4 2025 – T3 2026")."""
    rows = entries(year_dir)
    env = templating.environment()
    levels = [(level, LEVEL_CHOICES[level], sum(e.level == level for e in rows)) for level in LEVELS]
    context = {"year": year, "any_sample": any(e.sample for e in rows), "build_date": build_date, "statement": STATEMENT}
    page = env.get_template("index.html.j2").render(
        rows=rows,
        levels=[choice for choice in levels if choice[2]],
        france_map=france_map(rows),
        all_sample=all(e.sample for e in rows),  # then the banner says it, not every row
        meur=formatting.meur,
        signed_meur=formatting.signed_meur,
        **context,
    )
    statement = env.get_template("accessibilite.html.j2").render(**context)
    for name, text in ((STATEMENT, statement), ("index.html", page)):
        with atomic_path(year_dir / name) as temp:
            temp.write_text(text, encoding="utf-8")
    return year_dir / "index.html"


def published_files(year_dir: Path) -> list[Path]:
    """Files a user receives: everything but temporary files, internal folders and the manifest itself."""
    files = []
    for root, dirs, names in os.walk(year_dir):
        dirs[:] = sorted(d for d in dirs if d not in INTERNAL)
        for name in sorted(names):
            if name.startswith(".") or name.endswith((".part", ".tmp")):
                continue
            path = Path(root) / name
            if path.relative_to(year_dir).as_posix() != "manifest.json":
                files.append(path)
    return sorted(files, key=lambda p: p.relative_to(year_dir).as_posix())


HASH_CACHE = ".sha256-cache.json"  # hidden, so never published: path -> [size, mtime_ns, sha256]


def write_manifest(year_dir: Path, year: int, provenance: dict) -> Path:
    """Every published file with its size and SHA-256; unchanged files (same size and mtime) are
    not hashed again, so that building one factsheet does not re-read the whole year folder."""
    cache_path = year_dir / HASH_CACHE
    try:
        known = json.loads(cache_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    files, seen = [], {}
    for path in published_files(year_dir):
        name = path.relative_to(year_dir).as_posix()
        stat = path.stat()
        entry = known.get(name)
        digest = entry[2] if isinstance(entry, list) and entry[:2] == [stat.st_size, stat.st_mtime_ns] else sha256_file(path)
        seen[name] = [stat.st_size, stat.st_mtime_ns, digest]
        files.append({"path": name, "size": stat.st_size, "sha256": digest})
    document = {"year": year, "provenance": provenance, "files": files}
    path = year_dir / "manifest.json"
    with atomic_path(path) as temp:
        temp.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    with atomic_path(cache_path) as temp:
        temp.write_text(json.dumps(seen), encoding="utf-8")
    return path
