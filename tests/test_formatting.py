import pytest

from fiches.errors import UsageError
from fiches.model import formatting as f
from fiches.reference.geography import departement, normalise_code
from fiches.reference.territoires import territoires_in

NB = "\u00a0"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: f.meur(1_064_321_000), f"1{NB}064,3{NB}M€"),
        (lambda: f.meur(0), f"0,0{NB}M€"),
        (lambda: f.signed_meur(-32_000_000), f"\u221232,0{NB}M€"),
        (lambda: f.signed_meur(81_900_000), f"+81,9{NB}M€"),
        (lambda: f.signed_meur(10_000), f"0,0{NB}M€"),
        (lambda: f.percent(2.2), f"2,2{NB}%"),
        (lambda: f.share(0.18, 2), f"0,18{NB}%"),
        (lambda: f.share(0.001, 2), f"<{NB}0,01{NB}%"),
        (lambda: f.signed_percent(-8.04), f"\u22128,0{NB}%"),
        (lambda: f.number(1234567.891, 2), f"1{NB}234{NB}567,89"),
        (lambda: f.number(-0.04, 1), "0,0"),
    ],
)
def test_french_numbers(call, expected):
    assert call() == expected


@pytest.mark.parametrize(("typed", "code"), [("12", "12"), ("2A", "20"), ("2b", "20"), ("20", "20"), ("971", "9A"), ("976", "9E"), ("1", "01")])
def test_codes_people_type(typed, code):
    assert normalise_code(typed) == code


@pytest.mark.parametrize("bad", ["99", "00", "975", "abc", "96"])
def test_unknown_codes_are_refused(bad):
    with pytest.raises(UsageError):
        normalise_code(bad)


def test_names_and_territoires():
    assert departement("12").slug == "12-aveyron" and departement("2A").slug == "20-corse" and departement("974").slug == "974-la-reunion"
    for code in ("12", "46", "15"):
        (ti,) = [t for t in territoires_in(departement(code).code) if t.name == "Aurillac – Figeac – Rodez"]
        assert set(ti.departements) == {"12", "15", "46"}
    (aveyron,) = [t for t in territoires_in("12") if t.name == "Aurillac – Figeac – Rodez"]
    assert aveyron.others("12") == ("le Cantal", "le Lot")


EXPECTED_FRENCH = {  # code: (the name, of, in)
    "12": ("l’Aveyron", "de l’Aveyron", "dans l’Aveyron"), "46": ("le Lot", "du Lot", "dans le Lot"),
    "48": ("la Lozère", "de la Lozère", "en Lozère"), "40": ("les Landes", "des Landes", "dans les Landes"),
    "75": ("Paris", "de Paris", "à Paris"), "974": ("La Réunion", "de La Réunion", "à La Réunion"),
    "976": ("Mayotte", "de Mayotte", "à Mayotte"), "2A": ("la Corse", "de la Corse", "en Corse"),
    "07": ("l’Ardèche", "de l’Ardèche", "en Ardèche"), "22": ("les Côtes-d’Armor", "des Côtes-d’Armor", "dans les Côtes-d’Armor"),
    "90": ("le Territoire de Belfort", "du Territoire de Belfort", "dans le Territoire de Belfort"),
    "971": ("la Guadeloupe", "de la Guadeloupe", "en Guadeloupe"),
}


def test_every_departement_takes_its_article_and_prepositions():
    from fiches.reference.geography import DEPARTEMENTS, MONACO, departement_or_monaco

    for code, (the, of, inside) in EXPECTED_FRENCH.items():
        territory = departement(code)
        assert (territory.the_name, territory.of_name, territory.in_name) == (the, of, inside), code
    for code in DEPARTEMENTS:
        territory = departement_or_monaco(code)
        of, inside = territory.of_name, territory.in_name
        # never "de Aveyron", "de Occitanie", "de le …", "de les …", "en le …"
        assert not any(bad in of for bad in (" de A", " de E", " de I", " de O", " de U", "de le ", "de les ", "de l’ ")), of
        assert of.startswith(("de l’", "du ", "de la ", "des ", "de ")) and inside.startswith(("dans ", "en ", "à ")), (code, of, inside)
        if code != MONACO:
            assert territory.name[0].isupper() and "'" not in of + inside + territory.the_name
        article = territory.article
        assert {"l’": of.startswith("de l’"), "le": of.startswith("du "), "la": of.startswith("de la "),
                "les": of.startswith("des "), "": of.startswith("de ")}[article], code
    assert len(DEPARTEMENTS) == 101


def test_every_region_takes_its_article_and_its_insee_code():
    from fiches.reference.geography import REGIONS, factsheet_regions, region

    expected = {"12": ("76", "de l’Occitanie", "en Occitanie"), "13": ("44", "du Grand Est", "dans le Grand Est"),
                "01": ("32", "des Hauts-de-France", "dans les Hauts-de-France"), "03": ("11", "de l’Île-de-France", "en Île-de-France"),
                "08": ("52", "des Pays de la Loire", "dans les Pays de la Loire"), "04": ("24", "du Centre-Val de Loire", "en Centre-Val de Loire")}
    for code, (insee, of, inside) in expected.items():
        r = region(code)
        assert (r.display_code, r.of_name, r.in_name) == (insee, of, inside)
        assert r.slug.startswith(insee + "-")
    shown = {r.code for r in factsheet_regions()}
    assert shown == set(REGIONS) - {"22", "24"}  # Corse's département is its région; "24" is no région
    for code in REGIONS:
        assert not region(code).of_name.startswith(("de A", "de O", "de Î"))


def test_compact_chart_labels_switch_to_billions_above_ten_billion():
    from fiches.model.formatting import NBSP, compact_eur

    assert compact_eur(875_400_000) == f"875{NBSP}M€"
    assert compact_eur(9_999_000_000) == f"9{NBSP}999{NBSP}M€"
    assert compact_eur(170_460_000_000) == f"170,5{NBSP}Md€"


def test_a_publication_date_reads_as_a_reader_says_it():
    from fiches.render.templating import vintage_fr

    assert vintage_fr("2025-02") == "de février 2025"
    assert vintage_fr("2026-12-01") == "du 1er décembre 2026"
    assert vintage_fr("inconnue") == "inconnue"


def test_treemap_labels_are_wrapped_without_cutting_a_word_or_leaving_one_alone():
    from fiches.charts import treemap
    from fiches.charts.style import plotly_text

    for label in ("Équipements de communication", "Produits pharmaceutiques de base", "Machines-outils", "Cuir et chaussures"):
        lines = plotly_text(label, treemap.WRAP, break_words=False).split("<br>")
        assert " ".join(lines) == label  # every word whole, hyphenated names too
        assert all(len(line) > 3 for line in lines), lines


def test_a_run_of_quarters_breaks_only_after_its_dash():
    from fiches.render.templating import quarter_nbsp

    assert quarter_nbsp("T4 2023 – T3 2024") == "T4\u00a02023\u00a0– T3\u00a02024"
    assert quarter_nbsp("par rapport à 2023") == "par rapport à 2023"
