"""fetch -> check -> parse -> cache, as one transaction under the data folder's lock.

Every archive is kept in data/raw/ under its SHA-256, and each of its data files becomes a dataset
of its own (a publication: final annual figures, or provisional rolling ones, with its vintage).
The years are then composed from the datasets (`store.compose`). A refused input changes nothing:
not the raw archives, not the caches, not the manifest.
"""

from __future__ import annotations

import csv
import email.utils
import io
import logging
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
import requests

from fiches import __version__
from fiches.atomic import Transaction, os_error_text, remove_stale_parts
from fiches.config import Network, Settings
from fiches.errors import DataError, FetchError, UsageError
from fiches.sources import discover, lock
from fiches.sources.archive import SafeArchive
from fiches.sources.catalogue import catalogue
from fiches.sources.douanes import BadRow, Labels, ParsedFile, data_member_kind, label_member_kind, parse_data_file, read_labels
from fiches.sources.fetch import Download, download
from fiches.sources.store import (
    ANNUAL,
    FLOWS,
    ROLLING,
    Manifest,
    dataset_path,
    load_manifest,
    quarters_path,
    select_quarters,
    sha256_file,
    stage_labels,
    stage_manifest,
    stage_table,
    summed,
    totals_path,
    year_entry,
    year_path,
)
from fiches.sources.store import read_labels as read_cached_labels

log = logging.getLogger(__name__)

#: A data member with more rejected rows than this share is not a customs file at all.
MAX_BAD_SHARE = 0.5
#: Rejected rows worth more than this share of a file's value (in %) stop the fetch, as does any
#: rejected row of a listed département, unless the user accepts them (--accept-bad-rows).
BAD_VALUE_SHARE = 0.01
#: The publication month the customs put at the start of an archive's name: 202502-Regional-2024-export.zip.
_PUBLICATION = re.compile(r"^(20\d{2})(0[1-9]|1[0-2])(?!\d)")


@dataclass
class Archive:
    """An archive about to be ingested: a finished download, a file given by hand, or one kept in data/raw."""

    label: str
    path: Path
    name: str  # the file name it was published or given under
    sha256: str
    size: int
    url: str | None = None
    download: Download | None = None

    @property
    def raw_name(self) -> str:
        return f"{self.sha256}.zip"


@dataclass
class IngestResult:
    years: dict[int, dict]  # year -> its entry in the manifest
    bad_rows: list[BadRow] = field(default_factory=list)  # rejected rows the user accepted
    unchanged: bool = False
    archives: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # revisions, repairs: one line each


