"""The interactive companion page: self-contained, strict CSP, escaped labels, and drawn by a real
(headless, offline) Chromium, with working hovers and a clickable Sankey."""

from __future__ import annotations

import copy
import html.parser
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from fiches.charts import balance_interactive, sankey, treemap
from fiches.model.indicators import Comparisons, TradeYear, factsheet, provenance
from fiches.reference.geography import departement
from fiches.render import assets, interactive
from fiches.sources.douanes import Labels
from fiches.sources.store import YearData

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ITALIC = "<i>Pays</i>"

#: Aveyron (12) and Lot (46) make up part of Occitanie; Paris (75) stands for the rest of France.
ROWS = [
    ("E", "12", "Z99Z", "DE", 9_000_000), ("E", "12", "Z98Z", "Z2", 7_000_000), ("E", "12", "C29A", "US", 3_000_000),
    ("E", "12", "C10A", "DE", 1_000_000), ("E", "46", "C30C", "US", 4_000_000), ("E", "75", "C21Z", "US", 80_000_000),
    ("I", "12", "Z98Z", "Z2", 5_000_000), ("I", "12", "B06Z", "NO", 2_000_000), ("I", "46", "C29A", "CN", 500_000),
    ("I", "75", "B06Z", "NO", 90_000_000),
]


def _year(rows, year: int, is_sample: bool) -> YearData:
    frame = pd.DataFrame(rows, columns=["flow", "dep", "a129", "country", "value"])
    frame["region"] = "00"
    frame["cpf4"] = "0000"
    frame["mass"] = 0
    labels = Labels(a129={"Z99Z": SCRIPT, "Z98Z": IMG}, countries={"DE": "Allemagne", "Z2": ITALIC})
    return YearData(year, frame, labels, {"archives": [{"name": "tiny.zip", "sha256": "0" * 64}]}, is_sample)


