"""Paired bars, imports then exports, each written with its value: the history and the latest quarters."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from fiches.charts.style import EXPORTS_VIOLET, IMPORTS_BLUE, TEXT
from fiches.model.formatting import compact_eur


def paired(labels: Sequence[str], exports: Sequence[int], imports: Sequence[int], *,
           provisional: Sequence[bool] | None = None, note: str = "") -> Figure:
    """One pair of bars per label (imports blue, exports violet). Provisional bars are hatched, and
    `note` says so under the legend."""
    provisional = provisional or [False] * len(labels)
    figure = Figure(figsize=(7.0, 2.3))
    axes = figure.add_axes((0.03, 0.16, 0.94, 0.72))
    width = 0.38
    top = max([*exports, *imports, 1])
    for offset, colour, values in ((-width / 2, IMPORTS_BLUE, imports), (width / 2, EXPORTS_VIOLET, exports)):
        positions = [i + offset for i in range(len(labels))]
        bars = axes.bar(positions, [v / 1e6 for v in values], width=width * 0.92, color=colour)
        for bar, hatched in zip(bars, provisional):
            if hatched:
                bar.set_facecolor("white")
                bar.set_edgecolor(colour)
                bar.set_hatch("////")
        for x, value in zip(positions, values):
            axes.annotate(compact_eur(value), xy=(x, value / 1e6), xytext=(0, 2), textcoords="offset points",
                          ha="center", va="bottom", fontsize=6.5, color=TEXT)
    axes.set_xticks(range(len(labels)), list(labels))
    axes.set_ylim(0, top / 1e6 * 1.18)
    axes.set_yticks([])
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="x", length=0)
    axes.annotate("Importations", xy=(0.0, 1.0), xycoords="axes fraction", xytext=(0, 6), textcoords="offset points",
                  color=IMPORTS_BLUE, fontweight="bold", ha="left", va="bottom")
    axes.annotate("Exportations", xy=(0.16, 1.0), xycoords="axes fraction", xytext=(0, 6), textcoords="offset points",
                  color=EXPORTS_VIOLET, fontweight="bold", ha="left", va="bottom")
    if note:
        axes.annotate(note, xy=(1.0, 1.0), xycoords="axes fraction", xytext=(0, 6), textcoords="offset points",
                      color=TEXT, fontsize=7.5, ha="right", va="bottom")
    return figure
