"""Checks before publishing a year of factsheets, and the files attached to its release.

    python publication.py check OUT/YEAR --year YEAR
        Fails (exit 1) unless every factsheet in OUT/YEAR was built from the customs' data: each PDF has its
        JSON sidecar, every sidecar says `provenance.source == "douanes"` and is not a sample, the year
        matches, and the folder has its index.html and a manifest.json that mentions no sample.

    python publication.py stage-release OUT/YEAR DEST
        Copies every PDF of OUT/YEAR into DEST (flat, as release assets) and writes DEST/SHA256SUMS,
        in `sha256sum --check` format.

Standard library only: it runs before anything is installed, and in tests.
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="refuse a folder that is not entirely built from the customs' data")
    checking.add_argument("folder", type=Path)
    checking.add_argument("--year", type=int, required=True)
    staging = commands.add_parser("stage-release", help="copy the PDFs and write SHA256SUMS")
    staging.add_argument("folder", type=Path)
    staging.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            count = check(args.folder, args.year)
            print(f"{count} factsheet(s) in {args.folder}, all built from the customs' data for {args.year}")
        else:
            names = stage_release(args.folder, args.dest)
            print(f"{len(names)} PDF(s) and SHA256SUMS in {args.dest}")
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
