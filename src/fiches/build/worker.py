"""What a process needs to build factsheets: the year's data, one browser, templates and fonts.

`Builder` serves a single-process build directly; the workers of a parallel build each hold one,
set up by `init` (build/pool.py forks them from a server that imported this module once).
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import select as os_select
import signal  # sources.selection.select is the data selection
import threading
import time
from multiprocessing.util import Finalize
from pathlib import Path

from fiches import __version__
from fiches.atomic import Transaction, os_error_text
from fiches.build.jobs import Job, Outcome, Shared, build_inputs, build_key, folder_name, output_base, up_to_date, year_dir
from fiches.charts.chart import Chart
from fiches.charts.export import PlotlyExporter
from fiches.charts.factsheet import charts_for, comparison_charts
from fiches.config import Settings, chromium_version, lock_digest
from fiches.errors import FichesError
from fiches.model.indicators import Comparisons, TradeYear, dossier, factsheet, provenance
from fiches.reference.geography import Territory
from fiches.reference.territoires import embedded
from fiches.render import dossier as dossier_render
from fiches.render import edition, interactive, pdf, sidecar, templating, workbook
from fiches.render.accel.kaleido import new_exporter
from fiches.render.accel.sharedpages import SharedPages
from fiches.render.edition import edition_assets
from fiches.render.html import html
from fiches.sources.selection import Selected, select

log = logging.getLogger(__name__)


def _settle() -> None:
    """Move everything alive now out of the garbage collector's sight.

    A worker holds the year's figures, labels and comparisons: a quarter of a million objects
    that live until it exits. Each full collection would scan them all again, and WeasyPrint
    allocates enough to trigger many: frozen, they make rendering 10 to 20 % faster.
    """
    gc.collect()
    gc.freeze()


#: The interpreter's own full collections, off in a process that builds factsheets: it collects
#: once per factsheet instead, at its end (Builder.build). Full collections started by the
#: interpreter come in the middle of a factsheet and go through the whole document being laid out
#: each time; at its end, everything the factsheet made is garbage, gone through once. Measured over
#: 50 factsheets in one worker: 6.0 -> 4.2 s in the collector, the same peak memory. The young
#: generations are still collected as usual.
FULL_COLLECTION_THRESHOLD = 10**9


class Builder:
    """One process's building context: data, comparisons and one Chromium, reused for every factsheet."""

    def __init__(self, job: Job, selected: Selected, exporter: PlotlyExporter | None = None) -> None:
        self.job = job
        self.current, self.previous = selected.current, selected.previous
        self.series_files = selected.series_files
        self.trade = TradeYear(selected.current, selected.previous, selected.history, selected.quarters)
        self.comparisons = Comparisons(self.trade)
        self.shared_charts: dict[str, Chart] = {}
        self.exporter = exporter or new_exporter()
        self.exporter.start(wait=False)
        # WeasyPrint's import (about 0.7 s) runs while Chromium starts in its own processes.
        import weasyprint  # noqa: F401
        self.env = templating.environment()
        self.stylesheet = pdf.Stylesheet()
        self.pages = SharedPages()
        self.edition = edition.load(Path(job.edition) if job.edition else None)
        self.tis = selected.tis or embedded()
        self.provenance = dataclasses.replace(
            provenance(self.trade, __version__, job.build_date, selected.comparison_note, quarters_sources=selected.quarters_sources),
            territoires_list=self.tis.description, edition=self.edition.name, edition_date=self.edition.date,
            lock_sha256=lock_digest(), chromium=chromium_version(),
        )
        self.inputs = build_inputs(self.edition, self.tis)
        self.edition_assets = edition_assets(self.edition)
        self.built = 0
        self._thresholds = gc.get_threshold()
        gc.set_threshold(*self._thresholds[:2], FULL_COLLECTION_THRESHOLD)
        _settle()

    def adopt(self, shared: Shared) -> None:
        """Take the région and France figures and charts the parent process computed once for the run."""
        for comparison in shared.comparisons:
            self.comparisons.seed(comparison)
        self.shared_charts.update(shared.charts)

    def build(self, territory: Territory) -> Outcome:
        try:
            return self._build(territory)
        finally:
            gc.collect()  # the factsheet's garbage, all at once (FULL_COLLECTION_THRESHOLD)

    def _build(self, territory: Territory) -> Outcome:
        started = time.perf_counter()
        out_dir = Path(self.job.out_dir)
        base = output_base(out_dir, self.current, territory)
        key = build_key(self.current, self.previous, territory, self.job.source, self.series_files, self.inputs)
        if not self.job.force and up_to_date(base, key, territory):
            return Outcome(territory.key, "skipped", time.perf_counter() - started, files=[str(base.with_suffix(".pdf"))])
        if territory.level == "territoire":
            return self._dossier(territory, base, key, started)
        try:
            fs = factsheet(self.trade, territory, self.provenance, self.comparisons, self.tis)
            charts = charts_for(fs, self.exporter, self.shared_charts)
            document = html(fs, charts, self.env, self.edition)
            shared = {id(chart) for chart in self.shared_charts.values()}
            written = pdf.pdf_bytes(document, territory.slug, charts, shared=[c for c in charts.values() if id(c) in shared],
                                   stylesheet=self.stylesheet, pages=self.pages, extra_assets=self.edition_assets)
            base.parent.mkdir(parents=True, exist_ok=True)
            document_json = sidecar.sidecar(fs, charts)
            document_json["build_key"] = key
            # All four or none: staged beside their targets, moved into place together, the JSON
            # last since its build key marks the set as complete. A failure removes every temporary
            # and leaves the previous set, if any, untouched.
            with Transaction() as txn:
                workbook.write_xlsx(txn.stage(base.with_suffix(".xlsx")), fs)
                pdf.write_pdf(txn.stage(base.with_suffix(".pdf")), written)
                interactive.write_page(txn.stage(base.with_suffix(".html")), fs, self.job.plotly_js_href, self.edition)
                sidecar.write_json(txn.stage(base.with_suffix(".json")), document_json)
            if self.job.keep_html:
                pdf.keep_html(year_dir(out_dir, folder_name(self.current)), base.name, document, charts)
        except FichesError as exc:
            return Outcome(territory.key, "failed", time.perf_counter() - started, str(exc))
        except OSError as exc:
            return Outcome(territory.key, "failed", time.perf_counter() - started, f"écriture impossible : {os_error_text(exc)}")
        files = [str(base.with_suffix(s)) for s in (".pdf", ".json", ".xlsx", ".html")]
        self.built += 1
        if self.built == 1:
            _settle()  # the caches the first factsheet filled (fonts, templates, stylesheets) join the data
        return Outcome(territory.key, "built", time.perf_counter() - started, files=files)

    def _dossier(self, territory: Territory, base: Path, key: str, started: float) -> Outcome:
        """A Territoire d'industrie's dossier: tables only, no chart."""
        (ti,) = [ti for ti in self.tis.entries if ti.id == territory.code]
        try:
            sheet = dossier(self.trade, territory, ti.departements, self.provenance, self.tis.description)
            written = pdf.pdf_bytes(dossier_render.html(sheet, self.env, self.edition), territory.slug, {}, stylesheet=self.stylesheet,
                                    relative_links=True)
            base.parent.mkdir(parents=True, exist_ok=True)
            data = dossier_render.document(sheet)
            data["build_key"] = key
            with Transaction() as txn:
                dossier_render.write_xlsx(txn.stage(base.with_suffix(".xlsx")), sheet)
                pdf.write_pdf(txn.stage(base.with_suffix(".pdf")), written)
                dossier_render.write_json(txn.stage(base.with_suffix(".json")), data)
        except FichesError as exc:
            return Outcome(territory.key, "failed", time.perf_counter() - started, str(exc))
        except OSError as exc:
            return Outcome(territory.key, "failed", time.perf_counter() - started, f"écriture impossible : {os_error_text(exc)}")
        self.built += 1
        return Outcome(territory.key, "built", time.perf_counter() - started, files=[str(base.with_suffix(s)) for s in (".pdf", ".json", ".xlsx")])

    def shared_for(self, territory: Territory) -> Shared:
        comparison = self.comparisons.get(territory)
        charts = comparison_charts(comparison, self.exporter)
        self.shared_charts.update(charts)
        return Shared((comparison,), charts)

    def close(self) -> None:
        gc.set_threshold(*self._thresholds)
        self.stylesheet.close()
        self.exporter.close()


