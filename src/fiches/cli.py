"""Command-line wiring only: parse options, call the stages, print one clear line on error."""

from __future__ import annotations

import functools
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from fiches import __version__
from fiches.build import pool
from fiches.config import PROJECT_ROOT, SOURCES, Settings, default_data_dir
from fiches.errors import FichesError, RenderError, UsageError
from fiches.reference.geography import FRANCE, departement

if TYPE_CHECKING:
    from fiches.build.batch import Report

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Fiches « Les indicateurs clés : commerce extérieur » par département, à partir des données ouvertes des douanes.",
)
console = Console(stderr=True)
log = logging.getLogger("fiches")


def _setup_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    if console.is_terminal:
        handler: logging.Handler = RichHandler(console=console, show_path=False, show_time=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("fiches").setLevel(level)


def _settings(data_dir: Path | None) -> Settings:
    return Settings(data_dir=data_dir or default_data_dir())


def _fail(exc: FichesError) -> None:
    console.print(f"[bold red]erreur[/] : {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def _version(value: bool) -> None:
    if value:
        print(f"fiches {__version__}")
        raise typer.Exit()


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so that browsers and temporaries are cleaned up on the way out."""


def _terminate(signum, frame) -> None:
    raise _Terminated()


def _interruptible(command):
    """Ctrl-C or SIGTERM end a command with one line, once what it was writing is cleaned up."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt as exc:
            terminated = isinstance(exc, _Terminated)
            console.print(f"[bold red]interrompu[/]{' (SIGTERM)' if terminated else ''} : les fichiers déjà écrits sont complets, "
                          "les autres n'ont pas été touchés", highlight=False, soft_wrap=True)
            raise typer.Exit(128 + signal.SIGTERM if terminated else 130) from None

    return run


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Journal détaillé.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Affiche la version.")] = False,
) -> None:
    _setup_logging(verbose)


@app.command()
@_interruptible
def fetch(
    year: Annotated[int | None, typer.Option("--year", help="Année de données (défaut : la plus récente du catalogue).")] = None,
    url: Annotated[list[str] | None, typer.Option("--url", help="Archive à télécharger (répétable) au lieu du catalogue.")] = None,
    from_file: Annotated[list[Path] | None, typer.Option("--from-file", help="Archive déjà téléchargée à intégrer (répétable).")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="FICHES_DATA_DIR", show_default=False, help="Dossier des données (défaut : data/).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Toute ligne invalide est une erreur.")] = False,
    accept_bad_rows: Annotated[bool, typer.Option("--accept-bad-rows", help="Écarte délibérément les lignes invalides au-delà du seuil, au lieu de refuser le fichier ; la provenance des fiches le dit.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Reconstruit tous les caches à partir des archives conservées dans data/raw.")] = False,
    ti_from_file: Annotated[Path | None, typer.Option("--ti-from-file", help="Liste officielle des Territoires d’industrie (liste-ti-com2023-AAAAMMJJ.csv) à intégrer.")] = None,
    ti_url: Annotated[str | None, typer.Option("--ti-url", help="Adresse de la liste officielle des Territoires d’industrie à télécharger.")] = None,
    discover: Annotated[str | None, typer.Option("--discover", help="Page des données ouvertes des douanes où trouver les archives publiées (défaut : celle du catalogue).")] = None,
) -> None:
    """Télécharge, vérifie et met en cache les archives régionales des douanes pour une année, et la liste des Territoires d’industrie."""
    settings = _settings(data_dir)
    from fiches.sources import ingest, ti_list

    customs = not (ti_from_file or ti_url) or bool(year or url or from_file or rebuild)
    try:
        if ti_from_file or ti_url:
            console.print(escape(ti_list.fetch_list(settings, file=ti_from_file, url=ingest.check_url(ti_url) if ti_url else None)),
                          highlight=False, soft_wrap=True)
        if not customs:
            return
        result = ingest.fetch(settings, year=year, urls=url or [], files=from_file or [], strict=strict,
                              accept_bad_rows=accept_bad_rows, rebuild=rebuild, discover_url=discover)
    except FichesError as exc:
        _fail(exc)
        return
    if not (url or from_file or rebuild or ti_from_file or ti_url):  # from the catalogue: the official list too, if it can be had
        try:
            console.print(escape(ti_list.fetch_list(settings)), highlight=False, soft_wrap=True)
        except FichesError as exc:
            log.warning("liste officielle des Territoires d’industrie non récupérée (%s) : la table intégrée reste utilisée", exc)
    for note in result.notes:
        console.print(escape(note), highlight=False, soft_wrap=True)
    if result.unchanged:
        console.print(escape(f"rien de nouveau : {', '.join(result.archives)} déjà à jour"), highlight=False, soft_wrap=True)
        return
    for data_year, meta in sorted(result.years.items()):
        console.print(escape(f"{data_year} : {meta['rows']} lignes agrégées en cache, {_year_state(meta)}"), highlight=False, soft_wrap=True)
    if result.bad_rows:
        console.print(
            f"[yellow]{len(result.bad_rows)} ligne(s) invalide(s) écartée(s)[/], détail dans {escape(str(settings.cache_dir / 'bad-rows.csv'))} :",
            highlight=False, soft_wrap=True,
        )
        for row in result.bad_rows[:10]:
            console.print(f"  {escape(str(row))}", highlight=False, soft_wrap=True)


