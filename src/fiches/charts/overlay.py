"""Chart labels lifted out of the SVG and set as positioned text of the page.

WeasyPrint lays out SVG text one letter at a time (a Pango layout per character), which made the
chart labels about a third of a factsheet's rendering time. Page text is laid out a run at a time.
`lift` removes every label it can place exactly from a chart's SVG and returns it as a `Label`:
its anchor point and baseline in the chart's own units, size, colour and weight. The template
draws each label over the chart image, in the same font, at the same place (tests compare the two
renderings). Labels the page could not reproduce exactly (rotated, clipped, translucent,
letter-spaced, positioned letter by letter) stay in the SVG.

Lifted labels are real text of the PDF: selectable, searchable, and read in order after the
chart's alternative text.
"""

from __future__ import annotations

import math
import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache

from fiches.charts import svgclean
from fiches.config import FONTS_DIR

#: Width of a chart on the page: the A4 content width (210 mm minus 15 mm margins each side).
CANVAS_MM = 180.0

_TRANSFORM = re.compile(r"([a-zA-Z]+)\s*\(([^)]*)\)")
_LENGTH = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(px|em)?\s*$")
_RGB = re.compile(r"rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*([0-9.]+)\s*)?\)$")
_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_NAMED = {"black": "#000000", "white": "#ffffff"}
#: Attributes with which a text needs SVG's own text model.
_UNSUPPORTED = ("textLength", "lengthAdjust", "rotate", "letter-spacing", "word-spacing", "clip-path", "mask", "filter",
                "text-decoration", "writing-mode")
_BASELINES = (None, "auto", "alphabetic")
INHERITED = ("fill", "fill-opacity", "opacity", "font-size", "font-weight", "font-style", "text-anchor", "visibility",
             "dominant-baseline", "alignment-baseline", "letter-spacing", "word-spacing", "direction")


class Unliftable(Exception):
    """A text the page cannot draw exactly like the SVG: it stays in the SVG."""


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool


@dataclass(frozen=True)
class Label:
    """One line of chart text. Coordinates and size are in the chart's viewBox units."""

    x: float
    y: float  # baseline
    size: float
    anchor: str  # "start" | "middle" | "end"
    colour: str  # #rrggbb
    bold: bool
    italic: bool
    lines: tuple[tuple[Run, ...], ...]  # one or more lines, `leading` apart
    leading: float = 1.0  # distance between baselines, in em

    @property
    def text(self) -> str:
        return "\n".join("".join(run.text for run in line) for line in self.lines)


@dataclass(frozen=True)
class Lifted:
    svg: str
    width: float  # viewBox width and height
    height: float
    labels: tuple[Label, ...]


# -- geometry ---------------------------------------------------------------------------------

Matrix = tuple[float, float, float, float, float, float]  # a b c d e f, as in SVG
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + c * b2, b * a2 + d * b2, a * c2 + c * d2, b * c2 + d * d2, a * e2 + c * f2 + e, b * e2 + d * f2 + f)


def parse_transform(value: str | None) -> Matrix:
    """An SVG transform list as one matrix."""
    result = IDENTITY
    if not value or not value.strip():
        return result
    consumed = 0
    for match in _TRANSFORM.finditer(value):
        if value[consumed:match.start()].strip(" ,"):
            raise Unliftable(f"transform illisible : {value!r}")
        consumed = match.end()
        name, args = match.group(1), [float(n) for n in svgclean.NUMBER.findall(match.group(2))]
        if name == "matrix" and len(args) == 6:
            step = tuple(args)
        elif name == "translate" and len(args) in (1, 2):
            step = (1.0, 0.0, 0.0, 1.0, args[0], args[1] if len(args) == 2 else 0.0)
        elif name == "scale" and len(args) in (1, 2):
            step = (args[0], 0.0, 0.0, args[1] if len(args) == 2 else args[0], 0.0, 0.0)
        elif name == "rotate" and len(args) in (1, 3):
            angle = math.radians(args[0])
            cos, sin = math.cos(angle), math.sin(angle)
            step = (cos, sin, -sin, cos, 0.0, 0.0)
            if len(args) == 3:
                cx, cy = args[1], args[2]
                step = _multiply(_multiply((1.0, 0.0, 0.0, 1.0, cx, cy), step), (1.0, 0.0, 0.0, 1.0, -cx, -cy))
        else:
            raise Unliftable(f"transform non pris en charge : {match.group(0)!r}")
        result = _multiply(result, step)  # type: ignore[arg-type]
    if value[consumed:].strip(" ,"):
        raise Unliftable(f"transform illisible : {value!r}")
    return result


