"""fiches's plotly.js bundle (templates/plotly, built by tools/plotly-bundle): pinned, complete, and
drawing exactly what the full plotly.js of the same version draws."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fiches.charts import balance_interactive, export, sankey, treemap
from fiches.charts.export import PlotlyExporter, find_browser
from fiches.errors import RenderError
from fiches.model.indicators import Comparisons, TradeYear, factsheet, provenance
from fiches.reference.geography import FRANCE, departement
from fiches.render import assets

TOOLS = Path(__file__).resolve().parents[1] / "tools" / "plotly-bundle"
TRACES = ("bar", "sankey", "treemap")


def test_bundle_is_the_pinned_plotly_js():
    pinned = json.loads((TOOLS / "package.json").read_text())["devDependencies"]["plotly.js"]
    assert assets.plotly_js_version() == pinned
    locked = json.loads((TOOLS / "package-lock.json").read_text())["packages"]["node_modules/plotly.js"]["version"]
    assert locked == pinned


def test_bundle_holds_the_traces_fiches_draws_and_no_other():
    code = assets.PLOTLY_JS.read_text(encoding="utf-8")
    registered = set(re.findall(r'moduleType:"trace",name:"(\w+)"', code))
    assert registered == {*TRACES, "scatter"}  # plotly.js's core always registers scatter
    assert f"(traces: {', '.join(TRACES)})" in code.splitlines()[0]
    assert assets.PLOTLY_JS.stat().st_size < 2_000_000  # the full bundle is 4.8 MB


def test_third_party_notices_ship_with_the_bundle():
    notices = (assets.PLOTLY_JS.parent / "plotly-THIRD-PARTY.txt").read_text(encoding="utf-8")
    assert f"plotly.js {assets.plotly_js_version()} (MIT)" in notices
    assert "d3-hierarchy" in notices and "Redistribution and use in source and binary forms" in notices
    assert "plotly-THIRD-PARTY.txt" in assets.SHARED_ASSETS
    assert "plotly-THIRD-PARTY.txt" in assets.PLOTLY_JS.read_text(encoding="utf-8").splitlines()[0]


def _full_plotly_js() -> tuple[Path, str]:
    import plotly
    from plotly.offline import get_plotlyjs_version

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js", get_plotlyjs_version()


def _browser_available() -> bool:
    try:
        find_browser()
    except RenderError:
        return False
    return True


def _figures(sample_settings) -> list[tuple[dict, int, int]]:
    """Every kind of plotly figure fiches draws, for a large département, a small one and France."""
    from fiches.sources.selection import select

    selected = select(sample_settings, "sample", None)
    trade = TradeYear(selected.current, selected.previous)
    comparisons = Comparisons(trade)
    figures = []
    for territory in (departement("59"), departement("48"), FRANCE):
        fs = factsheet(trade, territory, provenance(trade, "t", "2026-01-01T00:00:00+00:00"), comparisons)
        figures += [
            (treemap.build(fs.imports.activities, fs.exports.activities), treemap.WIDTH, treemap.HEIGHT),
            (treemap.build(fs.imports.activities, fs.exports.activities, interactive=True), treemap.WIDTH, treemap.HEIGHT),
            (sankey.build(fs.exports.sankey, sankey.MAIN_HEIGHT, annotations=False), sankey.WIDTH, sankey.MAIN_HEIGHT),
            (sankey.build(fs.imports.sankey, sankey.HEIGHT, interactive=True), sankey.WIDTH, sankey.HEIGHT),
            (balance_interactive.build(fs.partners), 760, 420),
        ]
    return figures


def _draw(figures, plotly_js: Path = assets.PLOTLY_JS) -> list[str]:
    with PlotlyExporter(plotly_js) as exporter:
        return [exporter.svg(figure, width, height) for figure, width, height in figures]


@pytest.mark.slow
@pytest.mark.skipif(not _browser_available(), reason="Chromium absent")
def test_bundle_draws_the_same_svg_as_the_full_plotly_js(sample_settings):
    full, version = _full_plotly_js()
    if version != assets.plotly_js_version():
        pytest.skip(f"plotly.py ships plotly.js {version}, the bundle is {assets.plotly_js_version()}: nothing to compare with")
    figures = _figures(sample_settings)
    with_bundle, with_full = _draw(figures), _draw(figures, full)
    assert [len(svg) > 2000 for svg in with_bundle] == [True] * len(figures)
    for index, (ours, theirs) in enumerate(zip(with_bundle, with_full)):
        assert _stable_ids(ours) == _stable_ids(theirs), f"figure {index} differs"


@pytest.mark.slow
@pytest.mark.skipif(not _browser_available(), reason="Chromium absent")
def test_the_page_style_that_spares_layout_changes_nothing_drawn(sample_settings, monkeypatch):
    """PAGE_STYLE keeps the browser from laying out the figures being drawn: the same SVG, faster."""
    figures = _figures(sample_settings)
    spared = _draw(figures)
    monkeypatch.setattr(export, "PAGE_STYLE", "")
    laid_out = _draw(figures)
    for index, (ours, theirs) in enumerate(zip(spared, laid_out)):
        assert _stable_ids(ours) == _stable_ids(theirs), f"figure {index} differs"
    assert re.search(r"<(\w+:)?text\b", "".join(laid_out))  # the treemaps' measured texts were compared


def _stable_ids(svg: str) -> str:
    """The SVG with the random id plotly.js gives each cartesian plot (its clip paths) numbered instead."""
    uids: dict[str, str] = {}
    return re.sub(r"\b(defs-|clip)([0-9a-f]{6})", lambda m: m[1] + uids.setdefault(m[2], f"uid{len(uids)}"), svg)
