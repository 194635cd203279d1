"""A factsheet's HTML: its model and drawn charts through the Jinja templates."""

from __future__ import annotations

import jinja2

from fiches.charts.chart import Chart
from fiches.model.indicators import Factsheet
from fiches.render.assets import ASSETS
from fiches.render.edition import Edition, words
from fiches.sources.store import quarters_text


def context(fs: Factsheet, edition: Edition) -> dict:
    """What every page about a factsheet is rendered with (the PDF's HTML, the interactive page)."""
    quarters = " ; ".join(f"{'exportations' if f == 'E' else 'importations'} {quarters_text(q)}" for f, q in fs.provenance.quarters)
    return {"fs": fs, "of_name": fs.territory.of_name, "quarters_text": quarters, "edition": edition.data,
            "words": words(fs.territory, fs.period)}


def html(fs: Factsheet, charts: dict[str, Chart], env: jinja2.Environment, edition: Edition, assets: str = f"../{ASSETS}") -> str:
    logo = f"{assets}/edition-logo{edition.logo.suffix}" if edition.logo else None
    return env.get_template("factsheet.html.j2").render(**context(fs, edition), charts=charts, assets=assets, edition_logo=logo)
