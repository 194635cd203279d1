"""A factsheet's PDF, from its HTML, by WeasyPrint: tagged PDF/UA-1, the project's own assets only.

WeasyPrint's URL fetcher serves the project's stylesheet and fonts and the factsheet's charts, and
refuses anything else. A process that writes many factsheets parses the stylesheet once
(`Stylesheet`) and lets the accelerations of `fiches.render.accel` share what is the same from one
factsheet to the next; the PDF is the same byte for byte with or without them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mimetypes
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from fiches import errors
from fiches.atomic import atomic_path, os_error_text, write_synced
from fiches.charts.chart import Chart
from fiches.config import TEMPLATES_DIR
from fiches.errors import RenderError
from fiches.render import accel
from fiches.render.accel import replay, useragent
from fiches.render.accel.sharedpages import SharedPages
from fiches.render.assets import ASSETS

#: Where a factsheet's HTML pretends to live; the URL fetcher maps it to memory or to TEMPLATES_DIR.
VIRTUAL_ROOT = "file:///fiches-virtual/"

class AssetFetcher:
    """WeasyPrint URL fetcher that serves the project's own assets and this factsheet's charts only."""

    def __init__(self, charts: dict[str, Chart], extra: dict[str, tuple[bytes, str]] | None = None) -> None:
        self._charts = {f"charts/{c.name}.svg": c.svg.encode("utf-8") for c in charts.values()}
        self._extra = extra or {}  # assets/<name> -> (bytes, type): an edition's logo

    def resolve(self, url: str) -> tuple[bytes, str]:
        parts = urlsplit(url)
        if parts.scheme != "file" or not url.startswith(VIRTUAL_ROOT):
            raise ValueError(f"ressource externe refusée : {url}")
        relative = unquote(parts.path).removeprefix(urlsplit(VIRTUAL_ROOT).path)
        # The factsheet lives in <root>/<slug>/ and its assets in <root>/assets/.
        slug_part, _, rest = relative.partition("/")
        if slug_part == ASSETS and rest in self._extra:
            return self._extra[rest]
        if slug_part == ASSETS:
            asset = (TEMPLATES_DIR / rest).resolve()
            if TEMPLATES_DIR.resolve() not in asset.parents or not asset.is_file():
                raise ValueError(f"ressource inconnue : {url}")
            return asset.read_bytes(), mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
        if rest in self._charts:
            return self._charts[rest], "image/svg+xml"
        raise ValueError(f"ressource inconnue : {url}")


def _weasy_fetcher(charts: dict[str, Chart], extra: dict[str, tuple[bytes, str]] | None = None):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    assets = AssetFetcher(charts, extra)

    class Fetcher(URLFetcher):
        def fetch(self, url, headers=None):
            body, mime = assets.resolve(url)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

    return Fetcher(allowed_protocols=("file",), allow_redirects=False)


#: Rules of WeasyPrint's HTML user-agent stylesheet that no factsheet uses, matched as WeasyPrint 70
#: writes them: the footnotes' and notes' pseudo-elements, and `::marker` on any element (a factsheet's
#: only list items are `li`). Being universal, they give every element of a document six

class Stylesheet:
    """The factsheets' stylesheet parsed once per process, with the fonts its @font-face rules load
    (and, accelerated, the user-agent stylesheet of `accel.useragent`).

    WeasyPrint would otherwise parse the stylesheet and load the four fonts again for every document
    (about 35 ms). The fonts live in a temporary folder of WeasyPrint's until `close`.
    """

    #: How the factsheet template links it (base.html.j2); WeasyPrint is given it parsed instead.
    LINK = f'<link rel="stylesheet" href="../{ASSETS}/style.css">'

    def __init__(self) -> None:
        self._parsed = None

    def _parse(self) -> dict:
        if self._parsed is None:
            import weasyprint
            from weasyprint.text.fonts import FontConfiguration

            fonts = FontConfiguration()
            url = f"{VIRTUAL_ROOT}{ASSETS}/style.css"
            text = AssetFetcher({}).resolve(url)[0].decode("utf-8")  # read once, for both uses
            css = weasyprint.CSS(string=text, base_url=url, url_fetcher=_weasy_fetcher({}), font_config=fonts)
            rules = useragent.user_agent_rules(text) if accel.enabled("user_agent") else None
            document = weasyprint.HTML if rules is None else useragent.document_class(rules)
            self._parsed = {"stylesheets": [css], "font_config": fonts, "document": document}
        return self._parsed

    @property
    def stylesheets(self) -> list:
        """WeasyPrint's `stylesheets` option for a document whose LINK was removed."""
        return self._parse()["stylesheets"]

    @property
    def font_config(self):
        """The fonts the stylesheet loaded, for the documents that use it."""
        return self._parse()["font_config"]

    @property
    def document(self) -> type:
        """The document class: weasyprint.HTML, or the one of `accel.useragent`."""
        return self._parse()["document"]

    def close(self) -> None:
        if self._parsed is not None:
            self._parsed["font_config"].__del__()  # removes its folder now: a pool's worker leaves through os._exit
            self._parsed = None


