"""The catalogue of where the customs publish their archives: `sources.toml`, beside this module."""

from __future__ import annotations

import tomllib
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent / "sources.toml"


def catalogue(path: Path = CATALOGUE) -> dict[int, list[str]]:
    """{year: [export URL, import URL]} from the maintainers' catalogue file."""
    raw = _read(path)
    return {int(year): [entry["export"], entry["import"]] for year, entry in raw.items() if year.isdigit()}


def _read(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def territoires_dataset(path: Path = CATALOGUE) -> str:
    """data.gouv.fr's API address of the Territoires d'industrie dataset (its newest list is taken)."""
    return _read(path)["territoires_industrie"]["dataset"]


def discovery(path: Path = CATALOGUE) -> dict:
    """The open-data pages to read and the file-name patterns of the annual and rolling archives."""
    raw = _read(path)["discovery"]
    return {"pages": list(raw["pages"]), "annual": raw["annual"], "rolling": raw["rolling"]}
