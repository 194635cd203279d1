"""The Territoires d'industrie: the official list read and kept, the embedded table, the factsheets'
mentions, and a dossier per territory."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import send, snapshot
from test_reliability import _one_error_line

from fiches.build import batch
from fiches.errors import DataError
from fiches.reference import territoires
from fiches.reference.geography import departement
from fiches.sources import ti_list
from fiches.sources.store import load_manifest

#: The official layout (insee_com;lib_com;id_ti;lib_ti), with Corse and overseas communes.
OFFICIAL = (
    "insee_com;lib_com;id_ti;lib_ti\r\n"
    "12202;Rodez;TI-012;Aurillac - Figeac - Rodez\r\n"
    "12145;Millau;TI-012;Aurillac - Figeac - Rodez\r\n"
    "15014;Aurillac;TI-012;Aurillac - Figeac - Rodez\r\n"
    "46102;Figeac;TI-012;Aurillac - Figeac - Rodez\r\n"
    '2A004;Ajaccio;TI-200;"Pays ajaccien ; Gravona"\r\n'
    "2B033;Bastia;TI-201;Bastia\r\n"
    "97411;Saint-Denis;TI-974;Territoire de l'Ouest\r\n"
    "97611;Mamoudzou;TI-976;Mayotte\r\n"
)


@pytest.mark.parametrize("variant", ["semicolon", "comma", "bom", "lf"])
def test_the_official_list_reads_corse_and_overseas_communes_whatever_its_separator(variant):
    text = OFFICIAL
    if variant == "comma":
        text = text.replace(";", ",").replace('"Pays ajaccien , Gravona"', '"Pays ajaccien ; Gravona"')
    raw = text.encode("utf-8")
    if variant == "bom":
        raw = b"\xef\xbb\xbf" + raw
    if variant == "lf":
        raw = raw.replace(b"\r\n", b"\n")
    entries = {ti.id: ti for ti in territoires.read_official(raw, "liste-ti-com2023-20240704.csv")}
    assert entries["TI-012"].departements == ("12", "15", "46")  # the main département first: most communes
    assert entries["TI-200"].departements == ("20",) and entries["TI-200"].name == "Pays ajaccien ; Gravona"
    assert entries["TI-201"].departements == ("20",)
    assert entries["TI-974"].departements == ("9D",) and entries["TI-974"].name == "Territoire de l’Ouest"
    assert entries["TI-976"].departements == ("9E",)


def test_a_file_that_is_not_the_list_is_refused_in_one_line():
    with pytest.raises(DataError, match="colonnes insee_com, lib_com, id_ti, lib_ti attendues"):
        territoires.read_official(b"a;b;c\n1;2;3\n", "x.csv")
    with pytest.raises(DataError, match="UTF-8"):
        territoires.read_official("insee_com;lib_com;id_ti;lib_ti\n12202;Rodez;T;Aurillac – Rodez\n".encode("cp1252"), "x.csv")
    assert territoires.departement_of_commune("2A004") == "20" and territoires.departement_of_commune("97411") == "9D"
    assert territoires.departement_of_commune("99138") is None and territoires.departement_of_commune("123") is None


def test_the_embedded_table_names_its_sources_and_the_other_departements():
    table = territoires.embedded()
    assert not table.official and "compilée le" in table.description
    assert len(table.entries) >= 115 and all(ti.source.startswith("http") for ti in table.entries)
    assert len({ti.id for ti in table.entries}) == len(table.entries)
    (ti,) = [t for t in table.entries if t.name == "Aurillac – Figeac – Rodez"]
    assert ti.others("12") == ("le Cantal", "le Lot")


def test_fetch_takes_the_list_from_a_file_and_builds_say_so(cli, settings, sample_settings, tmp_path):
    path = tmp_path / "liste-ti-com2023-20240704.csv"
    path.write_text(OFFICIAL, encoding="utf-8")
    result = cli("fetch", "--ti-from-file", path, "--data-dir", settings.data_dir)
    assert result.exit_code == 0, result.stderr
    assert "5 territoires" in result.stderr and "du 2024-07-04" in result.stderr
    entry = load_manifest(settings.data_dir).territoires
    assert entry["name"] == path.name and len(entry["sha256"]) == 64 and (settings.data_dir / entry["file"]).is_file()
    listed = ti_list.load_list(settings.data_dir)
    assert listed.official and "liste officielle liste-ti-com2023-20240704.csv" in listed.description


def test_a_bad_list_is_refused_and_the_data_folder_is_unchanged(cli, settings, tmp_path):
    path = tmp_path / "liste.csv"
    path.write_text("nom;autre\nx;y\n", encoding="utf-8")
    before = snapshot(settings.data_dir)
    _one_error_line(cli("fetch", "--ti-from-file", path, "--data-dir", settings.data_dir), 4, "colonnes")
    assert snapshot(settings.data_dir) == before and ti_list.load_list(settings.data_dir) is None  # the embedded table stays


def test_fetch_takes_the_list_from_a_url_and_from_the_dataset_description(settings, server, monkeypatch):
    server.routes["/ti.csv"] = lambda h: send(h, OFFICIAL.encode(), content_type="text/csv")
    assert "5 territoires" in ti_list.fetch_list(settings, url=server.url("/ti.csv"))
    description = {"resources": [
        {"title": "Liste 2023", "url": server.url("/old/liste-ti-com2023-20230802.csv")},
        {"title": "Liste", "url": server.url("/new/liste-ti-com2023-20240704.csv")},
        {"title": "Autre", "url": server.url("/grpt.csv")},
    ]}
    server.routes["/api/dataset/"] = lambda h: send(h, json.dumps(description).encode(), content_type="application/json")
    server.routes["/new/liste-ti-com2023-20240704.csv"] = lambda h: send(h, OFFICIAL.replace("Bastia", "Bastia Nord").encode(), content_type="text/csv")
    monkeypatch.setattr(ti_list, "territoires_dataset", lambda: server.url("/api/dataset/"))
    line = ti_list.fetch_list(settings)
    assert "du 2024-07-04" in line and server.hits.get("/new/liste-ti-com2023-20240704.csv") == 1
    assert any(ti.name == "Bastia Nord" for ti in ti_list.load_list(settings.data_dir).entries)
    server.routes["/page.csv"] = lambda h: send(h, b"<html>maintenance</html>", content_type="text/csv")
    with pytest.raises(Exception, match="HTML"):
        ti_list.fetch_list(settings, url=server.url("/page.csv"))


def test_a_departement_without_a_known_territory_says_so_plainly(sample_settings, tmp_path):
    out = tmp_path / "out"
    codes = [code for code in ("03", "16", "19") if not territoires.embedded().in_departement(code)]
    batch.build(sample_settings, [departement(codes[0])], year=None, source="sample", out_dir=out, jobs=1)
    (pdf,) = (out / "2024" / "departements").glob("*.pdf")
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split())
    assert "Aucun Territoire d’industrie n’est recensé pour" in text and "La liste officielle des territoires, qui fait référence" in text
    assert "table de référence de cet outil" not in text


@pytest.mark.slow
def test_dossiers_are_built_with_their_departements_side_by_side(sample_settings, tmp_path):
    out = tmp_path / "out"
    report = batch.build(sample_settings, [departement("12"), departement("15"), departement("46")], year=None, source="sample",
                         out_dir=out, jobs=2, dossiers=True)
    assert report.count("failed") == 0, report.failed
    folder = out / "2024" / "territoires"
    (aurillac,) = folder.glob("*-aurillac-figeac-rodez.json")
    data = json.loads(aurillac.read_text(encoding="utf-8"))
    assert [d["code"] for d in data["departements"]] == ["12", "15", "46"]
    assert data["exports"]["total_eur"] == sum(d["exports_eur"] for d in data["departements"])
    assert "plus large que le territoire" in data["total_is"]
    for part in data["departements"]:
        factsheet = json.loads((out / "2024" / "departements" / part["factsheet"].split("/")[-1]).with_suffix(".json").read_text(encoding="utf-8"))
        assert factsheet["exports"]["total_eur"] == part["exports_eur"]
    pdf = aurillac.with_suffix(".pdf")
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split())
    assert "Somme des départements entiers" in text and "plus large que le territoire lui-même" in text
    from pypdf import PdfReader

    uris = {a.get_object()["/A"].get("/URI") for page in PdfReader(pdf).pages for a in page.get("/Annots", [])}
    assert {"../departements/12-aveyron.pdf", "../departements/15-cantal.pdf", "../departements/46-lot.pdf"} <= uris
    assert aurillac.with_suffix(".xlsx").is_file() and len(list(folder.glob("*.pdf"))) == len(territoires.embedded().entries)
    index = (out / "2024" / "index.html").read_text(encoding="utf-8")
    assert "Territoire d’industrie" in index and aurillac.with_suffix(".pdf").name in index
    again = batch.build(sample_settings, [], year=None, source="sample", out_dir=out, jobs=1, dossiers=True)
    assert again.count("skipped") == len(territoires.embedded().entries)  # up to date


@pytest.mark.slow
def test_dossiers_build_from_archives_in_the_customs_layout(settings, tmp_path):
    from test_trust import _annual

    from fiches.sources import ingest

    ingest.fetch(settings, files=_annual(tmp_path))
    out = tmp_path / "out"
    report = batch.build(settings, [], year=2024, source="douanes", out_dir=out, jobs=1, dossiers=True)
    assert report.count("failed") == 0, report.failed
    (aurillac,) = (out / "2024" / "territoires").glob("*-aurillac-figeac-rodez.json")
    data = json.loads(aurillac.read_text(encoding="utf-8"))
    assert [d["code"] for d in data["departements"]] == ["12", "46"]  # the Cantal has no trade in these files
    assert data["exports"]["total_eur"] == 1_750_000 + 2_000_000 and not data["sample"]
