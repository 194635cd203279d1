"""Product <-> country Sankeys. Labels sit in the margins, never over a coloured band."""

from __future__ import annotations

from dataclasses import dataclass

from fiches.charts import overlay
from fiches.charts.overlay import Label
from fiches.charts.style import (
    COUNTRY_NODE,
    EXPORTS_VIOLET,
    FONT_FAMILY,
    IMPORTS_BLUE,
    OTHER_GREY,
    OTHER_NODE,
    TEXT,
    TOP_RED,
    plotly_text,
)
from fiches.model.formatting import NBSP, meur, percent
from fiches.model.indicators import EXPORTS, Node, SankeyModel

WIDTH, HEIGHT = 760, 380
#: The territory's own Sankeys are drawn taller than the région and France ones they are compared with.
MAIN_HEIGHT = 540
DOMAIN = (0.3, 0.7)  # the bands; labels live on either side
NODE_PAD = 15  # px between nodes: one label line fits in it
NODE_THICKNESS = 12
MARGIN = 4


@dataclass(frozen=True)
class Placed:
    node: Node
    centre: float  # 0 (top) .. 1 (bottom) of the plot area


def _layout(nodes: tuple[Node, ...], scale: float, height: int = HEIGHT) -> list[Placed]:
    """Stack nodes from the top, `NODE_PAD` apart, heights proportional to value."""
    placed, offset = [], 0.0
    plot_height = height - 2 * MARGIN
    for node in nodes:
        thickness = node.value * scale
        placed.append(Placed(node, (offset + thickness / 2) / plot_height))
        offset += thickness + NODE_PAD
    return placed


def scale_for(model: SankeyModel, height: int = HEIGHT) -> float:
    """Pixels per euro, the same on both sides so that bands keep their width."""
    plot_height = height - 2 * MARGIN
    sides = [model.left, model.right]
    return min((plot_height - NODE_PAD * (len(side) - 1)) / max(sum(n.value for n in side), 1) for side in sides)


def node_colour(node: Node, is_product: bool, flow: str) -> str:
    if node.is_other:
        return OTHER_NODE
    if is_product:
        return EXPORTS_VIOLET if flow == EXPORTS else IMPORTS_BLUE
    return COUNTRY_NODE


#: Characters of a node name that fit in a margin beside its value; longer names are cut with "…".
LABEL_CHARS = 34


def label(node: Node) -> str:
    name = node.label if len(node.label) <= LABEL_CHARS else node.label[: LABEL_CHARS - 1].rstrip() + "…"
    return f"{name} · {meur(node.value)}"


#: Offsets of a label from its band's edge, in paper fraction, and its size in px.
LABEL_GAP = 0.008
LABEL_SIZE = 10.5
OTHER_TEXT = "#5f6368"


def _label_spec(model: SankeyModel, height: int):
    """(placed node, paper x, anchor) of every node label: products and countries in the margins."""
    scale = scale_for(model, height)
    left, right = _layout(model.left, scale, height), _layout(model.right, scale, height)
    return [(p, DOMAIN[0] - LABEL_GAP, "right") for p in left] + [(p, DOMAIN[1] + LABEL_GAP, "left") for p in right]


def labels(model: SankeyModel, height: int = HEIGHT) -> tuple[Label, ...]:
    """The node labels of the PDF's Sankey, placed by fiches rather than drawn by the browser.

    Each sits where plotly puts an annotation anchored at the same point: centred on its node,
    its em box (ascent + descent) split evenly above and below, 2 px (the annotation's border
    and padding) from its anchor.
    """
    plot_width, plot_height = WIDTH - 2 * MARGIN, height - 2 * MARGIN
    centre_to_baseline = (overlay.ascent() - 0.5) * LABEL_SIZE
    result = []
    for placed, x, anchor in _label_spec(model, height):
        edge = MARGIN + x * plot_width + (-2 if anchor == "right" else 2)
        result.append(overlay.Label(
            x=edge,
            y=MARGIN + placed.centre * plot_height + centre_to_baseline,
            size=LABEL_SIZE,
            anchor="end" if anchor == "right" else "start",
            colour=OTHER_TEXT if placed.node.is_other else TEXT,
            bold=False,
            italic=False,
            lines=((overlay.Run(label(placed.node), False),),),
        ))
    return tuple(result)


