"""Balance by partner country: imports to the left, exports to the right, balance written."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from fiches.charts.style import EXPORTS_VIOLET, IMPORTS_BLUE, NEGATIVE_RED, POSITIVE_GREEN  # noqa: E402
from fiches.model.formatting import balance, balance_sign, meur  # noqa: E402
from fiches.model.indicators import Partner  # noqa: E402

#: Points between a bar's end and its value.
VALUE_GAP = 3
MUTED = "#5f6368"


def build(partners: tuple[Partner, ...]) -> Figure:
    """Per partner, imports to the left and exports to the right, each bar with its amount, and
    the balance written beside the row (green, red, or muted when it is about nil).

    Every bar carries its value, so there is no axis scale to read (nor to collide).
    """
    rows = list(partners)
    height = 0.55 + 0.3 * max(len(rows), 1)
    figure = Figure(figsize=(7.0, height))
    bottom = 0.12 / height
    axes = figure.add_axes((0.19, bottom, 0.63, 1 - bottom - 0.32 / height))
    positions = list(range(len(rows)))[::-1]
    imports = [-p.imports / 1e6 for p in rows]
    exports = [p.exports / 1e6 for p in rows]
    axes.barh(positions, imports, color=IMPORTS_BLUE, height=0.62)
    axes.barh(positions, exports, color=EXPORTS_VIOLET, height=0.62)
    axes.axvline(0, color=MUTED, linewidth=0.8)
    axes.set_yticks(positions, [p.label for p in rows])
    span = max([abs(v) for v in imports + exports] + [1e-9])
    axes.set_xlim(-span * 1.5, span * 1.5)  # room for the amounts beyond the longest bars
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.set_xticks([])
    axes.tick_params(axis="y", length=0)
    for side in ("top", "right", "left", "bottom"):
        axes.spines[side].set_visible(False)
    for y, partner, left, right in zip(positions, rows, imports, exports):
        axes.annotate(meur(partner.imports), xy=(left, y), xytext=(-VALUE_GAP, 0), textcoords="offset points",
                      va="center", ha="right", fontsize=7.5, color=IMPORTS_BLUE)
        axes.annotate(meur(partner.exports), xy=(right, y), xytext=(VALUE_GAP, 0), textcoords="offset points",
                      va="center", ha="left", fontsize=7.5, color=EXPORTS_VIOLET)
        sign = balance_sign(partner.balance)
        colour = {"positive": POSITIVE_GREEN, "negative": NEGATIVE_RED}.get(sign, MUTED)
        axes.annotate(balance(partner.balance), xy=(1.0, y), xycoords=("axes fraction", "data"), xytext=(8, 0),
                      textcoords="offset points", va="center", ha="left", color=colour, fontweight="bold")
    axes.annotate("Solde", xy=(1.0, 1.0), xycoords="axes fraction", xytext=(8, 4), textcoords="offset points",
                  ha="left", va="bottom", fontweight="bold")
    axes.annotate("← Importations", xy=(0.0, 1.0), xycoords="axes fraction", xytext=(0, 4), textcoords="offset points",
                  ha="left", va="bottom", color=IMPORTS_BLUE, fontweight="bold")
    axes.annotate("Exportations →", xy=(1.0, 1.0), xycoords="axes fraction", xytext=(0, 4), textcoords="offset points",
                  ha="right", va="bottom", color=EXPORTS_VIOLET, fontweight="bold")
    return figure


def alt_text(partners: tuple[Partner, ...], territory) -> str:
    if not partners:
        return f"Aucun partenaire commercial recensé pour {territory.the_name}."
    parts = [
        f"{p.label} : importations {meur(p.imports)}, exportations {meur(p.exports)}, solde {balance(p.balance)}"
        for p in partners
    ]
    return f"Balance commerciale {territory.of_name} avec ses principaux pays partenaires. " + " ; ".join(parts) + "."