def _uniform_scale(m: Matrix) -> float:
    """The scale of a matrix that only translates and scales uniformly; Unliftable otherwise."""
    a, b, c, d, _, _ = m
    if abs(b) > 1e-9 * abs(a) or abs(c) > 1e-9 * abs(a) or a <= 0 or abs(a - d) > 1e-9 * a:
        raise Unliftable("texte tourné ou déformé")
    return a


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


# -- properties -------------------------------------------------------------------------------


def _properties(element: ET.Element, inherited: dict[str, str]) -> dict[str, str]:
    own = dict(inherited)
    style = element.get("style")
    declared = svgclean.declarations(style) if style else {}
    for name in INHERITED + _UNSUPPORTED + ("display",):
        value = declared.get(name, element.get(name))
        if value is not None:
            own[name] = value.strip()
    return own


def _length(value: str | None, font_size: float) -> float:
    if value is None:
        return 0.0
    match = _LENGTH.match(value)
    if not match:
        raise Unliftable(f"longueur non prise en charge : {value!r}")
    number = float(match.group(1))
    return number * font_size if match.group(2) == "em" else number


def _single(element: ET.Element, name: str, font_size: float) -> float | None:
    value = element.get(name)
    if value is None:
        return None
    if len(value.replace(",", " ").split()) != 1:
        raise Unliftable("texte positionné lettre par lettre")
    return _length(value, font_size)


def colour(value: str | None) -> str:
    """A CSS colour as #rrggbb; Unliftable for anything else (or anything translucent)."""
    value = (value or "black").strip().lower()
    if value in _NAMED:
        return _NAMED[value]
    if match := _HEX.match(value):
        digits = match.group(1)
        return "#" + (digits if len(digits) == 6 else "".join(ch * 2 for ch in digits))
    if match := _RGB.match(value):
        r, g, b, alpha = match.groups()
        if alpha is not None and float(alpha) < 1:
            raise Unliftable("texte translucide")
        channels = [int(r), int(g), int(b)]
        if max(channels) > 255:
            raise Unliftable(f"couleur hors bornes : {value!r}")
        return "#" + "".join(f"{c:02x}" for c in channels)
    raise Unliftable(f"couleur non prise en charge : {value!r}")


def _is_bold(weight: str | None) -> bool:
    if weight in (None, "normal", "lighter"):
        return False
    if weight in ("bold", "bolder"):
        return True
    try:
        return int(weight) >= 600
    except ValueError:
        raise Unliftable(f"graisse non prise en charge : {weight!r}") from None


def _font_size(props: dict[str, str]) -> float:
    match = _LENGTH.match(props.get("font-size", "16"))
    if not match or match.group(2) == "em":
        raise Unliftable(f"taille non prise en charge : {props.get('font-size')!r}")
    return float(match.group(1))


def _check(props: dict[str, str]) -> None:
    for name in _UNSUPPORTED:
        if props.get(name) not in (None, "none", "normal", "0", "0px"):
            raise Unliftable(f"{name} non pris en charge")
    for name in ("opacity", "fill-opacity"):
        value = svgclean.number(props.get(name))
        if value is not None and value < 1:
            raise Unliftable("texte translucide")
    for name in ("dominant-baseline", "alignment-baseline"):
        if props.get(name) not in _BASELINES:
            raise Unliftable("ligne de base non alphabétique")
    if props.get("direction", "ltr") != "ltr":
        raise Unliftable("texte de droite à gauche")
    if props.get("text-anchor", "start") not in ("start", "middle", "end"):
        raise Unliftable("ancrage inconnu")


def _collapse(text: str) -> str:
    """SVG's default white-space handling: newlines removed, tabs as spaces, runs of spaces collapsed."""
    return re.sub(r" {2,}", " ", text.replace("\n", "").replace("\r", "").replace("\t", " "))


# -- one text element -------------------------------------------------------------------------


def _span_properties(span: ET.Element, inherited: dict[str, str], text: dict[str, str]) -> dict[str, str]:
    """A tspan's properties; Unliftable unless it keeps its text's size, colour and style (weight may vary)."""
    props = _properties(span, inherited)
    _check(props)
    if _font_size(props) != _font_size(text) or colour(props.get("fill")) != colour(text.get("fill")):
        raise Unliftable("taille ou couleur variable dans un texte")
    if props.get("font-style", "normal") != text.get("font-style", "normal"):
        raise Unliftable("style variable dans un texte")
    return props


