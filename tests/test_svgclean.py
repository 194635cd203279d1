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
    tags = re.findall(r"<(?:ns0:)?(\w+)", slim)
    assert tags.count("g") == 1  # only the group that styles two rects
    assert 'transform="translate(150,60) rotate(30) translate(5,0)"' in slim
    assert "rgb(" not in slim and "#c81e2d" in slim and "#1f5fa8" in slim and "rgba(0, 0, 0, 0.5)" in slim
    assert "cursor" not in slim and "style=" not in slim
    assert 'stroke="#444444"' not in slim  # a zero-width stroke keeps no colour
    assert 'transform="translate(10,5) scale(2)"' in slim  # composed in document order
    assert "y=\"100\"" not in slim  # an invisible shape is gone


def test_slim_draws_the_same_pixels(tmp_path):
    assert _pixels(svgclean.slim(SVG), tmp_path, "slim") == _pixels(SVG, tmp_path, "raw")
