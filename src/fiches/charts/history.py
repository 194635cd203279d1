"""Exports and imports over the cached years, when there are more than two."""

from __future__ import annotations

from matplotlib.figure import Figure

from fiches.charts.bars import paired
from fiches.model.formatting import meur
from fiches.model.indicators import YearTotals


def build(history: tuple[YearTotals, ...]) -> Figure:
    """Paired bars per year (imports blue, exports violet), each labelled with its value."""
    return paired([str(h.year) for h in history], [h.exports for h in history], [h.imports for h in history])


def alt_text(history: tuple[YearTotals, ...], territory) -> str:
    years = "\u00a0; ".join(f"{h.year} : exportations {meur(h.exports)}, importations {meur(h.imports)}" for h in history)
    return f"Exportations et importations {territory.of_name} de {history[0].year} à {history[-1].year}. {years}."
