"""Départements and régions: their customs (DGDDI) codes, names and how French speaks of them."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass

from fiches.config import REFERENCE_DIR
from fiches.errors import UsageError


def _table(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


_REGION_ROWS = {row["code"]: row for row in _table("regions.csv")}
_DEPARTEMENT_ROWS = {row["code"]: row for row in _table("departements.csv")}

#: DGDDI's own région codes, not INSEE's -> name as the customs write it (data/reference/regions.csv).
REGIONS: dict[str, str] = {code: row["name"].replace("’", "'") for code, row in _REGION_ROWS.items()}
#: customs code -> (name as the customs write it, DGDDI région). Corse is the single code 20,
#: Monaco 99, overseas 9A-9E (data/reference/departements.csv).
DEPARTEMENTS: dict[str, tuple[str, str]] = {code: (row["name"].replace("’", "'"), row["region"]) for code, row in _DEPARTEMENT_ROWS.items()}

MONACO = "99"
#: The customs' overseas group (24): not a région readers know, no factsheet of its own.
OVERSEAS_GROUP = "24"
#: Régions of a single département: their département's factsheet is the région's.
SINGLE_DEPARTEMENT_REGIONS = frozenset({"22"})
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
INSEE_REGIONS: dict[str, str] = {code: row["insee"] for code, row in _REGION_ROWS.items() if row["insee"]}

_OF = {"l’": "de l’", "le": "du ", "la": "de la ", "les": "des ", "": "de "}


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name.replace("’", "'")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


@dataclass(frozen=True)
class Territory:
    """A département, a région or France: anything a factsheet can be about.

    `code` is the customs' (DGDDI) code, used with the data; readers see `display_code`, INSEE's.
    """

    level: str  # "departement" | "region" | "france" | "territoire" (a Territoire d'industrie's dossier)
    code: str
    name: str  # as readers read it: "Côtes-d’Armor", "La Réunion"
    region_code: str | None = None

    @property
    def _row(self) -> dict[str, str]:
        if self.level == "departement":
            return _DEPARTEMENT_ROWS.get(self.code, {})
        if self.level == "region":
            return _REGION_ROWS.get(self.code, {})
        if self.level == "territoire":
            return {"in": f"dans le Territoire d’industrie {self.name}", "insee": self.code}
        return {"article": "la", "in": "en France", "insee": "FR"}

    @property
    def key(self) -> str:
        """Unique across levels, in the codes readers know: "12", "974", "20" (Corse), "R76", "FR"."""
        if self.level == "departement":
            return self.code if self.code == "20" else self.display_code
        return f"R{self.display_code}" if self.level == "region" else self.code  # "FR", or a territory's id

    @property
    def display_code(self) -> str:
        """The code readers know: 12, 974, "2A, 2B" for Corse; INSEE's for a région (76 Occitanie)."""
        if self.level == "departement":
            return ", ".join(INSEE_DEPARTEMENTS.get(self.code, (self.code,)))
        return self._row.get("insee") or self.code

    @property
    def slug(self) -> str:
        """File names use the codes readers know: 974-la-reunion, 20-corse, 76-occitanie."""
        code = self.code if self.code == "20" else self.display_code
        return f"{code}-{slugify(self.name)}"

    @property
    def article(self) -> str:
        return self._row.get("article", "")

    @property
    def the_name(self) -> str:
        """ "l’Aveyron", "le Lot", "la Lozère", "les Landes", "Paris", "La Réunion", "la France"."""
        if self.level == "france":
            return "la France"
        if self.level == "territoire":
            return f"le Territoire d’industrie {self.name}"
        article = self.article
        return f"{article}{self.name}" if article.endswith("’") else f"{article} {self.name}".strip()

    @property
    def of_name(self) -> str:
        """ "de l’Aveyron", "du Lot", "de la Lozère", "des Landes", "de Paris", "de l’Occitanie", "de la France"."""
        if self.level == "france":
            return "de la France"
        if self.level == "territoire":
            return f"du Territoire d’industrie {self.name}"
        return _OF.get(self.article, "de ") + self.name

    @property
    def in_name(self) -> str:
        """ "dans l’Aveyron", "en Lozère", "dans les Landes", "à Paris", "à La Réunion", "en Occitanie", "en France"."""
        return self._row.get("in") or f"dans {self.the_name}"

    @property
    def is_overseas(self) -> bool:
        return self.level == "departement" and self.region_code == OVERSEAS_GROUP

    @property
    def is_single_departement_region(self) -> bool:
        """Corse and each overseas département: its own région, which it would only repeat."""
        return self.level == "departement" and (self.region_code in SINGLE_DEPARTEMENT_REGIONS or self.is_overseas)

    @property
    def counts_monaco(self) -> bool:
        """Monaco is in the customs' Provence-Alpes-Côte d'Azur, so in that région's totals and France's."""
        return self.level == "france" or self.region_code == "21" or (self.level == "region" and self.code == "21")

    @property
    def region(self) -> Territory | None:
        """The région a factsheet compares itself with: none for a région of one département."""
        if self.region_code is None or self.level != "departement" or self.is_single_departement_region:
            return None
        return region(self.region_code)


FRANCE = Territory("france", "FR", "France")


def departement(code: str) -> Territory:
    """The département for a code as a user types it (`12`, `2A`, `971`...)."""
    return departement_or_monaco(normalise_code(code))


def departement_or_monaco(code: str) -> Territory:
    """A customs code as it appears in the data, Monaco included (it counts in its région's totals)."""
    row = _DEPARTEMENT_ROWS[code]
    return Territory("departement", code, row["name"], row["region"])


def region(code: str) -> Territory:
    return Territory("region", code, _REGION_ROWS[code]["name"], code)


def factsheet_regions() -> list[Territory]:
    """The régions that get a factsheet of their own: not Corse (its département's factsheet is the
    région's), nor the customs' overseas group (each overseas département is a région of its own)."""
    return [region(code) for code in sorted(REGIONS) if code not in SINGLE_DEPARTEMENT_REGIONS and code != OVERSEAS_GROUP]


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
