"""The charts' look: the factsheet's colours, the bundled Lato font, and matplotlib's fixed settings."""

from __future__ import annotations

import contextlib
import html
import textwrap
from collections.abc import Iterator

from fiches.config import FONTS_DIR

FONT_FAMILY = "Lato"

#: Colours of the factsheet (see FACTSHEET.md): imports blue, exports violet, top flows red,
#: other flows grey, positive balance green, negative red.
IMPORTS_BLUE = "#1f5fa8"
IMPORTS_SHADES = ("#12406f", "#1f5fa8", "#3a78bf", "#5a92d0", "#7eaddc", "#a3c6e7")
EXPORTS_VIOLET = "#6a3d9a"
EXPORTS_SHADES = ("#46256b", "#6a3d9a", "#8157b0", "#9a76c2", "#b596d4", "#cfb8e3")
TOP_RED = "rgba(200, 30, 45, 0.78)"
OTHER_GREY = "rgba(140, 140, 150, 0.35)"
COUNTRY_NODE = "#5b6472"
OTHER_NODE = "#b9bec6"
POSITIVE_GREEN = "#1b7f3b"
NEGATIVE_RED = "#c0262d"
TEXT = "#1d1d1f"


def plotly_text(text: str, width: int | None = None, *, break_words: bool = True) -> str:
    """A label as plotly shows it: markup-like text escaped (plotly reads a subset of HTML),
    optionally wrapped on lines of at most `width` characters (a longer word is cut, unless not
    `break_words`: it then has a line of its own)."""
    lines = textwrap.wrap(text, width, break_long_words=break_words, break_on_hyphens=False) if width else [text]
    if not break_words:  # no short word alone on its line ("de", "et"): it joins the line before
        for index in range(len(lines) - 1, 0, -1):
            if len(lines[index]) <= 3:
                lines[index - 1 : index + 1] = [f"{lines[index - 1]} {lines[index]}"]
    return "<br>".join(html.escape(line, quote=False) for line in lines or [""])


_registered = False


def _register_fonts() -> None:
    global _registered
    from matplotlib import font_manager

    if not _registered:
        for path in sorted(FONTS_DIR.glob("*.ttf")):
            font_manager.fontManager.addfont(str(path))
        _registered = True


@contextlib.contextmanager
def matplotlib_style() -> Iterator[None]:
    """Fixed rcParams for every matplotlib chart, restored afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    _register_fonts()
    with matplotlib.rc_context(
        {
            "font.family": FONT_FAMILY,
            "font.size": 9,
            "svg.fonttype": "none",  # text stays text: vector, searchable, in the bundled font
            "svg.hashsalt": "fiches",  # stable ids: same data, same SVG
            "text.parse_math": False,  # a "$" in a label is a dollar, never mathtext
            "axes.edgecolor": "#9aa0a6",
            "text.color": TEXT,
            "axes.labelcolor": TEXT,
            "xtick.color": TEXT,
            "ytick.color": TEXT,
        }
    ):
        yield
