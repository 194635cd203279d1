"""Build many factsheets: data chosen once, shared work done once, outputs written atomically."""

from __future__ import annotations

import concurrent.futures as futures
import dataclasses
import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fiches import __version__, assets, index, pool, templating
from fiches.atomic import os_error_text, remove_stale_parts
from fiches.charts.chart import Chart
from fiches.config import PACKAGE_DIR, TEMPLATES_DIR, Settings
from fiches.datasource import select
from fiches.errors import RenderError
from fiches.geography import FRANCE, REGIONS, Territory, factsheet_departements, region
from fiches.indicators import Comparison, TradeYear, provenance
from fiches.store import YearData

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """What every worker needs to rebuild the same context: small and picklable."""

    data_dir: str
    source: str
    year: int
    out_dir: str
    keep_html: bool
    force: bool
    build_date: str
    plotly_js_href: str = "../assets/plotly.min.js"  # where the interactive pages find plotly.js
    command_pid: int = 0  # the process that runs the build: its workers leave when it is gone


@dataclass
class Outcome:
    code: str
    status: str  # "built" | "skipped" | "failed"
    seconds: float = 0.0
    reason: str = ""
    files: list[str] = field(default_factory=list)


@dataclass
class Report:
    year: int
    source: str
    outcomes: list[Outcome]
    seconds: float
    warning: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def year_dir(out_dir: Path, year: int) -> Path:
    return out_dir / str(year)


def output_base(out_dir: Path, year: int, territory: Territory) -> Path:
    folder = {"departement": "departements", "region": "regions", "france": "france"}[territory.level]
    return year_dir(out_dir, year) / folder / territory.slug


def _hash_tree(digest: hashlib._Hash, root: Path, pattern: str) -> None:
    for path in sorted(root.rglob(pattern)):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())


_CODE_KEY: str | None = None


def code_key() -> str:
    """Hash of the templates, fonts and code: a factsheet is rebuilt when any of them changes."""
    global _CODE_KEY
    if _CODE_KEY is None:
        digest = hashlib.sha256(__version__.encode())
        _hash_tree(digest, TEMPLATES_DIR, "*")
        _hash_tree(digest, PACKAGE_DIR, "*.py")
        _CODE_KEY = digest.hexdigest()
    return _CODE_KEY


