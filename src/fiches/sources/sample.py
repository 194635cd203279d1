"""A deterministic synthetic dataset in the exact DGDDI layout, so everything runs without real data.

The generator writes the same archives the customs publish (one per year and flow, a folder
holding ``Region_<year>_<Flow>.txt`` and the four label files, with their real encodings), and
the sample then goes through the same ingestion as real archives. Magnitudes follow French
trade (exports about 580 Md€ and imports about 685 Md€ in 2024); the figures are invented.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from fiches.config import REFERENCE_DIR, Settings
from fiches.reference.geography import DEPARTEMENTS, REGIONS
from fiches.reference.labels import A129_LABELS, COUNTRY_LABELS

log = logging.getLogger(__name__)

#: (CPF4 rev. 2.1 code, A129 code, official CPF4 label) of the products the sample trades
#: (data/reference/cpf4_sample.csv).
with (REFERENCE_DIR / "cpf4_sample.csv").open(encoding="utf-8", newline="") as _handle:
    SAMPLE_CPF4: tuple[tuple[str, str, str], ...] = tuple((row["cpf4"], row["a129"], row["label"]) for row in csv.DictReader(_handle))
#: Partner countries typical of French trade (``NA`` is Namibia).
SAMPLE_COUNTRIES: tuple[str, ...] = (

    "DE", "BE", "IT", "ES", "NL", "PL", "LU", "AT", "IE", "PT", "SE", "DK", "FI", "CZ",
    "HU", "RO", "SK", "SI", "HR", "BG", "GR", "CY", "MT", "EE", "LV", "LT", "GB", "CH",
    "NO", "IS", "TR", "RU", "UA", "XS", "US", "CA", "MX", "BR", "AR", "CL", "CO", "CN",
    "JP", "KR", "IN", "ID", "TH", "VN", "MY", "SG", "HK", "TW", "PH", "AU", "NZ", "SA",
    "AE", "QA", "IL", "MA", "DZ", "TN", "EG", "SN", "CI", "CM", "NG", "ZA", "NA", "AO",
)

SEED = 20240601
#: Bump when the generator's output changes, so cached samples are rebuilt.
GENERATOR_VERSION = "6"
YEARS = (2023, 2024)
#: The quarters of the sample's rolling publication ("dernière publication": the last five quarters),
#: published after the newest annual files, as the customs' is.
ROLLING = ((2024, 3), (2024, 4), (2025, 1), (2025, 2), (2025, 3))
ROLLING_NAME = "202511-derniere-publication-CPF4PAYS.zip"
FRANCE_TOTALS = {2023: {"E": 598e9, "I": 705e9}, 2024: {"E": 580e9, "I": 685e9}, 2025: {"E": 584e9, "I": 676e9}}
DEFAULT_PAIRS = 320

#: Relative weight of large industrial or logistics départements (orders of magnitude, invented).
_LARGE = {
    "13": 9, "59": 8, "75": 9, "92": 6, "69": 6, "76": 7, "31": 7, "67": 4, "38": 4, "57": 4,
    "33": 3.5, "44": 4, "95": 4, "93": 3, "94": 3.5, "78": 4, "91": 3, "77": 3.5, "62": 3,
    "68": 3, "60": 2.5, "35": 2, "25": 2, "42": 1.8, "63": 2.5, "74": 2, "45": 2, "49": 1.8,
    "21": 1.5, "01": 2, "34": 1.5, "06": 1.8, "64": 1.8, "54": 1.6, "51": 2, "14": 1.4, "27": 1.6,
    "28": 1.5, "37": 1.4, "72": 1.4, "85": 1.4, "29": 1.5, "56": 1.2, "22": 1.2, "71": 1.5, "26": 1.4,
}
_SMALL = {
    "04", "05", "09", "11", "15", "19", "20", "23", "32", "43", "46", "48", "52", "55", "58",
    "65", "70", "82", "89", "90", "99", "9A", "9B", "9C", "9D", "9E", "12", "24", "36", "47",
}
#: Partner weights (exports, imports), roughly French trade's order.
_PARTNERS = {
    "DE": (14, 15), "IT": (8, 8), "BE": (8, 10), "ES": (8, 7), "US": (8, 6), "GB": (6, 4),
    "NL": (4.5, 8), "CH": (4, 3), "CN": (4, 9), "PL": (2, 2), "JP": (1.5, 1.2), "SG": (1.2, 0.4),
    "PT": (1.2, 1.2), "AT": (1, 1), "SE": (1, 0.8), "TR": (1, 1.3), "MA": (1, 1), "KR": (1, 1),
    "IN": (0.8, 1), "DZ": (0.8, 1.1), "AE": (0.8, 0.4), "CZ": (0.8, 1), "IE": (0.8, 1.5),
    "HK": (0.8, 0.2), "CA": (0.7, 0.4), "BR": (0.6, 0.5), "SA": (0.6, 0.8), "NO": (0.5, 2),
    "TN": (0.6, 0.7), "VN": (0.2, 1), "TW": (0.4, 0.6), "MX": (0.4, 0.3), "RU": (0.3, 0.5),
}
#: Product group weights by A129 code prefix (exports, imports).
_PRODUCTS = {
    "C29": (6, 7), "C30": (9, 4), "C21": (5, 4), "C20": (8, 7), "C10": (5, 5), "C11": (4, 1),
    "C28": (5, 6), "C26": (4, 7), "C27": (3, 4), "C24": (3, 3), "C25": (2.5, 3), "C22": (2.5, 3),
    "C13": (1, 2), "C14": (1.5, 4), "C15": (2, 2), "C19": (2, 5), "B06": (0.1, 9), "A01": (3, 3),
    "C16": (0.8, 1), "C17": (1, 1.2), "C32": (1.5, 2.5), "C23": (1, 1.2), "D35": (1, 1.5),
}


_EXCLUDED_A129 = {code for code, label in A129_LABELS.items() if "militaire" in label.lower() or "armes" in label.lower()}


def _weights(codes: list[str], table: dict, side: int, default: float) -> np.ndarray:
    out = np.array([table.get(code, table.get(code[:3], (default, default)))[side] for code in codes], dtype=float)
    return out / out.sum()


def generate_rows(year: int, flow: str, *, pairs: int = DEFAULT_PAIRS, seed: int = SEED) -> pd.DataFrame:
    """One year and flow of quarterly rows, in the file's field order, values as integers."""
    rng = np.random.default_rng([seed, year, 0 if flow == "E" else 1])
    side = 0 if flow == "E" else 1
    deps = list(DEPARTEMENTS)
    dep_rng = np.random.default_rng([seed, 7])  # a département keeps its size across years and flows
    size = dep_rng.lognormal(0.0, 0.45, len(deps))
    size *= np.array([_LARGE.get(d, 1.0) * (0.22 if d in _SMALL else 1.0) for d in deps])
    size *= rng.lognormal(0.0, 0.04, len(deps))  # a little year-to-year movement
    dep_totals = FRANCE_TOTALS[year][flow] * size / size.sum()

    # Military equipment is outside the customs statistics; services are not goods.
    products = [row[0] for row in SAMPLE_CPF4 if row[1] not in _EXCLUDED_A129 and row[1][0] in "ABCDE"]
    product_a129 = {row[0]: row[1] for row in SAMPLE_CPF4}
    product_base = _weights([product_a129[p] for p in products], _PRODUCTS, side, 0.25)
    countries = list(SAMPLE_COUNTRIES)
    country_base = _weights(countries, _PARTNERS, side, 0.08)
    frames = []
    for dep_index, dep in enumerate(deps):
        profile_rng = np.random.default_rng([seed, dep_index, side])  # stable specialisation
        product_weight = product_base * profile_rng.lognormal(0.0, 1.6, len(products))
        country_weight = country_base * profile_rng.lognormal(0.0, 0.7, len(countries))
        product_weight *= rng.lognormal(0.0, 0.12, len(products))
        product_weight /= product_weight.sum()
        country_weight /= country_weight.sum()
        expected = np.outer(product_weight, country_weight).ravel()
        keep = min(pairs, expected.size)
        chosen = rng.choice(expected.size, size=keep, replace=False, p=expected)
        shares = expected[chosen] * rng.lognormal(0.0, 0.5, keep)
        values = dep_totals[dep_index] * shares / shares.sum()
        present = rng.random((keep, 4)) > 0.08
        present[np.arange(keep), rng.integers(0, 4, keep)] = True
        quarters = rng.dirichlet(np.full(4, 8.0), keep) * present
        quarters = quarters / quarters.sum(axis=1, keepdims=True) * values[:, None]
        pair_index, quarter_index = np.nonzero(present)
        amounts = np.floor(quarters[pair_index, quarter_index]).astype(np.int64) + 1
        product_codes = np.array(products)[chosen // len(countries)][pair_index]
        frames.append(
            pd.DataFrame(
                {
                    "flow": flow,
                    "quarter": quarter_index + 1,
                    "year": year,
                    "dep": dep,
                    "region": DEPARTEMENTS[dep][1],
                    "a129": [product_a129[p] for p in product_codes],
                    "cpf4": product_codes,
                    "country": np.array(countries)[chosen % len(countries)][pair_index],
                    "value": amounts,
                    "mass": np.maximum(1, (amounts / rng.lognormal(1.2, 0.8, len(amounts))).astype(np.int64)),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def data_text(rows: pd.DataFrame) -> bytes:
    return rows.to_csv(sep=";", header=False, index=False, lineterminator="\r\n").encode("ascii")


def _label_lines(entries: list[tuple[str, str, str, str]]) -> str:
    lines = []
    for code, label, start, end in entries:
        shown = f'"{label}"' if ";" in label else label
        lines.append(f"{code};{shown};{start};{end}")
    return "\r\n".join(lines) + "\r\n"


def label_files() -> dict[str, bytes]:
    """The four label files with the encodings the customs use."""
    a129 = _label_lines([(c, label, "200901", "999912") for c, label in A129_LABELS.items()])
    cpf4 = _label_lines([(c, label, "201501", "999912") for c, _, label in SAMPLE_CPF4])
    countries = [(c, label, "190001", "999912") for c, label in COUNTRY_LABELS.items()]
    # A code repeated across validity periods, as in the real file: the current one must win.
    countries.insert(0, ("QU", "Pays NDA", "190001", "199912"))
    departements = "\r\n".join(
        f"{code};{name};{region};{REGIONS[region]}" for code, (name, region) in DEPARTEMENTS.items()
    ) + "\r\n"
    return {
        "Libelle_A129.txt": b"\xef\xbb\xbf" + a129.encode("utf-8"),
        "Libelle_CPF4_rev2.1.txt": cpf4.encode("cp1252", errors="replace"),
        "Libelle_PAYS.txt": _label_lines(countries).encode("utf-8"),
        "Departement_region.txt": departements.encode("utf-8"),
    }


def write_archive(path: Path, year: int, flow: str, *, pairs: int = DEFAULT_PAIRS) -> Path:
    """A zip laid out like the customs' annual regional archive."""
    word = "export" if flow == "E" else "import"
    folder = f"Regional-{year}-{word}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        fixed = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: same seed, same bytes
        archive.writestr(zipfile.ZipInfo(f"{folder}/Region_{year}_{word.capitalize()}.txt", fixed), data_text(generate_rows(year, flow, pairs=pairs)), zipfile.ZIP_DEFLATED)
        for name, raw in label_files().items():
            archive.writestr(zipfile.ZipInfo(f"{folder}/{name}", fixed), raw, zipfile.ZIP_DEFLATED)
    path.write_bytes(buffer.getvalue())
    return path


def write_rolling(path: Path, *, pairs: int = DEFAULT_PAIRS) -> Path:
    """A zip laid out like the customs' rolling publication: one data file per flow, the last five quarters."""
    buffer = io.BytesIO()
    fixed = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for flow in ("E", "I"):
            parts = []
            for year in sorted({y for y, _ in ROLLING}):
                rows = generate_rows(year, flow, pairs=pairs)
                parts.append(rows[rows["quarter"].isin([q for y, q in ROLLING if y == year])])
            archive.writestr(zipfile.ZipInfo(f"REGIONAL_CPF4PAYS{flow}.txt", fixed), data_text(pd.concat(parts, ignore_index=True)),
                             zipfile.ZIP_DEFLATED)
    path.write_bytes(buffer.getvalue())
    return path


def sample_settings(settings: Settings) -> Settings:
    return Settings(data_dir=settings.sample_dir, limits=settings.limits, network=settings.network)


def ensure_sample(settings: Settings) -> Settings:
    """Generate and ingest the sample once; later calls reuse the cache. Returns its settings."""
    from fiches.sources import ingest  # ingest imports nothing from here; kept local to keep layers one-way
    from fiches.sources.store import load_manifest

    own = sample_settings(settings)
    try:
        manifest = load_manifest(own.data_dir)
    except Exception:  # a damaged sample is generated again  # noqa: BLE001
        manifest = None
    if manifest is not None and all(
        manifest.years.get(str(y), {}).get("extra", {}).get("generator") == GENERATOR_VERSION for y in YEARS
    ):
        return own
    log.info("génération de l'échantillon synthétique (%s)", ", ".join(map(str, YEARS)))
    if own.data_dir.is_dir():  # another generator's sample: nothing of it is kept
        shutil.rmtree(own.data_dir)
    with tempfile.TemporaryDirectory(prefix="fiches-sample-") as tmp:
        # Named as the customs name theirs: the publication month first (early the following year).
        files = [write_archive(Path(tmp) / f"{y + 1}02-Regional-{y}-{'export' if f == 'E' else 'import'}.zip", y, f)
                 for y in YEARS for f in ("E", "I")]
        files.append(write_rolling(Path(tmp) / ROLLING_NAME))
        ingest.fetch(own, files=files, source="sample", extra_meta={"generator": GENERATOR_VERSION, "seed": SEED})
    return own


def describe() -> str:
    return json.dumps({"seed": SEED, "generator": GENERATOR_VERSION, "years": YEARS, "rolling": ROLLING})
