"""The data folder as a store: raw archives by content, each publication as a dataset of its own,
the years composed from them, and a manifest that names and hashes every file.

```
data/manifest.json             what was fetched, the datasets, the years, every cache file's SHA-256
data/raw/<sha256>.zip           each archive as fetched, named by its content: nothing cited disappears
data/cache/datasets/<id>.parquet   one publication's rows, by quarter (an annual file, a rolling file)
data/cache/douanes-<year>.parquet  a year composed from the datasets, summed over its quarters
data/cache/labels.json          the labels found in the archives
```

A year takes each quarter of each flow from the newest final (annual) dataset that covers it; a
provisional (rolling) dataset fills only the quarters that no annual one covers. Reading a cache
file checks its SHA-256 against the manifest: a file changed or cut short since it was written is
reported, never read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fiches.atomic import Transaction
from fiches.errors import DataError
from fiches.sources.douanes import KEYS, Labels

CACHE_FORMAT = 2
MANIFEST_FORMAT = 2
#: The order of a year's rows in its cache file.
ORDER = [("flow", "ascending"), ("dep", "ascending"), ("a129", "ascending"), ("cpf4", "ascending"),
         ("country", "ascending"), ("region", "ascending")]
FLOWS = ("E", "I")
ANNUAL, ROLLING = "annual", "rolling"
REBUILD = "lancez « fiches fetch --rebuild » pour reconstruire les caches à partir des archives conservées"


def quarters_text(quarters) -> str:
    """ "T1–T4", "T1–T3", or "T2, T4" for scattered quarters."""
    quarters = sorted(quarters)
    if len(quarters) > 1 and quarters == list(range(quarters[0], quarters[-1] + 1)):
        return f"T{quarters[0]}–T{quarters[-1]}"
    return ", ".join(f"T{q}" for q in quarters) or "aucun trimestre"


def year_path(cache_dir: Path, year: int) -> Path:
    return cache_dir / f"douanes-{year}.parquet"


def dataset_path(cache_dir: Path, dataset_id: str) -> Path:
    return cache_dir / "datasets" / f"{dataset_id}.parquet"


def quarters_path(cache_dir: Path) -> Path:
    return cache_dir / "quarters.parquet"


def labels_path(cache_dir: Path) -> Path:
    return cache_dir / "labels.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- the manifest ----------------------------------------------------------------------------------


@dataclass
class Manifest:
    """The data folder's manifest: archives by SHA-256, datasets by id, years, cache hashes."""

    path: Path
    archives: dict[str, dict] = field(default_factory=dict)
    datasets: dict[str, dict] = field(default_factory=dict)
    years: dict[str, dict] = field(default_factory=dict)
    cache: dict[str, str] = field(default_factory=dict)  # path relative to the data folder -> SHA-256
    territoires: dict = field(default_factory=dict)  # the official Territoires d'industrie list fetched, if any
    #: Names of raw archives from a manifest of fiches's first format, to ingest again.
    legacy_archives: list[Path] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.path.parent

    def relative(self, path: Path) -> str:
        return path.relative_to(self.data_dir).as_posix()

    def to_json(self, tool_version: str) -> dict:
        return {"format": MANIFEST_FORMAT, "tool_version": tool_version, "archives": dict(sorted(self.archives.items())),
                "datasets": dict(sorted(self.datasets.items())), "years": dict(sorted(self.years.items())),
                "cache": dict(sorted(self.cache.items())), "territoires": self.territoires}

    def available_years(self) -> list[int]:
        return sorted(int(year) for year in self.years)

    def year_quarters(self, year: int) -> dict[str, list[int]]:
        entry = self.years.get(str(year), {})
        return {flow: list(entry.get("quarters", {}).get(flow, [])) for flow in FLOWS}

    def is_final_and_complete(self, year: int) -> bool:
        entry = self.years.get(str(year), {})
        return bool(entry.get("complete")) and bool(entry.get("final"))

    def verify(self, path: Path) -> None:
        """Refuse a cache file whose bytes are not those the manifest recorded."""
        name = self.relative(path)
        expected = self.cache.get(name)
        if expected is None:
            raise DataError(f"cache {path} absent du manifeste : {REBUILD}")
        if not path.is_file():
            raise DataError(f"cache {path} manquant : {REBUILD}")
        if sha256_file(path) != expected:
            raise DataError(f"cache {path} modifié depuis son écriture (empreinte SHA-256 différente de celle du manifeste) : {REBUILD}")