def _sheet(is_sample: bool = False, previous: bool = True):
    before = _year([(f, d, p, c, v // 2) for f, d, p, c, v in ROWS], 2023, is_sample) if previous else None
    trade = TradeYear(_year(ROWS, 2024, is_sample), before)
    return factsheet(trade, departement("12"), provenance(trade, "t", "2026-01-01T00:00:00+00:00"), Comparisons(trade))


class _Tags(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text of each <script> element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.fixture(scope="module")
def page() -> str:
    return interactive.page_html(_sheet(), "../assets/plotly-9.9.9.min.js")


def _figures(page: str) -> dict:
    parsed = _parse(page)
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    (block,) = [text for attrs, text in zip(scripts, parsed.scripts) if attrs.get("id") == "figures"]
    return json.loads(block)


# -- the page, as text -----------------------------------------------------------------------------


def test_page_loads_nothing_external_and_runs_no_inline_script(page):
    assert page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page
    parsed = _parse(page)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "action", "poster", "data"):
            value = (attrs.get(name) or "").strip().lower()
            if tag == "a" and name == "href":  # a link is followed by the reader, not loaded by the page
                assert value.startswith(("https:", "mailto:", "#", "../", "")) and not value.startswith("javascript:"), value
                continue
            assert not value.startswith(("http:", "https:", "//", "data:", "javascript:")), (tag, name, value)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)  # no inline handlers
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    # plotly.js and the shared script by relative URL; the figures as inert JSON data.
    assert [s.get("src") for s in scripts] == ["../assets/plotly-9.9.9.min.js", "../assets/fiches-interactive.js", None]
    assert scripts[2] == {"type": "application/json", "id": "figures"}
    stylesheets = [a["href"] for t, a in parsed.tags if t == "link"]
    assert stylesheets == ["../assets/fiches-interactive.css"]


def test_page_has_a_strict_content_security_policy(page):
    metas = [a for t, a in _parse(page).tags if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"]
    assert len(metas) == 1
    directives = {d.split()[0]: d.split()[1:] for d in metas[0]["content"].split(";") if d.strip()}
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]  # no inline script, no eval
    assert all(source in ("'self'", "'unsafe-inline'", "data:", "blob:", "'none'")
               for sources in directives.values() for source in sources)
    # The CSP comes before anything the page loads.
    assert page.index("Content-Security-Policy") < page.index("<link") < page.index("<script")


def test_shared_assets_load_nothing_external():
    for name in ("fiches-interactive.js", "fiches-interactive.css"):
        text = assets.SHARED_ASSETS[name].read_text(encoding="utf-8")
        assert "://" not in text and "@import" not in text
        assert "eval(" not in text and "innerHTML" not in text and "new Function" not in text
        assert set(re.findall(r"url\(\"?([^\")]*)", text)) <= {"fonts/Lato-Regular.ttf", "fonts/Lato-Bold.ttf"}


def test_hostile_labels_are_escaped_and_never_become_markup(page):
    for raw in (SCRIPT, IMG, ITALIC):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text (partners, descriptions)
    parsed = _parse(page)
    assert [t for t, _ in parsed.tags].count("script") == 3
    assert not {"img", "i", "iframe", "object", "embed", "svg"} & {t for t, _ in parsed.tags}
    # Inside the JSON block nothing can close the <script> element, whatever the labels hold.
    (block,) = [text for text in parsed.scripts if text.strip()]
    assert "<" not in block and ">" not in block
    figures = json.loads(block)
    texts = list(_strings(figures))
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in t for t in texts)
    assert any("&lt;img src=x onerror=alert(1)&gt;" in t for t in texts)
    # Plotly reads a subset of HTML in its texts: only the builders' own tags may remain.
    tags = {tag for text in texts for tag in re.findall(r"<[^>]*>", text)}
    assert tags <= {"<br>", "<b>", "</b>", "<extra>", "</extra>"}, tags


def test_key_figures_and_sample_banner():
    fs = _sheet(is_sample=True)
    page = interactive.page_html(fs, "../assets/plotly-9.9.9.min.js")
    assert 'class="sample-banner"' in page and "échantillon synthétique" in page
    assert "<title>Commerce extérieur – Aveyron – 2024 – version interactive (échantillon synthétique)</title>" in page
    from fiches.model import formatting

    for text in (
        formatting.meur(fs.exports.total), formatting.meur(fs.imports.total), formatting.signed_meur(fs.balance),
        formatting.share(fs.exports.region_share, 1), formatting.share(fs.exports.france_share, 2),
        formatting.signed_percent(fs.exports.change.percent), formatting.signed_meur(fs.exports.change.delta),
    ):
        assert text in page, text
    real = interactive.page_html(_sheet(is_sample=False, previous=False), "../assets/plotly-9.9.9.min.js")
    assert "sample-banner" not in real and "par rapport à" not in real


def test_page_holds_every_chart_with_hovers(page):
    figures = _figures(page)
    assert set(figures) == {
        "balance", "treemap", "exports", "imports", "exports_region", "imports_region", "exports_france", "imports_france",
    }
    assert all(f'data-figure="{name}"' in page for name in figures)
    assert {name: f["kind"] for name, f in figures.items()}["exports_france"] == "sankey"
    link = figures["exports"]["data"][0]["link"]
    assert link["hovertemplate"] == "%{customdata}<extra></extra>"
    assert "Allemagne\u00a0: 10,0\u00a0M€ (50,0\u00a0% du total)" in figures["exports"]["data"][0]["node"]["customdata"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; → Allemagne\u00a0: 9,0\u00a0M€" in link["customdata"]
    assert "customdata" in figures["treemap"]["data"][0]
    bars = figures["balance"]["data"]
    assert [b["name"] for b in bars] == ["Importations", "Exportations"]
    assert all(x <= 0 for x in bars[0]["x"]) and all(x >= 0 for x in bars[1]["x"])
    assert "Solde\u00a0: +" in bars[0]["customdata"][0] or "Solde\u00a0: −" in bars[0]["customdata"][0]
    for figure in figures.values():
        assert "width" not in figure["layout"] and figure["config"]["responsive"] is True


@pytest.mark.parametrize("level", ["region", "france"])
def test_region_and_france_pages(level):
    from fiches.reference.geography import FRANCE, region

    trade = TradeYear(_year(ROWS, 2024, False))
    territory = region("12") if level == "region" else FRANCE
    fs = factsheet(trade, territory, provenance(trade, "t", "2026-01-01T00:00:00+00:00"), Comparisons(trade))
    page = interactive.page_html(fs, "../assets/plotly-9.9.9.min.js")
    figures = _figures(page)
    assert {"balance", "treemap", "exports", "imports"} <= set(figures)
    assert not any(name.endswith("_region") for name in figures)  # neither has a région above it
    assert any(name.endswith("_france") for name in figures) == (level == "region")  # France is not compared with itself
    assert ("Part dans la France entière" in page) == (level == "region")
    assert "Territoires d'industrie du département" not in page
    assert ("Les départements de la région" if level == "region" else "Les régions") in page
    assert all(f'data-figure="{name}"' in page for name in figures)


def test_figures_are_valid_plotly():
    import plotly.graph_objects as go

    _, drawn = interactive.figures(_sheet())
    for name, figure in drawn.items():
        go.Figure(data=figure["data"], layout=figure["layout"])  # raises on any unknown property


def test_pdf_figures_are_unchanged_by_the_interactive_option():
    """The web page's figures add hover texts; the PDF's say "no hover" instead, and nothing else differs."""
    fs = _sheet()
    hover = {"customdata", "hovertemplate"}
    for model, height in [(fs.exports.sankey, sankey.MAIN_HEIGHT), (fs.imports.sankey, sankey.MAIN_HEIGHT),
                          (fs.region.exports, sankey.HEIGHT), (fs.france.imports, sankey.HEIGHT)]:
        pdf = copy.deepcopy(sankey.build(model, height))
        assert json.dumps(pdf) == json.dumps(sankey.build(model, height, interactive=False))
        web = copy.deepcopy(sankey.build(model, height, interactive=True))
        assert pdf["data"][0].pop("hoverinfo") == "none" and "hoverinfo" not in web["data"][0]
        for part in ("node", "link"):
            assert pdf["data"][0][part].pop("hoverinfo") == "none"
            assert set(web["data"][0][part]) - set(pdf["data"][0][part]) == hover
            for key in hover:
                del web["data"][0][part][key]
        assert json.dumps(web) == json.dumps(pdf)  # same keys, same order, same values
    pdf = treemap.build(fs.imports.activities, fs.exports.activities)
    assert json.dumps(pdf) == json.dumps(treemap.build(fs.imports.activities, fs.exports.activities, interactive=False))
    web = treemap.build(fs.imports.activities, fs.exports.activities, interactive=True)
    assert web["data"][0].pop("customdata") and web["data"][0].pop("hovertemplate")
    assert pdf["data"][0].pop("hoverinfo") == "none"
    assert json.dumps(web) == json.dumps(pdf)
    for key in hover:
        assert key not in pdf["data"][0]


@pytest.mark.parametrize(
    ("span", "values", "texts"),
    [
        (309.0, [-300, -200, -100, 0, 100, 200, 300], ["300\u00a0M€", "200\u00a0M€", "100\u00a0M€", "0\u00a0M€"]),
        (0.4, [-0.4, -0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3, 0.4], ["0,4\u00a0M€", "0,3\u00a0M€", "0,2\u00a0M€", "0,1\u00a0M€", "0\u00a0M€"]),
        (12_000.0, [-10_000, -5_000, 0, 5_000, 10_000], ["10\u00a0000\u00a0M€", "5\u00a0000\u00a0M€", "0\u00a0M€"]),
        (0.0, [0], ["0\u00a0M€"]),
    ],
)
def test_balance_ticks_are_round_and_french(span, values, texts):
    got_values, got_texts = balance_interactive.ticks(span)
    assert got_values == pytest.approx(values)
    assert got_texts[: len(texts)] == texts and got_texts == got_texts[::-1]


def test_write_plotly_js_ships_assets_once(tmp_path):
    href = assets.write_plotly_js(tmp_path)
    version = assets.plotly_js_version()
    assert href == f"../assets/plotly-fiches-{version}.min.js"
    target = tmp_path / "assets" / f"plotly-fiches-{version}.min.js"
    assert target.read_bytes() == assets.PLOTLY_JS.read_bytes()
    for name in assets.SHARED_ASSETS:
        assert (tmp_path / "assets" / name).is_file(), name
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "assets").rglob("*")}
    assert assets.write_plotly_js(tmp_path) == href
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "assets").rglob("*")} == stamps  # not copied again
    target.write_bytes(b"truncated")  # an interrupted copy by hand, or a corrupted file
    (tmp_path / "assets" / "fiches-interactive.js").write_text("x" * assets.SHARED_ASSETS["fiches-interactive.js"].stat().st_size)
    assets.write_plotly_js(tmp_path)
    assert target.stat().st_size == assets.PLOTLY_JS.stat().st_size
    assert (tmp_path / "assets" / "fiches-interactive.js").read_bytes() == assets.SHARED_ASSETS["fiches-interactive.js"].read_bytes()
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]


