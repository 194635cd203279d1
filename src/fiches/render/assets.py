"""Files the year folder's pages share, in `<year>/assets/`: plotly.js, and the interactive pages'
script, stylesheet and fonts.

plotly.js is fiches's own build of it (templates/plotly, made by tools/plotly-bundle): the code of
the three trace types fiches draws, 1.4 MB instead of the full bundle's 4.8 MB. The kaleido
browsers load it too: each compiles it in 0.4 s of CPU instead of 1.4 s, and draws the same SVG.

They are copied once per run by the command's own process, which draws nothing: this module
imports no drawing or spreadsheet library.
"""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

from fiches.atomic import atomic_path
from fiches.config import PLOTLY_JS, TEMPLATES_DIR

ASSETS = "assets"
#: Shared files of the interactive pages: name in assets/ -> source in the templates.
SHARED_ASSETS = {
    "plotly-THIRD-PARTY.txt": TEMPLATES_DIR / "plotly" / "plotly-THIRD-PARTY.txt",
    "fiches-interactive.js": TEMPLATES_DIR / "interactive" / "fiches-interactive.js",
    "fiches-interactive.css": TEMPLATES_DIR / "interactive" / "fiches-interactive.css",
    "fonts/Lato-Regular.ttf": TEMPLATES_DIR / "fonts" / "Lato-Regular.ttf",
    "fonts/Lato-Bold.ttf": TEMPLATES_DIR / "fonts" / "Lato-Bold.ttf",
    "fonts/OFL.txt": TEMPLATES_DIR / "fonts" / "OFL.txt",
}


@functools.cache
def plotly_js_version() -> str:
    """The version of plotly.js in fiches's bundle, read from its banner; it names the shared copy."""
    with PLOTLY_JS.open(encoding="utf-8") as bundle:
        banner = bundle.readline()
    found = re.match(r"/\*! plotly\.js v(\S+) ", banner)
    assert found, f"{PLOTLY_JS} does not start with the banner of tools/plotly-bundle"
    return found.group(1)


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
    (`<folder>/departements/<code>-<slug>.html`): e.g. "../assets/plotly-fiches-4.1.1.min.js".
    """
    assets = folder / ASSETS
    name = f"plotly-fiches-{plotly_js_version()}.min.js"
    # Over a MB, its version in its name: the size tells a stale or interrupted copy.
    _copy_if_changed(PLOTLY_JS, assets / name, compare_bytes=False)
    for relative, source in SHARED_ASSETS.items():
        _copy_if_changed(source, assets / relative, compare_bytes=True)
    return f"../{ASSETS}/{name}"