#: This worker process's builder (parallel builds only).
_BUILDER: Builder | None = None


def init(job: Job) -> None:
    """Set up a worker: its browser first, since it starts in its own processes, then the data."""
    global _BUILDER
    # Ctrl-C reaches the whole process group: the command stops the build, not each worker with
    # its own traceback. SIGTERM (a whole group stopped) closes the browser before leaving.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING)
    exporter = new_exporter()
    exporter.start(wait=False)
    # A pool's worker leaves through os._exit, which skips atexit: multiprocessing runs its own
    # finalizers first. Closed politely, the browser removes its profile and page folders and the
    # builder WeasyPrint's font folder; the browser alone if the builder's set-up failed.
    close = lambda: (_BUILDER or exporter).close()  # noqa: E731
    Finalize(None, close, exitpriority=10)
    signal.signal(signal.SIGTERM, lambda *_: (_close_quietly(close), os._exit(128 + signal.SIGTERM)))
    if job.command_pid:
        threading.Thread(target=_leave_with, args=(job.command_pid, close), name="command-watch", daemon=True).start()
    selected = select(Settings(data_dir=Path(job.data_dir)), job.source, None if job.period == "12m" else job.year, period=job.period)
    _BUILDER = Builder(job, selected, exporter)


def _close_quietly(close) -> None:
    closing = threading.Thread(target=close, name="terminated", daemon=True)
    closing.start()
    closing.join(CLOSE_WHEN_ORPHANED)


