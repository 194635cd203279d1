"""Checks before publishing a year of factsheets, and the files attached to its release.

    python publication.py check OUT/YEAR --year YEAR
        Fails (exit 1) unless every factsheet in OUT/YEAR was built from the customs' data: each PDF has its
        JSON sidecar, every sidecar says `provenance.source == "douanes"` and is not a sample, the year
        matches, and the folder has its index.html and a manifest.json that mentions no sample.

    python publication.py stage-release OUT/YEAR DEST
        Copies every PDF of OUT/YEAR into DEST (flat, as release assets) and writes DEST/SHA256SUMS,
        in `sha256sum --check` format.

    python publication.py built-year OUT
        Prints the one data year OUT holds (its only YYYY folder); fails if it holds none or several.

    python publication.py fresh YEAR [--today YYYY-MM-DD]
        Fails when YEAR, the newest year found, is older than the previous calendar year: the sign
        that discovery or the catalogue is stale.

    python publication.py assemble SITE OUT/YEAR
        Puts OUT/YEAR into SITE/YEAR (replacing that year only: the other years stay, so a published
        address keeps its meaning) and writes SITE/index.html, which points to the newest year and
        lists the others.

Standard library only: it runs before anything is installed, and in tests.
"""

from __future__ import annotations

import argparse
import datetime
import html
import re
import hashlib
import json
import shutil
import sys
from pathlib import Path

REQUIRED_FILES = ("index.html", "manifest.json")
SKIPPED_DIRS = {"_html"}


class Refused(Exception):
    """The folder must not be published."""


def _files(root: Path, pattern: str) -> list[Path]:
    return sorted(
        path for path in root.rglob(pattern)
        if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(root).parts)
    )


def _says_sample(value: object) -> bool:
    """True if a JSON value anywhere marks its content as the synthetic sample."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("sample", "is_sample") and item is not False and item is not None:
                return True
            if key == "source" and item == "sample":
                return True
            if _says_sample(item):
                return True
    elif isinstance(value, list):
        return any(_says_sample(item) for item in value)
    return False


def _load(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Refused(f"{path}: unreadable JSON ({exc})") from None


def check(folder: Path, year: int) -> int:
    """Number of factsheets checked; raises Refused at the first problem."""
    if not folder.is_dir():
        raise Refused(f"{folder}: no such folder")
    for name in REQUIRED_FILES:
        if not (folder / name).is_file():
            raise Refused(f"{folder / name}: missing")
    manifest = _load(folder / "manifest.json")
    if _says_sample(manifest):
        raise Refused(f"{folder / 'manifest.json'}: mentions the synthetic sample")

    pdfs = _files(folder, "*.pdf")
    if not pdfs:
        raise Refused(f"{folder}: no PDF factsheet")
    for pdf in pdfs:
        if not pdf.with_suffix(".json").is_file():
            raise Refused(f"{pdf}: no JSON sidecar, its provenance cannot be checked")

    sidecars = [path for path in _files(folder, "*.json") if path != folder / "manifest.json"]
    for path in sidecars:
        document = _load(path)
        provenance = document.get("provenance") if isinstance(document, dict) else None
        if not isinstance(provenance, dict):
            raise Refused(f"{path}: no provenance")
        if provenance.get("source") != "douanes":
            raise Refused(f"{path}: provenance source is {provenance.get('source')!r}, not 'douanes'")
        if _says_sample(document):
            raise Refused(f"{path}: marked as the synthetic sample")
        if document.get("year") != year or provenance.get("year") != year:
            raise Refused(f"{path}: year {document.get('year')!r}, expected {year}")
    return len(pdfs)


def stage_release(folder: Path, dest: Path) -> list[str]:
    """Copy the PDFs into dest and write SHA256SUMS; returns the asset names."""
    pdfs = _files(folder, "*.pdf")
    if not pdfs:
        raise Refused(f"{folder}: no PDF factsheet")
    names = [pdf.name for pdf in pdfs]
    if len(set(names)) != len(names):
        raise Refused(f"{folder}: two PDFs share a file name, they cannot all be release assets")
    dest.mkdir(parents=True, exist_ok=True)
    lines = []
    for pdf in pdfs:
        target = dest / pdf.name
        shutil.copyfile(pdf, target)
        lines.append(f"{hashlib.sha256(target.read_bytes()).hexdigest()}  {pdf.name}\n")
    (dest / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
    return names


_YEAR = re.compile(r"^\d{4}$")


def built_year(out: Path) -> int:
    years = sorted(p.name for p in out.iterdir() if p.is_dir() and _YEAR.match(p.name)) if out.is_dir() else []
    if len(years) != 1:
        raise Refused(f"{out}: expected one data year folder, found {', '.join(years) or 'none'}")
    return int(years[0])


def fresh(year: int, today: datetime.date) -> None:
    if year < today.year - 1:
        raise Refused(f"the newest data year found is {year}, older than {today.year - 1}: "
                      "the discovery page or the catalogue (src/fiches/sources/sources.toml) is stale")


ROOT_INDEX = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Les indicateurs clés : commerce extérieur – Territoires d’industrie</title>
<style>
body {{ font-family: Lato, "Helvetica Neue", Arial, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; line-height: 1.5; }}
a {{ color: #1f5fa8; }} a:focus {{ outline: 3px solid #1f5fa8; outline-offset: 2px; }}
.newest {{ font-size: 1.25rem; }}
</style>
</head>
<body>
<main>
<h1>Les indicateurs clés : commerce extérieur</h1>
<p>Une fiche par département, région et Territoire d’industrie, à partir des données ouvertes des douanes françaises (DGDDI).</p>
<p class="newest"><a href="{newest}/index.html">Les fiches les plus récentes : données {newest}</a></p>
{others}
</main>
</body>
</html>
"""


