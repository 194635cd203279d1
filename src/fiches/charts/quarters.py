"""Exports and imports by quarter, from the first quarter of the newest final year to the latest."""

from __future__ import annotations

from matplotlib.figure import Figure

from fiches.charts.bars import paired
from fiches.model.formatting import meur
from fiches.model.indicators import LatestQuarters


def build(latest: LatestQuarters) -> Figure:
    """Paired bars per quarter; the provisional quarters (rolling publication) hatched."""
    quarters = latest.quarters
    provisional = [not q.final for q in quarters]
    return paired([f"T{q.quarter}\n{q.year}" for q in quarters], [q.exports for q in quarters], [q.imports for q in quarters],
                  provisional=provisional, note="hachuré : données provisoires" if any(provisional) else "")


def alt_text(latest: LatestQuarters, territory) -> str:
    """One line: the span, then each quarter's figures."""
    quarters = latest.quarters
    figures = "\u00a0; ".join(f"{q.label}{'' if q.final else ' (provisoire)'} : exportations {meur(q.exports)}, importations {meur(q.imports)}"
                        for q in quarters)
    return f"Exportations et importations {territory.of_name} par trimestre, de {quarters[0].label} à {quarters[-1].label}. {figures}."
