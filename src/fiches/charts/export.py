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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fiches.charts import svgclean
from fiches.config import CHROMIUM_CANDIDATES, FONTS_DIR, PLOTLY_JS
from fiches.errors import RenderError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


class _BrowserGoodbye(logging.Filter):
    """Drops the error choreographer (kaleido's browser driver) logs for a closing browser's goodbye.

    A browser that closes writes `{bye}` on its pipe. When that arrives in the same read as other
    messages, choreographer decodes it as JSON, fails, and logs the failure with its traceback at
    ERROR level, although nothing is lost: at the end of a parallel build, one run in two printed it.
    Any other message it cannot decode is still reported.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        cause = getattr(error, "__cause__", None)
        return not str(getattr(cause, "doc", "")).startswith("{bye}")


#: Installed once kaleido is imported: choreographer's loggers are logistro's, whose class a logger
#: made earlier by `logging.getLogger` would not have.
_GOODBYE = _BrowserGoodbye()

RENDER_TIMEOUT = 90.0
#: A browser that has not opened its page by then is abandoned (stopped) and started again.
START_TIMEOUT = 60.0
#: Debian's headless shell first: the same renderer and the same SVG, with half the start-up CPU
#: (1.7 s instead of 3.4 s measured here) since it carries no windowing browser around it.
# (CHROMIUM_CANDIDATES, in config: chromium_version() looks for the same browser.)


def matplotlib_svg(figure: Figure) -> str:
    # Imported here: a process that only needs the browser (started first, to run beside the
    # imports of everything else) does not wait for matplotlib.
    from fiches.charts.style import matplotlib_style

    with matplotlib_style():
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


class BrowserMissing(RenderError):
    """No Chromium to start: starting again would not help."""


def find_browser() -> str:
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return configured
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissing(
        "Chromium introuvable : installez-le (make install, paquets Debian chromium-headless-shell ou chromium) "
        "ou définissez BROWSER_PATH"
    )


#: The style of the browser's page. Plotly.toImage draws each figure in a div of its own (off screen,
#: a child of the body) and measures every text of a treemap's tiles in a separate <svg>, each
#: measurement forcing the browser to lay out all that changed on the page: the figure drawn so far
#: included, which no SVG export needs. Hidden content is skipped by layout until something inside
#: it is measured, so only the measured texts are laid out: the same SVG, with 40 % less of the
#: browser's time for a treemap (about 35 ms of CPU per factsheet, measured).
PAGE_STYLE = "body > div { content-visibility: hidden; }"


def _page(kaleido, plotly_js: Path):
    """Kaleido's page (its header ends inside <head>), with PAGE_STYLE, fiches's plotly.js and no MathJax."""

    class Page(kaleido.PageGenerator):
        header = f"{kaleido.PageGenerator.header}        <style>{PAGE_STYLE}</style>\n"

    return Page(plotly=str(plotly_js), mathjax=False)


async def _finish_tasks() -> None:
    """Cancel what still runs on this event loop and wait for it: nothing is left pending when the
    loop stops, and no error is left unretrieved (asyncio would print either on standard error)."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class PlotlyExporter:
    """A kaleido browser on its own event-loop thread, drawing with `plotly_js` (fiches's bundle)."""

    def __init__(self, plotly_js: Path = PLOTLY_JS, kaleido_class: Callable[[object], type] | None = None) -> None:
        """`kaleido_class(kaleido)` gives the class of the browser to open (kaleido.Kaleido by default)."""
        self.plotly_js = plotly_js
        self._kaleido_class = kaleido_class or (lambda kaleido: kaleido.Kaleido)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self._opening = None
        self._starting = None  # the browser being opened, to stop if it never opens
        self.starts = 0

    def _run(self, coroutine, timeout: float = RENDER_TIMEOUT):
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self, wait: bool = True) -> None:
        """Open the browser; with wait=False return at once and let the first chart wait for it."""
        if self._kaleido is None and self._opening is None:
            import kaleido

            logging.getLogger("choreographer.channels.pipe").addFilter(_GOODBYE)
            os.environ["FONTCONFIG_FILE"] = str(_fontconfig_file())
            os.environ["BROWSER_PATH"] = find_browser()
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
            self._thread.start()

            async def open_browser():
                browser = self._kaleido_class(kaleido)(n=1, timeout=RENDER_TIMEOUT, page_generator=_page(kaleido, self.plotly_js))
                self._starting = browser
                await browser.open()
                return browser

            self._opening = asyncio.run_coroutine_threadsafe(open_browser(), self._loop)
        if wait and self._kaleido is None:
            self._wait_for_opening()
            self.starts += 1

    def _wait_for_opening(self) -> None:
        """Take the browser being opened, or stop it (RenderError) if it does not open in time."""
        opening, self._opening = self._opening, None
        try:
            self._kaleido = opening.result(START_TIMEOUT)
        except Exception as exc:
            self._abandon(opening)
            raise RenderError(f"impossible de démarrer Chromium pour les graphiques : {str(exc) or type(exc).__name__}") from None
        self._starting = None

    def _abandon(self, opening) -> None:
        """Stop a browser that did not open: its processes (none is left behind), its start, the loop."""
        browser, self._starting = self._starting, None
        process = getattr(browser, "subprocess", None)
        if process is not None and process.poll() is None:
            try:
                self._run(browser.close(), timeout=10)
            except Exception as exc:  # a browser stuck starting may not close politely
                log.debug("arrêt de Chromium : %s", exc)
            if process.poll() is None:
                process.kill()
                process.wait(10)
        opening.cancel()
        try:
            self._run(_finish_tasks(), timeout=10)
        except Exception as exc:
            log.debug("arrêt du démarrage de Chromium : %s", exc)
        self._stop_loop()

    def svg(self, figure, width: int, height: int) -> str:
        opts = {"format": "svg", "width": width, "height": height, "scale": 1}
        for attempt in (1, 2):
            try:
                self.start()
                data = self._run(self._kaleido.calc_fig(figure, opts=opts))
                return svgclean.slim(_strip_xml_prolog(data.decode("utf-8")))
            except BrowserMissing:
                raise
            except Exception as exc:  # the browser died, hung, or did not start: start it again, once
                if attempt == 2:
                    if isinstance(exc, RenderError):
                        raise
                    raise RenderError(f"le rendu d'un graphique a échoué deux fois : {exc}") from None
                if isinstance(exc, RenderError):
                    log.warning("%s : nouvel essai", exc)
                else:
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
                self._wait_for_opening()
            except RenderError as exc:
                log.debug("%s", exc)
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