def pdf_bytes(document_html: str, slug: str, charts: dict[str, Chart], shared: Iterable[Chart] = (),
              stylesheet: Stylesheet | None = None, pages: SharedPages | None = None,
              extra_assets: dict[str, tuple[bytes, str]] | None = None, relative_links: bool = False) -> bytes:
    """The PDF of a factsheet, the same with or without what a process shares between factsheets:
    the `shared` charts (seen in other factsheets) drawn once (accel.replay), the parsed `stylesheet`,
    the `pages` laid out for other factsheets (accel.sharedpages; with the stylesheet only)."""
    import weasyprint

    # Links to other files of the year folder stay relative when asked (a dossier's to its départements'
    # factsheets): with no base, WeasyPrint keeps them as written; the stylesheet then comes parsed.
    base_url = None if relative_links and stylesheet is not None else f"{VIRTUAL_ROOT}{slug}/index.html"
    options = {"pdf_variant": "pdf/ua-1", "custom_metadata": True,
               "pdf_identifier": hashlib.sha256(document_html.encode("utf-8")).hexdigest()[:32].encode()}
    font_config, document_class = None, weasyprint.HTML
    if stylesheet is not None and Stylesheet.LINK in document_html:
        document_html = document_html.replace(Stylesheet.LINK, "", 1)
        font_config, options["stylesheets"] = stylesheet.font_config, stylesheet.stylesheets
        document_class = stylesheet.document

    def digests(shown: Iterable[Chart]) -> dict[str, str]:
        """The charts' URLs in this document (as WeasyPrint resolves their `src`) -> their SVG's digest."""
        return {f"{VIRTUAL_ROOT}{slug}/{chart.src}": chart.digest for chart in shown}

    def parse():
        return document_class(string=document_html, base_url=base_url, url_fetcher=_weasy_fetcher(charts, extra_assets))

    with _drawn_whole():
        if not accel.enabled("replay"):
            return parse().render(font_config=font_config, **options).write_pdf(**options)
        replayed = digests(shared)
        if pages is not None and font_config is not None and accel.enabled("shared_pages"):
            vouched = digests(chart for chart in charts.values() if chart.self_contained)
            document, reused = pages.render(parse, vouched.get, font_config, **options)
            replayed.update(reused)
        else:
            document = parse().render(font_config=font_config, **options)
        with replay.replaying(replayed):
            return document.write_pdf(**options)


class _Errors(logging.Handler):
    """Collects the errors WeasyPrint logs instead of raising them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _drawn_whole() -> Iterator[None]:
    """Fail where WeasyPrint would only log: an image it could not load or an SVG it could not draw
    leaves a page with a hole, which must never be written as a factsheet."""
    logger = logging.getLogger("weasyprint")
    handler = _Errors()
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    errors.raise_if_interrupted()  # a Ctrl-C or SIGTERM WeasyPrint caught while drawing an SVG
    if handler.messages:
        raise RenderError(f"PDF incomplet, WeasyPrint signale : {handler.messages[0]}")


def write_pdf(path: Path, data: bytes) -> None:
    try:
        write_synced(path, data)
    except OSError as exc:
        raise RenderError(f"écriture impossible du PDF : {os_error_text(exc)}") from None


def keep_html(out_dir: Path, slug: str, document_html: str, charts: dict[str, Chart]) -> Path:
    """Write the final HTML and its assets so that WeasyPrint alone renders the same PDF."""
    root = out_dir / "_html"
    assets = root / ASSETS
    for path in [TEMPLATES_DIR / "style.css", *sorted((TEMPLATES_DIR / "fonts").iterdir())]:
        target = assets / path.relative_to(TEMPLATES_DIR)
        if not target.is_file() or target.stat().st_size != path.stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as temp:
                shutil.copyfile(path, temp)
    folder = root / slug
    for chart in charts.values():
        target = folder / chart.src
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as temp:
            temp.write_text(chart.svg, encoding="utf-8")
    page = folder / "index.html"
    with atomic_path(page) as temp:
        temp.write_text(document_html, encoding="utf-8")
    return page


