"""End to end: a real factsheet from the sample, with Chromium and WeasyPrint."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from fiches.build import batch
from fiches.config import Settings
from fiches.reference.geography import departement

pytestmark = pytest.mark.slow


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture(scope="module")
def built(sample_settings: Settings, tmp_path_factory) -> tuple[Path, list[logging.LogRecord]]:
    out = tmp_path_factory.mktemp("out")
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.DEBUG)
    weasy = logging.getLogger("weasyprint")
    weasy.addHandler(handler)
    weasy.setLevel(logging.DEBUG)
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"  # 2026-01-01
    try:
        report = batch.build(sample_settings, [departement("12")], year=None, source="sample", out_dir=out, keep_html=True)
    finally:
        weasy.removeHandler(handler)
        del os.environ["SOURCE_DATE_EPOCH"]
    assert report.count("built") == 1, report.outcomes
    return out, records


def test_pdf_has_expected_shape_and_metadata(built):
    out, _ = built
    pdf = out / "2024" / "departements" / "12-aveyron.pdf"
    reader = PdfReader(pdf)
    assert 7 <= len(reader.pages) <= 10
    assert "Aveyron" in reader.metadata.title
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr" and "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    for page in reader.pages:  # the sample says so on every page
        assert "ÉCHANTILLON SYNTHÉTIQUE" in page.extract_text().upper()


def test_every_printed_figure_is_in_the_json_and_the_pdf(built):
    out, _ = built
    base = out / "2024" / "departements" / "12-aveyron"
    data = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
    text = _norm(" ".join(p.extract_text() for p in PdfReader(base.with_suffix(".pdf")).pages))
    printed = [
        data["exports"]["total"], data["imports"]["total"], data["balance"],
        data["exports"]["region_share"], data["exports"]["france_share"],
        data["imports"]["region_share"], data["imports"]["france_share"],
        *(p["balance"] for p in data["partners"]),
        *(n["value"] for n in data["exports"]["sankey"]["left"]),
        *(n["value"] for n in data["imports"]["sankey"]["right"]),
        data["region"]["exports"]["total"], data["france"]["imports"]["total"],
    ]
    for figure in printed:
        assert _norm(figure) in text, figure
    assert "Aurillac – Figeac – Rodez" in text
    assert data["provenance"]["build_date"].startswith("2026-01-01")
    assert data["exports"]["total_eur"] - data["imports"]["total_eur"] == data["balance_eur"]


def test_charts_are_vector_text_in_the_bundled_font(built):
    out, _ = built
    pdf = out / "2024" / "departements" / "12-aveyron.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    families = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:] if line.strip()}
    assert families and all(name.startswith("Lato") for name in families), families
    text = _norm(" ".join(p.extract_text() for p in PdfReader(pdf).pages))
    assert "Autres pays" in text and "Solde" in text  # chart labels are searchable text


def test_the_spreadsheet_holds_the_json_figures(built):
    from openpyxl import load_workbook

    out, _ = built
    base = out / "2024" / "departements" / "12-aveyron"
    data = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
    workbook = load_workbook(base.with_suffix(".xlsx"), read_only=True)

    def rows(title: str) -> list[tuple]:
        header, *body = workbook[title].iter_rows(values_only=True)
        return [row + (None,) * (len(header) - len(row)) for row in body]  # read-only mode drops trailing blanks

    summary = {row[0].removesuffix(" (échantillon synthétique, chiffres fictifs)"): row[1:] for row in rows("Synthèse")}
    assert summary["Exportations"] == (data["exports"]["total_eur"], data["exports"]["total"])
    assert summary["Solde"] == (data["balance_eur"], data["balance"])
    assert rows("Partenaires") == [(p["code"], p["label"], p["imports_eur"], p["exports_eur"], p["balance_eur"]) for p in data["partners"]]
    shares = {row[0]: row[1] for row in rows("Parts")}
    assert shares["Part nationale des exportations"] == pytest.approx(data["exports"]["france_share_pct"] / 100)
    # Amounts are exact euros shown in M€ with one decimal, shares fractions shown in %, the header frozen.
    full = load_workbook(base.with_suffix(".xlsx"))
    assert full.sheetnames[0] == "Lisez-moi"
    readme = {row[0]: row[1] for row in full["Lisez-moi"].iter_rows(min_row=2, values_only=True)}
    assert "Etalab 2.0" in readme["Licence"] and "M€" in readme["Unités"]
    assert ("DGDDI" in readme["Source"]) != data["sample"] and ("fictifs" in readme["Source"]) == data["sample"]
    assert "CAF" in readme["Importations, exportations"] and readme["Publications"].count("SHA-256") == 2
    assert full["Partenaires"]["C2"].number_format == '#,##0.0,," M€"' and full["Parts"]["B3"].number_format == "0.00%"
    assert all(full[name].freeze_panes == "A2" for name in full.sheetnames)
    assert [(r[1], r[3]) for r in rows("Activités") if r[0] == "Exportations"] == [(a["code"], a["value_eur"]) for a in data["exports"]["activities"]]
    flows = [
        (scope, "Exportations" if sankey["flow"] == "E" else "Importations", l["source"], l["target"], l["value_eur"], "oui" if l["top"] else None)
        for scope, sankeys in ((data["territory"]["name"], (data["exports"]["sankey"], data["imports"]["sankey"])),
                               (data["region"]["name"], (data["region"]["exports"], data["region"]["imports"])),
                               ("France", (data["france"]["exports"], data["france"]["imports"])))
        for sankey in sankeys for l in sankey["links"]
    ]
    assert rows("Flux") == flows  # every link of the six Sankeys; a flow outside the top five is a blank cell
    assert sum(1 for flow in flows if flow[-1] == "oui") == 30
    # No empty text cells (openpyxl writes "" as an inline string with no text, which spreadsheets
    # may flag): a blank is no cell at all.
    with zipfile.ZipFile(base.with_suffix(".xlsx")) as archive:
        sheets = {name: archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/")}
    assert {name: len(re.findall(r'<c [^>]*t="inlineStr"(?:/>|>(?!<is>))', xml)) for name, xml in sheets.items()} == dict.fromkeys(sheets, 0)


def test_the_spreadsheet_carries_the_build_date_not_the_clock(built):
    """Same data and SOURCE_DATE_EPOCH, same XLSX: openpyxl's own save stamps the clock's time on
    the workbook's modification date and on every member of the zip."""
    out, _ = built
    path = out / "2024" / "departements" / "12-aveyron.xlsx"
    with zipfile.ZipFile(path) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert re.findall(r"<dcterms:(created|modified)[^>]*>([^<]*)<", core) == [
        ("created", "2026-01-01T00:00:00Z"), ("modified", "2026-01-01T00:00:00Z")]
    from openpyxl import load_workbook

    assert load_workbook(path, read_only=True).sheetnames[:2] == ["Lisez-moi", "Synthèse"]  # still a workbook spreadsheets open


