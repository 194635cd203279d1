"""svgclean.slim: fewer, cheaper nodes, and the very same drawing."""

from __future__ import annotations

import re
import subprocess

from fiches.charts import svgclean

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120" viewBox="0 0 200 120">'
    '<g><g transform="translate(10,5)"><g transform="scale(2)"><rect width="20" height="10" style="fill: rgb(200, 30, 45); cursor: pointer"/></g></g></g>'
    '<g transform="translate(60,40)"><path d="M0,0L30,0L30,20Z" fill="rgb(31, 95, 168)" fill-opacity="0.78" stroke="rgb(68, 68, 68)" stroke-width="0"/></g>'
    '<g transform="translate(100,10)" fill="rgb(106, 61, 154)"><rect width="10" height="10"/><rect x="20" width="10" height="10"/></g>'
    '<g transform="translate(150,60) rotate(30)"><g transform="translate(5,0)"><rect width="30" height="8" fill="rgba(0, 0, 0, 0.5)"/></g></g>'
    '<rect x="0" y="100" width="5" height="5" fill="rgb(0,0,0)" style="fill-opacity: 0"/>'
    "</svg>"
)


def _pixels(svg: str, tmp_path, name: str) -> bytes:
    import weasyprint

    (tmp_path / f"{name}.svg").write_text(svg, encoding="utf-8")
    weasyprint.HTML(string=f'<img src="{name}.svg" style="width: 100mm">', base_url=str(tmp_path) + "/").write_pdf(tmp_path / f"{name}.pdf")
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True)
    return (tmp_path / f"{name}.png").read_bytes()


def test_slim_dissolves_wrappers_and_simplifies_paint():
    slim = svgclean.slim(SVG)
    tags = re.findall(r"<(\w+)", slim)
    assert tags.count("g") == 1  # only the group that styles two rects
    assert 'transform="translate(150,60) rotate(30) translate(5,0)"' in slim
    assert "rgb(" not in slim and "#c81e2d" in slim and "#1f5fa8" in slim and "rgba(0, 0, 0, 0.5)" in slim
    assert "cursor" not in slim and "style=" not in slim
    assert 'stroke="#444444"' not in slim  # a zero-width stroke keeps no colour
    assert 'transform="translate(10,5) scale(2)"' in slim  # composed in document order
    assert "y=\"100\"" not in slim  # an invisible shape is gone


def test_slim_writes_the_svg_namespace_whatever_was_imported_before():
    """The same SVG text whatever the import order: WeasyPrint's metadata module, imported, rewrites
    ElementTree's global prefixes, which turned every element of a slimmed chart into `<ns0:…>`."""
    import importlib
    import xml.etree.ElementTree as ET

    importlib.import_module("weasyprint.pdf.metadata")
    ET.register_namespace("", "")  # what that module does, in case it was imported long ago
    slim = svgclean.slim(SVG)
    assert slim.startswith('<svg width="200"') and ' xmlns="http://www.w3.org/2000/svg"' in slim.split(">", 1)[0]
    assert "ns0" not in slim and "<rect " in slim
    assert svgclean.slim(slim) == slim  # and it reads back as SVG


def test_slim_draws_the_same_pixels(tmp_path):
    assert _pixels(svgclean.slim(SVG), tmp_path, "slim") == _pixels(SVG, tmp_path, "raw")


def test_paths_are_rounded_to_a_hundredth_of_a_pixel(tmp_path):
    raw = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120" viewBox="0 0 200 120">'
        '<path d="M6.3008,-1.2434497875801753e-14C150.39999999999998,-1.2434497875801753e-14 40.004,28.831921556801433 '
        '94.4992,28.831921556801433L94.4992,60.972878448130388C50.4,60.97 50.4,32.14 6.3008,32.140956891328Z" fill="#c81e2d"/>'
        '<path d="M120,10h20v-5.5.5z" fill="#1f5fa8"/>'
        '<path d="M150 50a5 5 0 01 10 10" fill="#6a3d9a"/>'
        "</svg>"
    )
    slim = svgclean.slim(raw)
    assert 'd="M6.3,0C150.4,0,40,28.83,94.5,28.83L94.5,60.97C50.4,60.97,50.4,32.14,6.3,32.14Z"' in slim
    assert 'd="M120,10h20v-5.5,0.5z"' in slim  # ".5" after "-5.5" is a number of its own
    assert 'd="M150 50a5 5 0 01 10 10"' in slim  # arcs untouched: their flags need no separator
    # The same drawing: edges a fraction of a device pixel apart at most (150 dpi), shapes unchanged.
    largest, edge_share = _difference(_pixels(slim, tmp_path, "rounded"), _pixels(raw, tmp_path, "raw"))
    assert largest <= 48 and edge_share < 0.02


def _difference(png_a: bytes, png_b: bytes) -> tuple[int, float]:
    """Largest channel difference, and the share of painted pixels that differ at all."""
    import io

    from PIL import Image, ImageChops

    a, b = (Image.open(io.BytesIO(png)).convert("L") for png in (png_a, png_b))
    assert a.size == b.size
    difference = ImageChops.difference(a, b)
    differing = sum(difference.point(lambda v: 255 if v else 0).histogram()[255:])
    painted = sum(b.point(lambda v: 255 if v < 255 else 0).histogram()[255:])
    return difference.getextrema()[1], differing / max(painted, 1)
