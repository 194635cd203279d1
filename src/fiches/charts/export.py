"""The one place charts become SVG: matplotlib directly, plotly through one kaleido browser.

One headless Chromium serves every plotly chart of a process. It is started on first use,
stopped cleanly at the end, and restarted once if it dies mid-run.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from fiches.assets import PLOTLY_JS
from fiches.charts import svgclean
from fiches.config import FONTS_DIR
from fiches.errors import RenderError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

RENDER_TIMEOUT = 90.0
#: Debian's headless shell first: the same renderer and the same SVG, with half the start-up CPU
#: (1.7 s instead of 3.4 s measured here) since it carries no windowing browser around it.
CHROMIUM_CANDIDATES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "chrome")


def matplotlib_svg(figure: Figure) -> str:
    # Imported here: a process that only needs the browser (started first, to run beside the
    # imports of everything else) does not wait for matplotlib.
    from fiches.charts import balance

    with balance.style():
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "fiches"})
    return _strip_xml_prolog(buffer.getvalue())


def _strip_xml_prolog(svg: str) -> str:
    return re.sub(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", "", svg)


def _fontconfig_file() -> Path:
    """A fontconfig file that adds the bundled fonts, so Chromium measures text in them."""
    folder = Path(tempfile.gettempdir()) / f"fiches-fontconfig-{os.getuid()}"
    folder.mkdir(exist_ok=True)
    path = folder / "fonts.conf"
    content = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{FONTS_DIR}</dir>\n  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n"
    )
    if not path.is_file() or path.read_text() != content:
        path.write_text(content)
    return path


def find_browser() -> str:
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return configured
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise RenderError(
        "Chromium introuvable : installez-le (make install, paquets Debian chromium-headless-shell ou chromium) "
        "ou définissez BROWSER_PATH"
    )


#: Kaleido reloads its page (and re-parses 4 MB of plotly.js) after every chart; we reload every N.
RELOAD_EVERY = 200


def _reusing_kaleido_class(kaleido):
    """Kaleido whose tab is reused between charts and reloaded only every RELOAD_EVERY renders.

    Plotly.toImage draws each figure in a fresh, purged div, so reusing the page is safe; the
    periodic reload bounds the page's memory. Without the hook (another kaleido), the default applies.
    """

    class ReusingKaleido(kaleido.Kaleido):
        _renders_since_reload = 0

        async def _return_kaleido_tab(self, tab):
            self._renders_since_reload += 1
            if self._renders_since_reload >= RELOAD_EVERY:
                self._renders_since_reload = 0
                await tab.reload()
            await self.tabs_ready.put(tab)

    if not hasattr(kaleido.Kaleido, "_return_kaleido_tab"):
        return kaleido.Kaleido
    return ReusingKaleido


class PlotlyExporter:
    """A kaleido browser on its own event-loop thread, drawing with `plotly_js` (fiches's bundle)."""

    def __init__(self, plotly_js: Path = PLOTLY_JS) -> None:
        self.plotly_js = plotly_js
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self._opening = None
        self.starts = 0

    def _run(self, coroutine, timeout: float = RENDER_TIMEOUT):
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self, wait: bool = True) -> None:
        """Open the browser; with wait=False return at once and let the first chart wait for it."""
        if self._kaleido is None and self._opening is None:
            import kaleido

            os.environ["FONTCONFIG_FILE"] = str(_fontconfig_file())
            os.environ["BROWSER_PATH"] = find_browser()
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
            self._thread.start()

            async def open_browser():
                browser = _reusing_kaleido_class(kaleido)(n=1, timeout=RENDER_TIMEOUT, mathjax=False, plotlyjs=str(self.plotly_js))
                await browser.open()
                return browser

            self._opening = asyncio.run_coroutine_threadsafe(open_browser(), self._loop)
        if wait and self._kaleido is None:
            opening, self._opening = self._opening, None
            try:
                self._kaleido = opening.result(60)
            except Exception as exc:
                self._stop_loop()
                raise RenderError(f"impossible de démarrer Chromium pour les graphiques : {exc}") from None
            self.starts += 1

    def svg(self, figure, width: int, height: int) -> str:
        opts = {"format": "svg", "width": width, "height": height, "scale": 1}
        for attempt in (1, 2):
            self.start()
            try:
                data = self._run(self._kaleido.calc_fig(figure, opts=opts))
                return svgclean.slim(_strip_xml_prolog(data.decode("utf-8")))
            except Exception as exc:  # the browser died or hung: restart it once
                if attempt == 2:
                    raise RenderError(f"le rendu d'un graphique a échoué deux fois : {exc}") from None
                log.warning("Chromium ne répond plus (%s) : redémarrage", type(exc).__name__)
                self.close()
        raise AssertionError("unreachable")

    def browser_pid(self) -> int | None:
        try:
            return self._kaleido._browser_impl and self._kaleido.subprocess.pid  # type: ignore[union-attr]
        except AttributeError:
            return None

    def close(self) -> None:
        if self._opening is not None:  # started without waiting and never used
            try:
                self._kaleido = self._opening.result(60)
            except Exception as exc:
                log.debug("démarrage de Chromium : %s", exc)
            self._opening = None
        if self._kaleido is not None:
            try:
                self._run(self._kaleido.close(), timeout=20)
            except Exception as exc:  # a dead browser cannot be closed politely
                log.debug("arrêt de Chromium : %s", exc)
            self._kaleido = None
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._loop.close()
        self._loop, self._thread = None, None

    def __enter__(self) -> PlotlyExporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
