"""The interactive companion of a factsheet: one HTML page with the same figures and plotly charts.

The page loads nothing from the network. plotly.js, the page script, its stylesheet and the Lato
font are shipped once per year folder, in `assets/` (`fiches.render.assets.write_plotly_js`), and every page refers to
them by relative URL. The figures travel as JSON in a `<script type="application/json">` block,
which the shared script draws: the page holds no inline script and its Content-Security-Policy
allows scripts from its own origin only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import plotly.io
from markupsafe import Markup

from fiches.charts import balance, balance_interactive, sankey, treemap
from fiches.charts.style import FONT_FAMILY, TEXT
from fiches.model import formatting
from fiches.model.indicators import Factsheet, SankeyModel
from fiches.render.edition import Edition
from fiches.render.edition import load as load_edition
from fiches.render.html import context
from fiches.render.templating import environment

#: Lato when the page's font has loaded, otherwise the reader's system sans-serif.
WEB_FONTS = f"{FONT_FAMILY}, Segoe UI, system-ui, -apple-system, Helvetica Neue, Arial, sans-serif"
#: Nothing but the page's own files. Plotly sets inline styles on its SVG (hence 'unsafe-inline'
#: for styles only) and its "download as PNG" button draws through data: and blob: images.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; base-uri 'none'; form-action 'none'"
)
#: Charts fit their column; the mode bar offers only "download as PNG".
PLOTLY_CONFIG = {"responsive": True, "displaylogo": False, "modeBarButtons": [["toImage"]]}


# -- the page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plot:
    """One chart of the page: where it goes, what it shows, and its text alternative."""

    name: str
    kind: str  # "bar" | "treemap" | "sankey"
    caption: str  # "" when the section's title says it
    alt: str


def _for_the_web(figure: dict, filename: str) -> dict:
    """The builders' figure, resized by the browser, in the page's fonts, with readable tooltips."""
    layout = dict(figure["layout"])
    layout.pop("width", None)
    layout["autosize"] = True
    layout["font"] = {**layout.get("font", {}), "family": WEB_FONTS}
    layout["hoverlabel"] = {
        "bgcolor": "white",
        "bordercolor": "#5f6368",
        "align": "left",
        "font": {"family": WEB_FONTS, "size": 13, "color": TEXT},
    }
    config = {**PLOTLY_CONFIG, "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}
    return {"data": figure["data"], "layout": layout, "config": config}


def _sankey_plots(fs: Factsheet) -> list[tuple[Plot, SankeyModel, int]]:
    """The territory's two Sankeys (taller, as in the PDF), each followed by its région's and France's."""
    plots = []
    for kind in ("exports", "imports"):
        model = getattr(fs, kind).sankey
        caption = f"{fs.territory.name} — {formatting.meur(model.total)}"
        plots.append((Plot(kind, "sankey", caption, sankey.alt_text(model)), model, sankey.MAIN_HEIGHT))
        if fs.region is not None:
            model = getattr(fs.region, kind)
            caption = f"Région {fs.region.territory.name} — {formatting.meur(model.total)}"
            plots.append((Plot(f"{kind}_region", "sankey", caption, sankey.alt_text(model)), model, sankey.HEIGHT))
        if fs.territory.level != "france":  # France is not compared with itself
            model = getattr(fs.france, kind)
            caption = f"France — {formatting.meur(model.total)}"
            plots.append((Plot(f"{kind}_france", "sankey", caption, sankey.alt_text(model)), model, sankey.HEIGHT))
    return plots


def figures(fs: Factsheet) -> tuple[dict[str, Plot], dict[str, dict]]:
    """Every chart of the page, described and as plotly figures (plain dicts), by name."""
    plots = {
        "balance": Plot("balance", "bar", "", balance.alt_text(fs.partners, fs.territory)),
        "treemap": Plot(
            "treemap", "treemap", "",
            treemap.alt_text(fs.imports.activities, fs.exports.activities, fs.territory),
        ),
    }
    stem = f"{fs.territory.slug}-{fs.provenance.file_tag}"
    drawn = {
        "balance": _for_the_web(balance_interactive.build(fs.partners), f"{stem}-solde"),
        "treemap": _for_the_web(
            treemap.build(fs.imports.activities, fs.exports.activities, interactive=True), f"{stem}-activites"
        ),
    }
    if not (fs.imports.activities or fs.exports.activities):
        del plots["treemap"], drawn["treemap"]
    for plot, model, height in _sankey_plots(fs):
        if not model.links:  # no trade in this flow: the page says so instead
            continue
        plots[plot.name] = plot
        figure = sankey.build(model, height, interactive=True)
        drawn[plot.name] = _for_the_web(figure, f"{stem}-{plot.name.replace('_', '-')}")
    for name, plot in plots.items():
        drawn[name]["kind"] = plot.kind
    return plots, drawn


def script_json(document: dict) -> Markup:
    """JSON safe inside a <script> element: plotly.io escapes "<", ">" and "/", so no label can close it."""
    return Markup(plotly.io.to_json(document, validate=False, pretty=False))


@functools.cache
def _environment():
    """One Jinja environment per process: its templates are compiled once for every page."""
    return environment()


def page_html(fs: Factsheet, plotly_js_href: str, edition: Edition | None = None) -> str:
    if "//" in plotly_js_href or ":" in plotly_js_href.split("/", 1)[0]:
        raise ValueError(f"plotly.js doit être servi par une URL relative, pas {plotly_js_href!r}")
    assets = plotly_js_href.rsplit("/", 1)[0] if "/" in plotly_js_href else "."
    plots, drawn = figures(fs)
    return _environment().get_template("interactive.html.j2").render(
        **context(fs, edition or load_edition()),
        plots=plots,
        figures_json=script_json(drawn),
        plotly_js=plotly_js_href,
        assets=assets,
        csp=CSP,
    )


def write_page(path: Path, fs: Factsheet, plotly_js_href: str, edition: Edition | None = None) -> None:
    """Write the interactive page of a factsheet to `path` (plainly: the caller makes it atomic)."""
    path.write_text(page_html(fs, plotly_js_href, edition), encoding="utf-8")