def check_url(url: str) -> str:
    """A URL fit for a download, or one clear line."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as exc:
        raise UsageError(f"URL invalide {url!r} : {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"URL refusée (seuls http et https sont acceptés) : {url!r}")
    if not host:
        raise UsageError(f"URL invalide {url!r} : aucun nom d'hôte")
    return url


def fetch(
    settings: Settings,
    *,
    year: int | None = None,
    urls: list[str] | tuple[str, ...] = (),
    files: list[Path] | tuple[Path, ...] = (),
    strict: bool = False,
    accept_bad_rows: bool = False,
    rebuild: bool = False,
    network: Network | None = None,
    session: requests.Session | None = None,
    source: str = "douanes",
    extra_meta: dict | None = None,
    discover_url: str | None = None,
) -> IngestResult:
    """Download (or take) archives, check and parse them, and cache the datasets and the years."""
    network = network or settings.network
    urls = [check_url(url) for url in urls]
    if discover_url is not None:
        check_url(discover_url)
    for file in files:
        if not Path(file).is_file():
            raise UsageError(f"fichier introuvable : {file}")
    with lock.fetching(settings.data_dir):
        try:
            remove_stale_parts(settings.data_dir)  # an interrupted fetch's journal first: finished or rolled back
            manifest = load_manifest(settings.data_dir)
            settings.raw_dir.mkdir(parents=True, exist_ok=True)
            notes: list[str] = []
            if not urls and not files and not rebuild:
                urls = _what_to_fetch(settings, year, discover_url, network, session, notes)
            with Transaction(settings.data_dir / ".fetch.journal") as txn:
                result = _fetch(settings, manifest, txn, year=year, urls=urls, files=[Path(f) for f in files], strict=strict,
                                accept=accept_bad_rows, rebuild=rebuild, network=network, session=session, source=source,
                                extra=extra_meta or {})
            result.notes[:0] = notes
            return result
        except OSError as exc:
            raise FetchError(f"écriture impossible dans {settings.data_dir} : {os_error_text(exc)} ; rien n'a été modifié") from None


def _what_to_fetch(settings: Settings, year: int | None, discover_url: str | None, network: Network, session, notes: list[str]) -> list[str]:
    """The archives of an explicit year (the catalogue's), or those the open-data page lists, or, if it
    cannot be read, the catalogue's newest year."""
    known = catalogue()
    if year is None:
        try:
            urls, found = discover.discover(settings, discover_url, network=network, session=session)
            notes.append(f"publications trouvées : {found if found else 'aucune année complète'}"
                         + (f" et {found - 1}" if found and any(f"-{found - 1}-" in u for u in urls) else "")
                         + (", dernière publication" if any(not re.search(r"-\d{4}-(export|import)\.zip$", u, re.IGNORECASE) for u in urls) else ""))
            return urls
        except FetchError as exc:
            if discover_url is not None:
                raise
            log.warning("pages des données ouvertes illisibles (%s) : le catalogue est utilisé", exc)
            year = max(known)
    if year not in known:
        raise UsageError(
            f"l'année {year} n'est pas dans le catalogue ({', '.join(map(str, sorted(known)))}) ; "
            "utilisez --url ou --from-file, ou ajoutez-la à sources.toml"
        )
    return known[year]


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _vintage(name: str, last_modified: str | None, fetched_at: str) -> str:
    """When an archive was published: the month in its name, else the server's date, else the fetch's."""
    found = _PUBLICATION.match(name)
    if found:
        return f"{found.group(1)}-{found.group(2)}"
    if last_modified:
        try:
            return email.utils.parsedate_to_datetime(last_modified).date().isoformat()
        except (TypeError, ValueError):
            pass
    return fetched_at[:10]


def _archive_name(url: str) -> str:
    name = Path(urlsplit(url).path).name or "archive.zip"
    return name if name.lower().endswith(".zip") else name + ".zip"


def _previous_download(manifest: Manifest, url: str) -> dict | None:
    """What a conditional request needs from the last good download of `url`, if its archive is still there."""
    best = None
    for sha, entry in manifest.archives.items():
        for origin in entry.get("sources", []):
            if origin.get("url") == url and (best is None or origin.get("fetched_at", "") > best[1].get("fetched_at", "")):
                best = (sha, origin)
    if best is None or not (manifest.data_dir / "raw" / f"{best[0]}.zip").is_file():
        return None
    sha, origin = best
    return {"file": f"{sha}.zip", "sha256": sha, "size": manifest.archives[sha].get("size"), "etag": origin.get("etag"),
            "last_modified": origin.get("last_modified")}


def _caches_intact(manifest: Manifest) -> list[str]:
    """The cache files the manifest lists whose bytes are not what it recorded."""
    damaged = []
    for name in sorted(manifest.cache):
        try:
            manifest.verify(manifest.data_dir / name)
        except DataError:
            damaged.append(name)
    return damaged


def _fetch(settings: Settings, manifest: Manifest, txn: Transaction, *, year, urls, files, strict, accept, rebuild, network,
           session, source, extra) -> IngestResult:
    archives: list[Archive] = []
    notes: list[str] = []
    for url in urls:
        result = download(url, settings.raw_dir, network=network, limits=settings.limits, previous=_previous_download(manifest, url),
                          session=session)
        name = _archive_name(url)
        archive = Archive(url, result.path, name, result.sha256, result.size, url, result)
        if not result.not_modified:
            target = settings.raw_dir / archive.raw_name
            if target.is_file():
                result.path.unlink(missing_ok=True)  # the same bytes are already kept
                archive.path = target
            else:
                txn.adopt(result.path, target)
        archives.append(archive)
    for file in files:
        sha = sha256_file(file)
        archives.append(Archive(str(file), file, file.name, sha, file.stat().st_size))
    if manifest.legacy_archives:  # a data folder of fiches's first format: its archives ingested again
        notes.append(f"dossier de données d'un format antérieur : {len(manifest.legacy_archives)} archive(s) intégrée(s) à nouveau")
        for file in manifest.legacy_archives:
            archives.append(Archive(str(file), file, file.name, sha256_file(file), file.stat().st_size))
    damaged = _caches_intact(manifest)
    if damaged and not rebuild:
        notes.append(f"cache altéré ({', '.join(damaged)}) : reconstruit à partir des archives conservées")
    if rebuild or damaged:
        known = {a.sha256 for a in archives}
        for sha, entry in sorted(manifest.archives.items()):
            if sha in known or not any(d.get("archive") == sha for d in manifest.datasets.values()):
                continue
            path = settings.raw_dir / f"{sha}.zip"
            if not path.is_file():
                raise FetchError(f"archive {(entry.get('names') or [sha])[-1]} absente de {settings.raw_dir} : "
                                 "relancez fiches fetch avec son adresse (--url) ou son fichier (--from-file)")
            if sha256_file(path) != sha:
                raise FetchError(f"archive {path} modifiée depuis sa récupération : supprimez-la et relancez fiches fetch avec son adresse")
            archives.append(Archive(str(path), path, (entry.get("names") or [path.name])[-1], sha, path.stat().st_size))
        manifest.cache.clear()
        manifest.years.clear()
    ingested = {d["archive"] for d in manifest.datasets.values()}
    if archives and not (rebuild or damaged or manifest.legacy_archives) and all(a.sha256 in ingested for a in archives):
        if year is None or str(year) in manifest.years:
            return IngestResult({}, unchanged=True, archives=[a.name for a in archives])
    return _ingest(settings, manifest, txn, archives, notes, year=year, strict=strict, accept=accept, rebuild=rebuild or bool(damaged),
                   source=source, extra=extra)


def _stage_copy(source: Path, target: Path, txn: Transaction) -> None:
    temp = txn.stage(target)
    with source.open("rb") as src, temp.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def _euros(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f") + "\u00a0€"


def _bad_rows_refusal(item: ParsedFile, strict: bool) -> str | None:
    """Why the rejected rows of a file stop the fetch, or None when they may be set aside."""
    if not item.bad_rows:
        return None
    if not strict and item.bad_share <= BAD_VALUE_SHARE and item.bad_listed == 0:
        return None
    lines = ", ".join(str(row.line) for row in item.bad_rows[:5]) + ("…" if len(item.bad_rows) > 5 else "")
    listed = f", dont {item.bad_listed} de départements recensés" if item.bad_listed else ""
    share = f"{item.bad_share:.4f}".replace(".", ",")
    return (
        f"{item.source} : {len(item.bad_rows)} ligne(s) invalide(s){listed}, {_euros(item.bad_value)} "
        f"({share}\u00a0% de la valeur du fichier), lignes {lines} (première : {item.bad_rows[0].reason}) ; rien n'a été modifié"
    )


def _ingest(settings: Settings, manifest: Manifest, txn: Transaction, archives: list[Archive], notes: list[str], *, year, strict, accept,
            rebuild, source, extra) -> IngestResult:
    fetched_at = _now()
    previous_datasets = {} if rebuild else dict(manifest.datasets)
    already = {d["archive"] for d in previous_datasets.values()}
    to_parse = [a for a in archives if rebuild or a.sha256 not in already]
    seen: set[str] = set()
    to_parse = [a for a in to_parse if not (a.sha256 in seen or seen.add(a.sha256))]
    label_raw: dict[str, bytes] = {}
    new_datasets: dict[str, dict] = {}
    new_rows: dict[str, pa.Table] = {}
    new_annual: dict[str, pa.Table] = {}  # the same rows as the parser summed them by year
    new_totals: dict[str, pa.Table] = {}  # their quarterly totals
    accepted: list[BadRow] = []
    previous_decisions = {d["archive"]: d.get("accepted_bad_rows", False) for d in manifest.datasets.values()}
    for archive in to_parse:
        with SafeArchive(archive.path, settings.limits, label=archive.label) as safe:
            members = []
            for member in safe.members():
                kind = data_member_kind(member.name)
                if kind is not None:
                    members.append((member.name, *kind))
                elif (label_kind := label_member_kind(member.name)) is not None:
                    label_raw.setdefault(label_kind, safe.read(member.name))
            if not members:
                raise FetchError(
                    f"{archive.label} : aucun fichier de données des douanes dans l'archive "
                    "(attendu Region_<année>_Export.txt, Region_<année>_Import.txt, "
                    "REGIONAL_CPF4PAYSE.txt ou REGIONAL_CPF4PAYSI.txt)"
                )
            labels = _labels(manifest, label_raw, rebuild)
            for member, member_year, flow in members:
                raw = safe.read(member)
                source_name = f"{archive.name}:{member}"
                if not raw.strip():
                    raise FetchError(f"{source_name} : fichier de données vide")
                item = parse_data_file(raw, source_name, expected_year=member_year, expected_flow=flow, labels=labels)
                del raw
                if item.rows == 0 or len(item.bad_rows) > MAX_BAD_SHARE * item.rows:
                    first = item.bad_rows[0] if item.bad_rows else None
                    raise FetchError(
                        f"{source_name} : {len(item.bad_rows)} lignes sur {item.rows} hors du format des douanes, fichier refusé"
                        + (f" (première : {first})" if first else "")
                    )
                refusal = _bad_rows_refusal(item, strict)
                keep_anyway = accept or previous_decisions.get(archive.sha256, False)
                if refusal and (strict or not keep_anyway):
                    hint = " (--strict)" if strict else " ; --accept-bad-rows pour les écarter délibérément"
                    raise DataError(refusal + hint)
                kind = ANNUAL if member_year is not None else ROLLING
                years = sorted({y for (y, _f) in item.quarters})
                dataset_id = f"{kind}-{member_year or 'r'}-{flow}-{archive.sha256[:12]}"
                origin = archive.download
                new_datasets[dataset_id] = {
                    "archive": archive.sha256, "member": member, "kind": kind, "flow": flow,
                    "vintage": _vintage(archive.name, origin.last_modified if origin else None, fetched_at),
                    "fetched_at": fetched_at,
                    "sequence": 1 + max([int(d.get("sequence", 0)) for d in (*previous_datasets.values(), *new_datasets.values())] or [0]),
                    "quarters": {str(y): item.quarters.get((y, flow), []) for y in years},
                    "rows": item.rows, "total_value": item.total_value,
                    "bad_rows": len(item.bad_rows), "bad_value": item.bad_value, "bad_listed": item.bad_listed,
                    "accepted_bad_rows": bool(item.bad_rows),
                    "cache": manifest.relative(dataset_path(settings.cache_dir, dataset_id)),
                }
                new_rows[dataset_id] = item.quarterly
                new_annual[dataset_id] = item.table
                new_totals[dataset_id] = item.totals
                accepted.extend(item.bad_rows)
    datasets = {**previous_datasets, **new_datasets}
    affected = sorted({int(y) for d in (datasets.values() if rebuild else new_datasets.values()) for y in d["quarters"]})
    if year is not None and year not in affected:
        found = ", ".join(map(str, affected)) or "aucune"
        raise FetchError(f"l'année {year} n'est pas dans ces fichiers (années trouvées : {found})")
    _note_revisions(manifest, archives, new_datasets, notes)

    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    for dataset_id, rows in new_rows.items():
        stage_table(manifest, dataset_path(settings.cache_dir, dataset_id), rows, {"dataset": dataset_id}, txn)
        stage_table(manifest, totals_path(settings.cache_dir, dataset_id), new_totals[dataset_id], {"dataset": dataset_id}, txn)
    written: dict[int, dict] = {}
    for data_year in affected:
        entry = year_entry(datasets, data_year)
        table = _presummed(entry, datasets, new_annual, data_year)
        if table is None:
            pieces = []
            for flow in FLOWS:
                for item in entry["sources"].get(flow, []):
                    rows = new_rows.get(item["dataset"])
                    if rows is None:
                        rows = _cached_rows(manifest, item["dataset"])
                    pieces.append(select_quarters(rows, data_year, flow, item["quarters"]))
            table = summed(pa.concat_tables(pieces))
        entry["rows"] = table.num_rows
        entry["source"] = source
        entry["extra"] = {**manifest.years.get(str(data_year), {}).get("extra", {}), **extra}
        entry["cache"] = manifest.relative(year_path(settings.cache_dir, data_year))
        stage_table(manifest, year_path(settings.cache_dir, data_year), table, {"year": data_year, "source": source}, txn)
        manifest.years[str(data_year)] = entry
        written[data_year] = entry
    manifest.datasets = datasets
    _stage_quarters(settings, manifest, datasets, new_totals, txn)
    _record_archives(manifest, archives, fetched_at, txn, settings)
    if to_parse:
        stage_labels(manifest, _labels(manifest, label_raw, rebuild), txn)
    if accepted:
        _stage_bad_rows(settings.cache_dir / "bad-rows.csv", accepted, txn)
    manifest.legacy_archives = []
    stage_manifest(manifest, txn, __version__)
    return IngestResult(written, accepted, archives=[a.name for a in archives], notes=notes)


def _stage_quarters(settings: Settings, manifest: Manifest, datasets: dict[str, dict], new_totals: dict[str, pa.Table], txn: Transaction) -> None:
    """The totals of every composed quarter of every year, each quarter from the dataset the year takes it
    from, and whether that dataset is final (annual) or provisional (rolling)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    pieces = []
    for key in sorted(manifest.years, key=int):
        year = int(key)
        for flow in FLOWS:
            for item in year_entry(datasets, year)["sources"].get(flow, []):
                totals = new_totals.get(item["dataset"])
                if totals is None:
                    path = totals_path(settings.cache_dir, item["dataset"])
                    manifest.verify(path)
                    totals = pq.read_table(path)
                mask = pc.and_(pc.and_(pc.equal(totals.column("year"), year), pc.equal(totals.column("flow"), flow)),
                               pc.is_in(totals.column("quarter"), pa.array(item["quarters"], pa.int8())))
                chosen = totals.filter(mask)
                final = datasets[item["dataset"]]["kind"] == ANNUAL
                pieces.append(chosen.append_column("final", pa.array([final] * len(chosen), pa.bool_())))
    if pieces:
        table = pa.concat_tables(pieces).sort_by([(k, "ascending") for k in ("year", "quarter", "flow", "dep", "partner")])
        stage_table(manifest, quarters_path(settings.cache_dir), table, {"quarters": True}, txn)


def _presummed(entry: dict, datasets: dict[str, dict], annual: dict[str, pa.Table], year: int) -> pa.Table | None:
    """A year whose every flow comes whole from one dataset parsed now: the parser's sums, already in
    the cache's order (the common case: an annual file per flow). None otherwise."""
    import pyarrow.compute as pc

    pieces = []
    for flow in FLOWS:
        items = entry["sources"].get(flow, [])
        if not items:
            continue
        if len(items) != 1 or items[0]["dataset"] not in annual:
            return None
        dataset_id, quarters = items[0]["dataset"], items[0]["quarters"]
        if quarters != datasets[dataset_id]["quarters"].get(str(year)):
            return None
        rows = annual[dataset_id]
        pieces.append(rows.filter(pc.and_(pc.equal(rows.column("year"), year), pc.equal(rows.column("flow"), flow))))
    return pa.concat_tables(pieces) if pieces else None


def _labels(manifest: Manifest, found: dict[str, bytes], rebuild: bool) -> Labels:
    cached = Labels() if rebuild else read_cached_labels(manifest)
    return cached.merged(read_labels(found))


def _cached_rows(manifest: Manifest, dataset_id: str) -> pa.Table:
    import pyarrow.parquet as pq

    path = dataset_path(manifest.data_dir / "cache", dataset_id)
    manifest.verify(path)
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError(f"cache illisible {path} ({exc}) : lancez « fiches fetch --rebuild »") from None


def _note_revisions(manifest: Manifest, archives: list[Archive], new_datasets: dict[str, dict], notes: list[str]) -> None:
    """An archive published again under a known name, with other bytes: a new vintage, said as such."""
    for archive in archives:
        if not any(d["archive"] == archive.sha256 for d in new_datasets.values()):
            continue
        earlier = [sha for sha, entry in manifest.archives.items() if sha != archive.sha256 and archive.name in entry.get("names", [])]
        if earlier:
            notes.append(f"révision de {archive.name} : nouvelle version (SHA-256 {archive.sha256[:12]}…), qui remplace pour ses "
                         f"trimestres la précédente ({earlier[-1][:12]}…), conservée dans data/raw")


def _record_archives(manifest: Manifest, archives: list[Archive], fetched_at: str, txn: Transaction, settings: Settings) -> None:
    for archive in archives:
        target = settings.raw_dir / archive.raw_name
        if archive.download is None and archive.path.resolve() != target.resolve() and not target.is_file():
            _stage_copy(archive.path, target, txn)
        entry = manifest.archives.setdefault(archive.sha256, {"file": f"raw/{archive.raw_name}", "size": archive.size,
                                                               "names": [], "sources": []})
        if archive.name not in entry["names"]:
            entry["names"].append(archive.name)
        origin = archive.download
        if origin is not None:
            entry["sources"] = [s for s in entry["sources"] if s.get("url") != archive.url] + [{
                "url": archive.url, "fetched_at": fetched_at, "etag": origin.etag, "last_modified": origin.last_modified}]
        elif archive.path.resolve() != target.resolve() and not any(s.get("file") == archive.label for s in entry["sources"]):
            entry["sources"].append({"file": archive.label, "fetched_at": fetched_at})


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