def _label_lines(text: ET.Element, props: dict[str, str], ctm: Matrix) -> list[Label]:
    _check(props)
    size = _font_size(props)
    matrix = _multiply(ctm, parse_transform(text.get("transform")))
    scale = _uniform_scale(matrix)
    x = _single(text, "x", size) or 0.0
    y = _single(text, "y", size) or 0.0
    x += _single(text, "dx", size) or 0.0
    y += _single(text, "dy", size) or 0.0
    fill = colour(props.get("fill"))
    bold, italic = _is_bold(props.get("font-weight")), props.get("font-style", "normal") == "italic"
    lines: list[tuple[float, float, list[Run]]] = [(x, y, [])]

    def add(content: str | None, run_bold: bool) -> None:
        if content:
            lines[-1][2].append(Run(_collapse(content), run_bold))

    add(text.text, bold)
    for child in text:
        if svgclean.local_name(child.tag) != "tspan":
            raise Unliftable(f"élément {child.tag!r} dans un texte")
        child_props = _span_properties(child, props, props)
        positioned = any(child.get(name) is not None for name in ("x", "y", "dx", "dy"))
        if positioned:
            if child.get("x") is None and lines[-1][2]:
                raise Unliftable("ligne sans abscisse après du texte")
            line_x = _single(child, "x", size)
            line_y = _single(child, "y", size)
            line_x = (lines[-1][0] if line_x is None else line_x) + (_single(child, "dx", size) or 0.0)
            line_y = (lines[-1][1] if line_y is None else line_y) + (_single(child, "dy", size) or 0.0)
            lines.append((line_x, line_y, []))
        child_bold = _is_bold(child_props.get("font-weight"))
        add(child.text, child_bold)
        for grandchild in child:
            if svgclean.local_name(grandchild.tag) != "tspan" or any(grandchild.get(n) is not None for n in ("x", "y", "dx", "dy")):
                raise Unliftable("texte imbriqué positionné")
            grand_props = _span_properties(grandchild, child_props, props)
            if len(grandchild):
                raise Unliftable("texte imbriqué trop profond")
            add(grandchild.text, _is_bold(grand_props.get("font-weight")))
            add(grandchild.tail, child_bold)
        add(child.tail, bold)  # a tspan's tail continues the line it ends
    kept = [(line_x, line_y, tuple(runs)) for line_x, line_y, runs in ((x, y, _strip(r)) for x, y, r in lines) if runs]
    if not kept:
        return []
    anchor = props.get("text-anchor", "start")
    # Lines stacked at one abscissa and a constant spacing (plotly's wrapped labels) make one
    # block; anything else is one label per line.
    steps = {round(b[1] - a[1], 6) for a, b in zip(kept, kept[1:])}
    if len(kept) > 1 and len({x for x, _, _ in kept}) == 1 and len(steps) == 1 and next(iter(steps)) > 0:
        page_x, page_y = _apply(matrix, kept[0][0], kept[0][1])
        leading = next(iter(steps)) / size
        return [Label(page_x, page_y, size * scale, anchor, fill, bold, italic, tuple(r for _, _, r in kept), leading)]
    labels = []
    for line_x, line_y, runs in kept:
        page_x, page_y = _apply(matrix, line_x, line_y)
        labels.append(Label(page_x, page_y, size * scale, anchor, fill, bold, italic, (runs,)))
    return labels


def _strip(runs: list[Run]) -> list[Run]:
    """Leading and trailing spaces of a line dropped, as SVG does; empty runs removed."""
    merged: list[Run] = []
    for run in runs:
        if merged and merged[-1].bold == run.bold:
            merged[-1] = Run(merged[-1].text + run.text, run.bold)
        elif run.text:
            merged.append(run)
    if merged:
        merged[0] = Run(merged[0].text.lstrip(" "), merged[0].bold)
        merged[-1] = Run(merged[-1].text.rstrip(" "), merged[-1].bold)
    merged = [run for run in merged if run.text]
    # Double spaces across a run boundary collapse too.
    for i in range(1, len(merged)):
        if merged[i - 1].text.endswith(" ") and merged[i].text.startswith(" "):
            merged[i] = Run(merged[i].text.lstrip(" "), merged[i].bold)
    return [run for run in merged if run.text]


# -- the whole chart --------------------------------------------------------------------------


def _viewbox(root: ET.Element) -> tuple[float, float]:
    box = root.get("viewBox")
    if box:
        numbers = [float(n) for n in svgclean.NUMBER.findall(box)]
        if len(numbers) == 4 and numbers[0] == 0 and numbers[1] == 0 and numbers[2] > 0 and numbers[3] > 0:
            return numbers[2], numbers[3]
        raise ValueError(f"viewBox non pris en charge : {box!r}")
    width, height = (_LENGTH.match(root.get(n, "")) for n in ("width", "height"))
    if not (width and height and not width.group(2) and not height.group(2)):
        raise ValueError("SVG sans dimensions")
    return float(width.group(1)), float(height.group(1))


