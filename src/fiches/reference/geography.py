"""Départements and régions: their customs (DGDDI) codes, names and how French speaks of them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fiches.errors import UsageError

#: DGDDI's own région codes, not INSEE's.
REGIONS: dict[str, str] = {
    "01": "Hauts-de-France",
    "03": "Île-de-France",
    "04": "Centre-Val de Loire",
    "05": "Normandie",
    "07": "Bretagne",
    "08": "Pays de la Loire",
    "09": "Nouvelle-Aquitaine",
    "12": "Occitanie",
    "13": "Grand Est",
    "16": "Bourgogne-Franche-Comté",
    "18": "Auvergne-Rhône-Alpes",
    "21": "Provence-Alpes-Côte d'Azur",
    "22": "Corse",
    "24": "Départements d'outre-mer",
}

# fmt: off
#: customs code -> (name, DGDDI région). Corse is the single code 20, Monaco 99, overseas 9A-9E.
DEPARTEMENTS: dict[str, tuple[str, str]] = {
    "01": ("Ain", "18"), "02": ("Aisne", "01"), "03": ("Allier", "18"),
    "04": ("Alpes-de-Haute-Provence", "21"), "05": ("Hautes-Alpes", "21"),
    "06": ("Alpes-Maritimes", "21"), "07": ("Ardèche", "18"), "08": ("Ardennes", "13"),
    "09": ("Ariège", "12"), "10": ("Aube", "13"), "11": ("Aude", "12"), "12": ("Aveyron", "12"),
    "13": ("Bouches-du-Rhône", "21"), "14": ("Calvados", "05"), "15": ("Cantal", "18"),
    "16": ("Charente", "09"), "17": ("Charente-Maritime", "09"), "18": ("Cher", "04"),
    "19": ("Corrèze", "09"), "20": ("Corse", "22"), "21": ("Côte-d'Or", "16"),
    "22": ("Côtes-d'Armor", "07"), "23": ("Creuse", "09"), "24": ("Dordogne", "09"),
    "25": ("Doubs", "16"), "26": ("Drôme", "18"), "27": ("Eure", "05"),
    "28": ("Eure-et-Loir", "04"), "29": ("Finistère", "07"), "30": ("Gard", "12"),
    "31": ("Haute-Garonne", "12"), "32": ("Gers", "12"), "33": ("Gironde", "09"),
    "34": ("Hérault", "12"), "35": ("Ille-et-Vilaine", "07"), "36": ("Indre", "04"),
    "37": ("Indre-et-Loire", "04"), "38": ("Isère", "18"), "39": ("Jura", "16"),
    "40": ("Landes", "09"), "41": ("Loir-et-Cher", "04"), "42": ("Loire", "18"),
    "43": ("Haute-Loire", "18"), "44": ("Loire-Atlantique", "08"), "45": ("Loiret", "04"),
    "46": ("Lot", "12"), "47": ("Lot-et-Garonne", "09"), "48": ("Lozère", "12"),
    "49": ("Maine-et-Loire", "08"), "50": ("Manche", "05"), "51": ("Marne", "13"),
    "52": ("Haute-Marne", "13"), "53": ("Mayenne", "08"), "54": ("Meurthe-et-Moselle", "13"),
    "55": ("Meuse", "13"), "56": ("Morbihan", "07"), "57": ("Moselle", "13"),
    "58": ("Nièvre", "16"), "59": ("Nord", "01"), "60": ("Oise", "01"), "61": ("Orne", "05"),
    "62": ("Pas-de-Calais", "01"), "63": ("Puy-de-Dôme", "18"),
    "64": ("Pyrénées-Atlantiques", "09"), "65": ("Hautes-Pyrénées", "12"),
    "66": ("Pyrénées-Orientales", "12"), "67": ("Bas-Rhin", "13"), "68": ("Haut-Rhin", "13"),
    "69": ("Rhône", "18"), "70": ("Haute-Saône", "16"), "71": ("Saône-et-Loire", "16"),
    "72": ("Sarthe", "08"), "73": ("Savoie", "18"), "74": ("Haute-Savoie", "18"),
    "75": ("Paris", "03"), "76": ("Seine-Maritime", "05"), "77": ("Seine-et-Marne", "03"),
    "78": ("Yvelines", "03"), "79": ("Deux-Sèvres", "09"), "80": ("Somme", "01"),
    "81": ("Tarn", "12"), "82": ("Tarn-et-Garonne", "12"), "83": ("Var", "21"),
    "84": ("Vaucluse", "21"), "85": ("Vendée", "08"), "86": ("Vienne", "09"),
    "87": ("Haute-Vienne", "09"), "88": ("Vosges", "13"), "89": ("Yonne", "16"),
    "90": ("Territoire de Belfort", "16"), "91": ("Essonne", "03"),
    "92": ("Hauts-de-Seine", "03"), "93": ("Seine-Saint-Denis", "03"),
    "94": ("Val-de-Marne", "03"), "95": ("Val-d'Oise", "03"),
    "99": ("Monaco", "21"),
    "9A": ("Guadeloupe", "24"), "9B": ("Martinique", "24"), "9C": ("Guyane", "24"),
    "9D": ("La Réunion", "24"), "9E": ("Mayotte", "24"),
}
# fmt: on

#: How French says "of <département>": l'Aveyron, le Nord, la Gironde, les Landes, Paris.
_ARTICLES = {
    "l'": "01 02 03 07 09 10 11 12 27 28 34 35 36 37 60 61 89 91",
    "les": "04 05 06 08 13 22 40 64 65 66 79 88 78 92",
    "le": "14 15 18 25 29 30 31 32 39 41 45 46 47 49 56 59 62 63 67 68 69 81 82 83 84 90 94 95",
    "la": "16 17 19 20 21 23 24 26 33 42 43 44 48 50 51 52 53 54 55 57 58 70 72 73 74 76 77 80 85 86 87 93 9A 9B 9C",
}
_ARTICLE_OF = {code: article for article, codes in _ARTICLES.items() for code in codes.split()}

MONACO = "99"
#: Codes people type that the customs files spell differently.
ALIASES: dict[str, str] = {
    "2A": "20", "2B": "20",
    "971": "9A", "972": "9B", "973": "9C", "974": "9D", "976": "9E",
}
#: The INSEE codes readers know, for the customs codes that differ (Corse is two départements).
INSEE_DEPARTEMENTS: dict[str, tuple[str, ...]] = {
    "20": ("2A", "2B"), "9A": ("971",), "9B": ("972",), "9C": ("973",), "9D": ("974",), "9E": ("976",),
}
#: DGDDI région code -> INSEE's. The customs' "24" gathers the five overseas régions: no one code.
INSEE_REGIONS: dict[str, str] = {
    "01": "32", "03": "11", "04": "24", "05": "28", "07": "53", "08": "52", "09": "75",
    "12": "76", "13": "44", "16": "27", "18": "84", "21": "93", "22": "94",
}


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


@dataclass(frozen=True)
class Territory:
    """A département, a région or France: anything a factsheet can be about."""

    level: str  # "departement" | "region" | "france"
    code: str
    name: str
    region_code: str | None = None

    @property
    def key(self) -> str:
        """Unique across levels (the région 12 is not the département 12): "12", "R12", "FR"."""
        return {"departement": self.code, "region": f"R{self.code}"}.get(self.level, self.code)

    @property
    def slug(self) -> str:
        return f"{self.code}-{slugify(self.name)}"

    @property
    def of_name(self) -> str:
        """ "de l'Aveyron", "du Nord", "de la région Occitanie", "de la France"."""
        if self.level == "france":
            return "de la France"
        if self.level == "region":
            return f"de la région {self.name}"
        article = _ARTICLE_OF.get(self.code)
        return {"l'": f"de l'{self.name}", "le": f"du {self.name}", "la": f"de la {self.name}", "les": f"des {self.name}"}.get(
            article or "", f"de {self.name}"
        )

    @property
    def region(self) -> Territory | None:
        if self.region_code is None or self.level != "departement":
            return None
        return region(self.region_code)


FRANCE = Territory("france", "FR", "France")


def departement(code: str) -> Territory:
    """The département for a code as a user types it (`12`, `2A`, `971`...)."""
    canonical = normalise_code(code)
    name, region_code = DEPARTEMENTS[canonical]
    return Territory("departement", canonical, name, region_code)


def departement_or_monaco(code: str) -> Territory:
    """A customs code as it appears in the data, Monaco included (it counts in its région's totals)."""
    name, region_code = DEPARTEMENTS[code]
    return Territory("departement", code, name, region_code)


def region(code: str) -> Territory:
    return Territory("region", code, REGIONS[code])


def normalise_code(code: str) -> str:
    raw = code.strip().upper()
    if raw.isdigit() and len(raw) == 1:
        raw = "0" + raw
    canonical = ALIASES.get(raw, raw)
    if canonical not in DEPARTEMENTS or canonical == MONACO:
        hint = " (Monaco n'a pas de fiche)" if canonical == MONACO else ""
        raise UsageError(
            f"code de département inconnu : {code!r}{hint} ; "
            "attendu 01 à 95, 2A/2B/20 pour la Corse, 971 à 976 ou 9A à 9E pour l'outre-mer"
        )
    return canonical


def factsheet_departements() -> list[Territory]:
    """Every département that gets a factsheet: all but Monaco."""
    return [departement(code) for code in DEPARTEMENTS if code != MONACO]


def region_of(dep_code: str) -> str:
    return DEPARTEMENTS[dep_code][1]
