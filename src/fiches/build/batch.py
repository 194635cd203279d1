"""Build many factsheets: data chosen once, shared work done once, outputs written atomically."""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import dataclasses
import json
import logging
import os
import time
from dataclasses import asdict
from pathlib import Path

from fiches import __version__
from fiches.atomic import os_error_text, remove_stale_parts
from fiches.build import index, pool
from fiches.build.jobs import Job, Outcome, Report, Shared, build_inputs, build_key, folder_name, output_base, up_to_date, year_dir
from fiches.config import Settings, chromium_version, lock_digest
from fiches.errors import RenderError, UsageError
from fiches.model.indicators import TradeYear, provenance
from fiches.reference.geography import FRANCE, Territory, factsheet_departements, factsheet_regions
from fiches.reference.territoires import embedded
from fiches.render import accel, assets, templating
from fiches.render.edition import load as load_edition
from fiches.sources import lock, sample
from fiches.sources.selection import Selected, prepare, select, uses_sample

log = logging.getLogger(__name__)


def shared_territories(territories: list[Territory]) -> list[Territory]:
    """France and the régions of `territories`: what their factsheets compare themselves with."""
    return [FRANCE] + sorted({t.region for t in territories if t.region}, key=lambda r: r.code)


def all_dossiers_for(settings: Settings) -> list[Territory]:
    """The dossiers a build would write (for its progress bar), from the list in the data folder."""
    from fiches.sources.ti_list import load_list

    try:
        tis = load_list(settings.data_dir)
    except Exception:  # noqa: BLE001 -- the build itself reports a damaged list
        tis = None
    return [Territory("territoire", ti.id, ti.name) for ti in (tis or embedded()).entries]


def all_dossiers(selected: Selected) -> list[Territory]:
    """One dossier per Territoire d'industrie of the list a build uses (official, or embedded)."""
    return [Territory("territoire", ti.id, ti.name) for ti in (selected.tis or embedded()).entries]


# -- tasks of the worker processes: fiches.build.worker, which they import and this process does not


def _worker_init(job: Job) -> None:
    from fiches.build import worker

    worker.init(job)


def _worker_shared(territory: Territory) -> Shared:
    from fiches.build import worker

    return worker.shared_for(territory)


def _worker_build(territory: Territory, shared: Shared) -> Outcome:
    from fiches.build import worker

    return worker.build(territory, shared)


def build(
    settings: Settings,
    territories: list[Territory],
    *,
    year: int | None,
    source: str,
    out_dir: Path,
    keep_html: bool = False,
    force: bool = False,
    jobs: int = 1,
    on_done=None,
    edition: Path | None = None,
    dossiers: bool = False,
    period: str = "annee",
) -> Report:
    started = time.perf_counter()
    load_edition(edition)  # a bad edition file: one line, before any work
    if (notice := accel.notice()) is not None:
        getattr(log, notice[0])("%s", notice[1])
    lock.check_folder(settings.data_dir)
    unavailable = prepare(settings, source, year)  # a quick fetch for --source auto, before the lock
    if uses_sample(settings, source, year):
        sample.ensure_sample(settings)
    with contextlib.ExitStack() as held:
        # One consistent set of caches for the whole build: no fetch can change them meanwhile.
        held.enter_context(lock.reading(settings.data_dir))
        if settings.sample_dir.is_dir():
            held.enter_context(lock.reading(settings.sample_dir))
        selected = select(settings, source, year, unavailable=unavailable, period=period)
        if selected.source == "sample":
            refuse_sample_over_customs(year_dir(out_dir, folder_name(selected.current)))
        if dossiers:  # one per Territoire d'industrie of the list the build uses
            territories = [*territories, *all_dossiers(selected)]
        return _build(settings, territories, selected, out_dir, keep_html, force, jobs, on_done, started, edition)


def refuse_sample_over_customs(folder: Path) -> None:
    """A sample build never replaces factsheets built from the customs' data."""
    for sidecar in sorted(folder.glob("*/*.json")) if folder.is_dir() else ():
        try:
            origin = json.loads(sidecar.read_text(encoding="utf-8")).get("provenance", {})
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(origin, dict) and origin.get("source") == "douanes":
            raise UsageError(
                f"{folder} contient des fiches construites à partir des données des douanes ({sidecar.name}…) : "
                "l'échantillon synthétique n'y est pas écrit ; choisissez un autre dossier de sortie (--out)"
            )


