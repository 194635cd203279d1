"""fetch -> check -> parse -> cache, as one transaction: a refused input changes nothing."""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import requests

from fiches import __version__
from fiches.atomic import Transaction, os_error_text, remove_stale_parts
from fiches.config import Network, Settings
from fiches.errors import DataError, FetchError, UsageError
from fiches.sources.archive import SafeArchive
from fiches.sources.catalogue import catalogue
from fiches.sources.douanes import BadRow, ParsedFile, annual_tables, data_member_kind, label_member_kind, parse_data_file, read_labels
from fiches.sources.fetch import Download, download, sha256_file
from fiches.sources.store import labels_path, read_meta, write_year, year_path
from fiches.sources.store import read_labels as read_cached_labels

log = logging.getLogger(__name__)

#: A data member with more rejected rows than this share is not a customs file at all.
MAX_BAD_SHARE = 0.5


@dataclass
class Archive:
    """An archive about to be ingested: a finished download, or a file given by hand."""

    label: str
    path: Path
    name: str  # file name in data/raw
    sha256: str
    size: int
    url: str | None = None
    download: Download | None = None


@dataclass
class IngestResult:
    years: dict[int, dict]  # year -> meta written to the cache
    bad_rows: list[BadRow] = field(default_factory=list)
    unchanged: bool = False
    archives: list[str] = field(default_factory=list)


def load_manifest(settings: Settings) -> dict:
    try:
        return json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"archives": {}}
    except (OSError, ValueError) as exc:
        raise DataError(f"manifeste illisible {settings.manifest_path} ({exc})") from None


def fetch(
    settings: Settings,
    *,
    year: int | None = None,
    urls: list[str] | tuple[str, ...] = (),
    files: list[Path] | tuple[Path, ...] = (),
    strict: bool = False,
    network: Network | None = None,
    session: requests.Session | None = None,
    source: str = "douanes",
    extra_meta: dict | None = None,
) -> IngestResult:
    """Download (or take) archives, check and parse them, and cache the parsed years."""
    network = network or settings.network
    if not urls and not files:
        known = catalogue()
        if year is None:
            year = max(known)
        if year not in known:
            raise UsageError(
                f"l'année {year} n'est pas dans le catalogue ({', '.join(map(str, sorted(known)))}) ; "
                "utilisez --url ou --from-file, ou ajoutez-la à sources.toml"
            )
        urls = known[year]
    settings.raw_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(settings.data_dir)
    manifest = load_manifest(settings)
    by_url = {entry["url"]: entry for entry in manifest["archives"].values() if entry.get("url")}

    archives: list[Archive] = []
    with Transaction() as txn:
        try:
            for url in urls:
                result = download(url, settings.raw_dir, network=network, limits=settings.limits, previous=by_url.get(url), session=session)
                name = Path(result.path.name).name if result.not_modified else _archive_name(url)
                if not result.not_modified:
                    txn.adopt(result.path, settings.raw_dir / name)
                archives.append(Archive(url, result.path, name, result.sha256, result.size, url, result))
            for file in files:
                path = Path(file)
                if not path.is_file():
                    raise UsageError(f"fichier introuvable : {path}")
                archives.append(Archive(str(path), path, path.name, sha256_file(path), path.stat().st_size))
            if archives and all(a.download and a.download.not_modified for a in archives) and _cache_matches(settings, archives, year):
                return IngestResult({}, unchanged=True, archives=[a.name for a in archives])
            result = _ingest(settings, archives, year, strict, txn, source, extra_meta or {})
            _stage_manifest(settings, manifest, archives, result, txn)
            for archive in archives:
                if archive.download is None and archive.path.resolve() != (settings.raw_dir / archive.name).resolve():
                    _stage_copy(archive.path, settings.raw_dir / archive.name, txn)
        except OSError as exc:
            raise FetchError(f"écriture impossible dans {settings.data_dir} : {os_error_text(exc)} ; rien n'a été modifié") from None
    result.archives = [a.name for a in archives]
    return result


def _archive_name(url: str) -> str:
    from urllib.parse import urlsplit

    name = Path(urlsplit(url).path).name or "archive.zip"
    return name if name.lower().endswith(".zip") else name + ".zip"


def _cache_matches(settings: Settings, archives: list[Archive], year: int | None) -> bool:
    wanted = sorted(a.sha256 for a in archives)
    years = [year] if year else []
    for cached_year in years or []:
        if not year_path(settings.cache_dir, cached_year).is_file():
            return False
        meta = read_meta(settings.cache_dir, cached_year)
        if sorted(item["sha256"] for item in meta.get("archives", [])) != wanted:
            return False
    return bool(years)


