"""The newest publications: discovered on the customs' page, compared like with like, and the latest quarters."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest
from conftest import send

from fiches.config import Network, Settings
from fiches.errors import FetchError
from fiches.model.indicators import latest_quarters
from fiches.reference.geography import FRANCE, departement, region, region_of
from fiches.sources import discover, ingest, sample
from fiches.sources.store import load_manifest, read_quarters

QUICK = Network(connect_timeout=2.0, read_timeout=5.0, attempts=1, backoff=0.05, deadline=20.0)


# -- discovery -------------------------------------------------------------------------------------

PAGE = """<!doctype html><html><body>
<h1>Données régionales et départementales</h1>
<ul>
  <li><a href="/sites/default/files/2026-02/06/202602-Regional-2025-export.zip">Exportations 2025</a></li>
  <li><a href='https://www.douane.gouv.fr/sites/default/files/2026-02/06/202602-REGIONAL-2025-IMPORT.ZIP'>Importations 2025</a></li>
  <li><a href="files/202602-Regional-2026-export.zip">un fichier d'une année incomplète (exportations seules)</a></li>
</ul>
<table><tr><td><a href="../archives/202502-Regional-2024-export.zip">2024 E</a></td>
<td><a href="../archives/202502-Regional-2024-import.zip">2024 I</a></td>
<td><a href="../archives/202503-Regional-2024-import.zip">2024 I révisé</a></td></tr>
<tr><td><a href="/old/202402-Regional-2023-export.zip">2023</a></td><td><a href="/doc/Description-jeux-de-donnees-annuels.pdf">notice</a></td></tr></table>
<p>La dernière publication : <a href="/dl/202611-derniere-publication-CPF4PAYS.zip">trimestres</a>,
l'ancienne https://example.org/x/202608-derniere-publication-CPF4PAYS.zip et un autre fichier
<a href="/dl/Regional-2025-export.csv">CSV</a>.</p>
</body></html>"""


def test_discovery_reads_links_in_lists_tables_and_text():
    found = discover.published(PAGE, "https://www.douane.gouv.fr/la-douane/opendata/page")
    assert sorted(found.annual) == [2023, 2024, 2025, 2026]
    assert set(found.annual[2026]) == {"E"}  # one flow only: not a complete year
    urls, year = found.choice()
    assert year == 2025
    assert urls == [
        "https://www.douane.gouv.fr/sites/default/files/2026-02/06/202602-Regional-2025-export.zip",
        "https://www.douane.gouv.fr/sites/default/files/2026-02/06/202602-REGIONAL-2025-IMPORT.ZIP",
        "https://www.douane.gouv.fr/la-douane/archives/202502-Regional-2024-export.zip",
        "https://www.douane.gouv.fr/la-douane/archives/202503-Regional-2024-import.zip",  # the revision, newest publication
        "https://www.douane.gouv.fr/dl/202611-derniere-publication-CPF4PAYS.zip",  # the newest rolling file
    ]


def test_discovery_without_a_complete_year_takes_the_rolling_file_only():
    page = '<a href="/a/202602-Regional-2025-export.zip">x</a> <a href="/r/derniere-publication-cpf4pays.zip">r</a>'
    urls, year = discover.published(page, "http://127.0.0.1/").choice()
    assert year is None and urls == ["http://127.0.0.1/r/derniere-publication-cpf4pays.zip"]


def test_unreadable_page_falls_back_to_the_catalogue_with_one_warning(tmp_path, server, monkeypatch, caplog):
    catalogue_urls = [server.url("/c/202502-Regional-2024-export.zip"), server.url("/c/202502-Regional-2024-import.zip")]
    monkeypatch.setattr(ingest, "catalogue", lambda: {2024: catalogue_urls})
    monkeypatch.setattr(discover, "discovery", lambda: {"pages": [server.url("/missing")], "annual": ingest_patterns()["annual"],
                                                        "rolling": ingest_patterns()["rolling"]})
    settings = Settings(data_dir=tmp_path / "data", network=QUICK)
    with caplog.at_level(logging.WARNING):
        urls = ingest._what_to_fetch(settings, None, None, QUICK, None, [])
    assert urls == catalogue_urls
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "le catalogue est utilisé" in warnings[0]


def test_explicit_discover_page_that_fails_is_an_error(tmp_path, server):
    settings = Settings(data_dir=tmp_path / "data", network=QUICK)
    with pytest.raises(FetchError):
        ingest._what_to_fetch(settings, None, server.url("/missing"), QUICK, None, [])


def ingest_patterns() -> dict:
    from fiches.sources.catalogue import discovery

    return discovery()


def test_catalogue_has_2025_in_the_sites_naming_pattern():
    from fiches.sources.catalogue import catalogue

    urls = catalogue()[2025]
    assert [u.rsplit("/", 1)[1] for u in urls] == ["202602-Regional-2025-export.zip", "202602-Regional-2025-import.zip"]
    for url in urls:
        assert discover.published(f'<a href="{url}">x</a>', url).annual[2025]


# -- latest quarters: the model ------------------------------------------------------------------


def _rows(entries):
    return pd.DataFrame(entries, columns=["year", "quarter", "flow", "dep", "partner", "value", "final"])


def _quarterly(values: dict[tuple[int, int], int], *, provisional_from: tuple[int, int], deps=("12", "46")) -> pd.DataFrame:
    rows = []
    for (year, quarter), value in values.items():
        final = (year, quarter) < provisional_from
        for dep in deps:
            for flow, factor in (("E", 1), ("I", 2)):
                rows.append((year, quarter, flow, dep, "*", value * factor, final))
                rows.append((year, quarter, flow, dep, "US", value * factor // 10, final))
    return _rows(rows)


def test_latest_quarters_from_first_quarter_of_newest_final_year():
    values = {(2024, q): 100 + q for q in range(1, 5)} | {(2025, q): 200 + q for q in range(1, 5)} | {(2026, q): 300 + q for q in range(1, 4)}
    rows = _quarterly(values, provisional_from=(2026, 1))
    latest = latest_quarters(rows, departement("12"), lambda code: {"US": "États-Unis", "CN": "Chine"}[code])
    assert [q.label for q in latest.quarters] == ["T1 2025", "T2 2025", "T3 2025", "T4 2025", "T1 2026", "T2 2026", "T3 2026"]
    assert [q.final for q in latest.quarters] == [True] * 4 + [False] * 3
    assert latest.period == "T4 2025 – T3 2026" and latest.previous_period == "T4 2024 – T3 2025"
    assert latest.provisional
    assert latest.span(True) == "T1 2025 – T4 2025" and latest.span(False) == "T1 2026 – T3 2026"
    exports = latest.change("*", "E")
    assert exports.value == 204 + 301 + 302 + 303 and exports.previous == 104 + 201 + 202 + 203
    assert latest.change("*", "I").value == 2 * exports.value
    us = latest.change("US", "E")
    assert us.label == "États-Unis" and us.value == sum(v // 10 for v in (204, 301, 302, 303))
    china = latest.change("CN", "E")
    assert china.value == 0 and china.previous == 0 and china.percent is None


def test_latest_quarters_of_a_region_and_of_france_add_their_departements():
    values = {(2025, q): 10 * q for q in range(1, 5)} | {(2026, q): 50 + q for q in range(1, 4)} | {(2024, 4): 7}
    rows = _quarterly(values, provisional_from=(2026, 1))
    occitanie = latest_quarters(rows, region(region_of("12")), str)
    aveyron = latest_quarters(rows, departement("12"), str)
    france = latest_quarters(rows, FRANCE, str)
    assert occitanie.quarters[-1].exports == 2 * aveyron.quarters[-1].exports == france.quarters[-1].exports
    assert occitanie.change("*", "E").value == 2 * aveyron.change("*", "E").value


def test_no_comparison_without_the_same_quarters_a_year_earlier():
    values = {(2025, q): 10 for q in range(1, 5)} | {(2026, q): 11 for q in range(1, 4)}
    latest = latest_quarters(_quarterly(values, provisional_from=(2026, 1)), departement("12"), str)
    assert latest.period == "T4 2025 – T3 2026" and latest.previous_period == "" and latest.changes == ()


def test_no_section_without_four_consecutive_quarters():
    values = {(2024, 4): 1, (2025, 2): 1, (2025, 3): 1, (2025, 4): 1}  # T1 2025 missing
    assert latest_quarters(_quarterly(values, provisional_from=(2025, 2)), departement("12"), str) is None
    assert latest_quarters(None, departement("12"), str) is None


# -- end to end: discover, fetch, build ---------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict[str, bytes]:
    """Sample archives named as the customs name theirs: 2023 and 2024 final, the rolling file after them."""
    folder = tmp_path_factory.mktemp("published")
    files = {}
    for year in (2023, 2024):
        for flow, word in (("E", "export"), ("I", "import")):
            name = f"{year + 1}02-Regional-{year}-{word}.zip"
            files[name] = sample.write_archive(folder / name, year, flow, pairs=40).read_bytes()
    files[sample.ROLLING_NAME] = sample.write_rolling(folder / sample.ROLLING_NAME, pairs=40).read_bytes()
    return files


def _serve(server, files: dict[str, bytes]) -> str:
    links = "".join(f'<tr><td><a href="archives/{name}">{name}</a></td></tr>' for name in files if "Regional" in name)
    rolling = [name for name in files if "Regional" not in name][0]
    page = (f"<html><body><table>{links}</table><ul><li><a href='{server.url('/dl/' + rolling)}'>dernière publication</a></li>"
            f"<li><a href='/autre/202402-Regional-2022-export.pdf'>notice</a></li></ul></body></html>").encode()
    server.routes["/opendata/regional"] = lambda h: send(h, page, content_type="text/html; charset=utf-8")
    for name, body in files.items():
        path = f"/opendata/archives/{name}" if "Regional" in name else f"/dl/{name}"
        server.routes[path] = lambda h, body=body: send(h, body)
    return server.url("/opendata/regional")


def test_discover_then_build_gives_newest_year_its_change_and_the_latest_quarters(tmp_path, server, cli, published, monkeypatch):
    from fiches.sources import ti_list

    monkeypatch.setattr(ti_list, "territoires_dataset", lambda: server.url("/no-ti-list"))  # no network: the embedded table
    page = _serve(server, published)
    data, out = tmp_path / "data", tmp_path / "out"
    result = cli("fetch", "--discover", page, "--data-dir", data, network=QUICK)
    assert result.exit_code == 0, result.output
    assert "publications trouvées : 2024 et 2023, dernière publication" in result.output
    manifest = load_manifest(data)
    assert manifest.available_years() == [2023, 2024, 2025]
    assert manifest.is_final_and_complete(2024) and not manifest.is_final_and_complete(2025)
    quarters = read_quarters(manifest)
    # 2024's quarters come from the annual files, even where the rolling file has them too.
    assert quarters[(quarters.year == 2024)]["final"].all() and not quarters[(quarters.year == 2025)]["final"].any()

    result = cli("build", "12", "--source", "douanes", "--data-dir", data, "--out", out, "--jobs", "1", network=QUICK)
    assert result.exit_code == 0, result.output
    document = json.loads((out / "2024" / "departements" / "12-aveyron.json").read_text(encoding="utf-8"))
    assert document["year"] == 2024
    assert document["provenance"]["previous_year"] == 2023
    assert document["exports"]["change"]["previous_year"] == 2023
    latest = document["latest_quarters"]
    assert latest["period"] == "T4 2024 – T3 2025" and latest["previous_period"] == "T4 2023 – T3 2024"
    assert [q["label"] for q in latest["quarters"]][0] == "T1 2024" and latest["quarters"][-1]["label"] == "T3 2025"
    assert sum(q["exports_eur"] for q in latest["quarters"][:4]) == document["exports"]["total_eur"]
    assert {c["partner"] for c in latest["changes"]} == {"*", "US", "CN"}
    assert "quarters" in document["charts_alt_text"] and "par trimestre" in document["charts_alt_text"]["quarters"]
    import subprocess

    text = subprocess.run(["pdftotext", str(out / "2024" / "departements" / "12-aveyron.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Les derniers trimestres" in text and "T4 2024 – T3 2025" in text
    # The provisional quarters shown beyond the year name their publication and its checksum.
    rolling = document["provenance"]["quarter_publications"]
    assert {(p["flow"], p["year"], tuple(p["quarters"]), p["kind"]) for p in rolling} == {("E", 2025, (1, 2, 3), "rolling"), ("I", 2025, (1, 2, 3), "rolling")}
    assert all(p["archive"] == sample.ROLLING_NAME for p in rolling)
    flat = " ".join(text.split())
    assert "Derniers trimestres exportations et importations : dernière publication, données provisoires" in flat
    assert flat.count(rolling[0]["sha256"]) == 1  # one row for the file both flows take
    from openpyxl import load_workbook

    workbook = load_workbook(out / "2024" / "departements" / "12-aveyron.xlsx", read_only=True)
    assert {"Trimestres", "Trimestres sur un an"} <= set(workbook.sheetnames)


def test_no_latest_quarters_section_without_a_rolling_publication(tmp_path, server, cli, published):
    annual = {name: body for name, body in published.items() if "Regional" in name}
    files = []
    for name, body in annual.items():
        (tmp_path / name).write_bytes(body)
        files += ["--from-file", tmp_path / name]
    data, out = tmp_path / "data", tmp_path / "out"
    assert cli("fetch", *files, "--data-dir", data, network=QUICK).exit_code == 0
    result = cli("build", "12", "--source", "douanes", "--data-dir", data, "--out", out, "--jobs", "1", network=QUICK)
    assert result.exit_code == 0, result.output
    document = json.loads((out / "2024" / "departements" / "12-aveyron.json").read_text(encoding="utf-8"))
    assert document["latest_quarters"] is None and document["provenance"]["quarter_publications"] == []
    html = (out / "2024" / "departements" / "12-aveyron.html").read_text(encoding="utf-8")
    assert "quarters-section" not in html and "Les derniers trimestres" not in html
    text = __import__("subprocess").run(["pdftotext", str(out / "2024" / "departements" / "12-aveyron.pdf"), "-"], capture_output=True,
                                        text=True, check=True).stdout
    assert "Les derniers trimestres" not in text


# -- build --period 12m: the last four quarters -------------------------------------------------------

LABEL = "données provisoires, 4 derniers trimestres : T4 2024 – T3 2025"


def test_the_last_four_quarters_are_a_factsheet_labelled_everywhere(tmp_path, server, cli, published, monkeypatch):
    import subprocess

    from openpyxl import load_workbook

    from fiches.sources import ti_list

    monkeypatch.setattr(ti_list, "territoires_dataset", lambda: server.url("/no-ti-list"))
    data, out = tmp_path / "data", tmp_path / "out"
    assert cli("fetch", "--discover", _serve(server, published), "--data-dir", data, network=QUICK).exit_code == 0
    result = cli("build", "12", "--period", "12m", "--source", "douanes", "--data-dir", data, "--out", out, "--jobs", "1", network=QUICK)
    assert result.exit_code == 0, result.output
    assert "T4 2024 – T3 2025 (douanes) : 1 construite(s)" in " ".join(result.output.split())
    folder = out / "4-derniers-trimestres-T4-2024-T3-2025"
    base = folder / "departements" / "12-aveyron-T4-2024-T3-2025"
    assert all(base.with_suffix(suffix).is_file() for suffix in (".pdf", ".json", ".xlsx", ".html"))
    assert not (out / "2024").exists() and not (out / "2025").exists()  # the year's factsheets are not touched

    document = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
    assert document["period"] == {"label": LABEL, "quarters": "T4 2024 – T3 2025", "provisional": True}
    origin = document["provenance"]
    assert origin["period"] == "T4 2024 – T3 2025" and origin["previous_period"] == "T4 2023 – T3 2024" and not origin["final"]
    # Each quarter from the dataset its year takes it from: T4 2024 from the final annual file, 2025 from the rolling one.
    exports = {(p["year"], tuple(p["quarters"])): p["kind"] for p in origin["publications"] if p["flow"] == "E"}
    assert exports == {(2024, (4,)): "annual", (2025, (1, 2, 3)): "rolling"}
    # The period's figures, summed from the detailed rows, are those of the quarterly totals (summed by the parser).
    latest = document["latest_quarters"]
    last_four = latest["quarters"][-4:]
    assert [q["label"] for q in last_four] == ["T4 2024", "T1 2025", "T2 2025", "T3 2025"]
    assert document["exports"]["total_eur"] == sum(q["exports_eur"] for q in last_four)
    assert document["imports"]["total_eur"] == sum(q["imports_eur"] for q in last_four)
    # The change is on the same four quarters a year earlier, as the latest quarters' section computes it.
    whole = next(c for c in latest["changes"] if c["partner"] == "*" and c["flow"] == "E")
    assert document["exports"]["change"]["previous_eur"] == whole["previous_eur"]
    assert document["exports"]["change"]["basis"] == "T4 2023 – T3 2024"

    info = subprocess.run(["pdfinfo", str(base.with_suffix(".pdf"))], capture_output=True, text=True, check=True).stdout
    assert f"Commerce extérieur – Aveyron – {LABEL}" in " ".join(info.split())
    text = " ".join(subprocess.run(["pdftotext", str(base.with_suffix(".pdf")), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "Données provisoires, 4 derniers trimestres : T4 2024 – T3 2025" in text
    assert "par rapport à T4 2023 – T3 2024" in text and "Période des données" in text
    assert "commerce extérieur, quatre derniers trimestres, T4 2024 – T3 2025." in text and "année T4" not in text
    workbook = load_workbook(base.with_suffix(".xlsx"), read_only=True)
    assert workbook.properties.title == f"Commerce extérieur – Aveyron – {LABEL}"
    page = base.with_suffix(".html").read_text(encoding="utf-8")
    assert f'href="{base.name}.pdf"' in page and LABEL in page
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "T4 2024 – T3 2025" in index and f"departements/{base.name}.pdf" in index

    again = cli("build", "12", "--period", "12m", "--source", "douanes", "--data-dir", data, "--out", out, "--jobs", "1", network=QUICK)
    assert "1 à jour" in again.output  # its build key is stable


def test_the_last_four_quarters_need_the_rolling_publication_and_no_year(tmp_path, cli, published):
    files = []
    for name, body in published.items():
        if "Regional" in name:
            (tmp_path / name).write_bytes(body)
            files += ["--from-file", tmp_path / name]
    data, out = tmp_path / "data", tmp_path / "out"
    assert cli("fetch", *files, "--data-dir", data, network=QUICK).exit_code == 0
    result = cli("build", "12", "--period", "12m", "--source", "douanes", "--data-dir", data, "--out", out, network=QUICK)
    assert result.exit_code == 4 and "dernière publication des douanes (fichier CPF4PAYS)" in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1
    result = cli("build", "12", "--period", "12m", "--year", "2024", "--source", "douanes", "--data-dir", data, "--out", out, network=QUICK)
    assert result.exit_code == 2 and "ne lui donnez pas d'année" in result.output
    result = cli("build", "12", "--period", "6m", "--data-dir", data, "--out", out, network=QUICK)
    assert result.exit_code == 2 and "période inconnue" in result.output
    assert not out.exists()