def test_spreadsheets_are_written_through_lxml():
    """openpyxl falls back to a pure-Python XML writer, a third slower, when lxml is missing or disabled."""
    from openpyxl.xml import LXML

    assert LXML


def test_no_weasyprint_warning(built):
    _, records = built
    assert [r.getMessage() for r in records if r.levelno >= logging.WARNING] == []


def test_kept_html_renders_alone_with_weasyprint(built):
    out, _ = built
    page = out / "2024" / "_html" / "12-aveyron" / "index.html"
    assert page.is_file() and (out / "2024" / "_html" / "assets" / "style.css").is_file()
    import weasyprint

    pdf = weasyprint.HTML(filename=str(page)).write_pdf()
    assert len(PdfReader(__import__("io").BytesIO(pdf)).pages) >= 5


def test_weasyprint_lays_out_the_tables_and_page_margins_once(built, monkeypatch):
    """What the factsheet's CSS spares WeasyPrint: each trend table laid out once per page it is
    tried on (a grid of them laid each out three times: to size its rows, in place, and to size
    them again on the next page), and the margin boxes' text not measured word by word on every
    page (the sample banner on one line, the page number's box given a width)."""
    import weasyprint
    import weasyprint.layout
    import weasyprint.layout.block
    import weasyprint.layout.inline
    import weasyprint.layout.preferred

    out, _ = built
    tables: dict[int, int] = {}
    real_table_layout = weasyprint.layout.block.table_layout

    def table_layout(context, table, *args, **kwargs):
        if "trend-table" in (table.element.get("class") or ""):
            tables[id(table.element)] = tables.get(id(table.element), 0) + 1
        return real_table_layout(context, table, *args, **kwargs)

    lines = {"margins": 0, "pages": 0}
    inside_margins = []
    real_margin_boxes = weasyprint.layout.make_margin_boxes
    real_split = weasyprint.layout.inline.split_first_line

    def make_margin_boxes(*args, **kwargs):
        lines["pages"] += 1
        inside_margins.append(True)
        try:
            return list(real_margin_boxes(*args, **kwargs))
        finally:
            inside_margins.pop()

    def split_first_line(*args, **kwargs):
        lines["margins"] += bool(inside_margins)
        return real_split(*args, **kwargs)

    monkeypatch.setattr(weasyprint.layout.block, "table_layout", table_layout)
    monkeypatch.setattr(weasyprint.layout, "make_margin_boxes", make_margin_boxes)
    for module in (weasyprint.layout.inline, weasyprint.layout.preferred):
        monkeypatch.setattr(module, "split_first_line", split_first_line)
    weasyprint.HTML(filename=str(out / "2024" / "_html" / "12-aveyron" / "index.html")).render()
    assert len(tables) == 5 and max(tables.values()) <= 2, tables  # four trend tables and the latest quarters
    # The banner's box: its widest and narrowest widths, one line each, then its line; the footer's
    # line; the page number's. Word by word, the banner alone took nine more lines per page.
    assert lines["pages"] >= 7 and lines["margins"] <= 6 * lines["pages"], lines


