"""The Territoires d'industrie: which territories lie, wholly or partly, in which départements.

From the curated table data/reference/territoires_industrie.csv (see its .md for sources and coverage).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from fiches.config import REFERENCE_DIR


@dataclass(frozen=True)
class TerritoireIndustrie:
    name: str
    departements: tuple[str, ...]


@cache
def territoires_industrie() -> tuple[TerritoireIndustrie, ...]:
    """The curated table in data/reference (see its .md for source, date and coverage)."""
    path = REFERENCE_DIR / "territoires_industrie.csv"
    by_name: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            by_name.setdefault(row["ti_name"].strip(), []).append(row["departement"].strip())
    return tuple(TerritoireIndustrie(name, tuple(deps)) for name, deps in sorted(by_name.items()))


def territoires_in(dep_code: str) -> tuple[str, ...]:
    return tuple(ti.name for ti in territoires_industrie() if dep_code in ti.departements)
