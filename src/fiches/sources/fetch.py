"""Download archives: timeouts, retries, conditional requests, verified before anything moves.

This module knows nothing of what the archives hold; `ingest` checks and parses them.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from fiches.atomic import os_error_text, temp_path_for
from fiches.config import USER_AGENT, Limits, Network
from fiches.errors import FetchError

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
RETRY_STATUS = frozenset({500, 502, 503, 504, 429})
MAX_REDIRECTS = 5
CHUNK = 1 << 20
#: A text file fetched (the Territoires d'industrie list, a dataset's description) is at most this big.
TEXT_LIMIT = 64 << 20


@dataclass(frozen=True)
class Download:
    url: str
    path: Path  # a temporary file in the target folder, or the existing file when not modified
    size: int
    sha256: str
    fetched_at: str
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


class _Retryable(Exception):
    pass


class _DeadlineAdapter(HTTPAdapter):
    """Keeps hold of its connections, so that a watchdog can cut them when the deadline passes.

    Timeouts apply to each socket operation: a server that sends a byte every few seconds, in
    its headers or its body, never trips them. Cutting the socket is what bounds the total time.
    """

    def __init__(self) -> None:
        self.live: weakref.WeakSet = weakref.WeakSet()
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        live = self.live

        def tracked(base: type) -> type:
            def connect(conn) -> None:
                live.add(conn)
                base.connect(conn)

            return type(f"Tracked{base.__name__}", (base,), {"connect": connect})

        self.poolmanager.pool_classes_by_scheme = {
            "http": type("TrackedPool", (HTTPConnectionPool,), {"ConnectionCls": tracked(HTTPConnection)}),
            "https": type("TrackedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": tracked(HTTPSConnection)}),
        }

    def cut(self) -> None:
        for conn in list(self.live):
            sock = getattr(conn, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.trust_env = False  # no proxy or netrc surprises: the URL is what gets fetched
    adapter = _DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def download(
    url: str,
    dest_dir: Path,
    *,
    network: Network,
    limits: Limits,
    previous: dict | None = None,
    session: requests.Session | None = None,
    kind: str = "zip",
) -> Download:
    """Fetch `url` into a temporary file in `dest_dir`, retrying what is worth retrying.

    `kind` is what the body must be: "zip" (an archive), "csv" or "json" (small text files, at most
    `TEXT_LIMIT` bytes, never an HTML page).

    `previous` is the manifest entry of the last good download of this URL: when its file is
    still there, the request is conditional and a 304 downloads nothing.
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"URL refusée (seuls http et https sont acceptés) : {url}")
    session = session or new_session()
    started = time.monotonic()
    last_error = ""
    watchdog = _watchdog(session, url, network.deadline)
    try:
        for attempt in range(network.attempts):
            if attempt:
                pause = network.backoff * 2 ** (attempt - 1)
                if time.monotonic() - started + pause > network.deadline:
                    break
                time.sleep(pause)
            try:
                return _attempt(url, dest_dir, network, limits, previous, session, started, kind)
            except _Retryable as exc:
                last_error = str(exc)
            except requests.RequestException as exc:  # an OSError to Python: never a disk's
                raise FetchError(f"{url} : requête impossible ({type(exc).__name__} : {exc})") from None
            if time.monotonic() - started > network.deadline:
                last_error += f" ; abandon au bout de {network.deadline:g} s"
                break
    finally:
        if watchdog is not None:
            watchdog.cancel()
    raise FetchError(f"échec du téléchargement de {url} après {attempt + 1} essai(s) : {last_error}")


def _watchdog(session: requests.Session, url: str, deadline: float) -> threading.Timer | None:
    adapter = session.get_adapter(url)
    if not isinstance(adapter, _DeadlineAdapter):
        return None  # a session from elsewhere: per-operation timeouts only
    timer = threading.Timer(deadline, adapter.cut)
    timer.daemon = True
    timer.start()
    return timer


def _conditional_headers(previous: dict | None, dest_dir: Path) -> dict[str, str]:
    if not previous or not (dest_dir / previous.get("file", "")).is_file():
        return {}
    headers = {}
    if previous.get("etag"):
        headers["If-None-Match"] = previous["etag"]
    if previous.get("last_modified"):
        headers["If-Modified-Since"] = previous["last_modified"]
    return headers


