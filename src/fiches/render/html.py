"""A factsheet's HTML: its model and drawn charts through the Jinja templates."""

from __future__ import annotations

import jinja2

from fiches.charts.chart import Chart
from fiches.model.indicators import Factsheet
from fiches.render.assets import ASSETS


def html(fs: Factsheet, charts: dict[str, Chart], env: jinja2.Environment, assets: str = f"../{ASSETS}") -> str:
    quarters = "; ".join(f"{'export' if f == 'E' else 'import'} {','.join(map(str, q))}" for f, q in fs.provenance.quarters)
    return env.get_template("factsheet.html.j2").render(
        fs=fs, charts=charts, of_name=fs.territory.of_name, assets=assets, quarters_text=quarters
    )
