"""Slim the SVG a browser exports into the SVG a PDF needs.

Plotly writes a screen document: empty layers for every trace type, hover targets and hidden
labels drawn fully transparent, and every style as a CSS ``style`` attribute with screen-only
properties. WeasyPrint tokenises each of those attributes and lays out each text, visible or not,
so the raw export costs about twice the drawing time of what is actually seen.

`slim` keeps the drawing identical and removes the rest:

- elements that cannot paint anything (transparent fill and stroke, zero-size or hidden text);
- groups and definitions left empty;
- CSS declarations turned into SVG presentation attributes, dropping screen-only properties
  (cursor, pointer events, text shadows…) and values equal to the SVG defaults;
- opaque ``rgb()`` colours written as ``#rrggbb`` (one token for WeasyPrint's CSS parser instead
  of a function of five), and the colour of zero-width strokes dropped;
- groups that only carry a transform for a single child, or nothing at all, dissolved into
  their children (each group costs WeasyPrint a saved and restored graphic state);
- path coordinates rounded to a hundredth of a pixel (plotly writes seventeen digits, which
  WeasyPrint reads one by one; a hundredth of a pixel is 2.4 µm on the page).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("xlink", XLINK_NS)

#: Properties that change what is painted in a PDF; every other declaration is screen-only.
PRESENTATION = frozenset({
    "clip-path", "clip-rule", "color", "display", "dominant-baseline", "fill", "fill-opacity",
    "fill-rule", "font-family", "font-size", "font-style", "font-variant", "font-weight", "letter-spacing",
    "marker-end", "marker-mid", "marker-start", "mask", "opacity", "stop-color", "stop-opacity",
    "stroke", "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-opacity", "stroke-width", "text-anchor", "text-decoration",
    "visibility", "word-spacing",
})
#: Declarations equal to the initial value, which neither paint nor override an inherited value
#: in plotly's output (plotly never relies on resetting an inherited opacity).
DEFAULTS = {"opacity": "1", "fill-opacity": "1", "stroke-opacity": "1"}
SHAPES = frozenset({"rect", "path", "circle", "ellipse", "line", "polyline", "polygon"})
CONTAINERS = frozenset({"g", "defs", "clipPath"})
#: Inside these, shapes define geometry rather than paint: never judged by their colours.
GEOMETRY = frozenset({"clipPath", "mask", "pattern", "marker", "symbol", "defs", "linearGradient", "radialGradient"})
_DECLARATION = re.compile(r"\s*([a-zA-Z-]+)\s*:\s*([^;]*?)\s*(?:;|$)")
#: An SVG number: sign, digits with or without a point, exponent.
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def serialize(root: ET.Element) -> str:
    """An SVG tree as text, in the SVG namespace by default (`<svg xmlns=…>`, never `<ns0:svg>`).

    Not through ElementTree's global prefix registry: other libraries rewrite it (WeasyPrint's
    metadata module does on import), and the same chart would be written differently depending on
    what was imported first. The tree's SVG elements lose their namespace in place.
    """
    qualified = f"{{{SVG_NS}}}"
    if not root.tag.startswith(qualified):
        return ET.tostring(root, encoding="unicode")
    for element in root.iter():
        if element.tag.startswith(qualified):
            element.tag = element.tag[len(qualified):]
    root.set("xmlns", SVG_NS)
    return ET.tostring(root, encoding="unicode")


def local_name(tag: str) -> str:
    """An element's tag without its namespace."""
    return tag.rpartition("}")[2]


def declarations(style: str) -> dict[str, str]:
    return {name.lower(): value for name, value in _DECLARATION.findall(style) if value}


def number(value: str | None) -> float | None:
    match = re.match(r"\s*([0-9]*\.?[0-9]+)", value or "")
    return float(match.group(1)) if match else None


def _is_zero(value: str | None) -> bool:
    return number(value) == 0.0


def _paints(element: ET.Element, inherited: dict[str, str]) -> bool:
    """Whether a shape or a text can leave a mark, given its own and inherited attributes."""

    def get(name: str) -> str | None:
        return element.get(name, inherited.get(name))

    if get("display") == "none" or get("visibility") == "hidden" or _is_zero(get("opacity")):
        return False
    tag = local_name(element.tag)
    if tag == "text":
        size = number(get("font-size"))
        tiny = size is not None and size <= 1.0
        return not (tiny or _is_zero(get("fill-opacity")) or get("fill") in ("none", "transparent"))
    fill_visible = get("fill") not in ("none", "transparent") and not _is_zero(get("fill-opacity"))
    stroke = get("stroke")
    stroke_visible = (
        stroke not in (None, "none", "transparent") and not _is_zero(get("stroke-opacity")) and not _is_zero(get("stroke-width"))
    )
    return fill_visible or stroke_visible


