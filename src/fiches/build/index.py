"""The year folder's front page and manifest: what was built, from what, with checksums.

Both are derived from the files on disk (the factsheets' JSON sidecars), so they always describe
the folder as it is, whether this run built one factsheet or all of them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from fiches.atomic import atomic_path
from fiches.model import formatting
from fiches.render import templating
from fiches.sources.fetch import sha256_file

LEVELS = {"france": ("france", 0), "region": ("regions", 1), "departement": ("departements", 2)}
LEVEL_NAMES = {"france": "France", "region": "Région", "departement": "Département"}
INTERNAL = {"_html"}  # kept HTML for benchmarks and debugging: not published


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

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    @property
    def sort_order(self) -> int:
        return LEVELS[self.level][1]


def entries(year_dir: Path) -> list[Entry]:
    """Every complete factsheet in the year folder (PDF, JSON and XLSX present), in code order."""
    found = []
    for level, (folder, _) in LEVELS.items():
        for sidecar in sorted((year_dir / folder).glob("*.json")):
            base = sidecar.with_suffix("")
            if not (base.with_suffix(".pdf").is_file() and base.with_suffix(".xlsx").is_file()):
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
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not one of ours, or damaged: the next build rewrites it
            found.append(entry)
    return sorted(found, key=lambda e: (e.sort_order, e.code))


def write_index(year_dir: Path, year: int, build_date: str) -> Path:
    rows = entries(year_dir)
    env = templating.environment()
    page = env.get_template("index.html.j2").render(
        year=year,
        rows=rows,
        any_sample=any(e.sample for e in rows),
        build_date=build_date,
        meur=formatting.meur,
        signed_meur=formatting.signed_meur,
    )
    path = year_dir / "index.html"
    with atomic_path(path) as temp:
        temp.write_text(page, encoding="utf-8")
    return path


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
