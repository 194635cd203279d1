"""The factsheet as a publication: the reference's headings, links and contact, the edition's texts,
French as a reader reads it, territories that are not like the others, and the sidecars."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from fiches.build import batch
from fiches.config import Settings
from fiches.model import formatting
from fiches.reference.geography import FRANCE, departement, region
from fiches.render import edition

pytestmark = pytest.mark.slow

CODES = ("12", "48", "974", "20", "13")  # Aveyron, Lozère, La Réunion, Corse, Bouches-du-Rhône (with Monaco's région)
LINKS = {
    "https://anct.gouv.fr/programmes-dispositifs/territoires-dindustrie", "https://anct.gouv.fr/espace-presse",
    "mailto:territoires-industrie@anct.gouv.fr", "https://anct.gouv.fr/actualites", "https://www.entreprises.gouv.fr/la-dge/actualites",
}


@pytest.fixture(scope="module")
def built(sample_settings: Settings, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("publication")
    territories = [departement(code) for code in CODES] + [region("21"), FRANCE]
    report = batch.build(sample_settings, territories, year=None, source="sample", out_dir=out, jobs=1)
    assert report.count("built") == len(territories), report.outcomes
    return out / "2024"


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _flat(pdf: Path) -> str:
    """The text as one line: line breaks and spaces as one space (no-break spaces kept)."""
    return re.sub(r"[ \t\n\r\f]+", " ", _text(pdf).replace("\u00ad", "")).strip()


def _pdfs(built: Path) -> list[Path]:
    return sorted(built.glob("*/*.pdf"))


def test_the_contact_the_links_and_the_co_steering_are_the_reference_s(built):
    from pypdf import PdfReader

    for pdf in _pdfs(built):
        text = _flat(pdf)
        assert "territoires-industrie@anct.gouv.fr" in text and "territoiresdindustrie@" not in text
        assert "piloté par l’Agence nationale de la cohésion des territoires (ANCT) et la direction générale des entreprises (DGE)" in text
        uris = {annotation.get_object()["/A"]["/URI"] for page in PdfReader(pdf).pages for annotation in page.get("/Annots", [])
                if annotation.get_object().get("/Subtype") == "/Link"}
        assert LINKS <= uris, (pdf.name, uris)
        page = pdf.with_suffix(".html").read_text(encoding="utf-8")
        assert all(f'href="{link}"' in page for link in LINKS)
        assert "Pas de chiffre infra-départemental" in page and "territoires-industrie@anct.gouv.fr" in page


def test_headings_chart_titles_and_reading_key(built):
    text = _flat(built / "departements" / "12-aveyron.pdf")
    for needed in (
        "Balance commerciale territoriale", "Clé de lecture :",
        "Balance commerciale par pays partenaire, Aveyron (en valeur, 2024)",
        "Principales activités à l’export et à l’import, Aveyron (2024)",
        "Flux à l’export par produit et par pays, Aveyron (en valeur, 2024)",
        "Flux à l’import par pays et par produit, Aveyron (en valeur, 2024)",
        "Exportations : comparaison avec l’Occitanie et la France", "Importations : comparaison avec l’Occitanie et la France",
        "Flux à l’export, Occitanie (en valeur, 2024)", "Flux à l’import, France entière (en valeur, 2024)",
        "ne sont pas accessibles aujourd’hui à un échelon plus fin que le département",
        "un bien produit dans un département A puis expédié depuis un entrepôt du département B compte dans les exportations de B",
    ):
        assert needed in text, needed


def test_the_balance_chart_writes_imports_exports_and_the_balance(built):
    data = json.loads((built / "departements" / "12-aveyron.json").read_text(encoding="utf-8"))
    text = _flat(built / "departements" / "12-aveyron.pdf")
    text = text.replace("\u00a0", " ")
    for partner in data["partners"]:
        for amount in (formatting.meur(partner["imports_eur"]), formatting.meur(partner["exports_eur"]), partner["balance"]):
            assert amount.replace("\u00a0", " ") in text, amount
        assert partner["balance"] != "0,0\u00a0M€"


def test_a_balance_near_nil_is_never_zero_point_zero_in_red():
    assert formatting.balance(48_000) == "+48\u00a0k€" and formatting.balance(-1_500) == "−2\u00a0k€"
    assert formatting.balance(400) == "≈\u00a00" and formatting.balance_sign(400) == "neutral"
    assert formatting.balance(-50_000) == "−0,1\u00a0M€" and formatting.balance_sign(-50_000) == "negative"


def test_french_articles_everywhere_including_alt_texts(built):
    for pdf in _pdfs(built):
        text = _flat(pdf)
        document = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
        alts = " ".join(document["charts_alt_text"].values())
        for wrong in ("de Aveyron", "de Occitanie", "de Île", "de La Lozère", "vers Namibie", " il vend"):
            assert wrong not in text and wrong not in alts, (pdf.name, wrong)
        assert not re.search(r"\b(?:de le|de les|à le|à les) [A-ZÉÎ]", text + alts), pdf.name
    assert "de l’Aveyron" in _flat(built / "departements" / "12-aveyron.pdf")
    assert "en Lozère" in _flat(built / "departements" / "48-lozere.pdf") or "de la Lozère" in _flat(built / "departements" / "48-lozere.pdf")
    assert "de La Réunion" in _flat(built / "departements" / "974-la-reunion.pdf")


def test_the_text_layer_gives_back_ordinary_hyphens_and_one_apostrophe(built):
    for pdf in _pdfs(built):
        text = _text(pdf)
        assert "\u2010" not in text, pdf.name  # searching "États-Unis" finds it
        assert "'" not in text, (pdf.name, [line for line in text.splitlines() if "'" in line][:3])
    assert "États-Unis" in _text(built / "departements" / "12-aveyron.pdf")


def test_no_word_is_broken_without_a_hyphen(built):
    for pdf in _pdfs(built):
        lines = [line.strip() for line in _text(pdf).splitlines() if line.strip()]
        for before, after in zip(lines, lines[1:]):
            # a line ending in the middle of a word: a lowercase letter, then one starting with lowercase letters
            assert not (re.search(r"[a-zé]{3}$", before) and re.match(r"^[a-zé]{1,3}\b", after) and len(after) < 4), (pdf.name, before, after)
        assert "pharmaceutiqu\nes" not in _text(pdf)


def test_overseas_departements_show_their_codes_and_say_what_their_figures_cover(built):
    text = _flat(built / "departements" / "974-la-reunion.pdf")
    assert "(974)" in text and "9D" not in text
    assert "ne portent que sur ses échanges avec l’étranger" in text
    assert "Départements d’outre-mer" not in text and "Part dans la région" not in text and "comparaison avec la France" in text
    assert not list((built / "regions").glob("*outre*"))


def test_corse_is_its_own_region_and_is_not_compared_with_itself(built):
    text = _flat(built / "departements" / "20-corse.pdf")
    assert "100,0 %" not in text.replace("\u00a0", " ") and "Part dans la région" not in text
    assert "Exportations : comparaison avec la France" in text and "comparaison avec la Corse" not in text
    assert "Une région, deux départements réunis" in text and "Corse-du-Sud et la Haute-Corse" in text
    assert "d’un seul département" not in text and "du département dans sa région" not in text
    assert "son poids en France" in text and "Les chiffres de la Corse sont les plus fins que publient les douanes" in text
    reunion = _flat(built / "departements" / "974-la-reunion.pdf")
    assert "forme à elle seule une région" in reunion and "du département dans sa région" not in reunion and "son poids en France" in reunion


def test_monaco_is_said_where_it_counts(built):
    for pdf in (built / "regions" / "93-provence-alpes-cote-d-azur.pdf", built / "france" / "FR-france.pdf",
                built / "departements" / "13-bouches-du-rhone.pdf"):
        # (pdftotext joins a word cut at its hyphen at a line's end without the hyphen)
        assert "les échanges de Monaco sont comptés dans la région ProvenceAlpesCôte d’Azur" in _flat(pdf).replace("-", ""), pdf.name
    assert "Monaco" not in _flat(built / "departements" / "12-aveyron.pdf")
    region_text = _flat(built / "regions" / "93-provence-alpes-cote-d-azur.pdf")
    assert "Monaco (" not in region_text and "(99)" not in region_text and "Monaco : exportations" in region_text
    france = _flat(built / "france" / "FR-france.pdf")
    assert "Occitanie (76)" in france and "La Réunion (974)" in france and "Classés par montant des échanges" in france


def test_regions_are_shown_with_their_insee_codes_and_speak_of_the_region(built):
    text = _flat(built / "regions" / "93-provence-alpes-cote-d-azur.pdf")
    assert "Région Provence-Alpes-Côte d’Azur (93)" in text.replace("Provence Alpes", "Provence-Alpes")
    for pdf in (built / "regions" / "93-provence-alpes-cote-d-azur.pdf", built / "france" / "FR-france.pdf"):
        assert not re.search(r"(échanges extérieurs|Territoires d’industrie|chiffres) du département\b", _flat(pdf)), pdf.name


def test_no_page_holds_a_single_line_and_the_tool_version_stays_in_the_provenance(built):
    for pdf in _pdfs(built):
        pages = _text(pdf).split("\f")
        for number, page in enumerate(pages[:-1] if not pages[-1].strip() else pages, start=1):
            lines = [line for line in page.splitlines() if line.strip()]
            assert len(lines) >= 10, (pdf.name, number, lines)
        text = _flat(pdf)
        assert text.count("fiches 0.") == 1 or text.count("fiches 0.") == text.count("Outil fiches")  # only in the provenance
        assert "SHA-256" in text.split("Provenance")[-1] and "SHA-256" not in text.split("Provenance")[0]


def test_treemap_labels_are_readable_and_the_legend_follows_the_blocks():
    from fiches.charts import treemap
    from fiches.charts.style import EXPORTS_SHADES, EXPORTS_VIOLET, IMPORTS_BLUE, IMPORTS_SHADES

    for shade in (*IMPORTS_SHADES, *EXPORTS_SHADES, IMPORTS_BLUE, EXPORTS_VIOLET):
        assert treemap.contrast(treemap.text_colour(shade), shade) >= 4.5, shade


def test_the_edition_and_its_date_are_in_the_provenance(built):
    document = json.loads((built / "departements" / "12-aveyron.json").read_text(encoding="utf-8"))
    default = edition.load()
    assert document["provenance"]["edition"] == default.name and document["provenance"]["edition_date"] == default.date
    assert "Édition de décembre 2026" in _flat(built / "departements" / "12-aveyron.pdf")


def test_the_sample_trades_only_codes_real_files_carry_and_no_military_equipment():
    from conftest import SHARED_DOUANES

    from fiches.sources.sample import SAMPLE_CPF4, generate_rows

    rows = generate_rows(2024, "E", pairs=40)
    assert not set(rows["a129"]) & {"C30D", "C25C"}
    if SHARED_DOUANES.is_dir():
        from fiches.sources.douanes import read_label_file

        real = read_label_file((SHARED_DOUANES / "Libelle_CPF4_rev2.1.txt").read_bytes())
        assert {code for code, _, _ in SAMPLE_CPF4} <= set(real)


# -- editions, not built ---------------------------------------------------------------------------


def _edition(tmp_path: Path, change) -> Path:
    text = change(edition.DEFAULT.read_text(encoding="utf-8"))
    path = tmp_path / "edition.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("change, needle", [
    (lambda t: t + '\n[unknown]\nkey = "x"\n', "clé inconnue « unknown »"),
    (lambda t: t.replace('[context]\ntitle = "Pourquoi s’y intéresser maintenant"\n', "[context]\n"), "texte obligatoire absent : « context.title »"),
    (lambda t: t.replace('email = "territoires-industrie@anct.gouv.fr"', 'email = "pas une adresse"'), "adresse électronique"),
    (lambda t: t.replace("commerce extérieur, {periode}.", "commerce extérieur, {période}."), "mot à remplacer inconnu"),
    (lambda t: t.replace('date = "2026-12-01"', 'date = "décembre"'), "AAAA-MM-JJ"),
    (lambda t: t + "\n[[[", "illisible"),
], ids=["unknown-key", "missing-text", "bad-email", "bad-placeholder", "bad-date", "not-toml"])
def test_a_bad_edition_is_one_line_and_exit_2(cli, tmp_path, change, needle):
    from test_reliability import _one_error_line

    path = _edition(tmp_path, change)
    result = cli("build", "12", "--source", "sample", "--edition", path, "--data-dir", tmp_path / "data", "--out", tmp_path / "out")
    _one_error_line(result, 2, needle)
    assert not (tmp_path / "out").exists()


def test_an_edition_replaces_the_texts_without_code(sample_settings, tmp_path):
    path = _edition(tmp_path, lambda t: t.replace('name = "Édition de décembre 2026"', 'name = "Édition spéciale"').replace(
        "Les tensions commerciales se sont accrues depuis le début de 2025", "Une **nouvelle** phrase sur le *contexte*, voir [la DGE](https://www.entreprises.gouv.fr/)"))
    out = tmp_path / "out"
    batch.build(sample_settings, [departement("46")], year=None, source="sample", out_dir=out, edition=path)
    text = _flat(out / "2024" / "departements" / "46-lot.pdf")
    assert "Une nouvelle phrase sur le contexte, voir la DGE" in text and "Édition spéciale" in text
    assert "Les tensions commerciales" not in text


def test_light_markup_is_escaped_otherwise():
    assert str(edition.inline("<b>gras</b> **vrai** *mis* [lien](https://a.fr/?x=1&y=2)")) == (
        '&lt;b&gt;gras&lt;/b&gt; <strong>vrai</strong> <em>mis</em> <a href="https://a.fr/?x=1&amp;y=2">lien</a>')
    assert str(edition.inline("[piège](javascript:alert(1))")) == "[piège](javascript:alert(1))"
