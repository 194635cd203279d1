"""The parsed years, cached as Parquet, and how a build reads them back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fiches.atomic import Transaction
from fiches.errors import DataError
from fiches.sources.douanes import Labels

CACHE_FORMAT = 1


def year_path(cache_dir: Path, year: int) -> Path:
    return cache_dir / f"douanes-{year}.parquet"


def labels_path(cache_dir: Path) -> Path:
    return cache_dir / "labels.json"


def write_year(cache_dir: Path, year: int, table: pa.Table, meta: dict, txn: Transaction) -> None:
    """Stage the year's Parquet file; it lands when the transaction commits."""
    meta = {**meta, "format": CACHE_FORMAT, "year": year}
    schema = table.schema.with_metadata({b"fiches": json.dumps(meta, sort_keys=True).encode()})
    pq.write_table(table.cast(schema), txn.stage(year_path(cache_dir, year)), compression="zstd", use_dictionary=True)


def available_years(cache_dir: Path) -> list[int]:
    years = []
    for path in cache_dir.glob("douanes-*.parquet"):
        stem = path.stem.removeprefix("douanes-")
        if stem.isdigit():
            years.append(int(stem))
    return sorted(years)


def read_meta(cache_dir: Path, year: int) -> dict:
    schema = pq.read_schema(year_path(cache_dir, year))
    return json.loads((schema.metadata or {}).get(b"fiches", b"{}"))


def read_labels(cache_dir: Path) -> Labels:
    path = labels_path(cache_dir)
    if not path.is_file():
        return Labels()
    return Labels.from_json(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class YearData:
    """One year of one source: the canonical table (annual sums) and where it came from."""

    year: int
    table: pd.DataFrame  # flow, dep, region, a129, cpf4, country, value, mass
    labels: Labels
    meta: dict
    is_sample: bool


def read_year(cache_dir: Path, year: int, *, is_sample: bool) -> YearData:
    path = year_path(cache_dir, year)
    if not path.is_file():
        raise DataError(f"aucune donnée en cache pour {year} dans {cache_dir}")
    try:
        table = pq.read_table(path, columns=["flow", "dep", "region", "a129", "cpf4", "country", "value", "mass"])
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError(f"cache illisible {path} ({exc}) : relancez fiches fetch") from None
    frame = table.to_pandas(strings_to_categorical=True)
    return YearData(year, frame, read_labels(cache_dir), read_meta(cache_dir, year), is_sample)


def read_year_totals(cache_dir: Path, year: int) -> pd.DataFrame:
    """Only what a multi-year history needs: flow, département and value of every row."""
    path = year_path(cache_dir, year)
    try:
        return pq.read_table(path, columns=["flow", "dep", "value"]).to_pandas()
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError(f"cache illisible {path} ({exc}) : relancez fiches fetch") from None