def test_write_page_refuses_an_external_plotly(tmp_path):
    for href in ("https://cdn.plot.ly/plotly.min.js", "//cdn.plot.ly/plotly.min.js"):
        with pytest.raises(ValueError):
            interactive.write_page(tmp_path / "page.html", _sheet(), href)
    assert not (tmp_path / "page.html").exists()


# -- in a real browser, offline ----------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium (paquet Debian chromium) absent")
#: Every host name resolves to nothing: a page that tried the network would fail to render.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND"


@pytest.fixture(scope="module")
def sample_page(sample_settings, tmp_path_factory) -> Path:
    from fiches.sources.selection import select

    selected = select(sample_settings, "sample", None)
    trade = TradeYear(selected.current, selected.previous)
    fs = factsheet(trade, departement("12"), provenance(trade, "t", "2026-01-01T00:00:00+00:00"), Comparisons(trade))
    year_dir = tmp_path_factory.mktemp("interactive") / str(fs.year)
    href = assets.write_plotly_js(year_dir)
    page = year_dir / "departements" / f"{fs.territory.slug}.html"
    page.parent.mkdir(parents=True)
    interactive.write_page(page, fs, href)
    return page


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=10000", OFFLINE, "--enable-logging=stderr", "--log-level=0", *args],
        capture_output=True, text=True, timeout=180, check=False,
    )