def lift(svg: str) -> Lifted:
    """The chart without the labels the page can draw, and those labels."""
    root = ET.fromstring(svg)
    width, height = _viewbox(root)
    labels: list[Label] = []

    def walk(element: ET.Element, ctm: Matrix, inherited: dict[str, str], clipped: bool) -> None:
        for child in list(element):
            tag = svgclean.local_name(child.tag)
            if tag in ("defs", "clipPath", "mask", "pattern", "marker", "symbol", "style", "metadata"):
                continue
            props = _properties(child, inherited)
            if props.get("display") == "none" or props.get("visibility") == "hidden":
                continue
            if tag == "text":
                try:
                    if clipped or child.get("clip-path"):
                        raise Unliftable("texte découpé")
                    labels.extend(_label_lines(child, props, ctm))
                except Unliftable:
                    continue
                element.remove(child)
            elif tag in ("g", "a"):  # a nested <svg> is a viewport of its own: its texts stay
                try:
                    matrix = _multiply(ctm, parse_transform(child.get("transform")))
                except Unliftable:
                    continue  # texts below stay in the SVG
                walk(child, matrix, props, clipped or bool(child.get("clip-path") or child.get("mask")))

    walk(root, parse_transform(root.get("transform")), _properties(root, {}), False)
    return Lifted(svgclean.serialize(root), width, height, tuple(labels))


# -- on the page ------------------------------------------------------------------------------


def _tables(font: bytes) -> dict[bytes, bytes]:
    """The tables of a TrueType/OpenType font, by tag."""
    count = struct.unpack_from(">H", font, 4)[0]
    tables = {}
    for index in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", font, 12 + 16 * index)
        tables[tag] = font[offset:offset + length]
    return tables


@cache
def ascent() -> float:
    """Distance from the top of a line box of height 1 em to its baseline, for the bundled font.

    Pango takes the OS/2 typographic metrics when the font sets USE_TYPO_METRICS (Lato does),
    the hhea ones otherwise; a line box of height 1 em centres ascent + descent in it.
    """
    tables = _tables((FONTS_DIR / "Lato-Regular.ttf").read_bytes())
    units = struct.unpack_from(">H", tables[b"head"], 18)[0]
    os2 = tables[b"OS/2"]
    if struct.unpack_from(">H", os2, 62)[0] & (1 << 7):
        up, down = struct.unpack_from(">hh", os2, 68)
    else:
        up, down = struct.unpack_from(">hh", tables[b"hhea"], 4)
    down = -down
    return ((units - up - down) / 2 + up) / units


def _mm(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "mm"


#: Width of a label's box: wider than any label, so that the box's own width (not the text's,
#: which WeasyPrint would have to measure twice) positions it: text-align does the anchoring.
BOX_MM = 200.0
_SHIFT = {"start": 0.0, "middle": BOX_MM / 2, "end": BOX_MM}


def css(label: Label, width: float) -> str:
    """The inline style placing a label over a chart `width` units wide drawn CANVAS_MM wide.

    The first baseline of a block of line-height L em sits (L - 1) / 2 + ascent below its top.
    """
    k = CANVAS_MM / width
    first_baseline = ((label.leading - 1) / 2 + ascent()) * label.size
    parts = [
        f"left:{_mm(label.x * k - _SHIFT[label.anchor])}",
        f"top:{_mm((label.y - first_baseline) * k)}",
        f"font-size:{_mm(label.size * k)}",
    ]
    if label.leading != 1.0:
        parts.append(f"line-height:{label.leading:.4g}")
    if label.colour != "#1d1d1f":
        parts.append(f"color:{label.colour}")
    return ";".join(parts)


def _weight_runs(label: Label) -> list[Run]:
    """A label's text as runs of one weight each, its lines joined by newlines (.cl keeps them:
    white-space: pre). A treemap tile's bold name over two lines is then one <b>, not two plus a
    <br>: every element costs WeasyPrint a computed style, and a factsheet has some 170 labels."""
    runs: list[Run] = []
    for index, line in enumerate(label.lines):
        pieces = ([Run("\n", runs[-1].bold if runs else label.bold)] if index else []) + [run for run in line if run.text]
        for run in pieces:
            if runs and runs[-1].bold == run.bold:
                runs[-1] = Run(runs[-1].text + run.text, run.bold)
            else:
                runs.append(run)
    return runs


def html(lifted: Lifted) -> str:
    """The labels as escaped, absolutely positioned spans, to follow the chart's <img> in its canvas."""
    from html import escape

    parts = []
    for label in lifted.labels:
        classes = "cl" + {"start": "", "middle": " cl-m", "end": " cl-e"}[label.anchor]
        classes += " cl-b" if label.bold else ""
        classes += " cl-i" if label.italic else ""
        body = "".join(
            escape(run.text, quote=False) if run.bold == label.bold else
            (f"<b>{escape(run.text, quote=False)}</b>" if run.bold else f'<span class="cl-n">{escape(run.text, quote=False)}</span>')
            for run in _weight_runs(label)
        )
        parts.append(f'<span class="{classes}" style="{css(label, lifted.width)}">{body}</span>')
    return "".join(parts)