def _build(settings: Settings, territories: list[Territory], selected, out_dir: Path, keep_html: bool, force: bool, jobs: int,
           on_done, started: float, edition: Path | None = None) -> Report:
    job = Job(str(settings.data_dir), selected.source, selected.current.year, str(out_dir), keep_html, force, templating.build_date(),
              command_pid=os.getpid(), edition=str(Path(edition).resolve()) if edition else None,
              period="12m" if selected.current.period else "annee")
    folder = year_dir(out_dir, folder_name(selected.current))
    what = selected.current.period or str(job.year)
    the_edition = load_edition(edition)
    inputs = build_inputs(the_edition, selected.tis or embedded())
    data_codes = set(TradeYear.codes_in(selected.current))
    outcomes: list[Outcome] = []
    remove_stale_parts(folder)  # temporaries of an interrupted run

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)

    todo = []
    for territory in territories:
        if territory.level == "departement" and territory.code not in data_codes:
            done(Outcome(territory.key, "failed", reason=f"le département {territory.key} est absent des données {what}"))
            continue
        base = output_base(out_dir, selected.current, territory)
        if not force and up_to_date(base, build_key(selected.current, selected.previous, territory, job.source, selected.series_files, inputs), territory):
            done(Outcome(territory.key, "skipped", files=[str(base.with_suffix(".pdf"))]))
            continue
        todo.append(territory)
    jobs = max(1, min(jobs, len(todo)))
    if todo and jobs > 1:
        pool.start_server()  # its imports run while this process writes the pages' shared files
    if todo:
        try:  # plotly.js and the pages' shared files, once per run, beside the pages
            href = assets.write_plotly_js(folder)
        except OSError as exc:
            raise RenderError(f"écriture impossible des ressources des pages interactives : {os_error_text(exc)}") from None
        job = dataclasses.replace(job, plotly_js_href=href)
        if jobs == 1:
            from fiches.render.accel.kaleido import new_exporter

            # The browser starts first, on another core, while this process imports what draws;
            # it is closed however the build ends, set-up failures included.
            with new_exporter() as exporter:
                exporter.start(wait=False)
                from fiches.build.worker import Builder

                builder = Builder(job, selected, exporter)
                try:
                    for territory in todo:
                        done(builder.build(territory))
                finally:
                    builder.close()
        else:
            _build_in_workers(job, todo, jobs, done)
    order = {t.key: i for i, t in enumerate(territories)}
    outcomes.sort(key=lambda o: order.get(o.code, 0))
    write_front_matter(out_dir, selected, job.build_date)
    return Report(job.year, selected.source, outcomes, time.perf_counter() - started, selected.warning, folder=folder.name, period=what)


def _build_in_workers(job: Job, todo: list[Territory], jobs: int, done) -> None:
    """Région and France work first, spread over the workers; each factsheet as soon as its région's is ready.

    The parent draws nothing itself (no browser of its own): the first tasks compute France's and
    each région's figures and Sankeys, once per run; their results travel with the tasks of the
    factsheets that show them. Should one fail, its factsheets draw what they need themselves.
    """
    context = pool.context()
    executor = futures.ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_init, initargs=(job,))
    try:
        _schedule(executor, todo, done)
    except BaseException:  # Ctrl-C, SIGTERM: no new factsheet; the workers finish the one they draw, then leave
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def _schedule(executor: futures.ProcessPoolExecutor, todo: list[Territory], done) -> None:
    shared_tasks = {executor.submit(_worker_shared, t): t for t in shared_territories(todo)}
    ready: dict[str, Shared] = {}  # by territory code; a failed one maps to nothing to share
    waiting = list(todo)
    builds: dict[futures.Future, Territory] = {}

    def submit_ready() -> set[futures.Future]:
        """Submit the factsheets whose France and région work is done (or failed)."""
        nonlocal waiting
        submitted, still = set(), []
        for territory in waiting:
            wanted = [] if territory.level == "territoire" else [FRANCE.code] + ([territory.region.code] if territory.region else [])
            if all(code in ready for code in wanted):
                future = executor.submit(_worker_build, territory, Shared.joined([ready[code] for code in wanted]))
                builds[future] = territory
                submitted.add(future)
            else:
                still.append(territory)
        waiting = still
        return submitted

    pending: set[futures.Future] = set(shared_tasks)
    while pending:
        finished, pending = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
        for future in finished:
            if future in shared_tasks:
                territory = shared_tasks[future]
                try:
                    ready[territory.code] = future.result()
                except Exception as exc:  # its factsheets will draw it themselves
                    log.warning("figures de %s non partagées : %s", territory.name, exc)
                    ready[territory.code] = Shared((), {})
                pending |= submit_ready()
                continue
            try:
                outcome = future.result()
            except Exception as exc:  # a worker died (killed, out of memory...)
                outcome = Outcome(builds[future].key, "failed", reason=f"processus interrompu : {exc}")
            done(outcome)


def write_front_matter(out_dir: Path, selected: Selected, build_date: str) -> None:
    """index.html then manifest.json (which lists the index), from what the year folder holds."""
    data = selected.current
    folder = year_dir(out_dir, folder_name(data))
    if not folder.is_dir():
        return
    try:
        index.write_index(folder, data.period or data.year, build_date)
        origin = asdict(provenance(data, __version__, build_date, selected.comparison_note, previous=selected.previous,
                                    quarters_sources=selected.quarters_sources))
        origin["archives"] = [{"name": name, "sha256": digest} for name, digest in origin["archives"]]
        origin["quarters"] = {flow: list(quarters) for flow, quarters in origin["quarters"]}
        origin["is_sample"] = data.is_sample
        origin["lock_sha256"], origin["chromium"] = lock_digest(), chromium_version()
        index.write_manifest(folder, data.year, origin)
    except OSError as exc:
        raise RenderError(f"écriture impossible de l'index ou du manifeste dans {folder} : {exc.strerror or exc}") from None


def all_departements() -> list[Territory]:
    return factsheet_departements()


def all_regions() -> list[Territory]:
    """The régions that get a factsheet (see geography.factsheet_regions)."""
    return factsheet_regions()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


__all__ = ["RenderError", "build", "all_departements", "all_regions", "default_jobs"]