@pytest.mark.slow
@needs_chromium
def test_chromium_draws_every_chart_offline(sample_page, tmp_path):
    result = _chromium(tmp_path, "--dump-dom", sample_page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert dom.count('data-rendered="true"') == 8  # balance, treemap, 3 + 3 Sankeys
    assert dom.count('class="main-svg"') >= 8
    assert dom.count('class="sankey-node"') >= 6 * 10 and dom.count('class="sankey-link"') >= 6 * 10
    assert dom.count('class="slice ') >= 10 and dom.count('class="point"') >= 10  # treemap tiles, bars
    assert "failed" not in re.findall(r'class="plot ?([^"]*)"', dom)
    # Nothing was refused by the CSP nor failed to load (console messages are logged to stderr).
    assert "Content Security Policy" not in result.stderr
    assert "net::ERR" not in result.stderr and "Failed to load" not in result.stderr


@pytest.mark.slow
@needs_chromium
def test_chromium_screenshot_is_a_drawn_page(sample_page, tmp_path):
    from PIL import Image

    shot = tmp_path / "shot.png"
    result = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,3000", "--hide-scrollbars", sample_page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(shot) as image:
        assert image.size == (1200, 3000)
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 10
    counts = {colour: n for n, colour in colours}
    assert counts.get((0x6A, 0x3D, 0x9A), 0) > 2000  # exports violet: bars, treemap, Sankey nodes
    assert counts.get((0x1F, 0x5F, 0xA8), 0) > 2000  # imports blue


@pytest.mark.slow
@needs_chromium
def test_hover_and_click_in_a_driven_browser(sample_page):
    """Hover a Sankey link, a node, a treemap tile and a bar; click a node to isolate its links."""
    pytest.importorskip("choreographer")
    import asyncio

    from choreographer import Browser

    async def drive() -> dict:
        found: dict = {}
        async with Browser(path=CHROMIUM, headless=True) as browser:
            tab = browser.get_tab()

            async def evaluate(expression: str):
                reply = await tab.send_command("Runtime.evaluate", {"expression": expression, "returnByValue": True})
                return reply["result"]["result"].get("value")

            async def mouse(kind: str, x: float, y: float, button: str = "none") -> None:
                await tab.send_command(
                    "Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": button, "clickCount": 1}
                )

            async def point_at(selector: str) -> tuple[float, float]:
                x, y = await evaluate(
                    f"(function () {{ var e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
                    " var r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
                )
                await mouse("mouseMoved", x, y)
                await asyncio.sleep(0.4)
                return x, y

            async def tooltip(chart: str) -> list[str]:
                return await evaluate(
                    f"Array.from(document.querySelectorAll('#chart-{chart} .hovertext')).map(function (e) {{ return e.textContent; }})"
                )

            await tab.send_command("Emulation.setDeviceMetricsOverride", {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False})
            await tab.send_command("Page.navigate", {"url": sample_page.as_uri()})
            for _ in range(100):
                await asyncio.sleep(0.2)
                if await evaluate("document.querySelectorAll('[data-rendered]').length") == 8:
                    break
            await point_at("#chart-exports .sankey-link")
            found["link"] = await tooltip("exports")
            x, y = await point_at("#chart-exports .sankey-node .node-rect")
            found["node"] = await tooltip("exports")
            colours = "document.querySelector('#chart-exports .plot').data[0].link.color"
            found["before"] = await evaluate(colours)
            await mouse("mousePressed", x, y, "left")
            await mouse("mouseReleased", x, y, "left")
            await asyncio.sleep(0.6)
            found["selected"] = await evaluate("document.querySelector('#chart-exports .plot').getAttribute('data-selected-node')")
            found["after"] = await evaluate(colours)
            found["links"] = await evaluate("document.querySelector('#chart-exports .plot').data[0].link.source")
            await point_at("#chart-treemap g.slice:nth-of-type(3)")
            found["tile"] = await tooltip("treemap")
            await point_at("#chart-balance .point")
            found["bar"] = await tooltip("balance")
        return found

    found = asyncio.run(drive())
    assert len(found["link"]) == 1 and re.fullmatch(r".+ → .+\u00a0: [\d\u00a0]+,\d\u00a0M€", found["link"][0]), found["link"]
    assert re.fullmatch(r".+\u00a0: [\d\u00a0]+,\d\u00a0M€ \([\d,]+\u00a0% du total\)", found["node"][0]), found["node"]
    assert found["selected"] == "0"  # the first product, at the top left
    faded = [i for i, colour in enumerate(found["after"]) if colour.endswith(", 0.08)")]
    kept = [i for i, source in enumerate(found["links"]) if source == 0]
    assert kept and faded and set(faded) == set(range(len(found["links"]))) - set(kept)
    assert found["after"] != found["before"]
    assert "M€" in found["tile"][0] and "%" in found["tile"][0]
    assert all(word in found["bar"][0] for word in ("Exportations", "Importations", "Solde", "M€"))
