"""Balance by partner country: imports to the left, exports to the right, balance written."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from fiches.charts.style import EXPORTS_VIOLET, IMPORTS_BLUE, NEGATIVE_RED, POSITIVE_GREEN  # noqa: E402
from fiches.model.formatting import meur, signed_meur  # noqa: E402
from fiches.model.indicators import Partner  # noqa: E402


def build(partners: tuple[Partner, ...]) -> Figure:
    rows = list(partners)
    height = 0.9 + 0.36 * max(len(rows), 1)
    figure = Figure(figsize=(7.0, height))
    axes = figure.add_axes((0.2, 0.16 if len(rows) < 4 else 0.1, 0.6, 0.82 if len(rows) >= 4 else 0.72))
    positions = list(range(len(rows)))[::-1]
    imports = [-p.imports / 1e6 for p in rows]
    exports = [p.exports / 1e6 for p in rows]
    axes.barh(positions, imports, color=IMPORTS_BLUE, height=0.62, label="Importations")
    axes.barh(positions, exports, color=EXPORTS_VIOLET, height=0.62, label="Exportations")
    axes.axvline(0, color="#5f6368", linewidth=0.8)
    axes.set_yticks(positions, [p.label for p in rows])
    span = max([abs(v) for v in imports + exports] + [1e-9])
    axes.set_xlim(-span * 1.05, span * 1.05)
    axes.xaxis.set_major_formatter(lambda value, _: meur(abs(value) * 1e6, 0))
    axes.tick_params(axis="x", labelsize=7.5)
    axes.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="x", color="#e3e5e8", linewidth=0.6)
    axes.set_axisbelow(True)
    for y, partner in zip(positions, rows):
        colour = POSITIVE_GREEN if partner.balance >= 0 else NEGATIVE_RED
        axes.annotate(
            signed_meur(partner.balance),
            xy=(1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(10, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            color=colour,
            fontweight="bold",
        )
    axes.annotate("Solde", xy=(1.0, 1.0), xycoords="axes fraction", xytext=(10, 2), textcoords="offset points",
                  ha="left", va="bottom", fontweight="bold")
    axes.annotate("← Importations", xy=(0.0, 1.0), xycoords="axes fraction", xytext=(0, 2), textcoords="offset points",
                  ha="left", va="bottom", color=IMPORTS_BLUE, fontweight="bold")
    axes.annotate("Exportations →", xy=(1.0, 1.0), xycoords="axes fraction", xytext=(0, 2), textcoords="offset points",
                  ha="right", va="bottom", color=EXPORTS_VIOLET, fontweight="bold")
    return figure


def alt_text(partners: tuple[Partner, ...], territory: str) -> str:
    if not partners:
        return f"Aucun partenaire commercial recensé pour {territory}."
    parts = [
        f"{p.label} : exportations {meur(p.exports)}, importations {meur(p.imports)}, solde {signed_meur(p.balance)}"
        for p in partners
    ]
    return f"Solde commercial de {territory} avec ses principaux pays partenaires. " + " ; ".join(parts) + "."