def assemble(site: Path, folder: Path) -> list[int]:
    """SITE/YEAR replaced by folder, the other years kept; SITE/index.html rewritten. Returns the years."""
    year = folder.name
    if not _YEAR.match(year) or not (folder / "index.html").is_file():
        raise Refused(f"{folder}: not a built year folder (OUT/YYYY with its index.html)")
    site.mkdir(parents=True, exist_ok=True)
    staged = site / f".{year}.new"
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(folder, staged, ignore=shutil.ignore_patterns(*SKIPPED_DIRS))
    target = site / year
    old = site / f".{year}.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staged.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    years = sorted((int(p.name) for p in site.iterdir() if p.is_dir() and _YEAR.match(p.name) and (p / "index.html").is_file()),
                   reverse=True)
    others = ""
    if len(years) > 1:
        items = "\n".join(f'<li><a href="{y}/index.html">Données {y}</a></li>' for y in years[1:])
        others = f"<h2>Les années précédentes</h2>\n<ul>\n{items}\n</ul>"
    (site / "index.html").write_text(ROOT_INDEX.format(newest=html.escape(str(years[0])), others=others), encoding="utf-8")
    (site / ".nojekyll").write_text("", encoding="utf-8")
    return years


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="refuse a folder that is not entirely built from the customs' data")
    checking.add_argument("folder", type=Path)
    checking.add_argument("--year", type=int, required=True)
    staging = commands.add_parser("stage-release", help="copy the PDFs and write SHA256SUMS")
    staging.add_argument("folder", type=Path)
    staging.add_argument("dest", type=Path)
    year_of = commands.add_parser("built-year", help="print the data year a build folder holds")
    year_of.add_argument("out", type=Path)
    freshness = commands.add_parser("fresh", help="refuse a newest year older than the previous calendar year")
    freshness.add_argument("year", type=int)
    freshness.add_argument("--today", type=datetime.date.fromisoformat, default=None)
    assembling = commands.add_parser("assemble", help="put a built year into the site, keeping the other years")
    assembling.add_argument("site", type=Path)
    assembling.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            count = check(args.folder, args.year)
            print(f"{count} factsheet(s) in {args.folder}, all built from the customs' data for {args.year}")
        elif args.command == "stage-release":
            names = stage_release(args.folder, args.dest)
            print(f"{len(names)} PDF(s) and SHA256SUMS in {args.dest}")
        elif args.command == "built-year":
            print(built_year(args.out))
        elif args.command == "fresh":
            fresh(args.year, args.today or datetime.datetime.now(datetime.timezone.utc).date())
            print(f"{args.year} is current")
        else:
            years = assemble(args.site, args.folder)
            print(f"{args.site}: {', '.join(map(str, years))}; the index points to {years[0]}")
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
