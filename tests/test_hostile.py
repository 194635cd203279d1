"""Hostile labels: HTML and script, a 500-character label, RTL text, emoji, control characters and
spreadsheet formulas in the customs' label files. They are escaped, laid out within the page, never
executed or fetched, and the factsheet builds without a warning."""

from __future__ import annotations

import csv
import html.parser
import io
import logging
import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import LocalServer, make_zip
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from fiches.reference.labels import (
    A129_SHORT,
    A129_SHORT_MAX,
    A129_SHORT_MAX_EM,
    COUNTRY_SHORT,
    COUNTRY_SHORT_MAX,
    COUNTRY_SHORT_MAX_EM,
    a129_short,
    country_short,
)

LONG_WORDS = " ".join(["Libellé"] * 70)[:500]


def hostile_countries(port: int) -> dict[str, str]:
    return {
        "Z1": f'=HYPERLINK("http://127.0.0.1:{port}/formula";"clic")',
        "Z2": "<script>alert(1)</script>",
        "Z3": "{{ 7*7 }}{% raw %}",
        "Z4": f"<img src=http://127.0.0.1:{port}/country.png>",
        "Z5": "الإمارات العربية المتحدة",
        "Z6": "ישראל",
        "Z7": "🚢🌍 Pays 🎉 émoji",
        "Z8": "W" * 500,
        "Z9": "\u202eLivre\u202c\x07 Pays\x00 \u200bcaché",
        "Z0": LONG_WORDS,
    }


def hostile_products(port: int) -> dict[str, str]:
    return {
        "Z99Z": "<script>alert(1)</script>",
        "Z98Z": f"<img src=http://127.0.0.1:{port}/product.png>",
        "Z97Z": "W" * 500,
        "Z96Z": "منتجات كيميائية أساسية",
        "Z95Z": "🚀🚀 Fusées 🛰️",
        "Z94Z": "<b>Gras</b><br>Ligne",
        "Z93Z": LONG_WORDS,
        "Z92Z": "{{ 7*7 }} {% raw %}",  # Jinja never evaluates data
        "Z91Z": '"><svg onload=alert(1)>',
        "Z90Z": "&amp; &lt;i&gt; &#x41;",
    }


# -- display labels, for any text -------------------------------------------------------------------


def _drawable_by_lato(text: str) -> bool:
    from fiches.reference.labels import _font_metrics

    covered = _font_metrics()[0]
    return all(ord(c) in covered and unicodedata.category(c)[0] != "C" for c in text)


def _width(text: str) -> float:
    from fiches.reference.labels import _em_width

    return _em_width(text)


def test_curated_short_labels_fit_the_width_budgets():
    assert max(_width(label) for label in A129_SHORT.values()) <= A129_SHORT_MAX_EM
    assert max(_width(label) for label in COUNTRY_SHORT.values()) <= COUNTRY_SHORT_MAX_EM


@pytest.mark.parametrize(
    ("official", "shown"),
    [
        ("<script>alert(1)</script>", "<script>alert(1)</scr…"),  # text, escaped where printed; 22 characters at most
        ("🚢🌍 Pays 🎉 émoji", "Pays émoji"),  # Lato has no emoji: dropped, not drawn as boxes
        ("الإمارات العربية المتحدة", None),  # nothing Lato can draw: the code is shown
        ("\u202eLivre\u202c\x07 Pays\x00", "Livre Pays"),  # bidi overrides and control characters go
        ('=HYPERLINK("http://x")', 'HYPERLINK("http://x")'),  # never a formula in the XLSX
        ("@SUM(A1)", "SUM(A1)"),
        ("Corée (République de)", "Corée"),
    ],
    ids=["script", "emoji", "arabic-only", "bidi-and-controls", "formula", "at-formula", "official"],
)
def test_display_labels_of_hostile_official_labels(official, shown):
    assert country_short("Z1", official) == (shown or "Z1")


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_display_labels_are_bounded_drawable_and_inert(official):
    for label, limit, max_em, code in (
        (a129_short("Z91Z", official), A129_SHORT_MAX, A129_SHORT_MAX_EM, "Z91Z"),
        (country_short("Z1", official), COUNTRY_SHORT_MAX, COUNTRY_SHORT_MAX_EM, "Z1"),
    ):
        assert label
        assert len(label) <= limit and _width(label) <= max_em + 1e-9, label
        assert _drawable_by_lato(label), label
        assert label[0] not in "=+-@" and label == label.strip()
        assert label == code or any(c.isalnum() for c in label)


def test_dollar_signs_in_a_label_are_text_not_mathtext():
    """Regression: "$x^$" in a country label crashed the balance chart (matplotlib mathtext)."""
    from fiches.charts import balance
    from fiches.charts.export import matplotlib_svg
    from fiches.charts.style import matplotlib_style
    from fiches.model.indicators import Partner

    label = country_short("Z1", "Prix $x^$ et $\\frac{1}{0}$")
    with matplotlib_style():
        svg = matplotlib_svg(balance.build((Partner("Z1", label, 10_000_000, 5_000_000),)))
    assert "$x^$" in svg


