"""Chart builders: pure functions of the model. `export` is the one place that turns them into SVG."""

import html
import textwrap

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


def plotly_text(text: str, width: int | None = None) -> str:
    """A label as plotly shows it: markup-like text escaped (plotly reads a subset of HTML),
    optionally wrapped on lines of at most `width` characters."""
    lines = textwrap.wrap(text, width, break_long_words=True) if width else [text]
    return "<br>".join(html.escape(line, quote=False) for line in lines or [""])