def build_key(data: YearData, previous: YearData | None, territory: Territory, source: str, history: tuple = ()) -> str:
    parts = {
        "history": history,
        "code": code_key(),
        "source": source,
        "year": data.year,
        "archives": data.meta.get("archives", []),
        "previous": previous.meta.get("archives", []) if previous else None,
        "territory": territory.slug,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def up_to_date(base: Path, key: str) -> bool:
    paths = [base.with_suffix(s) for s in (".pdf", ".json", ".xlsx", ".html")]
    if not all(p.is_file() for p in paths):
        return False
    try:
        return json.loads(paths[1].read_text(encoding="utf-8")).get("build_key") == key
    except (OSError, ValueError):
        return False


# -- work shared by the whole run ---------------------------------------------------------------


@dataclass(frozen=True)
class Shared:
    """Région and France comparisons with their Sankeys: computed once per run, sent to the workers."""

    comparisons: tuple[Comparison, ...]
    charts: dict[str, Chart]

    @staticmethod
    def joined(parts: list[Shared]) -> Shared:
        return Shared(tuple(c for part in parts for c in part.comparisons), {k: v for part in parts for k, v in part.charts.items()})


def shared_territories(territories: list[Territory]) -> list[Territory]:
    """France and the régions of `territories`: what their factsheets compare themselves with."""
    return [FRANCE] + sorted({t.region for t in territories if t.region}, key=lambda r: r.code)


# -- tasks of the worker processes: fiches.worker, which they import and this process does not -----


def _worker_init(job: Job) -> None:
    from fiches import worker

    worker.init(job)


def _worker_shared(territory: Territory) -> Shared:
    from fiches import worker

    return worker.shared_for(territory)


def _worker_build(territory: Territory, shared: Shared) -> Outcome:
    from fiches import worker

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
) -> Report:
    started = time.perf_counter()
    selected = select(settings, source, year)
    job = Job(str(settings.data_dir), selected.source, selected.current.year, str(out_dir), keep_html, force, templating.build_date(),
              command_pid=os.getpid())
    data_codes = set(TradeYear.codes_in(selected.current))
    outcomes: list[Outcome] = []
    remove_stale_parts(year_dir(out_dir, job.year))  # temporaries of an interrupted run

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)

    todo = []
    for territory in territories:
        if territory.level == "departement" and territory.code not in data_codes:
            done(Outcome(territory.key, "failed", reason=f"le département {territory.code} est absent des données {job.year}"))
            continue
        base = output_base(out_dir, job.year, territory)
        if not force and up_to_date(base, build_key(selected.current, selected.previous, territory, job.source, selected.history_archives)):
            done(Outcome(territory.key, "skipped", files=[str(base.with_suffix(".pdf"))]))
            continue
        todo.append(territory)
    jobs = max(1, min(jobs, len(todo)))
    if todo and jobs > 1:
        pool.start_server()  # its imports run while this process writes the pages' shared files
    if todo:
        try:  # plotly.js and the pages' shared files, once per run, beside the pages
            href = assets.write_plotly_js(year_dir(out_dir, job.year))
        except OSError as exc:
            raise RenderError(f"écriture impossible des ressources des pages interactives : {os_error_text(exc)}") from None
        job = dataclasses.replace(job, plotly_js_href=href)
        if jobs == 1:
            from fiches.charts.export import PlotlyExporter

            # The browser starts first, on another core, while this process imports what draws;
            # it is closed however the build ends, set-up failures included.
            with PlotlyExporter() as exporter:
                exporter.start(wait=False)
                from fiches.worker import Builder

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
    write_front_matter(out_dir, selected.current, job.build_date)
    return Report(job.year, selected.source, outcomes, time.perf_counter() - started, selected.warning)


def _build_in_workers(job: Job, todo: list[Territory], jobs: int, done) -> None:
    """Région and France work first, spread over the workers; each factsheet as soon as its région's is ready.

    The parent draws nothing itself (no browser of its own): the first tasks compute France's and
    each région's figures and Sankeys, once per run; their results travel with the tasks of the
    factsheets that show them. Should one fail, its factsheets draw what they need themselves.
    """
    context = pool.context()
    with futures.ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_init, initargs=(job,)) as executor:
        shared_tasks = {executor.submit(_worker_shared, t): t for t in shared_territories(todo)}
        ready: dict[str, Shared] = {}  # by territory code; a failed one maps to nothing to share
        waiting = list(todo)
        builds: dict[futures.Future, Territory] = {}

        def submit_ready() -> set[futures.Future]:
            """Submit the factsheets whose France and région work is done (or failed)."""
            nonlocal waiting
            submitted, still = set(), []
            for territory in waiting:
                wanted = [FRANCE.code] + ([territory.region.code] if territory.region else [])
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


def write_front_matter(out_dir: Path, data: YearData, build_date: str) -> None:
    """index.html then manifest.json (which lists the index), from what the year folder holds."""
    folder = year_dir(out_dir, data.year)
    if not folder.is_dir():
        return
    try:
        index.write_index(folder, data.year, build_date)
        origin = asdict(provenance(data, __version__, build_date))
        origin["archives"] = [{"name": name, "sha256": digest} for name, digest in origin["archives"]]
        origin["quarters"] = {flow: list(quarters) for flow, quarters in origin["quarters"]}
        origin["is_sample"] = data.is_sample
        index.write_manifest(folder, data.year, origin)
    except OSError as exc:
        raise RenderError(f"écriture impossible de l'index ou du manifeste dans {folder} : {exc.strerror or exc}") from None


def all_departements() -> list[Territory]:
    return factsheet_departements()


def all_regions() -> list[Territory]:
    """The 13 metropolitan régions and the overseas group, in DGDDI code order."""
    return [region(code) for code in sorted(REGIONS)]


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


__all__ = ["RenderError", "build", "all_departements", "all_regions", "default_jobs"]