def test_second_build_skips_unchanged(built, sample_settings):
    out, _ = built
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
    try:
        report = batch.build(sample_settings, [departement("12")], year=None, source="sample", out_dir=out)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert report.count("skipped") == 1


def test_an_upgrade_of_the_locked_libraries_or_of_chromium_makes_a_factsheet_stale(built, sample_settings, monkeypatch):
    """The build key holds the runtime lock's digest and the browser's version (issue 25)."""
    from fiches.build import jobs

    out, _ = built
    for path in (next((out / "2024").rglob("12-*.json")), out / "2024" / "manifest.json"):
        origin = json.loads(path.read_text(encoding="utf-8"))["provenance"]
        assert origin["lock_sha256"] == jobs.lock_digest() and len(origin["lock_sha256"]) == 64, path.name
        assert origin["chromium"] == jobs.chromium_version() not in ("absent", "unknown"), path.name
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setattr(jobs, "lock_digest", lambda: "0" * 64)
    report = batch.build(sample_settings, [departement("12")], year=None, source="sample", out_dir=out)
    assert report.count("skipped") == 0 and report.count("built") == 1


def _cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FICHES_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "fiches", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("build", "99", "--source", "sample"), 2, "Monaco"),
        (("build", "XY", "--source", "sample"), 2, "inconnu"),
        (("build", "--source", "sample"), 2, "au moins un code"),
        (("build", "12", "--source", "sample", "--year", "1999"), 2, "1999"),
        (("build", "12", "--source", "douanes"), 4, "fiches fetch"),
        (("build", "12", "--source", "nope"), 2, "source inconnue"),
        (("fetch", "--from-file", "/nonexistent.zip"), 2, "introuvable"),
    ],
)
def test_user_errors_are_one_clear_line(args, code, needle, sample_settings, tmp_path):
    # The sample is already generated under sample_settings; --source douanes looks at an empty cache.
    data_dir = sample_settings.data_dir if "douanes" not in args else tmp_path / "empty"
    result = _cli(*args, data_dir=data_dir)
    assert result.returncode == code, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.stderr


def test_factsheet_from_fetched_archives_prints_the_rows_totals_and_shares(tmp_path):
    """fetch --from-file on archives in the official layout, then build --source douanes."""
    from conftest import TINY_EXPORT, TINY_IMPORT, customs_zip

    from fiches.model import formatting
    from fiches.sources import ingest

    settings = Settings(data_dir=tmp_path / "data")
    files = []
    for flow in ("export", "import"):
        path = tmp_path / f"{flow}.zip"
        path.write_bytes(customs_zip(2024, flow))
        files.append(path)
    ingest.fetch(settings, year=2024, files=files)
    report = batch.build(settings, [departement("12")], year=2024, source="douanes", out_dir=tmp_path / "out")
    assert report.count("built") == 1, report.outcomes
    base = tmp_path / "out" / "2024" / "departements" / "12-aveyron"
    sidecar = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
    text = _norm(subprocess.run(["pdftotext", "-layout", str(base.with_suffix(".pdf")), "-"], capture_output=True, text=True, check=True).stdout)

    occitanie = departement("12").region.code
    for flow, rows in (("exports", TINY_EXPORT), ("imports", TINY_IMPORT)):
        fields = [line.split(";") for line in rows.split("\r\n") if line]
        own = sum(int(f[8]) for f in fields if f[3] == "12")
        region = sum(int(f[8]) for f in fields if departement(f[3]).region_code == occitanie)
        france = sum(int(f[8]) for f in fields)
        figures = sidecar[flow]
        assert figures["total_eur"] == own
        assert figures["region_share_pct"] == pytest.approx(100 * own / region)
        assert figures["france_share_pct"] == pytest.approx(100 * own / france)
        for printed in (formatting.meur(own), formatting.share(100 * own / region, 1), formatting.share(100 * own / france, 2)):
            assert _norm(printed) in text, printed
    assert sidecar["provenance"]["source"] == "douanes" and "ÉCHANTILLON" not in text.upper()