#: Seconds a worker whose command is gone gives its browser to close before it exits.
CLOSE_WHEN_ORPHANED = 5.0


def _leave_with(command_pid: int, close) -> None:
    """Exit, browser closed, as soon as the command that runs the build is gone.

    A command killed outright (SIGKILL, or SIGTERM, which Python does not catch) cannot stop its
    pool, and its workers would not notice: forked from the fork server, each holds a copy of the
    pipes the command would have closed, so each would wait for its next task forever, its Chromium
    beside it, and the fork server with them. This thread waits on the command's pidfd (a poll every
    half second where there is none); what the worker was writing stays as hidden temporaries,
    which the next run removes. Once the workers are gone, so is the fork server.
    """
    _wait_for_exit(command_pid)
    # Politely if it can (the browser removes its folders), but not for long: a chart being drawn
    # holds the browser, and the browser follows the worker out anyway.
    closing = threading.Thread(target=close, name="command-gone", daemon=True)
    closing.start()
    closing.join(CLOSE_WHEN_ORPHANED)
    os._exit(1)


def _wait_for_exit(pid: int) -> None:
    """Return once process `pid` has ended: on its pidfd, or polling where there is none."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:  # already gone
        return
    except (AttributeError, OSError):  # no pidfd here
        while _alive(pid):
            time.sleep(0.5)
        return
    os_select.select([handle], [], [])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        pass
    return True


def shared_for(territory: Territory) -> Shared:
    """One région's or France's figures and Sankeys, for the factsheets compared with it."""
    assert _BUILDER is not None
    return _BUILDER.shared_for(territory)


def build(territory: Territory, shared: Shared) -> Outcome:
    assert _BUILDER is not None
    try:
        _BUILDER.adopt(shared)
        return _BUILDER.build(territory)
    except Exception as exc:  # a bug in one factsheet must not stop the others
        log.exception("échec inattendu pour %s", territory.key)
        return Outcome(territory.key, "failed", 0.0, f"erreur interne : {type(exc).__name__}: {exc}")