def build(model: SankeyModel, height: int = HEIGHT, interactive: bool = False, annotations: bool = True) -> dict:
    """The plotly figure as a plain dict (validated by the tests, not on every build).

    `interactive` adds what the web page shows on hover; the PDF's figure is the same without it.
    The PDF leaves out the annotations (`annotations=False`) and sets `labels()` as page text.
    """
    scale = scale_for(model, height)
    left, right = _layout(model.left, scale, height), _layout(model.right, scale, height)
    products_left = model.flow == EXPORTS
    colours = [node_colour(p.node, products_left, model.flow) for p in left] + [
        node_colour(p.node, not products_left, model.flow) for p in right
    ]
    n_left = len(left)
    trace = dict(
        type="sankey",
        arrangement="fixed",
        domain={"x": list(DOMAIN), "y": [0, 1]},
        node={
            "label": [""] * (len(left) + len(right)),
            "x": [0.001] * len(left) + [0.999] * len(right),
            "y": [p.centre for p in left] + [p.centre for p in right],
            "pad": NODE_PAD,
            "thickness": NODE_THICKNESS,
            "color": colours,
            "line": {"width": 0},
        },
        link={
            "source": [link.source for link in model.links],
            "target": [n_left + link.target for link in model.links],
            "value": [link.value for link in model.links],
            "color": [TOP_RED if link.top else OTHER_GREY for link in model.links],
        },
        textfont={"size": 1, "color": "rgba(0,0,0,0)"},
    )
    if interactive:
        _add_hover(trace, model)
    else:  # the same drawing; the browser skips building hover targets (a fifth of its time)
        trace["hoverinfo"] = trace["node"]["hoverinfo"] = trace["link"]["hoverinfo"] = "none"
    notes = []
    for placed, x, anchor in _label_spec(model, height) if annotations else ():
        notes.append(
            {
                "text": plotly_text(label(placed.node)),
                "x": x,
                "y": 1 - placed.centre,
                "xref": "paper",
                "yref": "paper",
                "xanchor": anchor,
                "yanchor": "middle",
                "showarrow": False,
                "font": {"size": LABEL_SIZE, "color": OTHER_TEXT if placed.node.is_other else TEXT},
            }
        )
    layout = dict(
        width=WIDTH,
        height=height,
        margin={"l": MARGIN, "r": MARGIN, "t": MARGIN, "b": MARGIN},
        font={"family": FONT_FAMILY, "color": TEXT},
        paper_bgcolor="white",
        annotations=notes,
    )
    return {"data": [trace], "layout": layout}


def _add_hover(trace: dict, model: SankeyModel) -> None:
    """Hover texts, written by fiches.model.formatting and escaped (labels come from downloaded files)."""
    total = max(model.total, 1)
    trace["node"]["customdata"] = [
        plotly_text(f"{node.label}{NBSP}: {meur(node.value)} ({percent(100 * node.value / total)} du total)")
        for node in model.left + model.right
    ]
    trace["node"]["hovertemplate"] = "%{customdata}<extra></extra>"
    trace["link"]["customdata"] = [
        plotly_text(f"{model.left[link.source].label} → {model.right[link.target].label}{NBSP}: {meur(link.value)}")
        for link in model.links
    ]
    trace["link"]["hovertemplate"] = "%{customdata}<extra></extra>"


def alt_text(model: SankeyModel) -> str:
    exports = model.flow == EXPORTS
    kind = "d’exportation" if exports else "d’importation"
    of_name = model.of_name or f"de {model.territory}"
    if not model.links:
        return f"Aucun flux {kind} recensé {of_name}."
    names = {i: n.label for i, n in enumerate(model.left)}, {i: n.label for i, n in enumerate(model.right)}
    top = model.top_links
    if exports:  # product -> country
        described = " ; ".join(f"{names[0][l.source]}, destination {names[1][l.target]} ({meur(l.value)})" for l in top)
    else:  # country -> product
        described = " ; ".join(f"{names[1][l.target]}, origine {names[0][l.source]} ({meur(l.value)})" for l in top)
    count = {1: "Le premier flux", 2: "Les deux premiers flux", 3: "Les trois premiers flux", 4: "Les quatre premiers flux"}.get(
        len(top), "Les cinq premiers flux"
    )
    side = "des produits vers les pays de destination" if exports else "des pays d’origine vers les produits"
    return (
        f"Diagramme des flux {kind} {of_name}, {side}, total {meur(model.total)}. "
        f"{count} {kind} sont : {described}."
    )
