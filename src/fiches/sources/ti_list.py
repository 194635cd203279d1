"""The official list of the Territoires d'industrie (ANCT, on data.gouv.fr), fetched and kept.

`fiches fetch --ti-from-file PATH` or `--ti-url URL` takes a `liste-ti-com2023-YYYYMMDD.csv`; a
fetch from the catalogue also asks data.gouv.fr's API for the dataset's newest list. The file is
checked (read whole by `reference.territoires.read_official`), kept in data/raw/ under its
SHA-256 and recorded in the manifest like the customs archives. Builds use it when it is there,
and the table embedded in fiches otherwise.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests

from fiches import __version__
from fiches.atomic import Transaction, os_error_text, remove_stale_parts
from fiches.config import Network, Settings
from fiches.errors import DataError, FetchError, UsageError
from fiches.reference.territoires import OFFICIAL_NAME, TiList, official_date, read_official
from fiches.sources import lock
from fiches.sources.catalogue import territoires_dataset
from fiches.sources.fetch import TEXT_LIMIT, download
from fiches.sources.store import Manifest, load_manifest, sha256_file, stage_manifest

log = logging.getLogger(__name__)


def _describe(name: str, date: str | None, fetched_at: str) -> str:
    when = f", du {date}" if date else f", récupérée le {fetched_at[:10]}"
    return f"liste officielle {name} (ANCT, data.gouv.fr){when}"


def fetch_list(settings: Settings, *, file: Path | None = None, url: str | None = None, network: Network | None = None,
               session: requests.Session | None = None) -> str:
    """Take the official list from a file, a URL, or (neither given) the dataset's newest on data.gouv.fr.
    Returns one line saying what was kept; raises a FichesError, the data folder unchanged, otherwise."""
    network = network or settings.network
    if file is not None and not Path(file).is_file():
        raise UsageError(f"fichier introuvable : {file}")
    with lock.fetching(settings.data_dir):
        try:
            remove_stale_parts(settings.data_dir)
            manifest = load_manifest(settings.data_dir)
            settings.raw_dir.mkdir(parents=True, exist_ok=True)
            with Transaction(settings.data_dir / ".fetch.journal") as txn:
                return _fetch(settings, manifest, txn, file, url, network, session)
        except OSError as exc:
            raise FetchError(f"écriture impossible dans {settings.data_dir} : {os_error_text(exc)} ; rien n'a été modifié") from None


def _newest_resource(dataset_url: str, settings: Settings, network: Network, session) -> str:
    """The URL of the dataset's newest liste-ti-com*.csv, from data.gouv.fr's API description."""
    described = download(dataset_url, settings.raw_dir, network=network, limits=settings.limits, session=session, kind="json")
    try:
        data = json.loads(described.path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FetchError(f"{dataset_url} : description du jeu de données illisible ({exc})") from None
    finally:
        described.path.unlink(missing_ok=True)
    found = []
    for resource in data.get("resources", []) if isinstance(data, dict) else []:
        if not isinstance(resource, dict):
            continue
        link = str(resource.get("url") or "")
        match = OFFICIAL_NAME.search(urlsplit(link).path) or OFFICIAL_NAME.search(str(resource.get("title") or ""))
        if match and link.startswith(("http://", "https://")):
            found.append((match.group(1), link))
    if not found:
        raise FetchError(f"{dataset_url} : aucune liste liste-ti-com*.csv dans le jeu de données")
    return max(found)[1]


def _fetch(settings: Settings, manifest: Manifest, txn: Transaction, file, url, network, session) -> str:
    fetched_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    if file is not None:
        path, name, origin = Path(file), Path(file).name, {"file": str(file)}
        sha = sha256_file(path)
        if path.stat().st_size > TEXT_LIMIT:
            raise FetchError(f"{path} : {path.stat().st_size} octets, au-delà de la limite de {TEXT_LIMIT} pour une liste")
    else:
        url = url or _newest_resource(territoires_dataset(), settings, network, session)
        result = download(url, settings.raw_dir, network=network, limits=settings.limits, session=session, kind="csv")
        path, name, origin, sha = result.path, Path(urlsplit(url).path).name or "liste.csv", {"url": url}, result.sha256
        txn.adopt(path, settings.raw_dir / f"{sha}.csv")
    entries = read_official(path.read_bytes(), name)  # refused in one line if it is not the list
    target = settings.raw_dir / f"{sha}.csv"
    if file is not None and not target.is_file():
        with path.open("rb") as source, txn.stage(target).open("wb") as copy:
            copy.write(source.read())
    manifest.territoires = {"sha256": sha, "file": f"raw/{sha}.csv", "name": name, "date": official_date(name) or "",
                            "fetched_at": fetched_at, "count": str(len(entries)), **{k: str(v) for k, v in origin.items()}}
    stage_manifest(manifest, txn, __version__)
    return f"Territoires d’industrie : {len(entries)} territoires, {_describe(name, official_date(name), fetched_at)}"


def load_list(data_dir: Path) -> TiList | None:
    """The official list kept in a data folder, checked against its SHA-256; None if none was fetched."""
    manifest = load_manifest(data_dir)
    entry = manifest.territoires
    if not entry:
        return None
    path = data_dir / entry["file"]
    if not path.is_file() or sha256_file(path) != entry["sha256"]:
        raise DataError(f"liste des Territoires d’industrie {path} absente ou modifiée : relancez « fiches fetch --ti-url » ou --ti-from-file")
    entries = read_official(path.read_bytes(), entry["name"])
    return TiList(entries, _describe(entry["name"], entry.get("date") or None, entry.get("fetched_at", "")), True)