def _shape_error(path: Path, what: str) -> DataError:
    return DataError(f"manifeste {path} d'une forme inattendue ({what}) : {REBUILD}")


def load_manifest(data_dir: Path) -> Manifest:
    """The data folder's manifest, checked; an empty one if there is none."""
    path = data_dir / "manifest.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Manifest(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"manifeste illisible {path} ({exc}) : {REBUILD}") from None
    if not isinstance(raw, dict):
        raise _shape_error(path, "pas un objet JSON")
    if raw.get("format") != MANIFEST_FORMAT:
        legacy = raw.get("archives")
        if raw.get("format") is None and isinstance(legacy, dict):  # fiches's first format: archives by name
            files = [data_dir / "raw" / str(entry.get("file", name)) for name, entry in legacy.items() if isinstance(entry, dict)]
            return Manifest(path, legacy_archives=[f for f in files if f.is_file()])
        raise _shape_error(path, f"format {raw.get('format')!r}")
    manifest = Manifest(path)
    for name in ("archives", "datasets", "years", "cache"):
        value = raw.get(name, {})
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise _shape_error(path, name)
        if name != "cache" and not all(isinstance(v, dict) for v in value.values()):
            raise _shape_error(path, name)
        if name == "cache" and not all(isinstance(v, str) and len(v) == 64 for v in value.values()):
            raise _shape_error(path, name)
        setattr(manifest, name, value)
    territoires = raw.get("territoires", {})
    if not isinstance(territoires, dict) or (territoires and not all(isinstance(territoires.get(k), str) for k in ("sha256", "file", "name"))):
        raise _shape_error(path, "territoires")
    manifest.territoires = territoires
    for year, entry in manifest.years.items():
        if not year.isdigit() or not isinstance(entry.get("quarters", {}), dict) or not isinstance(entry.get("sources", {}), dict):
            raise _shape_error(path, f"année {year}")
    for dataset_id, entry in manifest.datasets.items():
        if entry.get("kind") not in (ANNUAL, ROLLING) or entry.get("flow") not in FLOWS or not isinstance(entry.get("quarters", {}), dict):
            raise _shape_error(path, f"jeu {dataset_id}")
    return manifest


def stage_manifest(manifest: Manifest, txn: Transaction, tool_version: str) -> None:
    text = json.dumps(manifest.to_json(tool_version), indent=1, ensure_ascii=False) + "\n"
    txn.stage(manifest.path).write_text(text, encoding="utf-8")


# -- writing ---------------------------------------------------------------------------------------


def stage_table(manifest: Manifest, path: Path, table: pa.Table, meta: dict, txn: Transaction) -> None:
    """Stage a Parquet file and record its SHA-256 in the manifest (written last, with the others)."""
    schema = table.schema.with_metadata({b"fiches": json.dumps({**meta, "format": CACHE_FORMAT}, sort_keys=True).encode()})
    temp = txn.stage(path)
    # Dictionaries for the code columns only: amounts and masses, nearly all distinct, would be tried
    # in vain. A light zstd level: these files are written at every fetch and read at every build.
    codes = [name for name in table.column_names if pa.types.is_string(table.schema.field(name).type)
             or pa.types.is_dictionary(table.schema.field(name).type)]
    pq.write_table(table.cast(schema), temp, compression="zstd", compression_level=1, use_dictionary=codes)
    manifest.cache[manifest.relative(path)] = sha256_file(temp)


