"""The catalogue of where the customs publish their archives: `sources.toml`, beside this module."""

from __future__ import annotations

import tomllib
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent / "sources.toml"


def catalogue(path: Path = CATALOGUE) -> dict[int, list[str]]:
    """{year: [export URL, import URL]} from the maintainers' catalogue file."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return {int(year): [entry["export"], entry["import"]] for year, entry in raw.items()}
