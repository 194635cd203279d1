"""Balance by partner country as a plotly figure, for the interactive page (the PDF uses balance.py).

Imports to the left, exports to the right, the balance written beside each row in green or red;
hovering a bar shows the partner's three figures.
"""

from __future__ import annotations

import math

from fiches.charts.style import EXPORTS_VIOLET, FONT_FAMILY, IMPORTS_BLUE, NEGATIVE_RED, POSITIVE_GREEN, TEXT, plotly_text
from fiches.model.formatting import NBSP, balance, balance_sign, meur
from fiches.model.indicators import Partner

ROW = 34  # px per partner
TOP, BOTTOM = 34, 34
#: Characters of a country name that fit in the left margin; longer names are cut with "…".
LABEL_CHARS = 28
MUTED = "#5f6368"


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1].rstrip() + "…"


def _decimals(step: float) -> int:
    """Decimals needed to write a tick step exactly (0.5 -> 1, 0.02 -> 2)."""
    for decimals in range(3):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-9 * max(1.0, scaled):
            return decimals
    return 2


def ticks(span: float) -> tuple[list[float], list[str]]:
    """Round tick positions (in M€) on both sides of zero, written as absolute values in M€."""
    raw = span / 4  # three or four ticks a side
    if raw < 0.01:  # under 40 000 €: zero alone, the bars' values are in their tooltips
        return [0.0], [meur(0, 0)]
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    count = int(math.floor(span / step + 1e-9))
    decimals = _decimals(step)
    values = [round(i * step, 6) for i in range(-count, count + 1)]
    return values, [meur(abs(v) * 1e6, decimals if v else 0) for v in values]


def hover(partner: Partner) -> str:
    return "<br>".join(
        [
            f"<b>{plotly_text(partner.label)}</b>",
            f"Exportations{NBSP}: {meur(partner.exports)}",
            f"Importations{NBSP}: {meur(partner.imports)}",
            f"Solde{NBSP}: {balance(partner.balance)}",
        ]
    )


def build(partners: tuple[Partner, ...]) -> dict:
    """The plotly figure as a plain dict; values in M€, every text written by fiches.model.formatting."""
    rows = list(partners)
    positions = list(range(len(rows)))
    hovers = [hover(p) for p in rows]
    span = max([p.imports / 1e6 for p in rows] + [p.exports / 1e6 for p in rows] + [0.0])
    tick_values, tick_texts = ticks(span)
    bars = [
        dict(
            type="bar",
            orientation="h",
            name=name,
            x=[sign * value(p) / 1e6 for p in rows],
            y=positions,
            marker={"color": colour},
            width=0.62,
            customdata=hovers,
            hovertemplate="%{customdata}<extra></extra>",
        )
        for name, sign, value, colour in (
            ("Importations", -1, lambda p: p.imports, IMPORTS_BLUE),
            ("Exportations", 1, lambda p: p.exports, EXPORTS_VIOLET),
        )
    ]
    annotations = [
        {
            "text": f"<b>{plotly_text(balance(p.balance))}</b>",
            "x": 1.0, "xref": "paper", "xanchor": "left", "xshift": 10,
            "y": y, "yref": "y", "yanchor": "middle",
            "showarrow": False,
            "font": {"color": {"positive": POSITIVE_GREEN, "negative": NEGATIVE_RED}.get(balance_sign(p.balance), MUTED), "size": 12},
        }
        for y, p in zip(positions, rows)
    ]
    header = {"xref": "paper", "yref": "paper", "y": 1.0, "yanchor": "bottom", "yshift": 4, "showarrow": False}
    annotations += [
        {**header, "text": "<b>← Importations</b>", "x": 0.0, "xanchor": "left", "font": {"color": IMPORTS_BLUE}},
        {**header, "text": "<b>Exportations →</b>", "x": 1.0, "xanchor": "right", "font": {"color": EXPORTS_VIOLET}},
        {**header, "text": "<b>Solde</b>", "x": 1.0, "xanchor": "left", "xshift": 10, "font": {"color": TEXT}},
    ]
    limit = max(span, 1e-9) * 1.05
    layout = dict(
        height=TOP + BOTTOM + ROW * max(len(rows), 1),
        margin={"l": 8, "r": 110, "t": TOP, "b": BOTTOM},
        font={"family": FONT_FAMILY, "color": TEXT, "size": 12},
        paper_bgcolor="white",
        plot_bgcolor="white",
        barmode="relative",
        showlegend=False,
        xaxis={
            "range": [-limit, limit],
            "tickvals": tick_values,
            "ticktext": tick_texts,
            "tickfont": {"size": 10, "color": MUTED},
            "zeroline": True,
            "zerolinecolor": MUTED,
            "zerolinewidth": 1,
            "gridcolor": "#e3e5e8",
            "fixedrange": True,
        },
        yaxis={
            "tickvals": positions,
            "ticktext": [plotly_text(_short(p.label)) for p in rows],
            "autorange": "reversed",
            "automargin": True,
            "ticks": "",
            "fixedrange": True,
            "showgrid": False,
        },
        annotations=annotations,
    )
    return {"data": bars, "layout": layout}