def stage_labels(manifest: Manifest, labels: Labels, txn: Transaction) -> None:
    path = labels_path(manifest.data_dir / "cache")
    temp = txn.stage(path)
    temp.write_text(json.dumps(labels.to_json(), ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8")
    manifest.cache[manifest.relative(path)] = sha256_file(temp)


# -- composing a year from its datasets ----------------------------------------------------------


def vintage_key(entry: dict) -> tuple[str, str, int]:
    """Newer publications sort last: by publication date, then by the order they were ingested in."""
    return (str(entry.get("vintage", "")), str(entry.get("fetched_at", "")), int(entry.get("sequence", 0)))


def compose(datasets: dict[str, dict], year: int) -> dict[str, list[tuple[str, list[int]]]]:
    """For each flow, the datasets a year's quarters come from: (dataset id, its quarters).

    Each quarter comes from the newest annual dataset that covers it, or, when none does, from the
    newest rolling one: provisional figures never replace final ones, whatever the order of fetches.
    """
    chosen: dict[str, dict[str, list[int]]] = {}
    for flow in FLOWS:
        for quarter in (1, 2, 3, 4):
            covering = [(dataset_id, entry) for dataset_id, entry in datasets.items()
                        if entry["flow"] == flow and quarter in entry.get("quarters", {}).get(str(year), [])]
            final = [item for item in covering if item[1]["kind"] == ANNUAL]
            pool = final or covering
            if pool:
                dataset_id, _ = max(pool, key=lambda item: (vintage_key(item[1]), item[0]))
                chosen.setdefault(flow, {}).setdefault(dataset_id, []).append(quarter)
    return {flow: sorted(by.items()) for flow, by in chosen.items()}


def year_entry(datasets: dict[str, dict], year: int) -> dict:
    sources = compose(datasets, year)
    quarters = {flow: sorted(q for _, qs in sources.get(flow, []) for q in qs) for flow in FLOWS}
    return {
        "sources": {flow: [{"dataset": d, "quarters": qs} for d, qs in items] for flow, items in sources.items()},
        "quarters": quarters,
        "complete": all(len(quarters[flow]) == 4 for flow in FLOWS),
        "final": all(datasets[d]["kind"] == ANNUAL for items in sources.values() for d, _ in items) and bool(sources),
    }


def summed(rows: pa.Table) -> pa.Table:
    """Quarterly rows summed by annual key, in the cache's order."""
    if rows.num_rows == 0:
        return pa.table({**{name: pa.array([], rows.schema.field(name).type) for name in KEYS},
                         "value": pa.array([], pa.int64()), "mass": pa.array([], pa.int64())})
    grouped = rows.group_by(list(KEYS), use_threads=False).aggregate([("value", "sum"), ("mass", "sum")])
    grouped = pa.table({**{name: grouped.column(name) for name in KEYS},
                        "value": grouped.column("value_sum"), "mass": grouped.column("mass_sum")})
    return grouped.sort_by(ORDER)


def plain(rows: pa.Table) -> pa.Table:
    """Dictionary-encoded columns (as a dataset keeps its codes) decoded into plain strings."""
    for index, column in enumerate(rows.columns):
        if pa.types.is_dictionary(column.type):
            rows = rows.set_column(index, rows.schema.field(index).name, pc.cast(column, column.type.value_type))
    return rows


def select_quarters(rows: pa.Table, year: int, flow: str, quarters: list[int]) -> pa.Table:
    rows = plain(rows)
    mask = pc.and_(pc.and_(pc.equal(rows.column("year"), year), pc.equal(rows.column("flow"), flow)),
                   pc.is_in(rows.column("quarter"), pa.array(quarters, rows.schema.field("quarter").type)))
    return rows.filter(mask)


# -- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearData:
    """One year (or some of its quarters) of one source: the canonical table and where it came from."""

    year: int
    table: pd.DataFrame  # flow, dep, region, a129, cpf4, country, value, mass
    labels: Labels
    meta: dict
    is_sample: bool

    @property
    def period(self) -> str:
        """The last four quarters it covers ("T4 2025 – T3 2026", read_span), or "" for a year."""
        return str(self.meta.get("period", ""))


def read_labels(manifest: Manifest) -> Labels:
    path = labels_path(manifest.data_dir / "cache")
    if manifest.relative(path) not in manifest.cache:
        return Labels()
    manifest.verify(path)
    try:
        return Labels.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise DataError(f"libellés illisibles {path} ({exc}) : {REBUILD}") from None


def _read_table(manifest: Manifest, path: Path, columns: list[str]) -> pa.Table:
    manifest.verify(path)
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowInvalid, KeyError) as exc:
        raise DataError(f"cache illisible {path} ({exc}) : {REBUILD}") from None


COLUMNS = ["flow", "dep", "region", "a129", "cpf4", "country", "value", "mass"]


def read_year(manifest: Manifest, year: int, *, is_sample: bool, labels: Labels | None = None) -> YearData:
    entry = manifest.years.get(str(year))
    if entry is None:
        raise DataError(f"aucune donnée en cache pour {year} dans {manifest.data_dir}")
    path = year_path(manifest.data_dir / "cache", year)
    table = _read_table(manifest, path, COLUMNS)
    frame = table.to_pandas(strings_to_categorical=True)
    meta = describe(manifest, year, entry)
    return YearData(year, frame, labels if labels is not None else read_labels(manifest), meta, is_sample)


def read_period(manifest: Manifest, year: int, quarters: dict[str, list[int]], *, is_sample: bool, labels: Labels) -> YearData | None:
    """A year restricted to some quarters of each flow (from its datasets), or None if the year lacks one of them."""
    entry = manifest.years.get(str(year))
    if entry is None:
        return None
    have = manifest.year_quarters(year)
    if any(not set(quarters.get(flow, [])) <= set(have[flow]) for flow in FLOWS):
        return None
    pieces, sources = [], {}
    for flow in FLOWS:
        wanted = set(quarters.get(flow, []))
        for source in entry["sources"].get(flow, []):
            take = sorted(wanted & set(source["quarters"]))
            if not take:
                continue
            rows = _read_table(manifest, dataset_path(manifest.data_dir / "cache", source["dataset"]), [*KEYS, "quarter", "value", "mass"])
            pieces.append(select_quarters(rows, year, flow, take))
            sources.setdefault(flow, []).append({"dataset": source["dataset"], "quarters": take})
    table = summed(pa.concat_tables(pieces)) if pieces else None
    if table is None:
        return None
    partial = {"sources": sources, "quarters": {flow: sorted(quarters.get(flow, [])) for flow in FLOWS},
               "complete": all(len(quarters.get(flow, [])) == 4 for flow in FLOWS), "final": entry.get("final", False)}
    frame = table.select(COLUMNS).to_pandas(strings_to_categorical=True)
    return YearData(year, frame, labels, describe(manifest, year, partial), is_sample)


def read_year_totals(manifest: Manifest, year: int) -> pd.DataFrame:
    """Only what a multi-year history needs: flow, département and value of every row."""
    return _read_table(manifest, year_path(manifest.data_dir / "cache", year), ["flow", "dep", "value"]).to_pandas()


def describe(manifest: Manifest, year: int, entry: dict) -> dict:
    """A year's provenance: per flow, the publications its quarters come from, and what was set aside."""
    sources, archives, bad, counted = {}, {}, {"rows": 0, "value": 0, "total": 0}, set()
    for flow, items in entry.get("sources", {}).items():
        for item in items:
            dataset = manifest.datasets.get(item["dataset"], {})
            archive = manifest.archives.get(dataset.get("archive", ""), {})
            name = (archive.get("names") or [dataset.get("archive", "")[:12]])[-1]
            sources.setdefault(flow, []).append({
                "dataset": item["dataset"], "kind": dataset.get("kind"), "vintage": dataset.get("vintage"),
                "archive": name, "sha256": dataset.get("archive"), "quarters": list(item["quarters"]),
                **({"year": item["year"]} if "year" in item else {}),  # a period's quarters span two years
            })
            archives[dataset.get("archive", "")] = {"name": name, "sha256": dataset.get("archive", ""),
                                                    "url": (archive.get("sources") or [{}])[-1].get("url")}
            if item["dataset"] in counted:  # a dataset giving quarters of two years: its set-aside rows once
                continue
            counted.add(item["dataset"])
            if dataset.get("bad_rows"):
                bad["rows"] += int(dataset["bad_rows"])
                bad["value"] += int(dataset.get("bad_value", 0))
            bad["total"] += int(dataset.get("total_value", 0)) + int(dataset.get("bad_value", 0))
    cache_name = manifest.relative(year_path(manifest.data_dir / "cache", year))
    return {
        "year": year,
        "sources": sources,
        "quarters": entry.get("quarters", {}),
        "complete": bool(entry.get("complete")),
        "final": bool(entry.get("final")),
        "archives": sorted(archives.values(), key=lambda a: a["name"]),
        "bad_rows": bad,
        "cache_sha256": manifest.cache.get(cache_name, ""),
        **{k: v for k, v in entry.get("extra", {}).items()},
    }


def available_years(data_dir: Path) -> list[int]:
    """The years a data folder holds."""
    return load_manifest(data_dir).available_years()


def totals_path(cache_dir: Path, dataset_id: str) -> Path:
    """A dataset's quarterly totals (douanes._quarter_totals), beside its rows."""
    return cache_dir / "datasets" / f"{dataset_id}.totals.parquet"


def read_quarters(manifest: Manifest) -> pd.DataFrame | None:
    """Every composed quarter's totals (see quarterly_totals), or None when the cache has none."""
    path = quarters_path(manifest.data_dir / "cache")
    if manifest.relative(path) not in manifest.cache:
        return None
    return _read_table(manifest, path, ["year", "quarter", "flow", "dep", "partner", "value", "final"]).to_pandas()


# -- the last four quarters (build --period 12m) -----------------------------------------------------


def period_tag(period: str) -> str:
    """A period ("T4 2025 – T3 2026", see span_text) in a file or folder name: "T4-2025-T3-2026"; "" for none."""
    return period.replace(" – ", "-").replace(" ", "-")


def span_text(span: list[tuple[int, int]]) -> str:
    """ "T4 2025 – T3 2026": the first and last quarters of a run of quarters."""
    (first_year, first), (last_year, last) = span[0], span[-1]
    return f"T{first} {first_year} – T{last} {last_year}"


def latest_span(manifest: Manifest, length: int = 4) -> list[tuple[int, int]] | None:
    """The latest `length` consecutive quarters that both flows have, oldest first, or None."""
    have = {(int(year), q) for year in manifest.years for q in set.intersection(*(set(v) for v in manifest.year_quarters(int(year)).values()))}
    if not have:
        return None
    end_year, end_quarter = max(have)
    end = end_year * 4 + end_quarter - 1
    span = [(n // 4, n % 4 + 1) for n in range(end - length + 1, end + 1)]
    return span if all(item in have for item in span) else None


def read_span(manifest: Manifest, span: list[tuple[int, int]], *, is_sample: bool, labels: Labels) -> YearData | None:
    """Some consecutive quarters, across years, summed as one period, each quarter of each flow from the
    dataset its year takes it from (final figures before provisional ones); None if one is missing.

    The period counts as its last year (`year`); `meta["period"]` names it ("T4 2025 – T3 2026").
    """
    by_year: dict[int, list[int]] = {}
    for year, quarter in span:
        by_year.setdefault(year, []).append(quarter)
    if any(not set(quarters) <= set(manifest.year_quarters(year)[flow]) for year, quarters in by_year.items() for flow in FLOWS):
        return None
    end = span[-1][0]
    tables: dict[str, pa.Table] = {}
    pieces, items, digests = [], [], []
    for year, quarters in sorted(by_year.items()):
        entry = manifest.years[str(year)]
        for flow in FLOWS:
            for source in entry["sources"].get(flow, []):
                take = sorted(set(quarters) & set(source["quarters"]))
                if not take:
                    continue
                if source["dataset"] not in tables:
                    path = dataset_path(manifest.data_dir / "cache", source["dataset"])
                    tables[source["dataset"]] = _read_table(manifest, path, [*KEYS, "quarter", "value", "mass"])
                    digests.append(manifest.cache.get(manifest.relative(path), ""))
                rows = select_quarters(tables[source["dataset"]], year, flow, take)
                pieces.append(rows.set_column(rows.schema.get_field_index("year"), "year", pa.array([end] * rows.num_rows, rows.schema.field("year").type)))
                items.append((flow, year, source["dataset"], take))
    if not pieces:
        return None
    frame = summed(pa.concat_tables(pieces)).select(COLUMNS).to_pandas(strings_to_categorical=True)
    sources = {flow: [{"dataset": d, "quarters": take, "year": year} for f, year, d, take in items if f == flow] for flow in FLOWS}
    meta = describe(manifest, end, {"sources": sources, "quarters": {flow: [1, 2, 3, 4] for flow in FLOWS}})
    meta.update(
        complete=True,
        final=all(manifest.datasets.get(d, {}).get("kind") == ANNUAL for _, _, d, _ in items),
        span=[list(item) for item in span],
        period=span_text(span),
        cache_sha256=hashlib.sha256("".join(digests).encode()).hexdigest(),
    )
    return YearData(end, frame, labels, meta, is_sample)
