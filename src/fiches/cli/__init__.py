"""The command line: takes a user's command and options, calls the stages, and hands back files and one line.

Wiring only: options parsed here (their French frame in `frame`), the environment checked in `checks`, and any
error a user can cause ends in one clear French line and a non-zero exit.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from fiches import __version__, errors
from fiches.build import pool
from fiches.cli.frame import CONTEXT_SETTINGS, VERBOSITY, FrenchCommand, FrenchGroup, Quiet, Verbose, choice
from fiches.config import PERIODS, PROJECT_ROOT, SOURCES, Settings, default_data_dir
from fiches.errors import FichesError, RenderError, SetupError, UsageError
from fiches.reference.geography import FRANCE, departement

if TYPE_CHECKING:
    from fiches.build.batch import Report

app = typer.Typer(
    cls=FrenchGroup,
    context_settings=CONTEXT_SETTINGS,
    rich_markup_mode=None,  # click's plain layout, whose words cli/frame.py puts in French
    no_args_is_help=True,
    help="Fiches « Les indicateurs clés : commerce extérieur » par département, à partir des données ouvertes des douanes.",
)
#: soft_wrap: a line is never cut, so that a long URL or path stays whole in a log or a terminal.
console = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("fiches")


def _setup_logging() -> None:
    level = logging.DEBUG if VERBOSITY["verbose"] else logging.WARNING if VERBOSITY["quiet"] else logging.INFO
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


def _interruptible(command):
    """Ctrl-C or SIGTERM end a command with one line, once what it was writing is cleaned up."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            result = command(*args, **kwargs)
            errors.raise_if_interrupted()  # one a library swallowed: the command still ends as interrupted
            return result
        except KeyboardInterrupt as exc:
            terminated = getattr(exc, "signum", signal.SIGINT) == signal.SIGTERM
            console.print(f"[bold red]interrompu[/]{' (SIGTERM)' if terminated else ''} : les fichiers déjà écrits sont complets, "
                          "les autres n'ont pas été touchés", highlight=False, soft_wrap=True)
            raise typer.Exit(128 + signal.SIGTERM if terminated else 130) from None

    return run


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Afficher la version et quitter.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    _setup_logging()


def _jobs(value: int | None) -> int | None:
    """At least one process; no more than the cores this process may use, which is said."""
    if value is None:
        return None
    if value < 1:
        raise typer.BadParameter(f"{value} : il faut au moins 1 processus")
    from fiches.build.batch import default_jobs

    cores = default_jobs()
    if value > cores:
        console.print(escape(f"--jobs {value} ramené à {cores}, le nombre de cœurs disponibles"), highlight=False)
        return cores
    return value


def _check_browser_path() -> None:
    """A BROWSER_PATH that names nothing is refused before any work starts."""
    configured = os.environ.get("BROWSER_PATH")
    if configured and not os.path.isfile(configured):
        raise RenderError(f"BROWSER_PATH désigne {configured!r}, qui n'existe pas : corrigez-la ou retirez-la (fiches doctor vérifie l'installation)")