def test_the_pdf_writer_fetches_nothing_outside_the_project(server):
    """Defence in depth, should a label ever reach the HTML unescaped: WeasyPrint's URL fetcher
    serves the project's assets and the factsheet's charts, and refuses everything else."""
    from fiches.charts.chart import Chart
    from fiches.render import pdf

    url = server.url("/")
    chart = Chart(
        "evil",
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20">'
        f'<style>@import url("{url}svg.css");</style><image xlink:href="{url}svg.png" width="20" height="20"/>'
        '<image href="file:///etc/passwd" width="20" height="20"/></svg>',
        "graphique",
    )
    page = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>t</title>'
        f'<link rel="stylesheet" href="{url}a.css"><link rel="stylesheet" href="../assets/style.css">'
        f'<style>@import url("{url}b.css"); body {{ background: url({url}c.png) }}'
        f'@font-face {{ font-family: X; src: url({url}font.ttf) }}</style></head><body>'
        f'<img src="{url}d.png" alt="a"><img src="file:///etc/passwd" alt="b">'
        '<img src="../assets/../../../../../etc/passwd" alt="c"><img src="../assets/fonts/../../pyproject.toml" alt="d">'
        f'<img src="charts/evil.svg" alt="e"><iframe src="{url}e"></iframe><object data="{url}f"></object>'
        f'<p style="background: url({url}g.png)">texte</p></body></html>'
    )
    logging.getLogger("weasyprint").disabled = True  # it logs each refusal, as it should
    try:
        written = pdf.pdf_bytes(page, "12-aveyron", {"evil": chart})
    finally:
        logging.getLogger("weasyprint").disabled = False
    assert written.startswith(b"%PDF")
    assert server.hits == {}
    fetcher = pdf.AssetFetcher({"evil": chart})
    assert fetcher.resolve(f"{pdf.VIRTUAL_ROOT}assets/style.css")[1] == "text/css"
    for refused in (f"{url}x", "file:///etc/passwd", f"{pdf.VIRTUAL_ROOT}assets/../../../etc/passwd",
                    f"{pdf.VIRTUAL_ROOT}assets/%2e%2e/%2e%2e/pyproject.toml", f"{pdf.VIRTUAL_ROOT}12-aveyron/../../etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.resolve(refused)


# -- a factsheet built from archives carrying them -------------------------------------------------


def _label_lines(labels: dict[str, str], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for code, label in labels.items():
        writer.writerow([code, label, "200901", "999912"])
    return buffer.getvalue().encode(encoding, errors="replace")


def _archives(folder: Path, countries: dict[str, str], products: dict[str, str]) -> list[Path]:
    from fiches.reference.geography import DEPARTEMENTS
    from fiches.sources.sample import label_files

    labels = label_files()
    labels["Libelle_PAYS.txt"] += _label_lines(countries, "utf-8")
    labels["Libelle_A129.txt"] += _label_lines(products, "utf-8")
    labels["Libelle_CPF4_rev2.1.txt"] += _label_lines({f"{p[1:3]}{i}0": f"Produit {p}" for i, p in enumerate(products)}, "cp1252")
    paths = []
    for flow, word in (("E", "export"), ("I", "import")):
        rows = []
        for dep, scale in (("12", 1), ("46", 1), ("75", 3)):
            region = DEPARTEMENTS[dep][1]
            for i, country in enumerate(countries):
                for j, product in enumerate(products):
                    value = 1_000_000 * (20 - i) * (12 - j) * scale
                    rows.append(f"{flow};1;2024;{dep};{region};{product};{product[1:3]}{j}0;{country};{value};1")
        folder_name = f"Regional-2024-{word}"
        members = {f"{folder_name}/Region_2024_{word.capitalize()}.txt": ("\r\n".join(rows) + "\r\n").encode()}
        members.update({f"{folder_name}/{name}": raw for name, raw in labels.items()})
        path = folder / f"{word}.zip"
        path.write_bytes(make_zip(members))
        paths.append(path)
    return paths


def _build(root: Path, countries: dict[str, str], products: dict[str, str]) -> tuple[Path, list[logging.LogRecord]]:
    from fiches.build import batch
    from fiches.config import Settings
    from fiches.reference.geography import departement
    from fiches.sources import ingest

    root.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=root / "data")
    result = ingest.fetch(settings, files=_archives(root, countries, products), year=2024)
    assert result.bad_rows == []  # every hostile label's code is a valid code
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.WARNING)
    logging.getLogger().addHandler(handler)
    try:
        report = batch.build(settings, [departement("12")], year=2024, source="douanes", out_dir=root / "out", keep_html=True)
    finally:
        logging.getLogger().removeHandler(handler)
    assert report.count("built") == 1, report.outcomes
    return root / "out" / "2024", records


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    server = LocalServer()  # the labels point here: any request would be a fetch
    try:
        port = server.httpd.server_address[1]
        out, records = _build(tmp_path_factory.mktemp("hostile"), hostile_countries(port), hostile_products(port))
        plain, _ = _build(
            tmp_path_factory.mktemp("plain"),
            {code: f"Pays numéro {i}" for i, code in enumerate(hostile_countries(port))},
            {code: f"Produit numéro {i}" for i, code in enumerate(hostile_products(port))},
        )
        yield {"out": out, "plain": plain, "records": records, "hits": dict(server.hits)}
    finally:
        server.close()


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.slow
def test_labels_are_escaped_in_the_html(hostile):
    page = (hostile["out"] / "_html" / "12-aveyron" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # printed, as text
    assert "&lt;img src=http://127.0.0.1:" in page
    parser = _Tags()
    parser.feed(page)
    assert not [t for t, _ in parser.tags if t in ("script", "iframe", "object", "embed", "svg", "base")]
    # The only links are the edition's (the programme's pages and its contact), none from the data.
    from fiches.render.edition import load as load_edition

    edition = load_edition(None)
    allowed = set(re.findall(r"https://[^\s\"\)]+", edition.path.read_text(encoding="utf-8"))) | {f"mailto:{edition['contact']['email']}"}
    links = [attrs.get("href", "") for tag, attrs in parser.tags if tag == "a"]
    assert links and set(links) <= allowed, set(links) - allowed
    assert all(attrs.get("src", "").startswith("charts/") for tag, attrs in parser.tags if tag == "img")
    assert all(attrs.get("href", "").startswith("../assets/") for tag, attrs in parser.tags if tag == "link")
    assert not [a for _, attrs in parser.tags for a in attrs if a.startswith("on")]
    assert "{{ 7*7 }}" in page  # printed as typed, never evaluated


@pytest.mark.slow
def test_charts_hold_labels_as_text_only(hostile):
    charts = sorted((hostile["out"] / "_html" / "12-aveyron" / "charts").glob("*.svg"))
    assert len(charts) == 8
    for chart in charts:
        tree = ET.parse(chart)
        for element in tree.iter():
            name = element.tag.rsplit("}", 1)[-1]
            assert name not in ("script", "image", "foreignObject", "iframe", "use") or (
                name == "use" and all(v.startswith("#") for k, v in element.attrib.items() if k.endswith("href"))
            ), (chart.name, name)
            for key, value in element.attrib.items():
                assert not key.rsplit("}", 1)[-1].startswith("on"), (chart.name, key)
                if key.endswith("href"):
                    assert value.startswith("#"), (chart.name, key, value)
    # The labels themselves are page text over the charts (charts.overlay), escaped there.
    page = (hostile["out"] / "_html" / "12-aveyron" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<span class="cl[^"]*" style="[^"]*">[^<]*&lt;script&gt;', page)


@pytest.mark.slow
def test_nothing_is_fetched(hostile):
    assert hostile["hits"] == {}


@pytest.mark.slow
def test_no_warning_while_building(hostile):
    assert [f"{r.name}: {r.getMessage()}" for r in hostile["records"]] == []


def _words(pdf: Path) -> list[tuple[int, float, float, float, float, float, float, str]]:
    layout = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = []
    for number, (width, height, body) in enumerate(re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', layout, re.S), 1):
        for x0, y0, x1, y1, word in re.findall(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>', body):
            words.append((number, float(width), float(height), float(x0), float(y0), float(x1), float(y1), word))
    return words


@pytest.mark.slow
def test_layout_stays_within_the_page(hostile):
    pdf = hostile["out"] / "departements" / "12-aveyron.pdf"
    words = _words(pdf)
    assert words
    margin = 15 / 25.4 * 72  # @page margin, left and right: 15 mm
    outside = [
        (page, word, round(x0), round(x1))
        for page, width, height, x0, y0, x1, y1, word in words
        if x0 < margin - 3 or x1 > width - margin + 3 or y0 < 0 or y1 > height
    ]
    assert outside == []
    pages = {w[0] for w in words}
    plain_pages = {w[0] for w in _words(hostile["plain"] / "departements" / "12-aveyron.pdf")}
    assert len(pages) == len(plain_pages)  # no label pushed anything onto an extra page


@pytest.mark.slow
def test_spreadsheet_and_json_carry_inert_display_labels(hostile):
    import json

    from openpyxl import load_workbook

    base = hostile["out"] / "departements" / "12-aveyron"
    workbook = load_workbook(base.with_suffix(".xlsx"))
    formulas = [(ws.title, c.coordinate, c.value) for ws in workbook for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    data = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
    labels = [p["label"] for p in data["partners"]] + [a["label"] for a in data["exports"]["activities"]]
    assert "<script>alert(1)</script>" in labels
    assert all(_drawable_by_lato(label) and len(label) <= A129_SHORT_MAX for label in labels), labels
