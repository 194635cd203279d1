"""What the customs publish: the archives an open-data page links to, by their file names.

The page is read for every link (`href`, wherever it sits: lists, tables, paragraphs) and every
address written in its text; a link whose file name matches the catalogue's patterns is an annual
archive (`<pubYYYYMM>-Regional-<year>-<flow>.zip`) or the rolling file. The newest year with both
flows is taken, with the year before it (for the change) and the newest rolling file.
"""

from __future__ import annotations

import html.parser
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import requests

from fiches.config import Network, Settings
from fiches.errors import FetchError
from fiches.sources.catalogue import discovery
from fiches.sources.fetch import download

_ADDRESS = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if name in ("href", "data-href", "src") and value:
                self.found.append(value)

    def handle_data(self, data: str) -> None:
        self.found.extend(_ADDRESS.findall(data))


@dataclass(frozen=True)
class Published:
    annual: dict[int, dict[str, tuple[str, str]]]  # year -> flow ("E"/"I") -> (publication YYYYMM, URL)
    rolling: list[str]

    def choice(self) -> tuple[list[str], int | None]:
        """The URLs to fetch (newest complete year, the year before, the newest rolling file) and that year."""
        complete = sorted(year for year, flows in self.annual.items() if set(flows) == {"E", "I"})
        if not complete:
            return list(self.rolling[-1:]), None
        newest = complete[-1]
        urls = [self.annual[newest][flow][1] for flow in ("E", "I")]
        if newest - 1 in self.annual:
            urls += [self.annual[newest - 1][flow][1] for flow in ("E", "I") if flow in self.annual[newest - 1]]
        return urls + self.rolling[-1:], newest


def links(page: str, base: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    seen, result = set(), []
    for link in parser.found:
        absolute = urljoin(base, link.strip())
        if absolute not in seen and urlsplit(absolute).scheme in ("http", "https"):
            seen.add(absolute)
            result.append(absolute)
    return result


def published(page: str, base: str, patterns: dict | None = None) -> Published:
    patterns = patterns or discovery()
    annual_name = re.compile(patterns["annual"], re.IGNORECASE)
    rolling_name = re.compile(patterns["rolling"], re.IGNORECASE)
    annual: dict[int, dict[str, tuple[str, str]]] = {}
    rolling: list[tuple[str, str]] = []
    for link in links(page, base):
        name = PurePosixPath(unquote(urlsplit(link).path)).name
        match = annual_name.search(name)
        if match:
            year, flow = int(match["year"]), "E" if match["flow"].lower() == "export" else "I"
            current = annual.setdefault(year, {}).get(flow)
            if current is None or match["publication"] > current[0]:  # a revision: the newest publication
                annual[year][flow] = (match["publication"], link)
        elif rolling_name.search(name):
            rolling.append((name, link))
    return Published(annual, [link for _, link in sorted(rolling)])


def discover(settings: Settings, page_url: str | None = None, *, network: Network, session: requests.Session | None = None) -> tuple[list[str], int | None]:
    """The archives to fetch, read from the open-data page(s): FetchError when none can be read."""
    patterns = discovery()
    pages = [page_url] if page_url else patterns["pages"]
    failures = []
    for url in pages:
        try:
            fetched = download(url, settings.raw_dir, network=network, limits=settings.limits, session=session, kind="page")
        except FetchError as exc:
            failures.append(str(exc))
            continue
        try:
            text = fetched.path.read_bytes().decode("utf-8", errors="replace")
        finally:
            fetched.path.unlink(missing_ok=True)
        found = published(text, url, patterns)
        urls, year = found.choice()
        if urls:
            return urls, year
        failures.append(f"{url} : aucun lien vers une archive régionale des douanes")
    raise FetchError(" ; ".join(failures) or "aucune page à lire")
