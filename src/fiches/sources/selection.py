"""Choose the data a build uses: fetched customs data, the embedded sample, or the best available.

A build's year, by default, is the newest with four quarters of final (annual) figures for both
flows. Its change on the year before is computed like for like: on the same quarters of the year
before, or not at all.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from fiches.config import PERIODS, QUICK_NETWORK, SOURCES, Settings
from fiches.errors import DataError, FichesError, UsageError
from fiches.sources import ingest, sample
from fiches.sources.store import (
    FLOWS,
    ROLLING,
    Manifest,
    YearData,
    describe,
    latest_span,
    load_manifest,
    quarters_path,
    quarters_text,
    read_labels,
    read_period,
    read_quarters,
    read_span,
    read_year,
    read_year_totals,
    span_text,
)

log = logging.getLogger(__name__)

#: Years shown in a factsheet's history chart, when more than two complete years are cached.
HISTORY_YEARS = 10


@dataclass(frozen=True)
class Selected:
    current: YearData
    previous: YearData | None
    source: str  # "douanes" or "sample"
    warning: str | None = None
    #: Every complete cached year up to the current one (at most HISTORY_YEARS): year -> rows (flow, dep, value).
    history: dict[int, object] | None = None
    history_archives: tuple = ()
    #: Why the factsheets show no change on the year before, when they show none.
    comparison_note: str | None = None
    #: The official Territoires d'industrie list fetched into the data folder, if any (else the embedded table).
    tis: object | None = None
    #: Every cached quarter's totals (store.read_quarters), when a rolling publication is cached.
    quarters: object | None = None
    #: The cache file they come from and its SHA-256, for the build key.
    quarters_file: tuple = ()
    #: The provisional (rolling) publications those quarters take, as store.describe gives them.
    quarters_sources: dict | None = None

    @property
    def series_files(self) -> tuple:
        """The cache files of the history and of the latest quarters, with their SHA-256: in the build key."""
        return self.history_archives + ((self.quarters_file,) if self.quarters_file else ())


def default_year(manifest: Manifest) -> int:
    """The newest year with four quarters of final figures for both flows, else the newest year."""
    years = manifest.available_years()
    final = [y for y in years if manifest.is_final_and_complete(y)]
    return max(final or years)


def _load(settings: Settings, source: str, year: int | None, period: str = "annee") -> Selected:
    own = sample.ensure_sample(settings) if source == "sample" else settings
    manifest = load_manifest(own.data_dir)
    if period == "12m":
        return _load_span(settings, manifest, source)
    years = manifest.available_years()
    if not years:
        raise DataError(
            "aucune donnée des douanes en cache : lancez « fiches fetch --year AAAA » "
            "(ou --from-file ARCHIVE.zip), ou construisez avec --source sample"
        )
    chosen = year if year is not None else default_year(manifest)
    if chosen not in years:
        where = "dans l'échantillon" if source == "sample" else "dans les données récupérées"
        raise UsageError(f"l'année {chosen} n'est pas {where} (années disponibles : {', '.join(map(str, years))})")
    warning = None
    if year is None and not manifest.is_final_and_complete(chosen):
        warning = (f"aucune année complète de données définitives : les fiches portent sur {chosen}, "
                   f"{_state(manifest, chosen)}")
        log.warning(warning)
    is_sample = source == "sample"
    labels = read_labels(manifest)
    current = read_year(manifest, chosen, is_sample=is_sample, labels=labels)
    quarters = manifest.year_quarters(chosen)
    note = None
    if chosen - 1 not in years:
        previous = None
    elif manifest.years[str(chosen)].get("complete") and manifest.years[str(chosen - 1)].get("complete"):
        previous = read_year(manifest, chosen - 1, is_sample=is_sample, labels=labels)
    else:
        previous = read_period(manifest, chosen - 1, quarters, is_sample=is_sample, labels=labels)
        if previous is None:
            note = (f"pas d'évolution : les trimestres de {chosen} ({quarters_text(quarters[FLOWS[0]])}) "
                    f"ne sont pas tous disponibles pour {chosen - 1}")
    complete = [y for y in years if chosen - HISTORY_YEARS < y <= chosen and manifest.years[str(y)].get("complete")]
    history = {y: read_year_totals(manifest, y) for y in complete} if len(complete) > 2 and chosen in complete else None
    archives = tuple((y, manifest.years[str(y)].get("cache", ""), manifest.cache.get(manifest.years[str(y)].get("cache", ""), ""))
                     for y in complete)
    from fiches.sources.ti_list import load_list

    quarters, quarters_file = _quarters(manifest)
    return Selected(current, previous, source, warning, history=history, history_archives=archives, comparison_note=note,
                    tis=load_list(settings.data_dir), quarters=quarters, quarters_file=quarters_file,
                    quarters_sources=_rolling_sources(manifest) if quarters is not None else None)


def _load_span(settings: Settings, manifest: Manifest, source: str) -> Selected:
    """The last four quarters of the rolling publication, against the same four quarters a year earlier."""
    if not _has_rolling(manifest):
        raise DataError("--period 12m demande la dernière publication des douanes (fichier CPF4PAYS), absente du cache : "
                        "lancez « fiches fetch » (sans --year), ou construisez avec --source sample")
    span = latest_span(manifest)
    if span is None:
        raise DataError("les quatre derniers trimestres ne sont pas tous en cache pour les deux flux : lancez « fiches fetch »")
    is_sample, labels = source == "sample", read_labels(manifest)
    current = read_span(manifest, span, is_sample=is_sample, labels=labels)
    earlier = [(year - 1, quarter) for year, quarter in span]
    previous = read_span(manifest, earlier, is_sample=is_sample, labels=labels)
    note = None if previous is not None else f"pas d'évolution : les trimestres {span_text(earlier)} ne sont pas tous en cache"
    from fiches.sources.ti_list import load_list

    quarters, quarters_file = _quarters(manifest)
    return Selected(current, previous, source, None, comparison_note=note, tis=load_list(settings.data_dir),
                    quarters=quarters, quarters_file=quarters_file)


def _has_rolling(manifest: Manifest) -> bool:
    """Whether a rolling publication (the customs' "dernière publication") is cached."""
    return any(d.get("kind") == ROLLING for d in manifest.datasets.values())


def _rolling_sources(manifest: Manifest) -> dict:
    """The provisional publications the latest quarters take, with the quarters of each year taken."""
    items: dict[str, list[dict]] = {}
    for key in sorted(manifest.years, key=int):
        for flow, sources in manifest.years[key].get("sources", {}).items():
            for source in sources:
                if manifest.datasets.get(source["dataset"], {}).get("kind") == ROLLING:
                    items.setdefault(flow, []).append({"dataset": source["dataset"], "quarters": source["quarters"], "year": int(key)})
    return describe(manifest, 0, {"sources": items})


def _quarters(manifest: Manifest) -> tuple[object | None, tuple]:
    """The quarterly totals for "Les derniers trimestres": only when a rolling publication is cached."""
    if not _has_rolling(manifest):
        return None, ()
    quarters = read_quarters(manifest)
    if quarters is None:
        return None, ()
    name = manifest.relative(quarters_path(manifest.data_dir / "cache"))
    return quarters, (name, manifest.cache[name])


def _state(manifest: Manifest, year: int) -> str:
    entry = manifest.years[str(year)]
    quarters = manifest.year_quarters(year)
    parts = []
    if not entry.get("final"):
        parts.append("en données provisoires")
    if not entry.get("complete"):
        parts.append("sur " + " ; ".join(f"{'exportations' if f == 'E' else 'importations'} {quarters_text(q)}" for f, q in quarters.items()))
    return ", ".join(parts) or "complète"


def prepare(settings: Settings, source: str, year: int | None) -> str | None:
    """For `--source auto` with nothing cached: try a fetch (quickly), before a build takes the data
    folder's reading lock. Returns why it failed, if it did (the build then uses the sample)."""
    if source not in SOURCES:
        raise UsageError(f"source inconnue {source!r} : attendu {', '.join(SOURCES)}")
    if source != "auto":
        return None
    years = load_manifest(settings.data_dir).available_years()
    if years and (year is None or year in years):
        return None
    try:
        ingest.fetch(settings, year=year, network=QUICK_NETWORK)
    except FichesError as exc:
        return str(exc)
    return None


def uses_sample(settings: Settings, source: str, year: int | None) -> bool:
    """Whether `select` will take the sample: asked for, or `auto` with no fetched data for `year`."""
    if source != "auto":
        return source == "sample"
    years = load_manifest(settings.data_dir).available_years()
    return not (years and (year is None or year in years))


def select(settings: Settings, source: str = "auto", year: int | None = None, *, unavailable: str | None = None,
           period: str = "annee") -> Selected:
    """The data of a build. With source "auto": the fetched data if there are some for `year`,
    else the sample, with a warning (`unavailable` says why there are none). `period` "12m": the last
    four quarters published, whatever their years."""
    if source not in SOURCES:
        raise UsageError(f"source inconnue {source!r} : attendu {', '.join(SOURCES)}")
    if period not in PERIODS:
        raise UsageError(f"période inconnue {period!r} : attendu {', '.join(PERIODS)}")
    if period == "12m" and year is not None:
        raise UsageError("--period 12m porte sur les quatre derniers trimestres publiés : ne lui donnez pas d'année (--year)")
    if source in ("douanes", "sample"):
        return _load(settings, source, year, period)
    years = load_manifest(settings.data_dir).available_years()
    if years and (year is None or year in years):
        return _load(settings, "douanes", year, period)
    reason = unavailable or ("aucune donnée récupérée" if not years else f"l'année {year} n'a pas été récupérée")
    message = (
        f"données des douanes indisponibles ({reason}) : la fiche est construite à partir de "
        "l'ÉCHANTILLON SYNTHÉTIQUE, aux chiffres fictifs"
    )
    log.warning(message)
    selected = _load(settings, "sample", year, period)
    return dataclasses.replace(selected, source="sample", warning=message)
