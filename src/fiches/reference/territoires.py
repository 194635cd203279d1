"""The Territoires d'industrie: which territories lie, wholly or partly, in which départements.

Two sources: the official commune-level list that ANCT publishes on data.gouv.fr
(`liste-ti-com2023-YYYYMMDD.csv`, read by `read_official`, fetched by `fiches fetch`), and, when it
is not at hand, the table embedded in data/reference/territoires_industrie.csv (see its .md).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from fiches.config import REFERENCE_DIR
from fiches.errors import DataError
from fiches.reference.geography import DEPARTEMENTS, MONACO, departement_or_monaco

#: When the embedded table was compiled (its .md says from what).
EMBEDDED_DATE = "2026-12-02"
OFFICIAL_NAME = re.compile(r"liste-ti-com\d{4}-(\d{8})\.csv$", re.IGNORECASE)
OFFICIAL_COLUMNS = ("insee_com", "lib_com", "id_ti", "lib_ti")
_OVERSEAS = {"971": "9A", "972": "9B", "973": "9C", "974": "9D", "976": "9E"}


@dataclass(frozen=True)
class TerritoireIndustrie:
    id: str  # ANCT's id_ti, or the embedded table's own (T001…)
    name: str
    departements: tuple[str, ...]  # customs codes, the main one first
    source: str = ""  # where the row comes from (a URL, or the official list)

    @property
    def is_interdepartmental(self) -> bool:
        return len(self.departements) > 1

    def others(self, code: str) -> tuple[str, ...]:
        """The other départements it covers, as French names them: ("le Cantal", "le Lot")."""
        return tuple(departement_or_monaco(other).the_name for other in self.departements if other != code)


@dataclass(frozen=True)
class TiList:
    """The list a build uses, and how its provenance names it."""

    entries: tuple[TerritoireIndustrie, ...]
    description: str  # "liste officielle … (ANCT), du 4 juillet 2024" or "table intégrée à l’outil, compilée le 2026-12-02"
    official: bool

    def in_departement(self, code: str) -> tuple[TerritoireIndustrie, ...]:
        return tuple(ti for ti in self.entries if code in ti.departements)


@cache
def embedded() -> TiList:
    """The curated table in data/reference (see its .md for sources, date and coverage)."""
    entries = []
    with (REFERENCE_DIR / "territoires_industrie.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            codes = tuple(code.strip() for code in row["departements"].split(";") if code.strip())
            entries.append(TerritoireIndustrie(row["id"].strip(), row["ti_name"].strip().replace("'", "’"), codes, row["source"].strip()))
    return TiList(tuple(sorted(entries, key=lambda t: t.name)), f"table intégrée à l’outil, compilée le {EMBEDDED_DATE}", False)


def departement_of_commune(code: str) -> str | None:
    """The customs code of a commune's département: its code's first two characters, 2A/2B -> 20,
    971-976 -> 9A-9E; None for a code that is not a French commune's."""
    code = code.strip().upper()
    if len(code) != 5:
        return None
    if code[:3] in _OVERSEAS:
        return _OVERSEAS[code[:3]]
    head = code[:2]
    if head in ("2A", "2B"):
        return "20"
    return head if head.isdigit() and head in DEPARTEMENTS and head not in (MONACO, "20") else None


def read_official(raw: bytes, label: str) -> tuple[TerritoireIndustrie, ...]:
    """The official commune-level list: `;` or `,`, UTF-8 with or without BOM, CRLF, quoted names.
    Raises DataError, in one line, for a file that is not that list."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{label} : liste des Territoires d’industrie illisible (encodage autre qu’UTF-8)") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if not set(OFFICIAL_COLUMNS) <= set(header):
        raise DataError(f"{label} : colonnes {', '.join(OFFICIAL_COLUMNS)} attendues, trouvé : {', '.join(header) or 'aucune'}")
    reader.fieldnames = header
    names: dict[str, str] = {}
    communes: dict[str, Counter] = {}
    bad = []
    for line, row in enumerate(reader, start=2):
        ti, name = (row.get("id_ti") or "").strip(), (row.get("lib_ti") or "").strip().replace("'", "’")
        dep = departement_of_commune(row.get("insee_com") or "")
        if not ti or not name or dep is None:
            bad.append(line)
            continue
        names.setdefault(ti, name)
        communes.setdefault(ti, Counter())[dep] += 1
    if not names:
        raise DataError(f"{label} : aucun Territoire d’industrie lisible dans la liste")
    if len(bad) > max(5, len(names)):
        raise DataError(f"{label} : {len(bad)} lignes illisibles (lignes {', '.join(map(str, bad[:5]))}…), liste refusée")
    return tuple(
        sorted(
            (TerritoireIndustrie(ti, names[ti], tuple(d for d, _ in sorted(communes[ti].items(), key=lambda kv: (-kv[1], kv[0]))),
                                 "liste officielle")
             for ti in names),
            key=lambda t: t.name,
        )
    )


def official_date(file_name: str) -> str | None:
    """ "2024-07-04" from liste-ti-com2023-20240704.csv."""
    found = OFFICIAL_NAME.search(file_name)
    if not found:
        return None
    digits = found.group(1)
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def territoires_in(dep_code: str, tis: TiList | None = None) -> tuple[TerritoireIndustrie, ...]:
    return (tis or embedded()).in_departement(dep_code)
