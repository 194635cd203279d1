"""The command line's frame: French help and errors, common options, environment variables, doctor and list."""

from __future__ import annotations

import logging
import os

import pytest
import typer
from typer.core import TyperCommand

from fiches import __version__
from fiches.build import batch
from fiches.build.jobs import Outcome, Report
from fiches.cli import app
from fiches.cli import checks as doctor
from fiches.cli import frame as cli_frame
from fiches.reference import territoires

ENGLISH = ("Usage:", "Show this message", "Options:", "Commands:", "Arguments:", "env var", "default:", "[required]",
           "Error:", "Try '", "No such", "Invalid value", "Missing")
CORES = batch.default_jobs()


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _one_error_line(result, code: int) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    errors = _lines(result.stderr)
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("erreur : ")
    for english in ENGLISH:
        assert english not in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def no_build(monkeypatch):
    """Every call `fiches build` would make to the batch, recorded instead of run."""
    calls: list[dict] = []

    def fake_build(settings, territories, **kwargs):
        calls.append({"settings": settings, "territories": territories, **kwargs})
        logging.getLogger("fiches.build").warning("archive lue à https://example.org/" + "x" * 200)
        outcomes = [Outcome(t.code, "built", 1.5) for t in territories]
        for outcome in outcomes:
            kwargs["on_done"](outcome)
        return Report(2024, "sample", outcomes, 3.0)

    monkeypatch.setattr(batch, "build", fake_build)
    monkeypatch.delenv("FICHES_OUT", raising=False)
    monkeypatch.delenv("FICHES_JOBS", raising=False)
    monkeypatch.delenv("FICHES_SOURCE", raising=False)
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    return calls


# French help


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["build", "-h"], ["build", "--help"], ["fetch", "-h"], ["doctor", "-h"], ["list", "-h"]])
def test_the_help_is_in_french(cli, args):
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Utilisation : ")  # the runner names the program "root"
    assert "Afficher ce message et quitter." in result.stdout
    assert "Options :" in result.stdout
    for english in ENGLISH:
        assert english not in result.stdout, english


def test_the_group_help_names_every_command_and_completion_in_french(cli):
    result = cli("--help")
    assert "Commandes :" in result.stdout and "COMMANDE [ARGUMENTS]..." in result.stdout
    for name in ("fetch", "build", "doctor", "list", "--install-completion", "--show-completion", "-V, --version"):
        assert name in result.stdout, name
    assert "Installer la complétion" in result.stdout and "Install completion" not in result.stdout


def test_the_build_help_shows_the_choices_and_environment_variables(cli):
    text = " ".join(cli("build", "-h").stdout.split())  # the help is wrapped to the terminal: compare words
    assert "--source [auto|douanes|sample]" in text
    for variable in ("FICHES_OUT", "FICHES_JOBS", "FICHES_SOURCE", "FICHES_DATA_DIR"):
        assert f"variable d’environnement : {variable}" in text, variable
    assert "défaut : auto" in text
    assert "-q, --quiet" in text and "-v, --verbose" in text


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(cli, flag):
    result = cli(flag)
    assert result.exit_code == 0 and result.stdout.strip() == f"fiches {__version__}"


# click's errors, in French on one line


@pytest.mark.parametrize(("args", "needle"), [
    (["build", "--source", "x", "12"], "source inconnue « x », valeurs possibles : auto, douanes, sample"),
    (["build", "--nope"], "option inconnue --nope"),
    (["fetch", "--year"], "l’option --year demande une valeur"),
    (["fetch", "--year", "deux"], "valeur invalide pour --year : un nombre entier est attendu"),
    (["buil"], "commande inconnue « buil » (vouliez-vous dire « build » ?)"),
    (["list", "--niveau", "commune"], "valeur invalide pour --niveau"),
    (["build", "12", "en", "trop", "--jobs", "0"], "il faut au moins 1 processus"),
])
def test_usage_errors_are_one_french_line(cli, no_build, args, needle):
    assert needle in _one_error_line(cli(*args), 2)
    assert not no_build


