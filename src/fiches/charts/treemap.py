"""Treemap of activities: an imports compartment (blue) beside an exports one (violet)."""

from __future__ import annotations

from fiches.charts.style import EXPORTS_SHADES, EXPORTS_VIOLET, FONT_FAMILY, IMPORTS_BLUE, IMPORTS_SHADES, TEXT, plotly_text
from fiches.model.formatting import meur, percent
from fiches.model.indicators import Activity

WIDTH, HEIGHT = 720, 400  # with the balance chart on one page
MIN_TEXT = 9  # smaller labels are dropped rather than shrunk further or spilled
#: Below this share of the chart's area a tile cannot hold a label at MIN_TEXT: it gets none,
#: which spares the browser from measuring text that would be hidden anyway.
MIN_LABELLED_AREA = 0.004
#: Labels are wrapped on lines of this many characters, so that tall narrow tiles can hold them;
#: a longer word keeps its own line, never cut without a hyphen.
WRAP = 11
TILE_TEXT = "<b>%{label}</b><br>%{text}"


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colour(background: str) -> str:
    """White on dark tiles, dark text on light ones: whichever reads best (at least 4.5:1 on every shade)."""
    return "#ffffff" if contrast("#ffffff", background) >= contrast(TEXT, background) else TEXT


def order(imports: tuple[Activity, ...], exports: tuple[Activity, ...]) -> tuple[str, ...]:
    """The compartments from left to right: the larger first, as the treemap lays them out."""
    return ("I", "E") if sum(a.value for a in imports) >= sum(a.value for a in exports) else ("E", "I")


def build(imports: tuple[Activity, ...], exports: tuple[Activity, ...], interactive: bool = False) -> dict:
    """Two compartments side by side; their names and totals are printed above the chart.

    `interactive` adds what the web page shows on hover; the PDF's figure is the same without it.
    """
    ids, labels, parents, values, colours, texts, templates, fonts = [], [], [], [], [], [], [], []
    hovers = []
    grand_total = sum(a.value for a in imports) + sum(a.value for a in exports)
    for key, activities, base, shades in (
        ("I", imports, IMPORTS_BLUE, IMPORTS_SHADES),
        ("E", exports, EXPORTS_VIOLET, EXPORTS_SHADES),
    ):
        total = sum(a.value for a in activities)
        if total <= 0:
            continue
        ids.append(key)
        labels.append("Importations" if key == "I" else "Exportations")
        parents.append("")
        values.append(total)
        colours.append(base)
        fonts.append(text_colour(base))
        texts.append("")
        templates.append("")
        name = "importations" if key == "I" else "exportations"
        hovers.append(f"<b>{labels[-1]}</b><br>{meur(total)} · {percent(100 * total / grand_total)} des échanges")
        for rank, activity in enumerate(activities):
            ids.append(f"{key}/{activity.code}")
            labels.append(plotly_text(activity.label, WRAP, break_words=False))
            parents.append(key)
            values.append(activity.value)
            colours.append(shades[min(rank // 2, len(shades) - 1)])
            fonts.append(text_colour(colours[-1]))
            texts.append(f"{plotly_text(meur(activity.value))}<br>{plotly_text(percent(activity.share))}")  # two short lines
            templates.append(TILE_TEXT if activity.value >= MIN_LABELLED_AREA * grand_total else "")
            hovers.append(
                f"<b>{plotly_text(activity.label)}</b><br>"
                + plotly_text(f"{meur(activity.value)} · {percent(activity.share)} des {name}")
            )
    trace = dict(
        type="treemap",
        ids=ids,
        labels=labels,
        parents=parents,
        values=values,
        branchvalues="total",
        sort=True,
        text=texts,
        texttemplate=templates,
        textposition="middle center",
        marker={"colors": colours, "line": {"width": 1.2, "color": "white"}, "pad": {"t": 3, "l": 3, "r": 3, "b": 3}},
        tiling={"packing": "squarify", "pad": 1},
        pathbar={"visible": False},
        root={"color": "white"},
        insidetextfont={"color": fonts, "size": 11},
    )
    if interactive:
        trace["customdata"] = hovers
        trace["hovertemplate"] = "%{customdata}<extra></extra>"
    else:  # the same drawing; the browser skips building hover targets
        trace["hoverinfo"] = "none"
    layout = dict(
        width=WIDTH,
        height=HEIGHT,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        font={"family": FONT_FAMILY},
        uniformtext={"minsize": MIN_TEXT, "mode": "hide"},
        paper_bgcolor="white",
    )
    return {"data": [trace], "layout": layout}


def alt_text(imports: tuple[Activity, ...], exports: tuple[Activity, ...], territory) -> str:
    def top(activities: tuple[Activity, ...]) -> str:
        return ", ".join(f"{a.label} ({percent(a.share)})" for a in activities[:3]) or "aucune"

    total_i, total_e = sum(a.value for a in imports), sum(a.value for a in exports)
    return (
        f"Principales activités {territory.of_name} à l’import et à l’export. Importations, {meur(total_i)} : {top(imports)}. "
        f"Exportations, {meur(total_e)} : {top(exports)}."
    )