INHERITED = ("fill", "fill-opacity", "stroke", "stroke-opacity", "stroke-width", "font-size", "visibility")


def _rewrite(element: ET.Element, inherited: dict[str, str], geometry: bool = False) -> bool:
    """Clean `element` in place; return False when it should be removed."""
    style = element.attrib.pop("style", None)
    if style:
        for name, value in declarations(style).items():
            if name in PRESENTATION and DEFAULTS.get(name) != value:
                element.set(name, value)
    element.attrib.pop("class", None)
    tag = local_name(element.tag)
    if (tag in SHAPES or tag == "text") and not geometry and not _paints(element, inherited):
        return False
    if tag == "text" and element.get("font-family"):
        element.set("font-family", element.get("font-family").replace('"', "'"))
    scope = {**inherited, **{k: element.get(k) for k in INHERITED if element.get(k) is not None}}
    for child in list(element):
        if not _rewrite(child, scope, geometry or tag in GEOMETRY):
            element.remove(child)
    if tag in CONTAINERS and len(element) == 0 and not (element.text or "").strip():
        return False
    return True


_PATH_TOKEN = re.compile(r"[A-Za-z]|" + NUMBER.pattern)
#: Arcs are left alone: their flags may be written without separators ("a5 5 0 01 10 10").
_ARC = re.compile(r"[Aa]")


def _round_path(d: str) -> str:
    """Path data with every number rounded to two decimals, numbers separated by commas."""
    if _ARC.search(d):
        return d
    out: list[str] = []
    previous_number = False
    for token in _PATH_TOKEN.findall(d):
        if token.isalpha():
            out.append(token)
            previous_number = False
            continue
        text = f"{float(token):.2f}".rstrip("0").rstrip(".")
        if text in ("-0", ""):
            text = "0"
        if previous_number:
            out.append(",")
        out.append(text)
        previous_number = True
    return "".join(out)


_RGB = re.compile(r"rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$")
PAINTS = ("fill", "stroke", "stop-color", "color")


def _simplify(element: ET.Element) -> None:
    """Hex colours, no colour for zero-width strokes and rounded paths, in place, for the whole tree."""
    for node in element.iter():
        if local_name(node.tag) == "path" and node.get("d"):
            node.set("d", _round_path(node.get("d")))
        for name in PAINTS:
            value = node.get(name)
            if value and (match := _RGB.match(value.strip())) and all(int(c) <= 255 for c in match.groups()):
                node.set(name, "#" + "".join(f"{int(c):02x}" for c in match.groups()))
        if _is_zero(node.get("stroke-width")) and local_name(node.tag) in SHAPES:
            node.attrib.pop("stroke", None)  # never painted, so never parsed (the zero width stays)


def _dissolve(parent: ET.Element) -> None:
    """Replace attribute-less groups by their children, and single-child transform-only groups by
    the child carrying the transform. Children first, so that nested wrappers all go."""
    for child in list(parent):
        _dissolve(child)
    index = 0
    while index < len(parent):
        child = parent[index]
        if local_name(child.tag) == "g" and not (child.text or "").strip():
            keys = set(child.attrib)
            if not keys:
                parent.remove(child)
                for offset, grandchild in enumerate(list(child)):
                    parent.insert(index + offset, grandchild)
                continue
            if keys == {"transform"} and len(child) == 1 and local_name(child[0].tag) in SHAPES | {"g"}:
                only = child[0]
                own = only.get("transform")
                only.set("transform", child.get("transform") + (f" {own}" if own else ""))
                only.tail = child.tail
                parent.remove(child)
                parent.insert(index, only)
                continue
        index += 1


def slim(svg: str) -> str:
    """The same drawing in fewer, cheaper nodes."""
    root = ET.fromstring(svg)
    _rewrite(root, {})
    _simplify(root)
    _dissolve(root)
    for name in ("style", "class"):
        root.attrib.pop(name, None)
    return serialize(root)
