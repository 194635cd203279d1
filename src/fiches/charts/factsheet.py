"""Every chart of a factsheet, chosen from its model and drawn.

The territory's balance, history, latest quarters, treemap and Sankeys are drawn for each factsheet. A région's and
France's Sankeys are the same in every factsheet compared with them: drawn once per run (by the
first factsheet that needs them, or by a worker for all), then shared under `shared_key`.
"""

from __future__ import annotations

from fiches.charts import balance, history, quarters, sankey, treemap
from fiches.charts.chart import Chart
from fiches.charts.export import PlotlyExporter, matplotlib_svg
from fiches.charts.style import matplotlib_style
from fiches.model.indicators import Comparison, Factsheet, SankeyModel


def shared_key(comparison: Comparison, kind: str) -> str:
    """Key of a région's or France's Sankey, the same in every factsheet of a run."""
    return f"{comparison.territory.level}-{comparison.territory.code}-{kind}"


def comparison_charts(comparison: Comparison, exporter: PlotlyExporter) -> dict[str, Chart]:
    """The two Sankeys of a région or of France, drawn once per run and shared by its factsheets."""
    suffix = "france" if comparison.territory.level == "france" else "region"
    return {
        shared_key(comparison, kind): sankey_chart(f"{kind}_{suffix}", getattr(comparison, kind), sankey.HEIGHT, exporter)
        for kind in ("exports", "imports") if getattr(comparison, kind).links
    }


def sankey_chart(name: str, model: SankeyModel, height: int, exporter: PlotlyExporter) -> Chart:
    """The browser draws the bands; fiches sets the node labels (sankey.labels) as page text."""
    svg = exporter.svg(sankey.build(model, height, annotations=False), sankey.WIDTH, height)
    return Chart.drawn(name, svg, sankey.alt_text(model), sankey.labels(model, height))


def charts_for(fs: Factsheet, exporter: PlotlyExporter, shared: dict[str, Chart] | None = None) -> dict[str, Chart]:
    """Every chart of a factsheet. Région and France Sankeys come from `shared`, drawn there when missing."""
    shared = {} if shared is None else shared
    with matplotlib_style():
        result = {
            "balance": Chart.drawn("balance", matplotlib_svg(balance.build(fs.partners)), balance.alt_text(fs.partners, fs.territory)),
        }
    if fs.history:
        with matplotlib_style():
            result["history"] = Chart.drawn("history", matplotlib_svg(history.build(fs.history)), history.alt_text(fs.history, fs.territory))
    if fs.latest is not None:
        with matplotlib_style():
            result["quarters"] = Chart.drawn("quarters", matplotlib_svg(quarters.build(fs.latest)), quarters.alt_text(fs.latest, fs.territory))
    if fs.imports.activities or fs.exports.activities:
        result["treemap"] = Chart.drawn(
            "treemap",
            exporter.svg(treemap.build(fs.imports.activities, fs.exports.activities), treemap.WIDTH, treemap.HEIGHT),
            treemap.alt_text(fs.imports.activities, fs.exports.activities, fs.territory),
        )
    for kind in ("exports", "imports"):
        model = getattr(fs, kind).sankey
        if model.links:  # a flow with no trade at all gets a sentence instead (templates)
            result[kind] = sankey_chart(kind, model, sankey.MAIN_HEIGHT, exporter)
    for comparison in filter(None, (fs.region, fs.france if fs.territory.level != "france" else None)):
        if shared_key(comparison, "exports") not in shared:
            shared.update(comparison_charts(comparison, exporter))
        for kind in ("exports", "imports"):
            chart = shared.get(shared_key(comparison, kind))
            if chart is not None:
                result[chart.name] = chart
    return result