def _get(url: str, session: requests.Session, network: Network, headers: dict[str, str]) -> requests.Response:
    """GET following redirects only within the same scheme and host."""
    origin = urlsplit(url)
    for _ in range(MAX_REDIRECTS + 1):
        response = session.get(
            url,
            headers=headers,
            stream=True,
            allow_redirects=False,
            timeout=(network.connect_timeout, network.read_timeout),
        )
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        target = urljoin(url, response.headers.get("Location", ""))
        response.close()
        parts = urlsplit(target)
        if (parts.scheme, parts.hostname, parts.port) != (origin.scheme, origin.hostname, origin.port):
            raise FetchError(f"redirection refusée de {url} vers un autre hôte ou protocole : {target}")
        url = target
    raise FetchError(f"trop de redirections depuis {origin.geturl()}")


def _attempt(
    url: str,
    dest_dir: Path,
    network: Network,
    limits: Limits,
    previous: dict | None,
    session: requests.Session,
    started: float,
    kind: str = "zip",
) -> Download:
    headers = _conditional_headers(previous, dest_dir)
    try:
        response = _get(url, session, network, headers)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _Retryable(f"connexion impossible ({type(exc).__name__})") from None
    with response:
        if response.status_code == 304 and previous:
            path = dest_dir / previous["file"]
            return Download(
                url, path, previous["size"], previous["sha256"], _now(),
                previous.get("etag"), previous.get("last_modified"), not_modified=True,
            )
        if response.status_code in RETRY_STATUS:
            raise _Retryable(f"le serveur a répondu {response.status_code}")
        if response.status_code != 200:
            raise FetchError(f"{url} : le serveur a répondu {response.status_code} {response.reason} au lieu d'une archive")
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "page" and content_type in ("text/html", "application/xhtml+xml"):
            raise FetchError(
                f"{url} : page HTML reçue ({content_type}) au lieu d'une archive zip ; "
                "le site est peut-être en maintenance, ou l'URL a changé (voir le catalogue)"
            )
        expected = response.headers.get("Content-Length")
        declared = int(expected) if expected and expected.isdigit() else None
        limit = limits.max_download_size if kind == "zip" else TEXT_LIMIT
        if declared is not None and declared > limit:
            raise FetchError(f"{url} : {declared} octets annoncés, au-delà de la limite de {limit}")
        dest_dir.mkdir(parents=True, exist_ok=True)
        temp = temp_path_for(dest_dir / Path(urlsplit(url).path).name)
        try:
            size, digest, head = _stream(response, temp, limit, network, started)
            if declared is not None and size != declared:
                raise _Retryable(f"corps tronqué : {size} octets reçus sur {declared} annoncés")
            if kind == "zip" and not head.startswith(ZIP_MAGIC):
                what = "une page HTML" if head.lstrip().startswith(b"<") else "un fichier qui n'est pas un zip"
                raise FetchError(f"{url} : {what} reçu au lieu d'une archive zip")
            if kind in ("csv", "json") and head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
                raise FetchError(f"{url} : une page HTML reçue au lieu d'un fichier {kind.upper()}")
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return Download(
            url, temp, size, digest, _now(), response.headers.get("ETag"), response.headers.get("Last-Modified")
        )


def _body(response: requests.Response, network: Network, started: float):
    """The body as it arrives, one read at a time, so that the deadline is checked between reads
    even when the server drips bytes too slowly for the read timeout to fire."""
    while True:
        if time.monotonic() - started > network.deadline:
            raise FetchError(f"téléchargement interrompu : plus de {network.deadline:g} s")
        try:
            chunk = response.raw.read1(CHUNK, decode_content=True)
        except (urllib3.exceptions.HTTPError, requests.RequestException) as exc:
            if time.monotonic() - started > network.deadline:
                raise FetchError(f"téléchargement interrompu : plus de {network.deadline:g} s") from None
            raise _Retryable(f"connexion coupée pendant le transfert ({type(exc).__name__})") from None
        if not chunk:
            return
        yield chunk


def _stream(response: requests.Response, temp: Path, limit: int, network: Network, started: float) -> tuple[int, str, bytes]:
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with temp.open("wb") as handle:
            for chunk in _body(response, network, started):
                if not head:
                    head = chunk[:8]
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"téléchargement interrompu : plus de {limit} octets")
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:  # the network's errors were handled in _body: this is the disk
        raise FetchError(f"écriture impossible dans {temp.parent} : {os_error_text(exc)}") from None
    return size, digest.hexdigest(), head