def _stage_copy(source: Path, target: Path, txn: Transaction) -> None:
    temp = txn.stage(target)
    with source.open("rb") as src, temp.open("wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)


def _ingest(settings: Settings, archives: list[Archive], year: int | None, strict: bool, txn: Transaction, source: str, extra_meta: dict) -> IngestResult:
    data_members: list[tuple[Archive, str, int | None, str]] = []
    label_raw: dict[str, bytes] = {}
    opened: list[SafeArchive] = []
    try:
        for archive in archives:
            safe = SafeArchive(archive.path, settings.limits, label=archive.label)
            opened.append(safe)
            found = False
            for member in safe.members():
                kind = data_member_kind(member.name)
                if kind is not None:
                    data_members.append((archive, member.name, kind[0], kind[1]))
                    found = True
                elif (label_kind := label_member_kind(member.name)) is not None:
                    label_raw.setdefault(label_kind, safe.read(member.name))
            if not found:
                raise FetchError(
                    f"{archive.label} : aucun fichier de données des douanes dans l'archive "
                    "(attendu Region_<année>_Export.txt, Region_<année>_Import.txt, "
                    "REGIONAL_CPF4PAYSE.txt ou REGIONAL_CPF4PAYSI.txt)"
                )
        labels = read_cached_labels(settings.cache_dir).merged(read_labels(label_raw))
        parsed: list[ParsedFile] = []
        by_path = {id(a): s for a, s in zip(archives, opened)}
        for archive, member, member_year, flow in data_members:
            raw = by_path[id(archive)].read(member)
            member_source = f"{archive.name}:{member}"
            if not raw.strip():
                raise FetchError(f"{member_source} : fichier de données vide")
            item = parse_data_file(raw, member_source, expected_year=member_year, expected_flow=flow, labels=labels)
            del raw
            if item.rows == 0 or len(item.bad_rows) > MAX_BAD_SHARE * item.rows:
                first = item.bad_rows[0] if item.bad_rows else None
                raise FetchError(
                    f"{member_source} : {len(item.bad_rows)} lignes sur {item.rows} hors du format des douanes, fichier refusé"
                    + (f" (première : {first})" if first else "")
                )
            parsed.append(item)
    finally:
        for safe in opened:
            safe.close()

    bad_rows = [row for item in parsed for row in item.bad_rows]
    if strict and bad_rows:
        raise DataError(f"{len(bad_rows)} ligne(s) invalide(s) avec --strict ; première : {bad_rows[0]}")
    tables, quarters = annual_tables(parsed)
    if year is not None and year not in tables:
        found = ", ".join(map(str, sorted(tables))) or "aucune"
        raise FetchError(f"l'année {year} n'est pas dans ces fichiers (années trouvées : {found})")

    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    written: dict[int, dict] = {}
    for data_year, table in tables.items():
        complete = all(len(quarters[data_year].get(flow, [])) == 4 for flow in ("E", "I"))
        if not complete and year_path(settings.cache_dir, data_year).is_file():
            if read_meta(settings.cache_dir, data_year).get("complete"):
                log.info("%s : année incomplète dans ces fichiers, le cache complet est conservé", data_year)
                continue
        meta = {
            "source": source,
            "archives": [{"name": a.name, "sha256": a.sha256, "url": a.url} for a in archives],
            "quarters": quarters[data_year],
            "complete": complete,
            "rows": table.num_rows,
            "bad_rows": len(bad_rows),
            "tool_version": __version__,
            **extra_meta,
        }
        write_year(settings.cache_dir, data_year, table, meta, txn)
        written[data_year] = meta
    temp = txn.stage(labels_path(settings.cache_dir))
    temp.write_text(json.dumps(labels.to_json(), ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8")
    if bad_rows:
        _stage_bad_rows(settings.cache_dir / "bad-rows.csv", bad_rows, txn)
    return IngestResult(written, bad_rows)


def _inert(cell: str) -> str:
    """A cell a spreadsheet will not run: rejected rows are hostile input, and `=…` is a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _stage_bad_rows(target: Path, bad_rows: list[BadRow], txn: Transaction) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["fichier", "ligne", "motif", "contenu"])
    for row in bad_rows:
        writer.writerow([_inert(row.source), row.line, row.reason, _inert(row.text)])
    txn.stage(target).write_text(buffer.getvalue(), encoding="utf-8")


def _stage_manifest(settings: Settings, manifest: dict, archives: list[Archive], result: IngestResult, txn: Transaction) -> None:
    entries = dict(manifest.get("archives", {}))
    for archive in archives:
        download = archive.download
        entries[archive.name] = {
            "file": archive.name,
            "url": archive.url,
            "size": archive.size,
            "sha256": archive.sha256,
            "fetched_at": download.fetched_at if download else None,
            "etag": download.etag if download else None,
            "last_modified": download.last_modified if download else None,
            "years": sorted(result.years),
        }
    document = {"archives": dict(sorted(entries.items())), "tool_version": __version__}
    txn.stage(settings.manifest_path).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
