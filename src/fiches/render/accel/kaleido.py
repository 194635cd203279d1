"""kaleido's browser page kept between charts instead of reloaded after each one.

kaleido reloads its page (and parses plotly.js again) after every chart it draws. Plotly.toImage
draws each figure in a fresh div that it purges afterwards, so the page can serve the next chart
as it is: fiches reloads it every `RELOAD_EVERY` charts only, which bounds its memory. A Sankey
takes 45 ms instead of 300 ms; the SVG is the same (tests/test_accel.py).

Private internal: `kaleido.Kaleido._return_kaleido_tab`, which puts a tab back after a chart.
Tested on kaleido 1.5.1 (see `fiches.render.accel.TESTED`).
"""

from __future__ import annotations

#: Charts drawn on one page before it is reloaded.
RELOAD_EVERY = 200


def kaleido_class(kaleido) -> type:
    """A kaleido.Kaleido that keeps its page between charts; kaleido's own class where the
    internal this relies on is missing."""
    if not hasattr(kaleido.Kaleido, "_return_kaleido_tab"):
        return kaleido.Kaleido

    class KeptPage(kaleido.Kaleido):
        _renders_since_reload = 0

        async def _return_kaleido_tab(self, tab):
            self._renders_since_reload += 1
            if self._renders_since_reload >= RELOAD_EVERY:
                self._renders_since_reload = 0
                await tab.reload()
            await self.tabs_ready.put(tab)

    return KeptPage


def new_exporter():
    """The chart exporter of a build: with the kept page where this acceleration is enabled."""
    from fiches.charts.export import PlotlyExporter
    from fiches.render import accel

    return PlotlyExporter(kaleido_class=kaleido_class if accel.enabled("kaleido_page") else None)
