"""Exports and imports over the cached years, when there are more than two."""

from __future__ import annotations

from matplotlib.figure import Figure

from fiches.charts.style import EXPORTS_VIOLET, IMPORTS_BLUE, TEXT
from fiches.model.formatting import meur
from fiches.model.indicators import YearTotals


def build(history: tuple[YearTotals, ...]) -> Figure:
    """Paired bars per year (imports blue, exports violet), each labelled with its value."""
    figure = Figure(figsize=(7.0, 2.3))
    axes = figure.add_axes((0.03, 0.16, 0.94, 0.72))
    width = 0.38
    top = max([max(h.exports, h.imports) for h in history] + [1])
    for offset, colour, values in ((-width / 2, IMPORTS_BLUE, [h.imports for h in history]), (width / 2, EXPORTS_VIOLET, [h.exports for h in history])):
        positions = [i + offset for i in range(len(history))]
        axes.bar(positions, [v / 1e6 for v in values], width=width * 0.92, color=colour)
        for x, value in zip(positions, values):
            axes.annotate(meur(value, 0), xy=(x, value / 1e6), xytext=(0, 2), textcoords="offset points",
                          ha="center", va="bottom", fontsize=6.5, color=TEXT)
    axes.set_xticks(range(len(history)), [str(h.year) for h in history])
    axes.set_ylim(0, top / 1e6 * 1.18)
    axes.set_yticks([])
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="x", length=0)
    axes.annotate("Importations", xy=(0.0, 1.0), xycoords="axes fraction", xytext=(0, 6), textcoords="offset points",
                  color=IMPORTS_BLUE, fontweight="bold", ha="left", va="bottom")
    axes.annotate("Exportations", xy=(0.16, 1.0), xycoords="axes fraction", xytext=(0, 6), textcoords="offset points",
                  color=EXPORTS_VIOLET, fontweight="bold", ha="left", va="bottom")
    return figure


def alt_text(history: tuple[YearTotals, ...], territory) -> str:
    years = "; ".join(f"{h.year} : exportations {meur(h.exports)}, importations {meur(h.imports)}" for h in history)
    return f"Exportations et importations {territory.of_name} de {history[0].year} à {history[-1].year}. {years}."
