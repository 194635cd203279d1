"""Treemap of activities: an imports compartment (blue) beside an exports one (violet)."""

from __future__ import annotations

import plotly.graph_objects as go

from fiches.charts import EXPORTS_SHADES, EXPORTS_VIOLET, FONT_FAMILY, IMPORTS_BLUE, IMPORTS_SHADES
from fiches.formatting import meur, percent
from fiches.indicators import Activity

WIDTH, HEIGHT = 720, 560
MIN_TEXT = 9  # smaller labels are dropped rather than shrunk further or spilled


def build(imports: tuple[Activity, ...], exports: tuple[Activity, ...]) -> go.Figure:
    ids, labels, parents, values, colours, texts = [], [], [], [], [], []
    for key, name, activities, base, shades in (
        ("I", "Importations", imports, IMPORTS_BLUE, IMPORTS_SHADES),
        ("E", "Exportations", exports, EXPORTS_VIOLET, EXPORTS_SHADES),
    ):
        total = sum(a.value for a in activities)
        if total <= 0:
            continue
        ids.append(key)
        labels.append(name)
        parents.append("")
        values.append(total)
        colours.append(base)
        texts.append(meur(total))
        for rank, activity in enumerate(activities):
            ids.append(f"{key}/{activity.code}")
            labels.append(activity.label)
            parents.append(key)
            values.append(activity.value)
            colours.append(shades[min(rank // 2, len(shades) - 1)])
            texts.append(f"{meur(activity.value)} · {percent(activity.share)}")
    figure = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="total",
            sort=True,
            text=texts,
            texttemplate="<b>%{label}</b><br>%{text}",
            textposition="middle center",
            marker={"colors": colours, "line": {"width": 1.2, "color": "white"}, "pad": {"t": 22, "l": 2, "r": 2, "b": 2}},
            tiling={"packing": "squarify", "pad": 1},
            pathbar={"visible": False},
            root={"color": "white"},
            insidetextfont={"color": "white", "size": 11},
            outsidetextfont={"color": "white", "size": 13},
        )
    )
    figure.update_layout(
        width=WIDTH,
        height=HEIGHT,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        font={"family": FONT_FAMILY},
        uniformtext={"minsize": MIN_TEXT, "mode": "hide"},
        paper_bgcolor="white",
    )
    return figure


def alt_text(imports: tuple[Activity, ...], exports: tuple[Activity, ...], territory: str) -> str:
    def top(activities: tuple[Activity, ...]) -> str:
        return ", ".join(f"{a.label} ({percent(a.share)})" for a in activities[:3]) or "aucune"

    total_i, total_e = sum(a.value for a in imports), sum(a.value for a in exports)
    return (
        f"Principales activités de {territory}. Importations, {meur(total_i)} : {top(imports)}. "
        f"Exportations, {meur(total_e)} : {top(exports)}."
    )
