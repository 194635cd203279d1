"""Choose the data a build uses: fetched customs data, the embedded sample, or the best available."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fiches.config import QUICK_NETWORK, SOURCES, Settings
from fiches.errors import DataError, FichesError, UsageError
from fiches.sources import ingest, sample
from fiches.sources.store import YearData, available_years, read_meta, read_year, read_year_totals

log = logging.getLogger(__name__)

#: Years shown in a factsheet's history chart, when more than two are cached.
HISTORY_YEARS = 10


@dataclass(frozen=True)
class Selected:
    current: YearData
    previous: YearData | None
    source: str  # "douanes" or "sample"
    warning: str | None = None
    #: Every cached year up to the current one (at most HISTORY_YEARS): year -> rows (flow, dep, value).
    history: dict[int, object] | None = None
    history_archives: tuple = ()


def _years(settings: Settings, source: str) -> tuple[Settings, list[int]]:
    own = sample.ensure_sample(settings) if source == "sample" else settings
    return own, available_years(own.cache_dir)


def _load(settings: Settings, source: str, year: int | None) -> Selected:
    own, years = _years(settings, source)
    if not years:
        raise DataError(
            "aucune donnée des douanes en cache : lancez « fiches fetch --year AAAA » "
            "(ou --from-file ARCHIVE.zip), ou construisez avec --source sample"
        )
    chosen = year if year is not None else max(years)
    if chosen not in years:
        where = "dans l'échantillon" if source == "sample" else "dans les données récupérées"
        raise UsageError(f"l'année {chosen} n'est pas {where} (années disponibles : {', '.join(map(str, years))})")
    is_sample = source == "sample"
    current = read_year(own.cache_dir, chosen, is_sample=is_sample)
    previous = read_year(own.cache_dir, chosen - 1, is_sample=is_sample) if chosen - 1 in years else None
    past = [y for y in years if chosen - HISTORY_YEARS < y <= chosen]
    history = {y: read_year_totals(own.cache_dir, y) for y in past} if len(past) > 2 else None
    archives = tuple((y, tuple(a.get("sha256", "") for a in read_meta(own.cache_dir, y).get("archives", []))) for y in past)
    return Selected(current, previous, source, history=history, history_archives=archives)


def select(settings: Settings, source: str = "auto", year: int | None = None) -> Selected:
    if source not in SOURCES:
        raise UsageError(f"source inconnue {source!r} : attendu {', '.join(SOURCES)}")
    if source in ("douanes", "sample"):
        return _load(settings, source, year)
    cached = available_years(settings.cache_dir)
    if cached and (year is None or year in cached):
        return _load(settings, "douanes", year)
    try:
        ingest.fetch(settings, year=year, network=QUICK_NETWORK)
        return _load(settings, "douanes", year)
    except FichesError as exc:
        message = (
            f"données des douanes indisponibles ({exc}) : la fiche est construite à partir de "
            "l'ÉCHANTILLON SYNTHÉTIQUE, aux chiffres fictifs"
        )
        log.warning(message)
        selected = _load(settings, "sample", year)
        return Selected(selected.current, selected.previous, "sample", message, selected.history, selected.history_archives)