@app.command(cls=FrenchCommand)
@_interruptible
def fetch(
    year: Annotated[int | None, typer.Option("--year", metavar="ANNÉE", help="Année de données (défaut : la plus récente du catalogue).")] = None,
    url: Annotated[list[str] | None, typer.Option("--url", metavar="URL", help="Archive à télécharger (répétable) au lieu du catalogue.")] = None,
    from_file: Annotated[list[Path] | None, typer.Option("--from-file", metavar="FICHIER", help="Archive déjà téléchargée à intégrer (répétable).")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", metavar="DOSSIER", envvar="FICHES_DATA_DIR", show_default=False, help="Dossier des données (défaut : data/).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Toute ligne invalide est une erreur.")] = False,
    accept_bad_rows: Annotated[bool, typer.Option("--accept-bad-rows", help="Écarte délibérément les lignes invalides au-delà du seuil, au lieu de refuser le fichier ; la provenance des fiches le dit.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Reconstruit tous les caches à partir des archives conservées dans data/raw.")] = False,
    ti_from_file: Annotated[Path | None, typer.Option("--ti-from-file", metavar="FICHIER", help="Liste officielle des Territoires d’industrie (liste-ti-com2023-AAAAMMJJ.csv) à intégrer.")] = None,
    ti_url: Annotated[str | None, typer.Option("--ti-url", metavar="URL", help="Adresse de la liste officielle des Territoires d’industrie à télécharger.")] = None,
    discover: Annotated[str | None, typer.Option("--discover", metavar="URL", help="Page des données ouvertes des douanes où trouver les archives publiées (défaut : celle du catalogue).")] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
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


@app.command(cls=FrenchCommand)
@_interruptible
def build(
    codes: Annotated[list[str] | None, typer.Argument(metavar="CODE", help="Codes de département : 12, 2A, 971…")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Tous les départements (Monaco exclu).")] = False,
    regions: Annotated[bool, typer.Option("--regions", help="Aussi une fiche par région (13 régions et l'outre-mer).")] = False,
    france: Annotated[bool, typer.Option("--france", help="Aussi la fiche de la France entière.")] = False,
    territoires: Annotated[bool, typer.Option("--territoires", help="Aussi un dossier par Territoire d’industrie (ses départements côte à côte).")] = False,
    year: Annotated[int | None, typer.Option("--year", metavar="ANNÉE", help="Année de données (défaut : la plus récente disponible).")] = None,
    period: Annotated[str, typer.Option("--period", **choice(PERIODS, "période inconnue"), help="Ce que couvrent les fiches : annee (une année civile, données définitives si possible) ou 12m (les quatre derniers trimestres publiés, données provisoires).")] = "annee",
    source: Annotated[str, typer.Option("--source", envvar="FICHES_SOURCE", **choice(SOURCES, "source inconnue"), help="D'où viennent les données : auto (les données récupérées, sinon l'échantillon), douanes ou sample.")] = "auto",
    out: Annotated[Path | None, typer.Option("--out", metavar="DOSSIER", envvar="FICHES_OUT", show_default=False, help="Dossier de sortie (défaut : out/).")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", metavar="DOSSIER", envvar="FICHES_DATA_DIR", show_default=False, help="Dossier des données (défaut : data/).")] = None,
    keep_html: Annotated[bool, typer.Option("--keep-html", help="Garde le HTML final et ses ressources sous <out>/<année>/_html/.")] = False,
    jobs: Annotated[int | None, typer.Option("--jobs", metavar="N", envvar="FICHES_JOBS", show_default=False, callback=_jobs, help="Processus en parallèle, au moins 1 (défaut et maximum : le nombre de cœurs).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Reconstruit même ce qui est à jour.")] = False,
    edition: Annotated[Path | None, typer.Option("--edition", metavar="FICHIER", envvar="FICHES_EDITION", show_default=False, help="Fichier d’édition (TOML) : les textes éditoriaux des fiches (défaut : l’édition fournie).")] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Construit les fiches PDF (et leurs fichiers JSON et XLSX) des départements, régions et de la France demandés."""
    try:
        _check_browser_path()
    except FichesError as exc:
        _fail(exc)
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
        report = _run_build(_settings(data_dir), territories, year, source, out, keep_html, force, jobs or batch.default_jobs(), edition, territoires, period)
    except FichesError as exc:
        _fail(exc)
        return
    if report.warning:
        console.print(f"[bold yellow]ATTENTION[/] : {escape(report.warning)}", highlight=False, soft_wrap=True)
    if not VERBOSITY["quiet"] or report.failed:
        console.print(escape(
            f"{report.period or report.year} ({report.source}) : {report.count('built')} construite(s), {report.count('skipped')} à jour, "
            f"{report.count('failed')} en échec, en {report.seconds:.1f} s → {batch.year_dir(out, report.folder or report.year) / 'index.html'}"
        ), highlight=False, soft_wrap=True)
    for outcome in report.failed:
        console.print(f"[red]échec[/] {escape(outcome.code)} : {escape(outcome.reason)}", highlight=False, soft_wrap=True)
    if report.failed:
        raise typer.Exit(RenderError.exit_code)


#: A factsheet's outcome as progress lines name it.
STATUS = {"built": "construite", "skipped": "à jour", "failed": "en échec"}


def _run_build(settings, territories, year, source, out, keep_html, force, jobs, edition=None, dossiers=False, period="annee") -> Report:
    from fiches.build import batch

    total = len(territories) + (len(batch.all_dossiers_for(settings)) if dossiers else 0)
    if not console.is_terminal or total == 1 or VERBOSITY["quiet"]:
        def plain(outcome: batch.Outcome) -> None:
            detail = f" : {outcome.reason}" if outcome.reason else ""
            log.info("%s %s (%.1f s)%s", STATUS.get(outcome.status, outcome.status), outcome.code, outcome.seconds, detail)

        return batch.build(settings, territories, year=year, source=source, out_dir=out, keep_html=keep_html, force=force, jobs=jobs, on_done=plain, edition=edition, dossiers=dossiers, period=period)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("reste"), TimeRemainingColumn(), console=console,
    ) as progress:
        task = progress.add_task("fiches", total=total)

        def advance(outcome: batch.Outcome) -> None:
            progress.update(task, advance=1, description=escape(f"{STATUS.get(outcome.status, outcome.status)} {outcome.code}"))

        return batch.build(settings, territories, year=year, source=source, out_dir=out, keep_html=keep_html, force=force, jobs=jobs, on_done=advance, edition=edition, dossiers=dossiers, period=period)


@app.command(cls=FrenchCommand)
def doctor(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", metavar="DOSSIER", envvar="FICHES_DATA_DIR", show_default=False, help="Dossier des données à vérifier (défaut : data/).")] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Vérifie l’installation : Python et bibliothèques, Pango, Chromium, polices, dossier des données, années disponibles."""
    from fiches.cli import checks

    results = checks.run_checks(_settings(data_dir))
    for check in results:
        print(check.line(), flush=True)
    failed = [check.name for check in results if not check.ok]
    if failed:
        console.print(escape(f"{len(failed)} problème(s) : {', '.join(failed)}"), highlight=False)
        raise typer.Exit(SetupError.exit_code)
    console.print("tout est prêt", highlight=False)


LEVELS = ("departement", "region", "territoire", "annees")


@app.command("list", cls=FrenchCommand)
def list_(
    niveau: Annotated[str | None, typer.Option("--niveau", **choice(LEVELS, "niveau inconnu"), show_default=False, help="N’afficher qu’une partie : departement, region, territoire ou annees.")] = None,
    format_: Annotated[str, typer.Option("--format", **choice(("texte", "tsv"), "format inconnu"), help="texte (lisible) ou tsv (code, tabulation, nom : pour un tableur ou un script).")] = "texte",
    data_dir: Annotated[Path | None, typer.Option("--data-dir", metavar="DOSSIER", envvar="FICHES_DATA_DIR", show_default=False, help="Dossier des données (défaut : data/).")] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Liste les territoires et leurs codes (départements, régions, Territoires d’industrie) et les années disponibles."""
    from fiches.cli import checks
    from fiches.reference import geography, territoires
    from fiches.sources import ti_list

    settings = _settings(data_dir)
    tsv = format_ == "tsv"
    parts = [niveau] if niveau else list(LEVELS)

    def section(title: str, rows: list[tuple[str, str]]) -> None:
        if len(parts) > 1:
            print(f"# {title}" if tsv else f"{title} :")
        for code, name in rows:
            print(f"{code}\t{name}" if tsv else f"{code} {name}")
        if len(parts) > 1 and not tsv:
            print()

    try:
        if "departement" in parts:
            section("Départements (codes INSEE)", [(t.display_code, t.name) for t in geography.factsheet_departements()])
        if "region" in parts:
            regions = [geography.region(code) for code in sorted(geography.REGIONS) if code != geography.OVERSEAS_GROUP]
            section("Régions (codes INSEE ; outre-mer : voir 971 à 976)", sorted(((t.display_code, t.name) for t in regions), key=lambda row: row[0]))
        if "territoire" in parts:
            tis = ti_list.load_list(settings.data_dir) or territoires.embedded()
            section(f"Territoires d’industrie ({tis.description})", [(ti.id, f"{ti.name} ({', '.join(ti.departements)})") for ti in tis.entries])
        if "annees" in parts:
            local = ", ".join(map(str, checks.local_years(settings))) or "aucune (fiches fetch)"
            section("Années", [("en cache :", local), ("4 derniers trimestres :", checks.latest_quarters(settings)),
                               ("au catalogue :", ", ".join(map(str, checks.catalogue_years()))),
                               ("échantillon :", ", ".join(map(str, checks.sample_years())) + " (chiffres fictifs, --source sample)")])
    except FichesError as exc:
        _fail(exc)


def main() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, errors.on_signal)
    sys.unraisablehook = errors.quiet_unraisable(sys.unraisablehook)
    app(prog_name="fiches")
