"""What a build is made of: its jobs and their outcomes, the build keys, and where outputs go.

Shared by the command's process (`batch`) and the workers (`worker`), so that neither imports the
other's module. Light: no drawing library.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from fiches import __version__
from fiches.charts.chart import Chart
from fiches.config import PACKAGE_DIR, REFERENCE_DIR, TEMPLATES_DIR, chromium_version, lock_digest
from fiches.model.indicators import Comparison
from fiches.reference.geography import Territory
from fiches.sources.store import YearData, period_tag


@dataclass(frozen=True)
class Job:
    """What every worker needs to rebuild the same context: small and picklable."""

    data_dir: str
    source: str
    year: int
    out_dir: str
    keep_html: bool
    force: bool
    build_date: str
    plotly_js_href: str = "../assets/plotly.min.js"  # where the interactive pages find plotly.js
    command_pid: int = 0  # the process that runs the build: its workers leave when it is gone
    edition: str | None = None  # the edition file (None: the default one)
    period: str = "annee"  # or "12m": the last four quarters published (sources.selection.PERIODS)


@dataclass
class Outcome:
    code: str
    status: str  # "built" | "skipped" | "failed"
    seconds: float = 0.0
    reason: str = ""
    files: list[str] = field(default_factory=list)


@dataclass
class Report:
    year: int
    source: str
    outcomes: list[Outcome]
    seconds: float
    warning: str | None = None
    folder: str = ""  # under the output folder: "2024", or "4-derniers-trimestres-T4-2025-T3-2026"
    period: str = ""  # what the factsheets cover: "2024", or "T4 2025 – T3 2026"

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def folder_name(data: YearData) -> str:
    """A build's folder: its year ("2024"), or its last four quarters ("4-derniers-trimestres-T4-2025-T3-2026")."""
    tag = period_tag(data.period)
    return f"4-derniers-trimestres-{tag}" if tag else str(data.year)


def year_dir(out_dir: Path, year: int | str) -> Path:
    """The folder of a year (or of a period's `folder_name`) under the output folder."""
    return out_dir / str(year)


def output_base(out_dir: Path, data: YearData, territory: Territory) -> Path:
    """A factsheet's files, less their suffix; a period's carry it in their names: 12-aveyron-T4-2025-T3-2026."""
    folder = {"departement": "departements", "region": "regions", "france": "france", "territoire": "territoires"}[territory.level]
    tag = period_tag(data.period)
    return year_dir(out_dir, folder_name(data)) / folder / (f"{territory.slug}-{tag}" if tag else territory.slug)


def _hash_tree(digest: hashlib._Hash, root: Path, pattern: str) -> None:
    for path in sorted(root.rglob(pattern)):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())


_CODE_KEY: str | None = None


def code_key() -> str:
    """Hash of the templates, fonts, code and reference tables: a factsheet is rebuilt when any of
    them changes."""
    global _CODE_KEY
    if _CODE_KEY is None:
        digest = hashlib.sha256(__version__.encode())
        for name, root, pattern in (("templates", TEMPLATES_DIR, "*"), ("code", PACKAGE_DIR, "*.py"),
                                    ("reference", REFERENCE_DIR, "*")):
            digest.update(name.encode())
            _hash_tree(digest, root, pattern)
        _CODE_KEY = digest.hexdigest()
    return _CODE_KEY


def build_key(data: YearData, previous: YearData | None, territory: Territory, source: str, history: tuple = (),
              inputs: tuple = ()) -> str:
    """What a factsheet is made of: the code, the locked libraries and the browser that draws, the data
    (each year's cache file and the publications and quarters it holds), the territory."""
    parts = {
        "history": history,
        "code": code_key(),
        "lock": lock_digest(),
        "chromium": chromium_version(),
        "source": source,
        "year": data.year,
        "data": [data.meta.get("cache_sha256"), data.meta.get("sources"), data.meta.get("bad_rows")],
        "previous": [previous.meta.get("cache_sha256"), previous.meta.get("sources")] if previous else None,
        "territory": territory.slug,
        "inputs": list(inputs),  # the edition's and the Territoires d'industrie list's digests
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def suffixes(territory: Territory) -> tuple[str, ...]:
    """The files of a factsheet (a dossier has no interactive page); the JSON, last, marks the set complete."""
    return (".xlsx", ".pdf", ".json") if territory.level == "territoire" else (".xlsx", ".pdf", ".html", ".json")


def up_to_date(base: Path, key: str, territory: Territory | None = None) -> bool:
    names = suffixes(territory) if territory is not None else (".xlsx", ".pdf", ".html", ".json")
    if not all(base.with_suffix(s).is_file() for s in names):
        return False
    try:
        return json.loads(base.with_suffix(".json").read_text(encoding="utf-8")).get("build_key") == key
    except (OSError, ValueError):
        return False


@dataclass(frozen=True)
class Shared:
    """Région and France comparisons with their Sankeys: computed once per run, sent to the workers."""

    comparisons: tuple[Comparison, ...]
    charts: dict[str, Chart]

    @staticmethod
    def joined(parts: list[Shared]) -> Shared:
        return Shared(tuple(c for part in parts for c in part.comparisons), {k: v for part in parts for k, v in part.charts.items()})


def build_inputs(edition, tis) -> tuple[str, ...]:
    """Digests of what a factsheet's text depends on besides data and code: its edition (and logo),
    and the Territoires d'industrie list it names."""
    edition_digest = hashlib.sha256(edition.path.read_bytes()).hexdigest()
    logo = hashlib.sha256(edition.logo.read_bytes()).hexdigest() if edition.logo else ""
    ti = hashlib.sha256(repr((tis.description, tis.entries)).encode()).hexdigest()
    return (edition_digest, logo, ti)