def test_a_bad_source_from_the_environment_is_refused_too(cli, no_build, monkeypatch):
    monkeypatch.setenv("FICHES_SOURCE", "douane")
    assert "source inconnue « douane »" in _one_error_line(cli("build", "12"), 2)
    assert not no_build


@pytest.mark.parametrize("jobs", ["0", "-3"])
def test_jobs_below_one_is_refused(cli, no_build, jobs):
    assert "--jobs" in _one_error_line(cli("build", "12", f"--jobs={jobs}"), 2)
    assert not no_build


def test_jobs_above_the_cores_is_capped_and_said(cli, no_build):
    result = cli("build", "12", "--jobs", "99", "--source", "sample")
    assert result.exit_code == 0, result.stderr
    assert f"--jobs 99 ramené à {CORES}, le nombre de cœurs disponibles" in result.stderr
    assert no_build[0]["jobs"] == CORES


def test_jobs_within_the_cores_is_kept(cli, no_build):
    assert cli("build", "12", "--jobs", "1").exit_code == 0
    assert no_build[0]["jobs"] == 1


def test_environment_variables_are_honoured(cli, no_build, monkeypatch, tmp_path):
    monkeypatch.setenv("FICHES_OUT", str(tmp_path / "sortie"))
    monkeypatch.setenv("FICHES_JOBS", "99")
    monkeypatch.setenv("FICHES_SOURCE", "sample")
    result = cli("build", "12")
    assert result.exit_code == 0, result.stderr
    call = no_build[0]
    assert call["out_dir"] == tmp_path / "sortie" and call["source"] == "sample" and call["jobs"] == CORES
    assert "ramené à" in result.stderr


# the build's lines


def test_the_build_summary_and_progress_are_in_french(cli, no_build):
    result = cli("build", "12")
    assert result.exit_code == 0, result.stderr
    assert "construite 12 (1.5 s)" in result.stderr
    assert "1 construite(s), 0 à jour, 0 en échec" in result.stderr
    assert "built" not in result.stderr and "skipped" not in result.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_and_verbose_are_accepted_before_and_after_the_command(cli, no_build, where):
    args = ["-q", "build", "12"] if where == "before" else ["build", "12", "-q"]
    quiet = cli(*args)
    assert quiet.exit_code == 0, quiet.stderr
    assert "construite(s)" not in quiet.stderr and "construite 12" not in quiet.stderr
    assert "archive lue" in quiet.stderr  # warnings still show
    args = ["-v", "list", "--niveau", "annees"] if where == "before" else ["list", "--niveau", "annees", "-v"]
    assert cli(*args).exit_code == 0
    assert logging.getLogger("fiches").level == logging.DEBUG


def test_long_lines_are_never_wrapped_when_not_a_terminal(cli, no_build):
    url = "https://example.org/" + "x" * 200
    result = cli("build", "12")
    assert any(url in line for line in result.stderr.splitlines()), result.stderr  # a log line
    code = "[bold]" + url
    error = _one_error_line(cli("build", code), 2)  # a console line, with a user's text left as typed
    assert repr(code) in error


def test_a_browser_path_naming_nothing_stops_before_any_work(cli, no_build, monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "chromium"))
    error = _one_error_line(cli("build", "12", "--source", "sample"), 5)
    assert "BROWSER_PATH" in error and str(tmp_path / "chromium") in error
    assert not no_build


# doctor


def test_doctor_all_ok(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    result = cli("doctor", "--data-dir", tmp_path / "données")
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = _lines(result.stdout)
    assert lines and all(line.startswith("ok ") for line in lines), result.stdout
    for name in ("Python", *doctor.LIBRARIES, "Pango", "Chromium", "polices Lato", "dossier des données", "années"):
        assert any(line.split(" : ")[0].split()[-1] == name.split()[-1] for line in lines), name
    assert "au catalogue : 2023, 2024, 2025" in result.stdout
    assert not (tmp_path / "données").exists(), "doctor created the data folder"
    assert "tout est prêt" in result.stderr


def test_doctor_reports_a_missing_browser_and_what_to_do(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "chromium"))
    result = cli("doctor", "--data-dir", tmp_path)
    assert result.exit_code == 6, result.stdout
    failed = [line for line in _lines(result.stdout) if line.startswith("ÉCHEC")]
    assert len(failed) == 1 and "Chromium" in failed[0] and "BROWSER_PATH" in failed[0] and "installez" in failed[0]
    assert "1 problème(s) : Chromium" in result.stderr


