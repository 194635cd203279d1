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
    assert departement("12").of_name == "de l'Aveyron" and departement("59").of_name == "du Nord"
    assert departement("12").slug == "12-aveyron" and departement("2A").slug == "20-corse"
    for code in ("12", "46", "15"):
        assert "Aurillac – Figeac – Rodez" in territoires_in(code)
