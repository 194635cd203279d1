"""HTML from Jinja templates, PDF from WeasyPrint, and the JSON/XLSX sidecars of a factsheet."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import mimetypes
import os
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from fiches import formatting, replay
from fiches.atomic import atomic_path, os_error_text
from fiches.charts import balance, history, sankey, treemap
from fiches.charts.chart import Chart
from fiches.charts.export import PlotlyExporter, matplotlib_svg
from fiches.config import TEMPLATES_DIR
from fiches.errors import RenderError
from fiches.indicators import Comparison, Factsheet, SankeyModel
from fiches.sharedpages import SharedPages

log = logging.getLogger(__name__)

#: Where a factsheet's HTML pretends to live; the URL fetcher maps it to memory or to TEMPLATES_DIR.
VIRTUAL_ROOT = "file:///fiches-virtual/"
ASSETS = "assets"


def shared_key(comparison: Comparison, kind: str) -> str:
    """Key of a région's or France's Sankey, the same in every factsheet of a run."""
    return f"{comparison.territory.level}-{comparison.territory.code}-{kind}"


def comparison_charts(comparison: Comparison, exporter: PlotlyExporter) -> dict[str, Chart]:
    """The two Sankeys of a région or of France, drawn once per run and shared by its factsheets."""
    suffix = "france" if comparison.territory.level == "france" else "region"
    return {
        shared_key(comparison, kind): sankey_chart(f"{kind}_{suffix}", getattr(comparison, kind), sankey.HEIGHT, exporter)
        for kind in ("exports", "imports")
    }


def sankey_chart(name: str, model: SankeyModel, height: int, exporter: PlotlyExporter) -> Chart:
    """The browser draws the bands; fiches sets the node labels (sankey.labels) as page text."""
    svg = exporter.svg(sankey.build(model, height, annotations=False), sankey.WIDTH, height)
    return Chart.drawn(name, svg, sankey.alt_text(model), sankey.labels(model, height))


def charts_for(fs: Factsheet, exporter: PlotlyExporter, shared: dict[str, Chart] | None = None) -> dict[str, Chart]:
    """Every chart of a factsheet. Région and France Sankeys come from `shared`, drawn there when missing."""
    shared = {} if shared is None else shared
    with balance.style():
        result = {
            "balance": Chart.drawn("balance", matplotlib_svg(balance.build(fs.partners)), balance.alt_text(fs.partners, fs.territory.name)),
        }
    if fs.history:
        with balance.style():
            result["history"] = Chart.drawn("history", matplotlib_svg(history.build(fs.history)), history.alt_text(fs.history, fs.territory.name))
    result["treemap"] = Chart.drawn(
        "treemap",
        exporter.svg(treemap.build(fs.imports.activities, fs.exports.activities), treemap.WIDTH, treemap.HEIGHT),
        treemap.alt_text(fs.imports.activities, fs.exports.activities, fs.territory.name),
    )
    for kind in ("exports", "imports"):
        result[kind] = sankey_chart(kind, getattr(fs, kind).sankey, sankey.MAIN_HEIGHT, exporter)
    for comparison in filter(None, (fs.region, fs.france if fs.territory.level != "france" else None)):
        if shared_key(comparison, "exports") not in shared:
            shared.update(comparison_charts(comparison, exporter))
        for kind in ("exports", "imports"):
            chart = shared[shared_key(comparison, kind)]
            result[chart.name] = chart
    return result


def html(fs: Factsheet, charts: dict[str, Chart], env: jinja2.Environment, assets: str = f"../{ASSETS}") -> str:
    quarters = "; ".join(f"{'export' if f == 'E' else 'import'} {','.join(map(str, q))}" for f, q in fs.provenance.quarters)
    return env.get_template("factsheet.html.j2").render(
        fs=fs, charts=charts, of_name=fs.territory.of_name, assets=assets, quarters_text=quarters
    )


class AssetFetcher:
    """WeasyPrint URL fetcher that serves the project's own assets and this factsheet's charts only."""

    def __init__(self, charts: dict[str, Chart]) -> None:
        self._charts = {f"charts/{c.name}.svg": c.svg.encode("utf-8") for c in charts.values()}

    def resolve(self, url: str) -> tuple[bytes, str]:
        parts = urlsplit(url)
        if parts.scheme != "file" or not url.startswith(VIRTUAL_ROOT):
            raise ValueError(f"ressource externe refusée : {url}")
        relative = unquote(parts.path).removeprefix(urlsplit(VIRTUAL_ROOT).path)
        # The factsheet lives in <root>/<slug>/ and its assets in <root>/assets/.
        slug_part, _, rest = relative.partition("/")
        if slug_part == ASSETS:
            asset = (TEMPLATES_DIR / rest).resolve()
            if TEMPLATES_DIR.resolve() not in asset.parents or not asset.is_file():
                raise ValueError(f"ressource inconnue : {url}")
            return asset.read_bytes(), mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
        if rest in self._charts:
            return self._charts[rest], "image/svg+xml"
        raise ValueError(f"ressource inconnue : {url}")


def _weasy_fetcher(charts: dict[str, Chart]):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    assets = AssetFetcher(charts)

    class Fetcher(URLFetcher):
        def fetch(self, url, headers=None):
            body, mime = assets.resolve(url)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

    return Fetcher(allowed_protocols=("file",), allow_redirects=False)


#: Rules of WeasyPrint's HTML user-agent stylesheet that no factsheet uses, matched as WeasyPrint 70
#: writes them: the footnotes' and notes' pseudo-elements, and `::marker` on any element (a factsheet's
#: only list items are `li`). Being universal, they give every element of a document six
#: pseudo-element styles to compute: 3,300 of a factsheet's 3,800 styles, 5-8 % of its WeasyPrint time.
_UNUSED_UA_RULES = re.compile(r"^::(?:footnote|note)-(?:call|marker|callback) \{[^}]*\}\n", re.MULTILINE)
_UA_MARKER_RULE = "\n::marker {"
#: What would make those rules used again: notes, or list items other than `li`.
_UA_RULES_NEEDED = re.compile(r"footnote|float\s*:\s*note|note-(?:call|marker|callback)|list-item|::marker")


def user_agent_rules(author_css: str) -> str | None:
    """WeasyPrint's HTML user-agent stylesheet without `_UNUSED_UA_RULES` and with `li::marker` for
    `::marker`, for documents styled by `author_css`: None where its rules could be needed (then
    WeasyPrint's own applies), or where WeasyPrint's stylesheet is not the one these rules describe."""
    from weasyprint import html

    if _UA_RULES_NEEDED.search(author_css):
        return None
    trimmed, removed = _UNUSED_UA_RULES.subn("", html.UA)
    if removed != 5 or trimmed.count(_UA_MARKER_RULE) != 1:
        return None
    return trimmed.replace(_UA_MARKER_RULE, "\nli::marker {")


class Stylesheet:
    """The factsheets' stylesheet parsed once per process, with the fonts its @font-face rules load,
    and WeasyPrint's HTML user-agent stylesheet without the rules no factsheet uses.

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
            from weasyprint.css.counters import CounterStyle
            from weasyprint.text.fonts import FontConfiguration

            fonts = FontConfiguration()
            url = f"{VIRTUAL_ROOT}{ASSETS}/style.css"
            text = AssetFetcher({}).resolve(url)[0].decode("utf-8")  # read once, for both uses
            css = weasyprint.CSS(string=text, base_url=url, url_fetcher=_weasy_fetcher({}), font_config=fonts)
            rules = user_agent_rules(text)
            # With counter styles of its own: parsing registers its @counter-style rules there, as
            # WeasyPrint's did in the ones each document copies (the same rules).
            user_agent = None if rules is None else weasyprint.CSS(string=rules, counter_style=CounterStyle())

            class Document(weasyprint.HTML):
                def _ua_stylesheets(self, forms=False):
                    return super()._ua_stylesheets(forms) if forms or user_agent is None else [user_agent]

            self._parsed = {"stylesheets": [css], "font_config": fonts, "document": Document}
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
        """weasyprint.HTML with `user_agent_rules` for its user-agent stylesheet (where not None)."""
        return self._parse()["document"]

    def close(self) -> None:
        if self._parsed is not None:
            self._parsed["font_config"].__del__()  # removes its folder now: a pool's worker leaves through os._exit
            self._parsed = None


def pdf_bytes(document_html: str, slug: str, charts: dict[str, Chart], shared: Iterable[Chart] = (),
              stylesheet: Stylesheet | None = None, pages: SharedPages | None = None) -> bytes:
    """The PDF of a factsheet, the same with or without what a process shares between factsheets:
    the `shared` charts (seen in other factsheets) drawn once (replay.py), the parsed `stylesheet`,
    the `pages` laid out for other factsheets (sharedpages.py; with the stylesheet only)."""
    import weasyprint

    base_url = f"{VIRTUAL_ROOT}{slug}/index.html"
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

    replayed = digests(shared)

    def parse():
        return document_class(string=document_html, base_url=base_url, url_fetcher=_weasy_fetcher(charts))

    if pages is not None and font_config is not None:
        vouched = digests(chart for chart in charts.values() if chart.self_contained)
        document, reused = pages.render(parse, vouched.get, font_config, **options)
        replayed.update(reused)
    else:
        document = parse().render(font_config=font_config, **options)
    with replay.replaying(replayed):
        return document.write_pdf(**options)


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


# -- sidecars ---------------------------------------------------------------------------------


def _sankey_json(model: SankeyModel) -> dict:
    return {
        "territory": model.territory,
        "flow": model.flow,
        "total_eur": model.total,
        "total": formatting.meur(model.total),
        "left": [{"key": n.key, "label": n.label, "value_eur": n.value, "value": formatting.meur(n.value)} for n in model.left],
        "right": [{"key": n.key, "label": n.label, "value_eur": n.value, "value": formatting.meur(n.value)} for n in model.right],
        "links": [
            {"source": model.left[l.source].label, "target": model.right[l.target].label, "value_eur": l.value, "top": l.top}
            for l in model.links
        ],
    }


def sidecar(fs: Factsheet, charts: dict[str, Chart]) -> dict:
    """Every figure the PDF prints, as numbers and as the exact strings printed."""

    def flow(figures) -> dict:
        change = figures.change
        return {
            "total_eur": figures.total,
            "total": formatting.meur(figures.total),
            "region_share_pct": figures.region_share,
            "region_share": formatting.share(figures.region_share, 1) if figures.region_share is not None else None,
            "france_share_pct": figures.france_share,
            "france_share": formatting.share(figures.france_share, 2),
            "change": None if change is None else {
                "previous_year": change.previous_year,
                "previous_eur": change.previous,
                "delta_eur": change.delta,
                "delta": formatting.signed_meur(change.delta),
                "percent": change.percent,
                "percent_text": formatting.signed_percent(change.percent),
            },
            "activities": [
                {"code": a.code, "label": a.label, "value_eur": a.value, "value": formatting.meur(a.value), "share_pct": a.share}
                for a in figures.activities
            ],
            "sankey": _sankey_json(figures.sankey),
        }

    document = {
        "territory": {"level": fs.territory.level, "code": fs.territory.code, "name": fs.territory.name, "slug": fs.territory.slug},
        "year": fs.year,
        "sample": fs.is_sample,
        "exports": flow(fs.exports),
        "imports": flow(fs.imports),
        "balance_eur": fs.balance,
        "balance": formatting.signed_meur(fs.balance),
        "partners": [
            {
                "code": p.code, "label": p.label,
                "exports_eur": p.exports, "imports_eur": p.imports, "balance_eur": p.balance,
                "balance": formatting.signed_meur(p.balance),
            }
            for p in fs.partners
        ],
        "region": None if fs.region is None else {
            "code": fs.region.territory.code, "name": fs.region.territory.name,
            "exports": _sankey_json(fs.region.exports), "imports": _sankey_json(fs.region.imports),
        },
        "france": {"exports": _sankey_json(fs.france.exports), "imports": _sankey_json(fs.france.imports)},
        "members": [asdict(m) for m in fs.members],
        "history": [asdict(h) for h in fs.history],
        "exposure": {"territory": asdict(fs.exposure), "france": asdict(fs.france.exposure)},
        "trends": None if fs.trends is None else {
            "previous_year": fs.trends.previous_year,
            **{
                name: [
                    {"code": t.code, "label": t.label, "value_eur": t.value, "previous_eur": t.previous,
                     "delta_eur": t.delta, "percent": t.percent, "percent_text": formatting.signed_percent(t.percent)}
                    for t in getattr(fs.trends, name)
                ]
                for name in ("export_partners", "import_partners", "export_products", "import_products")
            },
        },
        "territoires_industrie": list(fs.territoires_industrie),
        "charts_alt_text": {name: chart.alt for name, chart in sorted(charts.items())},
        "provenance": {**asdict(fs.provenance), "is_sample": fs.is_sample},
    }
    return document


# The writers below write `path` directly: the caller stages it (atomic.Transaction) so that a
# factsheet's PDF, JSON and XLSX are replaced together or not at all.


def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def write_xlsx(path: Path, fs: Factsheet) -> None:
    # Write-only (streamed) mode: a third of the time of a regular workbook for the same file.
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    moment = datetime.fromisoformat(fs.provenance.build_date).replace(tzinfo=None)
    workbook.properties.created = moment
    workbook.properties.modified = moment
    workbook.properties.creator = f"fiches {fs.provenance.tool_version}"
    workbook.properties.title = f"Commerce extérieur – {fs.territory.name} – {fs.year}"

    def sheet(title: str, header: list[str], rows: list[list]) -> None:
        ws = workbook.create_sheet(title)
        ws.freeze_panes = "A2"
        for index, name in enumerate(header, start=1):
            ws.column_dimensions[get_column_letter(index)].width = max(12, min(48, len(name) + 4))
        cells = []
        for name in header:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        for row in rows:
            ws.append(row)

    note = " (échantillon synthétique, chiffres fictifs)" if fs.is_sample else ""
    sheet("Synthèse", ["Indicateur", "Valeur (€)", "Texte imprimé"], [
        ["Exportations" + note, fs.exports.total, formatting.meur(fs.exports.total)],
        ["Importations" + note, fs.imports.total, formatting.meur(fs.imports.total)],
        ["Solde", fs.balance, formatting.signed_meur(fs.balance)],
        ["Part régionale des exportations (%)", fs.exports.region_share, formatting.share(fs.exports.region_share, 1)],
        ["Part nationale des exportations (%)", fs.exports.france_share, formatting.share(fs.exports.france_share, 2)],
        ["Part régionale des importations (%)", fs.imports.region_share, formatting.share(fs.imports.region_share, 1)],
        ["Part nationale des importations (%)", fs.imports.france_share, formatting.share(fs.imports.france_share, 2)],
    ])
    if fs.members:
        kind = "Départements" if fs.territory.level == "region" else "Régions"
        sheet(kind, ["Code", kind[:-1], "Exportations (€)", "Part des exportations (%)", "Importations (€)", "Part des importations (%)"],
              [[m.code, m.name, m.exports, m.export_share, m.imports, m.import_share] for m in fs.members])
    sheet("Partenaires", ["Code pays", "Pays", "Exportations (€)", "Importations (€)", "Solde (€)"],
          [[p.code, p.label, p.exports, p.imports, p.balance] for p in fs.partners])
    exposure = [
        ("Exportations vers les États-Unis (%)", "exports_us"), ("Exportations vers l'Union européenne (%)", "exports_eu"),
        ("Exportations vers la Chine (%)", "exports_china"), ("Importations venant de Chine (%)", "imports_china"),
        ("Premier client", "top_partner"), ("Part du premier client (%)", "top_partner_share"),
        ("Part des cinq premiers clients (%)", "top5_partners_share"), ("Concentration des clients (HHI)", "partners_hhi"),
        ("Premier produit exporté", "top_product"), ("Part du premier produit (%)", "top_product_share"),
        ("Part des cinq premiers produits (%)", "top5_products_share"), ("Concentration des produits (HHI)", "products_hhi"),
        ("Taux de couverture (%)", "coverage"),
    ]
    sheet("Exposition", ["Indicateur", fs.territory.name, "France"],
          [[label, getattr(fs.exposure, name), getattr(fs.france.exposure, name)] for label, name in exposure])
    if fs.trends is not None:
        previous = fs.trends.previous_year
        sheet("Évolution", ["Liste", "Code", "Libellé", f"Valeur {fs.year} (€)", f"Valeur {previous} (€)", "Écart (€)", "Évolution (%)"],
              [[title, t.code, t.label, t.value, t.previous, t.delta, t.percent]
               for title, items in (("Premiers clients", fs.trends.export_partners), ("Premiers fournisseurs", fs.trends.import_partners),
                                    ("Premiers produits exportés", fs.trends.export_products), ("Premiers produits importés", fs.trends.import_products))
               for t in items])
    sheet("Activités", ["Flux", "Code A129", "Activité", "Valeur (€)", "Part du flux (%)"],
          [[name, a.code, a.label, a.value, round(a.share, 6)]
           for name, figures in (("Exportations", fs.exports), ("Importations", fs.imports)) for a in figures.activities])
    flows = []
    for scope, models in [(fs.territory.name, (fs.exports.sankey, fs.imports.sankey))] + (
        [(fs.region.territory.name, (fs.region.exports, fs.region.imports))] if fs.region else []
    ) + [("France", (fs.france.exports, fs.france.imports))]:
        for model in models:
            for link in model.links:
                flows.append([scope, "Exportations" if model.flow == "E" else "Importations",
                              model.left[link.source].label, model.right[link.target].label, link.value, "oui" if link.top else None])
    sheet("Flux", ["Territoire", "Flux", "Origine", "Destination", "Valeur (€)", "Cinq premiers flux"], flows)
    # Saved in memory first: a full disk then fails one plain write, instead of cutting openpyxl's
    # zip stream half-way (which leaves generators that complain when garbage-collected). Not with
    # Workbook.save, which stamps the clock's time as the workbook's modification date and on
    # every member of the zip: the build date goes everywhere, so the same data and
    # SOURCE_DATE_EPOCH give the same file.
    buffer = io.BytesIO()
    workbook.properties.modified = moment
    with _DatedZip(buffer, moment) as archive:
        ExcelWriter(workbook, archive).save()
    _write_synced(path, buffer.getvalue())


class _DatedZip(zipfile.ZipFile):
    """A zip whose members all carry one date, given, instead of the clock's or a file's."""

    def __init__(self, file: io.BytesIO, moment: datetime) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self.date_time = max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # the zip format starts in 1980

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, self.date_time)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None) -> None:
        """A streamed worksheet's temporary file: its content, under the given date."""
        with open(filename, "rb") as handle:
            self.writestr(arcname or os.path.basename(filename), handle.read(), compress_type, compresslevel)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_pdf(path: Path, data: bytes) -> None:
    try:
        _write_synced(path, data)
    except OSError as exc:
        raise RenderError(f"écriture impossible du PDF : {os_error_text(exc)}") from None
