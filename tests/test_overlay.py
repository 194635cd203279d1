"""Chart labels lifted out of the SVG: the right text, at the right place, and only when exact."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from fiches.charts import balance, overlay
from fiches.charts.export import matplotlib_svg
from fiches.model.indicators import Partner

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="760" height="400" viewBox="0 0 760 400">{}</svg>'

#: plotly's wrapped treemap label: a scaled text, one tspan per line, bold runs nested.
TREEMAP_TEXT = (
    '<g transform="translate(10,20)"><text text-anchor="middle" x="0" y="0" transform="translate(130,97)scale(0.8)"'
    ' font-family="Lato" font-size="11px" fill="rgb(255, 255, 255)">'
    '<tspan dy="0em" x="0" y="0"><tspan font-weight="bold">Farines et</tspan></tspan>'
    '<tspan dy="1.3em" x="0" y="0"><tspan font-weight="bold">amidons</tspan></tspan>'
    '<tspan dy="2.6em" x="0" y="0">201,0 M€ · 27,3 %</tspan></text></g>'
)


def test_a_wrapped_plotly_label_becomes_one_block_of_lines():
    lifted = overlay.lift(SVG.format(TREEMAP_TEXT))
    assert "<text" not in lifted.svg and "tspan" not in lifted.svg
    (label,) = lifted.labels
    assert (label.x, label.y) == pytest.approx((140, 117))
    assert label.size == pytest.approx(8.8)
    assert label.leading == pytest.approx(1.3)
    assert (label.anchor, label.colour, label.bold) == ("middle", "#ffffff", False)
    assert label.lines == (
        (overlay.Run("Farines et", True),),
        (overlay.Run("amidons", True),),
        (overlay.Run("201,0 M€ · 27,3 %", False),),
    )
    assert lifted.width == 760 and lifted.height == 400


def test_a_label_on_the_page_has_one_element_per_change_of_weight():
    """Lines are joined by newlines (kept by white-space: pre), runs of one weight merged across
    them: the bold name over two lines is one <b>, and no <br>."""
    page = overlay.html(overlay.lift(SVG.format(TREEMAP_TEXT)))
    body = re.fullmatch(r'<span class="cl cl-m" style="[^"]+">(.*)</span>', page, re.S).group(1)
    assert body == "<b>Farines et\namidons\n</b>201,0 M€ · 27,3 %"
    label = overlay.Label(0, 10, 10, "start", "#1d1d1f", True, False,
                          ((), (overlay.Run("gras", True), overlay.Run(" maigre", False)), (), (overlay.Run("fin", True),)))
    body = re.fullmatch(r'<span class="cl cl-b" style="[^"]+">(.*)</span>', overlay.html(overlay.Lifted("", 100, 100, (label,))), re.S).group(1)
    assert body == '\ngras<span class="cl-n"> maigre\n\n</span>fin'  # empty lines kept


def test_anchors_styles_and_inherited_colours():
    svg = SVG.format(
        '<g fill="#6a3d9a" font-size="9" font-weight="700"><text x="403.2" y="15.9" text-anchor="end">Exportations →</text></g>'
        '<text style="font-size: 7.5px; font-family: \'Lato\'; text-anchor: middle; fill: #1d1d1f" x="112.2" y="234.7"'
        ' transform="rotate(-0 112.2 234.7)">300 M€</text>'
        '<text x="5" y="6" font-style="italic" fill="black">  deux   espaces  </text>'
    )
    exports, tick, note = overlay.lift(svg).labels
    assert (exports.anchor, exports.colour, exports.bold, exports.size, exports.text) == ("end", "#6a3d9a", True, 9, "Exportations →")
    assert (tick.x, tick.y, tick.anchor, tick.size, tick.text) == (pytest.approx(112.2), pytest.approx(234.7), "middle", 7.5, "300 M€")
    assert note.italic and note.text == "deux espaces" and note.colour == "#000000"


@pytest.mark.parametrize(
    "text",
    [
        '<text x="1" y="2" transform="rotate(-90)">tourné</text>',
        '<text x="1" y="2" transform="skewX(10)">penché</text>',
        '<text x="1" y="2" transform="scale(1,2)">étiré</text>',
        '<text x="1 2 3" y="2">lettre à lettre</text>',
        '<text x="1" y="2" fill-opacity="0.5">translucide</text>',
        '<text x="1" y="2" fill="rgba(0,0,0,0.4)">translucide</text>',
        '<text x="1" y="2" fill="url(#dégradé)">motif</text>',
        '<text x="1" y="2" textLength="80">étiré</text>',
        '<text x="1" y="2" letter-spacing="2">espacé</text>',
        '<text x="1" y="2" dominant-baseline="central">centré</text>',
        '<text x="1" y="2" clip-path="url(#c)">découpé</text>',
        '<g clip-path="url(#c)"><text x="1" y="2">découpé</text></g>',
        '<g opacity="0.5"><text x="1" y="2">translucide</text></g>',
        '<text x="1" y="2">a<tspan font-size="20">grand</tspan></text>',
        '<text x="1" y="2">a<tspan dy="1em">suite sans abscisse</tspan></text>',
        '<text x="1" y="2" direction="rtl">שלום</text>',
        '<text x="1" y="2" font-size="2em">relatif</text>',
    ],
)
def test_what_the_page_cannot_draw_exactly_stays_in_the_svg(text):
    lifted = overlay.lift(SVG.format(text))
    assert lifted.labels == ()
    assert "<text" in lifted.svg or ":text" in lifted.svg


def test_hidden_texts_are_left_alone():
    lifted = overlay.lift(SVG.format('<g display="none"><text x="1" y="2">caché</text></g><text x="1" y="2" visibility="hidden">caché</text>'))
    assert lifted.labels == () and lifted.svg.count("caché") == 2


def test_markup_in_labels_is_escaped_on_the_page():
    lifted = overlay.lift(SVG.format('<text x="1" y="2">&lt;script&gt;alert(1)&lt;/script&gt; &amp; {{ 7*7 }}</text>'))
    page = overlay.html(lifted)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; {{ 7*7 }}" in page


def test_transforms_compose_like_svg():
    m = overlay.parse_transform("translate(10, 20) scale(2) rotate(0 5 5) matrix(1 0 0 1 3 4)")
    assert overlay._apply(m, 1, 1) == pytest.approx((10 + 2 * 4, 20 + 2 * 5))
    with pytest.raises(overlay.Unliftable):
        overlay.parse_transform("translate(1,2) bogus")


def test_the_ascent_follows_the_font_metrics_pango_uses():
    # Lato sets USE_TYPO_METRICS: typographic ascender 1610 and descender 390 of 2000 units.
    assert overlay.ascent() == pytest.approx(0.805)


# -- on the page: the lifted labels land where WeasyPrint draws the SVG's own text ----------------


def _page(body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>t</title>'
        '<link rel="stylesheet" href="../assets/style.css"></head><body>'
        f'<figure class="chart">{body}</figure></body></html>'
    )


def _words(pdf: bytes, tmp_path) -> dict[str, tuple[float, float, float, float]]:
    path = tmp_path / "words.pdf"
    path.write_bytes(pdf)
    layout = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    words: dict[str, tuple[float, float, float, float]] = {}
    for x0, y0, x1, y1, word in re.findall(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>', layout):
        words.setdefault(word, (float(x0), float(y0), float(x1), float(y1)))
    return words


def test_lifted_labels_are_drawn_where_the_svg_draws_them(tmp_path):
    from fiches.charts.chart import Chart
    from fiches.render import pdf

    texts = (
        TREEMAP_TEXT
        + '<text x="40" y="300" font-family="Lato" font-size="10.5px" fill="rgb(29, 29, 31)">Départ</text>'
        + '<g transform="translate(200,50)"><text text-anchor="middle" x="88.7" y="11" font-family="Lato" font-size="10.5px"'
        ' fill="rgb(29, 29, 31)">Milieu · 192,3 M€</text></g>'
        + '<text text-anchor="end" x="700" y="380" font-family="Lato" font-size="14px" font-weight="bold" fill="#c0262d">Fin</text>'
    )
    svg = SVG.format(texts)
    drawn = Chart("c", svg, "graphique")  # the SVG draws its own text
    lifted = Chart.drawn("c", svg, "graphique")  # the page draws it
    assert "<text" not in lifted.svg and lifted.labels_html.count('class="cl') == 4
    in_svg = _words(pdf.pdf_bytes(_page(f'<div class="chart-canvas"><img src="{drawn.src}" alt="g"></div>'), "t", {"c": drawn}), tmp_path)
    on_page = _words(pdf.pdf_bytes(_page(f'<div class="chart-canvas"><img src="{lifted.src}" alt="g">{lifted.labels}</div>'), "t", {"c": lifted}), tmp_path)
    words = ["Farines", "amidons", "201,0", "Départ", "Milieu", "192,3", "Fin"]
    assert set(words) <= set(in_svg) and set(words) <= set(on_page)
    for word in words:
        # Same box within a quarter of a point, the page's kerning aside (a letter-by-letter SVG
        # text has none): left or right edge per anchor, and both vertical edges.
        assert on_page[word][1] == pytest.approx(in_svg[word][1], abs=0.25), word
        assert on_page[word][3] == pytest.approx(in_svg[word][3], abs=0.25), word
        centre = lambda box: (box[0] + box[2]) / 2  # noqa: E731
        assert centre(on_page[word]) == pytest.approx(centre(in_svg[word]), abs=0.6), word


def test_the_balance_chart_loses_every_label_to_the_page():
    svg = matplotlib_svg(balance.build((Partner("DE", "Allemagne", 30_000_000, 12_000_000), Partner("US", "États-Unis", 8_000_000, 20_000_000))))
    lifted = overlay.lift(svg)
    assert ">Allemagne<" not in lifted.svg and "Allemagne" in {label.text for label in lifted.labels}
    assert not re.search(r"<(\w+:)?text\b", lifted.svg)


@pytest.mark.slow
def test_sankey_labels_set_by_fiches_sit_where_plotly_puts_them(sample_settings, tmp_path):
    """The PDF's Sankeys leave their labels out of the figure; fiches places them. Same place as
    the plotly annotations they replace, to within plotly's own rounding to whole pixels."""
    from fiches.charts import factsheet as chartsheet
    from fiches.charts import sankey
    from fiches.charts.chart import Chart
    from fiches.charts.export import PlotlyExporter
    from fiches.model.indicators import Comparisons, TradeYear, factsheet, provenance
    from fiches.reference.geography import departement
    from fiches.render import pdf
    from fiches.sources.selection import select

    selected = select(sample_settings, "sample", None)
    trade = TradeYear(selected.current, selected.previous)
    fs = factsheet(trade, departement("12"), provenance(trade, "t", "2026-01-01T00:00:00+00:00"), Comparisons(trade))
    model, height = fs.exports.sankey, sankey.MAIN_HEIGHT
    with PlotlyExporter() as exporter:
        by_plotly = Chart.drawn("a", exporter.svg(sankey.build(model, height), sankey.WIDTH, height), "g")
        by_fiches = chartsheet.sankey_chart("a", model, height, exporter)
    assert "<text" not in by_fiches.svg and by_fiches.labels_html.count('class="cl') == len(model.left) + len(model.right)

    def lines(chart) -> list[tuple[float, float, float, float]]:
        page = _page(f'<div class="chart-canvas"><img src="{chart.src}" alt="g">{chart.labels}</div>')
        path = tmp_path / "l.pdf"
        path.write_bytes(pdf.pdf_bytes(page, "t", {"a": chart}))
        layout = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
        return [tuple(map(float, m)) for m in re.findall(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">', layout)]

    plotly_lines, fiches_lines = lines(by_plotly), lines(by_fiches)
    assert len(plotly_lines) == len(fiches_lines) >= len(model.left) + len(model.right)
    for mine, theirs in zip(fiches_lines, plotly_lines):
        assert mine == pytest.approx(theirs, abs=1.0)  # points; plotly rounds to whole pixels (0.68 pt)
    offsets = [mine[1] - theirs[1] for mine, theirs in zip(fiches_lines, plotly_lines)]
    assert abs(sum(offsets) / len(offsets)) < 0.4


@pytest.mark.slow
def test_pdf_figures_without_hover_draw_the_same_svg(sample_settings):
    """The PDF's figures tell the browser to skip hover targets: the SVG it draws is the very same."""
    from fiches.charts import sankey, treemap
    from fiches.charts.export import PlotlyExporter
    from fiches.model.indicators import Comparisons, TradeYear, factsheet, provenance
    from fiches.reference.geography import departement
    from fiches.sources.selection import select

    selected = select(sample_settings, "sample", None)
    trade = TradeYear(selected.current, selected.previous)
    fs = factsheet(trade, departement("12"), provenance(trade, "t", "2026-01-01T00:00:00+00:00"), Comparisons(trade))
    figures = [
        (sankey.build(fs.exports.sankey, sankey.MAIN_HEIGHT, annotations=False), sankey.WIDTH, sankey.MAIN_HEIGHT),
        (treemap.build(fs.imports.activities, fs.exports.activities), treemap.WIDTH, treemap.HEIGHT),
    ]
    with PlotlyExporter() as exporter:
        for figure, width, height in figures:
            with_hover = json.loads(json.dumps(figure))
            for part in (with_hover["data"][0], with_hover["data"][0].get("node", {}), with_hover["data"][0].get("link", {})):
                part.pop("hoverinfo", None)
            assert figure["data"][0]["hoverinfo"] == "none"
            assert exporter.svg(figure, width, height) == exporter.svg(with_hover, width, height)
