"""Files the year folder's pages share, in `<year>/assets/`: plotly.js, and the interactive pages'
script, stylesheet and fonts.

They are copied once per run by the command's own process, which draws nothing: this module
imports no drawing or spreadsheet library, and asks plotly for nothing but its version.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from fiches.atomic import atomic_path
from fiches.config import TEMPLATES_DIR

_PLOTLY_SPEC = importlib.util.find_spec("plotly")
assert _PLOTLY_SPEC is not None and _PLOTLY_SPEC.submodule_search_locations, "plotly is a dependency"
PLOTLY_JS = Path(next(iter(_PLOTLY_SPEC.submodule_search_locations))) / "package_data" / "plotly.min.js"
ASSETS = "assets"
#: Shared files of the interactive pages: name in assets/ -> source in the templates.
SHARED_ASSETS = {
    "fiches-interactive.js": TEMPLATES_DIR / "interactive" / "fiches-interactive.js",
    "fiches-interactive.css": TEMPLATES_DIR / "interactive" / "fiches-interactive.css",
    "fonts/Lato-Regular.ttf": TEMPLATES_DIR / "fonts" / "Lato-Regular.ttf",
    "fonts/Lato-Bold.ttf": TEMPLATES_DIR / "fonts" / "Lato-Bold.ttf",
    "fonts/OFL.txt": TEMPLATES_DIR / "fonts" / "OFL.txt",
}


def plotly_js_version() -> str:
    """The version of the plotly.js bundled with plotly.py, which names the shared copy."""
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


def _copy_if_changed(source: Path, target: Path, *, compare_bytes: bool) -> None:
    """Copy into place through a temporary file and os.replace, unless an equal copy is there."""
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        if not compare_bytes or target.read_bytes() == source.read_bytes():
            return
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as temp:
        shutil.copyfile(source, temp)


def write_plotly_js(folder: Path) -> str:
    """Ship plotly.js and the pages' shared files into `<folder>/assets/`, once per year folder.

    Returns plotly.js's URL relative to the pages, which live one folder down
    (`<folder>/departements/<code>-<slug>.html`): e.g. "../assets/plotly-4.1.1.min.js".
    """
    assets = folder / ASSETS
    name = f"plotly-{plotly_js_version()}.min.js"
    # Several MB, its version in its name: the size tells a stale or interrupted copy.
    _copy_if_changed(PLOTLY_JS, assets / name, compare_bytes=False)
    for relative, source in SHARED_ASSETS.items():
        _copy_if_changed(source, assets / relative, compare_bytes=True)
    return f"../{ASSETS}/{name}"