def test_doctor_reports_a_data_folder_it_cannot_write(cli, tmp_path):
    not_a_folder = tmp_path / "fichier"
    not_a_folder.write_text("x")
    result = cli("doctor", "--data-dir", not_a_folder / "data")
    assert result.exit_code == 6
    failed = [line for line in _lines(result.stdout) if line.startswith("ÉCHEC")]
    assert any("dossier des données" in line and "--data-dir" in line for line in failed), result.stdout


def test_the_data_folder_check_leaves_nothing_behind(tmp_path):
    assert doctor.check_data_dir(tmp_path).ok
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_data_folder_fails(tmp_path):
    tmp_path.chmod(0o500)
    try:
        check = doctor.check_data_dir(tmp_path)
    finally:
        tmp_path.chmod(0o700)
    assert not check.ok and "écriture" in check.line()


def test_a_browser_that_does_not_start_fails(tmp_path, monkeypatch):
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\necho cassé >&2\nexit 3\n")
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(browser))
    check = doctor.check_browser()
    assert not check.ok and "code 3 : cassé" in check.line() and "BROWSER_PATH" in check.line()


def test_an_unreadable_font_fails(tmp_path):
    for name in doctor.FONTS:
        (tmp_path / name).write_bytes(b"pas une police")
    check = doctor.check_fonts(tmp_path)
    assert not check.ok and "illisible" in check.line()


# list


def test_list_prints_every_kind_of_territory_and_the_years(cli):
    result = cli("list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    for expected in ("12 Aveyron", "971 Guadeloupe", "976 Mayotte", "2A, 2B Corse", "76 Occitanie", "11 Île-de-France",
                     "au catalogue : 2023, 2024, 2025"):
        assert expected in lines, expected
    first = territoires.embedded().entries[0]
    assert any(line.startswith(f"{first.id} {first.name}") for line in lines)
    assert "Territoires d’industrie" in result.stdout and "en cache :" in result.stdout


def test_list_one_level(cli):
    regions = cli("list", "--niveau", "region").stdout.splitlines()
    assert "76 Occitanie" in regions and "12 Aveyron" not in regions and len(regions) == 13
    years = cli("list", "--niveau", "annees").stdout
    assert "Aveyron" not in years and "2025" in years
    assert "4 derniers trimestres : aucun (pas de dernière publication en cache" in " ".join(years.split())


def test_list_names_the_last_four_quarters_a_build_can_cover(cli, tmp_path):
    from fiches.config import Settings
    from fiches.sources import sample

    data = tmp_path / "data"
    sample.ensure_sample(Settings(data_dir=data))
    years = cli("list", "--niveau", "annees", "--data-dir", str(data / "sample")).stdout
    assert "4 derniers trimestres : T4 2024 – T3 2025 (build --period 12m)" in " ".join(years.split())


def test_list_as_tsv_keeps_every_line_whole(cli):
    result = cli("list", "--niveau", "territoire", "--format", "tsv")
    lines = result.stdout.splitlines()
    assert len(lines) == len(territoires.embedded().entries)
    assert all(line.count("\t") == 1 for line in lines)
    assert "12\tAveyron" in cli("list", "--format", "tsv").stdout.splitlines()


# the fence around typer's copy of click


def test_the_click_classes_are_typer_s():
    """cli_frame picks click's classes where typer takes them from: else its French would never be used."""
    assert issubclass(typer.BadParameter, cli_frame.click_errors.BadParameter)
    assert issubclass(cli_frame.FrenchContext, TyperCommand.context_class)
    group = typer.main.get_command(app)
    assert isinstance(group, cli_frame.FrenchGroup)
    ctx = group.make_context("fiches", ["list"], resilient_parsing=True)
    assert isinstance(ctx, cli_frame.FrenchContext) and isinstance(ctx.make_formatter(), cli_frame.FrenchHelpFormatter)