def test_region_and_france_factsheets_from_fetched_archives(tmp_path):
    """The same archives in the official layout give région and France factsheets summing the rows."""
    from conftest import TINY_EXPORT, TINY_IMPORT, customs_zip

    from fiches.reference.geography import FRANCE
    from fiches.sources import ingest

    settings = Settings(data_dir=tmp_path / "data")
    files = []
    for flow in ("export", "import"):
        files.append(tmp_path / f"{flow}.zip")
        files[-1].write_bytes(customs_zip(2024, flow))
    ingest.fetch(settings, year=2024, files=files)
    occitanie = departement("12").region
    report = batch.build(settings, [occitanie, FRANCE], year=2024, source="douanes", out_dir=tmp_path / "out")
    assert report.count("built") == 2, report.outcomes
    year = tmp_path / "out" / "2024"
    region_json = json.loads(next(year.glob("regions/*.json")).read_text(encoding="utf-8"))
    france_json = json.loads((year / "france" / "FR-france.json").read_text(encoding="utf-8"))
    for flow, rows in (("exports", TINY_EXPORT), ("imports", TINY_IMPORT)):
        fields = [line.split(";") for line in rows.split("\r\n") if line]
        assert region_json[flow]["total_eur"] == sum(int(f[8]) for f in fields if departement(f[3]).region_code == occitanie.code)
        assert france_json[flow]["total_eur"] == sum(int(f[8]) for f in fields)
    assert [m["code"] for m in region_json["members"]] == ["12", "46"]  # by weight: 2.25 M€ of trade, then 2.05


def test_history_chart_with_more_than_two_years(tmp_path):
    """Three fetched years: the factsheet charts them all, with totals from the rows."""
    from conftest import TINY_EXPORT, TINY_IMPORT, customs_zip

    from fiches.sources import ingest

    settings = Settings(data_dir=tmp_path / "data")
    expected = {}
    for year, factor in ((2022, 1), (2023, 2), (2024, 3)):
        files = []
        # Four quarters each (the history charts complete years only).
        for flow, rows in (("export", TINY_EXPORT), ("import", TINY_IMPORT + "I;3;2024;12;12;C29A;2910;DE;300000;3\r\n")):
            lines = [line.split(";") for line in rows.split("\r\n") if line]
            text = "".join(";".join([*f[:2], str(year), *f[3:8], str(int(f[8]) * factor), f[9]]) + "\r\n" for f in lines)
            expected[(year, flow)] = sum(int(f[8]) * factor for f in lines if f[3] == "12")
            files.append(tmp_path / f"{year}-{flow}.zip")
            files[-1].write_bytes(customs_zip(year, flow, text))
        ingest.fetch(settings, year=year, files=files)
    report = batch.build(settings, [departement("12")], year=2024, source="douanes", out_dir=tmp_path / "out")
    assert report.count("built") == 1, report.outcomes
    base = tmp_path / "out" / "2024" / "departements" / "12-aveyron"
    sidecar = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
    assert [(h["year"], h["exports"], h["imports"]) for h in sidecar["history"]] == [
        (y, expected[(y, "export")], expected[(y, "import")]) for y in (2022, 2023, 2024)
    ]
    assert "2022" in sidecar["charts_alt_text"]["history"]
    text = _norm(subprocess.run(["pdftotext", str(base.with_suffix(".pdf")), "-"], capture_output=True, text=True, check=True).stdout)
    assert "Exportations et importations, Aveyron, de 2022 à 2024 (en valeur)" in text