def _year_state(meta: dict) -> str:
    from fiches.sources.store import quarters_text

    quarters = meta.get("quarters", {})
    state = "année complète" if meta.get("complete") else "année incomplète (" + " ; ".join(
        f"{'exportations' if flow == 'E' else 'importations'} {quarters_text(q)}" for flow, q in sorted(quarters.items())) + ")"
    return state + (", données définitives" if meta.get("final") else ", données provisoires")


@app.command()
@_interruptible
def build(
    codes: Annotated[list[str] | None, typer.Argument(help="Codes de département : 12, 2A, 971…")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Tous les départements (Monaco exclu).")] = False,
    regions: Annotated[bool, typer.Option("--regions", help="Aussi une fiche par région (13 régions et l'outre-mer).")] = False,
    france: Annotated[bool, typer.Option("--france", help="Aussi la fiche de la France entière.")] = False,
    territoires: Annotated[bool, typer.Option("--territoires", help="Aussi un dossier par Territoire d’industrie (ses départements côte à côte).")] = False,
    year: Annotated[int | None, typer.Option("--year", help="Année de données (défaut : la plus récente disponible).")] = None,
    source: Annotated[str, typer.Option("--source", envvar="FICHES_SOURCE", help="D'où viennent les données : auto, douanes ou sample.")] = "auto",
    out: Annotated[Path | None, typer.Option("--out", envvar="FICHES_OUT", show_default=False, help="Dossier de sortie (défaut : out/).")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="FICHES_DATA_DIR", show_default=False, help="Dossier des données (défaut : data/).")] = None,
    keep_html: Annotated[bool, typer.Option("--keep-html", help="Garde le HTML final et ses ressources sous <out>/<année>/_html/.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", envvar="FICHES_JOBS", show_default=False, help="Processus en parallèle (défaut : nombre de cœurs).")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Reconstruit même ce qui est à jour.")] = False,
    edition: Annotated[Path | None, typer.Option("--edition", envvar="FICHES_EDITION", show_default=False, help="Fichier d’édition (TOML) : les textes éditoriaux des fiches (défaut : l’édition fournie).")] = None,
) -> None:
    """Construit les fiches PDF (et leurs fichiers JSON et XLSX) des départements, régions et de la France demandés."""
    if jobs != 1 and (all_ or regions or france or territoires or len(codes or []) > 1):
        pool.start_server()  # the workers' imports start now, on another core
    from fiches.build import batch

    try:
        if source not in SOURCES:
            raise UsageError(f"source inconnue {source!r} : attendu {', '.join(SOURCES)}")
        if all_:
            territories = batch.all_departements()
        elif codes:
            seen: dict[str, object] = {}
            for code in codes:
                territory = departement(code)
                seen.setdefault(territory.code, territory)
            territories = list(seen.values())  # type: ignore[arg-type]
        elif regions or france or territoires:
            territories = []
        else:
            raise UsageError("indiquez au moins un code de département (ex. : fiches build 12), --all, --regions, --france ou --territoires")
        territories += (batch.all_regions() if regions else []) + ([FRANCE] if france else [])
        out = out or PROJECT_ROOT / "out"
        report = _run_build(_settings(data_dir), territories, year, source, out, keep_html, force, jobs or batch.default_jobs(), edition, territoires)
    except FichesError as exc:
        _fail(exc)
        return
    if report.warning:
        console.print(f"[bold yellow]ATTENTION[/] : {escape(report.warning)}", highlight=False, soft_wrap=True)
    console.print(escape(
        f"{report.year} ({report.source}) : {report.count('built')} construite(s), {report.count('skipped')} à jour, "
        f"{report.count('failed')} en échec, en {report.seconds:.1f} s → {batch.year_dir(out, report.year) / 'index.html'}"
    ), highlight=False, soft_wrap=True)
    for outcome in report.failed:
        console.print(f"[red]échec[/] {escape(outcome.code)} : {escape(outcome.reason)}", highlight=False, soft_wrap=True)
    if report.failed:
        raise typer.Exit(RenderError.exit_code)


def _run_build(settings, territories, year, source, out, keep_html, force, jobs, edition=None, dossiers=False) -> Report:
    from fiches.build import batch

    total = len(territories) + (len(batch.all_dossiers_for(settings)) if dossiers else 0)
    if not console.is_terminal or total == 1:
        def plain(outcome: batch.Outcome) -> None:
            detail = f" : {outcome.reason}" if outcome.reason else ""
            log.info("%s %s (%.1f s)%s", outcome.status, outcome.code, outcome.seconds, detail)

        return batch.build(settings, territories, year=year, source=source, out_dir=out, keep_html=keep_html, force=force, jobs=jobs, on_done=plain, edition=edition, dossiers=dossiers)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("reste"), TimeRemainingColumn(), console=console,
    ) as progress:
        task = progress.add_task("fiches", total=total)

        def advance(outcome: batch.Outcome) -> None:
            progress.update(task, advance=1, description=escape(f"{outcome.status} {outcome.code}"))

        return batch.build(settings, territories, year=year, source=source, out_dir=out, keep_html=keep_html, force=force, jobs=jobs, on_done=advance, edition=edition, dossiers=dossiers)


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    app(prog_name="fiches")
